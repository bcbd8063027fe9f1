from typing import Optional

from .base_model import BaseModel
from .fragments import User


class Me(BaseModel):
    me: Optional["MeMe"]


MeMe = User
Me.model_rebuild()
