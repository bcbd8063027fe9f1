from pydantic import Field

from .base_model import BaseModel
from .fragments import QueueTicket


class JoinQueue(BaseModel):
    join_queue: "JoinQueueJoinQueue" = Field(alias="joinQueue")


JoinQueueJoinQueue = QueueTicket
JoinQueue.model_rebuild()
