from typing import Optional

from .base_model import BaseModel
from .fragments import Availability


class GetAvailability(BaseModel):
    show: Optional["GetAvailabilityShow"]


class GetAvailabilityShow(BaseModel):
    id: str
    availability: Optional["GetAvailabilityShowAvailability"]


GetAvailabilityShowAvailability = Availability
GetAvailability.model_rebuild()
GetAvailabilityShow.model_rebuild()
