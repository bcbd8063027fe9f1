from pydantic import Field

from .base_model import BaseModel
from .fragments import ShowQueue


class PauseQueue(BaseModel):
    pause_queue: "PauseQueuePauseQueue" = Field(alias="pauseQueue")


PauseQueuePauseQueue = ShowQueue
PauseQueue.model_rebuild()
