from pydantic import Field

from .base_model import BaseModel
from .fragments import Booking


class CancelBooking(BaseModel):
    cancel_booking: "CancelBookingCancelBooking" = Field(alias="cancelBooking")


CancelBookingCancelBooking = Booking
CancelBooking.model_rebuild()
