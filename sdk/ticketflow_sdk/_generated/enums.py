from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    ORGANIZER = "ORGANIZER"
    ADMIN = "ADMIN"


class BookingStatus(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class PromoCodeKind(StrEnum):
    PERCENT = "PERCENT"
    AMOUNT = "AMOUNT"


class PromoCodeRejection(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INACTIVE = "INACTIVE"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    EXHAUSTED = "EXHAUSTED"
    CUSTOMER_LIMIT_REACHED = "CUSTOMER_LIMIT_REACHED"


class QueueTicketState(StrEnum):
    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    EXPIRED = "EXPIRED"


class SeatEventKind(StrEnum):
    SNAPSHOT = "SNAPSHOT"
    DELTA = "DELTA"


class SeatStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    SOLD = "SOLD"


class PaymentProvider(StrEnum):
    SANDBOX = "SANDBOX"
    RAZORPAY = "RAZORPAY"


class PaymentStatus(StrEnum):
    REQUIRES_PAYMENT = "REQUIRES_PAYMENT"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ShowKind(StrEnum):
    MOVIE = "MOVIE"
    CONCERT = "CONCERT"
    TRAIN = "TRAIN"
    FLIGHT = "FLIGHT"
    OTHER = "OTHER"


class HallKind(StrEnum):
    SCREEN = "SCREEN"
    STAGE = "STAGE"
    CONSIST = "CONSIST"
    AIRCRAFT = "AIRCRAFT"
    OTHER = "OTHER"


class ShowStatus(StrEnum):
    DRAFT = "DRAFT"
    ON_SALE = "ON_SALE"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"
