from pydantic import Field

from .base_model import BaseModel
from .fragments import Show


class CreateShow(BaseModel):
    create_show: "CreateShowCreateShow" = Field(alias="createShow")


CreateShowCreateShow = Show
CreateShow.model_rebuild()
