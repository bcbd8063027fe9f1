from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import SeatEventKind, SeatStatus
from .fragments import GeneralAdmissionAvailability


class WatchSeats(BaseModel):
    seat_availability: "WatchSeatsSeatAvailability" = Field(alias="seatAvailability")


class WatchSeatsSeatAvailability(BaseModel):
    show_id: str = Field(alias="showId")
    kind: SeatEventKind
    version: int
    from_version: Optional[int] = Field(alias="fromVersion")
    seats: tuple["WatchSeatsSeatAvailabilitySeats", ...]
    availability: "WatchSeatsSeatAvailabilityAvailability"
    general_admission: tuple["WatchSeatsSeatAvailabilityGeneralAdmission", ...] = Field(
        alias="generalAdmission"
    )


class WatchSeatsSeatAvailabilitySeats(BaseModel):
    seat_id: str = Field(alias="seatId")
    state: SeatStatus
    legs: tuple[SeatStatus, ...]


class WatchSeatsSeatAvailabilityAvailability(BaseModel):
    total: int
    available: int
    held: int
    sold: int


WatchSeatsSeatAvailabilityGeneralAdmission = GeneralAdmissionAvailability
WatchSeats.model_rebuild()
WatchSeatsSeatAvailability.model_rebuild()
