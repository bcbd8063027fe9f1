from typing import Optional

from .base_model import BaseModel
from .fragments import SeatHold


class Hold(BaseModel):
    hold: Optional["HoldHold"]


HoldHold = SeatHold
Hold.model_rebuild()
