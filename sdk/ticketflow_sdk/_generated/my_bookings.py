from typing import Optional

from .base_model import BaseModel
from .fragments import Booking


class MyBookings(BaseModel):
    me: Optional["MyBookingsMe"]


class MyBookingsMe(BaseModel):
    id: str
    bookings: tuple["MyBookingsMeBookings", ...]


MyBookingsMeBookings = Booking
MyBookings.model_rebuild()
MyBookingsMe.model_rebuild()
