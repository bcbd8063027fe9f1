from datetime import datetime
from typing import Optional

from pydantic import Field
from ticketflow_sdk.values import (
    Money,
    PaymentExtras,
    RefundExtras,
    SeatHoldExtras,
    Segment,
    ShowExtras,
    ShowPageExtras,
    Stop,
)

from .base_model import BaseModel
from .enums import (
    BookingStatus,
    HallKind,
    PaymentProvider,
    PaymentStatus,
    PromoCodeKind,
    QueueTicketState,
    RefundStatus,
    Role,
    ShowKind,
    ShowStatus,
)


class AdmissionLine(BaseModel):
    section_id: str = Field(alias="sectionId")
    name: str
    quantity: int
    unit_price: "AdmissionLineUnitPrice" = Field(alias="unitPrice")
    price: "AdmissionLinePrice"


AdmissionLineUnitPrice = Money
AdmissionLinePrice = Money


class AlreadyCheckedIn(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    at: datetime
    gate: str


class User(BaseModel):
    id: str
    name: str
    role: Role
    email: str


class AuthPayload(BaseModel):
    access_token: str = Field(alias="accessToken")
    refresh_token: str = Field(alias="refreshToken")
    expires_at: datetime = Field(alias="expiresAt")
    user: "AuthPayloadUser"


AuthPayloadUser = User


class CategoryAvailability(BaseModel):
    category: str
    total: int
    available: int
    held: int
    sold: int


class GeneralAdmissionAvailability(BaseModel):
    section_id: str = Field(alias="sectionId")
    key: str
    name: str
    capacity: int
    available: int
    held: int
    sold: int


class Availability(BaseModel):
    total: int
    available: int
    held: int
    sold: int
    by_category: tuple["AvailabilityByCategory", ...] = Field(alias="byCategory")
    general_admission: tuple["AvailabilityGeneralAdmission", ...] = Field(
        alias="generalAdmission"
    )


AvailabilityByCategory = CategoryAvailability
AvailabilityGeneralAdmission = GeneralAdmissionAvailability


class BookingLine(BaseModel):
    seat_id: str = Field(alias="seatId")
    label: str
    price: "BookingLinePrice"


BookingLinePrice = Money


class PaymentCheckout(BaseModel):
    provider: PaymentProvider
    key_id: Optional[str] = Field(alias="keyId")
    order_id: Optional[str] = Field(alias="orderId")


class PaymentFailure(BaseModel):
    code: Optional[str]
    message: Optional[str]


class Refund(RefundExtras, BaseModel):
    id: str
    amount: "RefundAmount"
    status: RefundStatus
    reason: str
    provider_refund_id: Optional[str] = Field(alias="providerRefundId")
    failure_message: Optional[str] = Field(alias="failureMessage")
    created_at: datetime = Field(alias="createdAt")
    settled_at: Optional[datetime] = Field(alias="settledAt")
    payment: "RefundPayment"


RefundAmount = Money


class RefundPayment(BaseModel):
    id: str


class Payment(PaymentExtras, BaseModel):
    id: str
    status: PaymentStatus
    provider: PaymentProvider
    amount: "PaymentAmount"
    captured: "PaymentCaptured"
    refunded: "PaymentRefunded"
    provider_payment_id: Optional[str] = Field(alias="providerPaymentId")
    failure: Optional["PaymentFailure"]
    attempts: int
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    succeeded_at: Optional[datetime] = Field(alias="succeededAt")
    checkout: "PaymentCheckout"
    booking: "PaymentBooking"
    refunds: tuple["PaymentRefunds", ...]


PaymentAmount = Money
PaymentCaptured = Money
PaymentRefunded = Money
PaymentFailure = PaymentFailure
PaymentCheckout = PaymentCheckout


class PaymentBooking(BaseModel):
    id: str


PaymentRefunds = Refund


class ShowSummary(BaseModel):
    id: str
    title: str
    starts_at: datetime = Field(alias="startsAt")


class Booking(BaseModel):
    id: str
    status: BookingStatus
    created_at: datetime = Field(alias="createdAt")
    show: "BookingShow"
    total: "BookingTotal"
    segment: Optional["BookingSegment"]
    lines: tuple["BookingLines", ...]
    general_admission: tuple["BookingGeneralAdmission", ...] = Field(
        alias="generalAdmission"
    )
    payment: Optional["BookingPayment"]


BookingShow = ShowSummary
BookingTotal = Money
BookingSegment = Segment
BookingLines = BookingLine
BookingGeneralAdmission = AdmissionLine
BookingPayment = Payment


class CheckInScan(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    at: datetime
    gate: str


class CheckInConflict(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    winner: "CheckInConflictWinner"
    loser: "CheckInConflictLoser"


CheckInConflictWinner = CheckInScan
CheckInConflictLoser = CheckInScan


class RefusedScan(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    code: str
    reason: str


class CheckInUpload(BaseModel):
    recorded: int
    unchanged: int
    conflicts: tuple["CheckInUploadConflicts", ...]
    refused: tuple["CheckInUploadRefused", ...]
    admitted: int


CheckInUploadConflicts = CheckInConflict
CheckInUploadRefused = RefusedScan


class CheckedIn(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    seat: str
    at: datetime
    gate: str


class TicketHolder(BaseModel):
    id: str
    name: str


class ExpectedTicket(BaseModel):
    ticket_id: str = Field(alias="ticketId")
    seat: str
    booking_id: str = Field(alias="bookingId")
    holder: "ExpectedTicketHolder"
    checked_in: Optional["ExpectedTicketCheckedIn"] = Field(alias="checkedIn")


ExpectedTicketHolder = TicketHolder
ExpectedTicketCheckedIn = CheckInScan


class Section(BaseModel):
    id: str
    key: str
    name: str
    capacity: Optional[int]
    category: Optional[str]
    general_admission: bool = Field(alias="generalAdmission")


class Hall(BaseModel):
    id: str
    name: str
    kind: HallKind
    sections: tuple["HallSections", ...]


HallSections = Section


class HeldPlaces(BaseModel):
    section_id: str = Field(alias="sectionId")
    quantity: int


class HeldSeat(BaseModel):
    seat_id: str = Field(alias="seatId")
    label: str
    category: str
    price: "HeldSeatPrice"


HeldSeatPrice = Money


class HoldLine(BaseModel):
    seat_id: Optional[str] = Field(alias="seatId")
    section_id: Optional[str] = Field(alias="sectionId")
    label: str
    quantity: int
    unit_price: "HoldLineUnitPrice" = Field(alias="unitPrice")
    price: "HoldLinePrice"


HoldLineUnitPrice = Money
HoldLinePrice = Money


class Leg(BaseModel):
    index: int
    from_stop: str = Field(alias="fromStop")
    to_stop: str = Field(alias="toStop")


class PageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class PriceTier(BaseModel):
    category: str
    price: "PriceTierPrice"


PriceTierPrice = Money


class PromoCode(BaseModel):
    id: str
    code: str
    kind: PromoCodeKind
    percent: Optional[int]
    amount: Optional["PromoCodeAmount"]
    show_ids: tuple[str, ...] = Field(alias="showIds")
    categories: tuple[str, ...]
    valid_from: Optional[datetime] = Field(alias="validFrom")
    valid_until: Optional[datetime] = Field(alias="validUntil")
    max_redemptions: Optional[int] = Field(alias="maxRedemptions")
    max_per_customer: Optional[int] = Field(alias="maxPerCustomer")
    redeemed: int
    unlocks_categories: tuple[str, ...] = Field(alias="unlocksCategories")
    active: bool
    organizer_id: str = Field(alias="organizerId")
    created_at: datetime = Field(alias="createdAt")


PromoCodeAmount = Money


class QueueTicket(BaseModel):
    id: str
    show_id: str = Field(alias="showId")
    state: QueueTicketState
    position: Optional[int]
    estimated_wait_seconds: Optional[int] = Field(alias="estimatedWaitSeconds")
    poll_after_seconds: int = Field(alias="pollAfterSeconds")
    pass_: Optional[str] = Field(alias="pass")
    pass_expires_at: Optional[datetime] = Field(alias="passExpiresAt")


class SeatHold(SeatHoldExtras, BaseModel):
    id: str
    status: str
    expires_at: datetime = Field(alias="expiresAt")
    seat_ids: tuple[str, ...] = Field(alias="seatIds")
    show: "SeatHoldShow"
    seats: tuple["SeatHoldSeats", ...]
    general_admission: tuple["SeatHoldGeneralAdmission", ...] = Field(
        alias="generalAdmission"
    )
    segment: Optional["SeatHoldSegment"]
    lines: tuple["SeatHoldLines", ...]
    total: "SeatHoldTotal"
    discount: "SeatHoldDiscount"
    promo_code: Optional[str] = Field(alias="promoCode")


class SeatHoldShow(BaseModel):
    id: str


SeatHoldSeats = HeldSeat
SeatHoldGeneralAdmission = HeldPlaces
SeatHoldSegment = Segment
SeatHoldLines = HoldLine
SeatHoldTotal = Money
SeatHoldDiscount = Money


class Show(ShowExtras, BaseModel):
    id: str
    title: str
    kind: ShowKind
    status: ShowStatus
    starts_at: datetime = Field(alias="startsAt")
    local_starts_at: datetime = Field(alias="localStartsAt")
    ends_at: datetime = Field(alias="endsAt")
    currency: str
    venue_id: str = Field(alias="venueId")
    hall_id: str = Field(alias="hallId")
    venue: "ShowVenue"
    price: "ShowPrice"
    price_tiers: tuple["ShowPriceTiers", ...] = Field(alias="priceTiers")
    stops: tuple["ShowStops", ...]
    legs: tuple["ShowLegs", ...]
    availability: Optional["ShowAvailability"]


class ShowVenue(BaseModel):
    name: str
    time_zone: str = Field(alias="timeZone")


ShowPrice = Money
ShowPriceTiers = PriceTier
ShowStops = Stop
ShowLegs = Leg
ShowAvailability = Availability


class ShowPage(ShowPageExtras, BaseModel):
    nodes: tuple["ShowPageNodes", ...]
    page_info: "ShowPagePageInfo" = Field(alias="pageInfo")


ShowPageNodes = Show


class ShowPagePageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class ShowQueue(BaseModel):
    opens_at: datetime = Field(alias="opensAt")
    rate_per_minute: int = Field(alias="ratePerMinute")
    auto: bool
    paused: bool
    opened: bool
    waiting: int
    admitted: int
    sold: int
    abandoned: int
    require_verified_email: bool = Field(alias="requireVerifiedEmail")


class Ticket(BaseModel):
    id: str
    label: str
    token: str
    issued_at: datetime = Field(alias="issuedAt")


class TicketChange(BaseModel):
    admits: bool
    ticket: "TicketChangeTicket"


TicketChangeTicket = ExpectedTicket


class TicketRefused(BaseModel):
    code: str
    reason: str


class Venue(BaseModel):
    id: str
    name: str
    owner_id: str = Field(alias="ownerId")
    time_zone: str = Field(alias="timeZone")
    halls: tuple["VenueHalls", ...]


VenueHalls = Hall
AdmissionLine.model_rebuild()
AlreadyCheckedIn.model_rebuild()
User.model_rebuild()
AuthPayload.model_rebuild()
CategoryAvailability.model_rebuild()
GeneralAdmissionAvailability.model_rebuild()
Availability.model_rebuild()
BookingLine.model_rebuild()
PaymentCheckout.model_rebuild()
PaymentFailure.model_rebuild()
Refund.model_rebuild()
Payment.model_rebuild()
ShowSummary.model_rebuild()
Booking.model_rebuild()
CheckInScan.model_rebuild()
CheckInConflict.model_rebuild()
RefusedScan.model_rebuild()
CheckInUpload.model_rebuild()
CheckedIn.model_rebuild()
TicketHolder.model_rebuild()
ExpectedTicket.model_rebuild()
Section.model_rebuild()
Hall.model_rebuild()
HeldPlaces.model_rebuild()
HeldSeat.model_rebuild()
HoldLine.model_rebuild()
Leg.model_rebuild()
PageInfo.model_rebuild()
PriceTier.model_rebuild()
PromoCode.model_rebuild()
QueueTicket.model_rebuild()
SeatHold.model_rebuild()
Show.model_rebuild()
ShowPage.model_rebuild()
ShowQueue.model_rebuild()
Ticket.model_rebuild()
TicketChange.model_rebuild()
TicketRefused.model_rebuild()
Venue.model_rebuild()
