from typing import Optional

from .base_model import BaseModel
from .fragments import Booking


class GetBooking(BaseModel):
    booking: Optional["GetBookingBooking"]


GetBookingBooking = Booking
GetBooking.model_rebuild()
