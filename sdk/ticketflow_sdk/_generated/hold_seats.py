from typing import Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import PromoCodeRejection
from .fragments import (  # noqa: F401
    SeatHold,
    SeatHoldDiscount,
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
    code: str
    message: str
    reason: PromoCodeRejection
    promo_code: Optional[str] = Field(alias="promoCode")


HoldSeats.model_rebuild()
