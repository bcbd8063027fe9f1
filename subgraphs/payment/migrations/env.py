from subgraphs.kernel.migrate import run_env
from subgraphs.payment.models import Base

run_env(Base.metadata)
