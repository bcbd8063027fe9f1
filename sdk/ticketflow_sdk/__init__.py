"""TicketFlow's typed Python SDK: the whole GraphQL API as async (and sync) methods.

    async with AsyncClient("http://localhost:4000/graphql") as tf:
        await tf.login("customer@ticketflow.dev", "customer-demo-pass")
        hold = await tf.hold_best_available(show_id, 2)
        booking = await tf.checkout(hold.id)
        await tf.pay(booking.id, card="4242 4242 4242 4242")

See sdk/README.md for errors, retries and idempotency, and live seats. The models and the
operations are generated from the schema (``make sdk``; sdk/README.md, "Generated code").
"""

from ticketflow_sdk._generated.fragments import QueueTicket
from ticketflow_sdk.client import AsyncClient, new_key
from ticketflow_sdk.errors import (
    BadUserInput,
    Conflict,
    EmailNotVerified,
    Forbidden,
    HoldExpired,
    InternalError,
    NotFound,
    PaymentFailed,
    PromoCodeRejected,
    Queued,
    RateLimited,
    SeatsUnavailable,
    SoldOut,
    SubgraphUnavailable,
    TicketFlowError,
    TransportError,
    Unauthenticated,
)
from ticketflow_sdk.live import SeatCounts, SeatMapState, SeatWatch
from ticketflow_sdk.models import (
    AdmissionLine,
    AlreadyCheckedIn,
    Availability,
    Booking,
    BookingLine,
    BookingStatus,
    CategoryAvailability,
    Changes,
    CheckedIn,
    CheckInConflict,
    CheckInOutcome,
    CheckInScan,
    CheckInUpload,
    ExpectedTicket,
    GeneralAdmissionAvailability,
    Hall,
    HallKind,
    HeldPlaces,
    HeldSeat,
    HoldLine,
    Leg,
    Money,
    Payment,
    PaymentCheckout,
    PaymentFailure,
    PaymentProvider,
    PaymentStatus,
    PriceTier,
    PromoCode,
    PromoCodeKind,
    PromoCodeRejection,
    RazorpayProof,
    Refund,
    RefundStatus,
    RefusedScan,
    Role,
    RowSpec,
    Seat,
    SeatEventKind,
    SeatHold,
    SeatMap,
    SeatStatus,
    Section,
    Segment,
    Show,
    ShowKind,
    ShowPage,
    ShowQueue,
    ShowStatus,
    ShowSummary,
    Stop,
    Ticket,
    TicketChange,
    TicketHolder,
    TicketRefused,
    Tokens,
    User,
    Venue,
)
from ticketflow_sdk.sync import Client

__version__ = "0.1.0"

__all__ = [
    "AdmissionLine", "AlreadyCheckedIn", "AsyncClient", "Availability", "BadUserInput",
    "Booking", "BookingLine", "BookingStatus", "CategoryAvailability", "Changes",
    "CheckInConflict", "CheckInOutcome", "CheckInScan", "CheckInUpload", "CheckedIn", "Client",
    "Conflict", "EmailNotVerified", "ExpectedTicket", "Forbidden",
    "GeneralAdmissionAvailability", "Hall", "HallKind", "HeldPlaces", "HeldSeat",
    "HoldExpired", "HoldLine", "InternalError", "Leg", "Money", "NotFound", "Payment",
    "PaymentCheckout", "PaymentFailed", "PaymentFailure", "PaymentProvider", "PaymentStatus",
    "PriceTier", "PromoCode", "PromoCodeKind", "PromoCodeRejected", "PromoCodeRejection",
    "QueueTicket", "Queued", "RateLimited", "RazorpayProof", "Refund", "RefundStatus",
    "RefusedScan", "Role", "RowSpec", "Seat", "SeatCounts", "SeatEventKind", "SeatHold",
    "SeatMap", "SeatMapState", "SeatStatus", "SeatWatch", "SeatsUnavailable", "Section",
    "Segment", "Show", "ShowKind", "ShowPage", "ShowQueue", "ShowStatus", "ShowSummary",
    "SoldOut", "Stop", "SubgraphUnavailable", "Ticket", "TicketChange", "TicketFlowError",
    "TicketHolder", "TicketRefused", "Tokens", "TransportError", "Unauthenticated", "User",
    "Venue", "new_key",
]
