from typing import Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .enums import PromoCodeRejection
from .fragments import (  # noqa: F401
    Booking,
    BookingGeneralAdmission,
    BookingLines,
    BookingPayment,
    BookingSegment,
    BookingShow,
    BookingTotal,
)


class Checkout(BaseModel):
    checkout: Union[
        "CheckoutCheckoutBooking",
        "CheckoutCheckoutHoldExpired",
        "CheckoutCheckoutPromoCodeRejected",
    ] = Field(discriminator="typename__")


class CheckoutCheckoutBooking(Booking):
    typename__: Literal["Booking"] = Field(alias="__typename")


class CheckoutCheckoutHoldExpired(BaseModel):
    typename__: Literal["HoldExpired"] = Field(alias="__typename")
    code: str
    message: str
    hold_id: str = Field(alias="holdId")


class CheckoutCheckoutPromoCodeRejected(BaseModel):
    typename__: Literal["PromoCodeRejected"] = Field(alias="__typename")
    code: str
    message: str
    reason: PromoCodeRejection
    promo_code: Optional[str] = Field(alias="promoCode")


Checkout.model_rebuild()
