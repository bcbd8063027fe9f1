from typing import Optional

from .base_model import BaseModel
from .fragments import ShowQueue


class GetShowQueue(BaseModel):
    show: Optional["GetShowQueueShow"]


class GetShowQueueShow(BaseModel):
    id: str
    queue: Optional["GetShowQueueShowQueue"]


GetShowQueueShowQueue = ShowQueue
GetShowQueue.model_rebuild()
GetShowQueueShow.model_rebuild()
