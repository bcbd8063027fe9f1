from pydantic import Field

from .base_model import BaseModel
from .fragments import QueueTicket


class QueueStatus(BaseModel):
    queue_status: "QueueStatusQueueStatus" = Field(alias="queueStatus")


QueueStatusQueueStatus = QueueTicket
QueueStatus.model_rebuild()
