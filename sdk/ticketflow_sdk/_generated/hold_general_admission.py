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


class HoldGeneralAdmission(BaseModel):
    hold_general_admission: Union[
        "HoldGeneralAdmissionHoldGeneralAdmissionSeatHold",
        "HoldGeneralAdmissionHoldGeneralAdmissionSoldOut",
        "HoldGeneralAdmissionHoldGeneralAdmissionPromoCodeRejected",
    ] = Field(alias="holdGeneralAdmission", discriminator="typename__")


class HoldGeneralAdmissionHoldGeneralAdmissionSeatHold(SeatHold):
    typename__: Literal["SeatHold"] = Field(alias="__typename")


class HoldGeneralAdmissionHoldGeneralAdmissionSoldOut(BaseModel):
    typename__: Literal["SoldOut"] = Field(alias="__typename")
    code: str
    message: str
    available: int


class HoldGeneralAdmissionHoldGeneralAdmissionPromoCodeRejected(BaseModel):
    typename__: Literal["PromoCodeRejected"] = Field(alias="__typename")
    code: str
    message: str
    reason: PromoCodeRejection
    promo_code: Optional[str] = Field(alias="promoCode")


HoldGeneralAdmission.model_rebuild()
