from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import AlreadyCheckedIn, CheckedIn, TicketRefused


class CheckIn(BaseModel):
    check_in: Union[
        "CheckInCheckInCheckedIn",
        "CheckInCheckInAlreadyCheckedIn",
        "CheckInCheckInTicketRefused",
    ] = Field(alias="checkIn", discriminator="typename__")


class CheckInCheckInCheckedIn(CheckedIn):
    typename__: Literal["CheckedIn"] = Field(alias="__typename")


class CheckInCheckInAlreadyCheckedIn(AlreadyCheckedIn):
    typename__: Literal["AlreadyCheckedIn"] = Field(alias="__typename")


class CheckInCheckInTicketRefused(TicketRefused):
    typename__: Literal["TicketRefused"] = Field(alias="__typename")


CheckIn.model_rebuild()
