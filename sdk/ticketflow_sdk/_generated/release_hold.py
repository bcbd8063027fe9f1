from pydantic import Field

from .base_model import BaseModel
from .fragments import SeatHold


class ReleaseHold(BaseModel):
    release_hold: "ReleaseHoldReleaseHold" = Field(alias="releaseHold")


ReleaseHoldReleaseHold = SeatHold
ReleaseHold.model_rebuild()
