from typing import Optional

from .base_model import BaseModel
from .fragments import Ticket


class BookingTickets(BaseModel):
    booking: Optional["BookingTicketsBooking"]


class BookingTicketsBooking(BaseModel):
    id: str
    tickets: tuple["BookingTicketsBookingTickets", ...]


BookingTicketsBookingTickets = Ticket
BookingTickets.model_rebuild()
BookingTicketsBooking.model_rebuild()
