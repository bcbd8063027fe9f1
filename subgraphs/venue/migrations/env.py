from subgraphs.venue.models import Base
from subgraphs.kernel.migrate import run_env

run_env(Base.metadata)
