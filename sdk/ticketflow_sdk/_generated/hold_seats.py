from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import (  # noqa: F401
    SeatHold,
    SeatHoldGeneralAdmission,
    SeatHoldLines,
    SeatHoldSeats,
    SeatHoldSegment,
    SeatHoldShow,
    SeatHoldTotal,
)


class HoldSeats(BaseModel):
    hold_seats: Union[
        "HoldSeatsHoldSeatsSeatHold",
        "HoldSeatsHoldSeatsSeatsUnavailable",
        "HoldSeatsHoldSeatsPromoCodeRejected",
    ] = Field(alias="holdSeats", discriminator="typename__")


class HoldSeatsHoldSeatsSeatHold(SeatHold):
    typename__: Literal["SeatHold"] = Field(alias="__typename")


class HoldSeatsHoldSeatsSeatsUnavailable(BaseModel):
    typename__: Literal["SeatsUnavailable"] = Field(alias="__typename")
    code: str
    message: str
    seat_ids: tuple[str, ...] = Field(alias="seatIds")


class HoldSeatsHoldSeatsPromoCodeRejected(BaseModel):
    typename__: Literal["PromoCodeRejected"] = Field(alias="__typename")


HoldSeats.model_rebuild()
