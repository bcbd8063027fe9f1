from typing import Optional

from .base_model import BaseModel
from .fragments import Venue


class GetVenue(BaseModel):
    venue: Optional["GetVenueVenue"]


GetVenueVenue = Venue
GetVenue.model_rebuild()
