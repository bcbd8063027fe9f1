from typing import Optional

from .base_model import BaseModel
from .fragments import Show


class GetShow(BaseModel):
    show: Optional["GetShowShow"]


GetShowShow = Show
GetShow.model_rebuild()
