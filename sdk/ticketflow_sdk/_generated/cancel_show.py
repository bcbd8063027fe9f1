from pydantic import Field

from .base_model import BaseModel
from .fragments import Show


class CancelShow(BaseModel):
    cancel_show: "CancelShowCancelShow" = Field(alias="cancelShow")


CancelShowCancelShow = Show
CancelShow.model_rebuild()
