from pydantic import Field

from .base_model import BaseModel
from .fragments import Venue


class SetVenueTimeZone(BaseModel):
    set_venue_time_zone: "SetVenueTimeZoneSetVenueTimeZone" = Field(
        alias="setVenueTimeZone"
    )


SetVenueTimeZoneSetVenueTimeZone = Venue
SetVenueTimeZone.model_rebuild()
