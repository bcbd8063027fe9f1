from subgraphs.kernel.migrate import run_env
from subgraphs.notification.models import Base

run_env(Base.metadata)
