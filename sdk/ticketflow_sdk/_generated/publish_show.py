from pydantic import Field

from .base_model import BaseModel
from .fragments import Show


class PublishShow(BaseModel):
    publish_show: "PublishShowPublishShow" = Field(alias="publishShow")


PublishShowPublishShow = Show
PublishShow.model_rebuild()
