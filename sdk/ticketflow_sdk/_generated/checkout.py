from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
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
    checkout: Union["CheckoutCheckoutBooking", "CheckoutCheckoutHoldExpired"] = Field(
        discriminator="typename__"
    )


class CheckoutCheckoutBooking(Booking):
    typename__: Literal["Booking"] = Field(alias="__typename")


class CheckoutCheckoutHoldExpired(BaseModel):
    typename__: Literal["HoldExpired"] = Field(alias="__typename")
    code: str
    message: str
    hold_id: str = Field(alias="holdId")


Checkout.model_rebuild()
