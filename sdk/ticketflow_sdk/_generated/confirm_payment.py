from typing import Literal, Optional, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import (  # noqa: F401
    Payment,
    PaymentAmount,
    PaymentBooking,
    PaymentCaptured,
    PaymentCheckout,
    PaymentFailure,
    PaymentRefunded,
    PaymentRefunds,
)


class ConfirmPayment(BaseModel):
    confirm_payment: Union[
        "ConfirmPaymentConfirmPaymentPayment",
        "ConfirmPaymentConfirmPaymentPaymentDeclined",
        "ConfirmPaymentConfirmPaymentPaymentWindowClosed",
    ] = Field(alias="confirmPayment", discriminator="typename__")


class ConfirmPaymentConfirmPaymentPayment(Payment):
    typename__: Literal["Payment"] = Field(alias="__typename")


class ConfirmPaymentConfirmPaymentPaymentDeclined(BaseModel):
    typename__: Literal["PaymentDeclined"] = Field(alias="__typename")
    code: str
    message: str
    reason: Optional[str]
    payment: Optional["ConfirmPaymentConfirmPaymentPaymentDeclinedPayment"]


ConfirmPaymentConfirmPaymentPaymentDeclinedPayment = Payment


class ConfirmPaymentConfirmPaymentPaymentWindowClosed(BaseModel):
    typename__: Literal["PaymentWindowClosed"] = Field(alias="__typename")
    code: str
    message: str
    payment: Optional["ConfirmPaymentConfirmPaymentPaymentWindowClosedPayment"]


ConfirmPaymentConfirmPaymentPaymentWindowClosedPayment = Payment
ConfirmPayment.model_rebuild()
ConfirmPaymentConfirmPaymentPaymentDeclined.model_rebuild()
ConfirmPaymentConfirmPaymentPaymentWindowClosed.model_rebuild()
