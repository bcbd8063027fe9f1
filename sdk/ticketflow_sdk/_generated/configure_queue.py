from pydantic import Field

from .base_model import BaseModel
from .fragments import ShowQueue


class ConfigureQueue(BaseModel):
    configure_queue: "ConfigureQueueConfigureQueue" = Field(alias="configureQueue")


ConfigureQueueConfigureQueue = ShowQueue
ConfigureQueue.model_rebuild()
