from pydantic import Field

from .base_model import BaseModel
from .fragments import Venue


class CreateVenue(BaseModel):
    create_venue: "CreateVenueCreateVenue" = Field(alias="createVenue")


CreateVenueCreateVenue = Venue
CreateVenue.model_rebuild()
