from pydantic import Field

from .base_model import BaseModel
from .fragments import ShowQueue


class ResumeQueue(BaseModel):
    resume_queue: "ResumeQueueResumeQueue" = Field(alias="resumeQueue")


ResumeQueueResumeQueue = ShowQueue
ResumeQueue.model_rebuild()
