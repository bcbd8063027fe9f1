from pydantic import Field

from .base_model import BaseModel
from .enums import SeatEventKind, SeatStatus
from .fragments import GeneralAdmissionAvailability


class WatchSeatsByVersion(BaseModel):
    seat_availability: "WatchSeatsByVersionSeatAvailability" = Field(
        alias="seatAvailability"
    )


class WatchSeatsByVersionSeatAvailability(BaseModel):
    show_id: str = Field(alias="showId")
    kind: SeatEventKind
    version: int
    seats: tuple["WatchSeatsByVersionSeatAvailabilitySeats", ...]
    availability: "WatchSeatsByVersionSeatAvailabilityAvailability"
    general_admission: tuple[
        "WatchSeatsByVersionSeatAvailabilityGeneralAdmission", ...
    ] = Field(alias="generalAdmission")


class WatchSeatsByVersionSeatAvailabilitySeats(BaseModel):
    seat_id: str = Field(alias="seatId")
    state: SeatStatus
    legs: tuple[SeatStatus, ...]


class WatchSeatsByVersionSeatAvailabilityAvailability(BaseModel):
    total: int
    available: int
    held: int
    sold: int


WatchSeatsByVersionSeatAvailabilityGeneralAdmission = GeneralAdmissionAvailability
WatchSeatsByVersion.model_rebuild()
WatchSeatsByVersionSeatAvailability.model_rebuild()
