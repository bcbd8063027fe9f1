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


class HoldBestAvailable(BaseModel):
    hold_best_available: Union[
        "HoldBestAvailableHoldBestAvailableSeatHold",
        "HoldBestAvailableHoldBestAvailableSoldOut",
        "HoldBestAvailableHoldBestAvailablePromoCodeRejected",
    ] = Field(alias="holdBestAvailable", discriminator="typename__")


class HoldBestAvailableHoldBestAvailableSeatHold(SeatHold):
    typename__: Literal["SeatHold"] = Field(alias="__typename")


class HoldBestAvailableHoldBestAvailableSoldOut(BaseModel):
    typename__: Literal["SoldOut"] = Field(alias="__typename")
    code: str
    message: str
    available: int


class HoldBestAvailableHoldBestAvailablePromoCodeRejected(BaseModel):
    typename__: Literal["PromoCodeRejected"] = Field(alias="__typename")
    code: str
    message: str
    reason: PromoCodeRejection
    promo_code: Optional[str] = Field(alias="promoCode")


HoldBestAvailable.model_rebuild()
