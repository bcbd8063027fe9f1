from subgraphs.kernel.migrate import run_env
from subgraphs.venue.models import Base

run_env(Base.metadata)
