from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from .base_model import UNSET, UnsetType
from .booking_tickets import BookingTickets
from .cancel_booking import CancelBooking
from .cancel_show import CancelShow
from .check_in import CheckIn
from .check_in_changes import CheckInChanges
from .check_in_changes_cursor import CheckInChangesCursor
from .check_in_scans import CheckInScans
from .check_in_tickets_page import CheckInTicketsPage
from .checkout import Checkout
from .configure_queue import ConfigureQueue
from .confirm_payment import ConfirmPayment
from .create_hall import CreateHall
from .create_promo_code import CreatePromoCode
from .create_show import CreateShow
from .create_venue import CreateVenue
from .enums import PaymentProvider
from .extend_hold import ExtendHold
from .get_availability import GetAvailability
from .get_booking import GetBooking
from .get_payment import GetPayment
from .get_show import GetShow
from .get_show_queue import GetShowQueue
from .get_venue import GetVenue
from .hold import Hold
from .hold_best_available import HoldBestAvailable
from .hold_general_admission import HoldGeneralAdmission
from .hold_seats import HoldSeats
from .input_types import (
    CheckInScanInput,
    CreatePromoCodeInput,
    CreateShowInput,
    CreateVenueInput,
    LoginInput,
    QueueInput,
    RazorpayProofInput,
    RegisterInput,
    SegmentInput,
    ShowFilter,
)
from .issue_refund import IssueRefund
from .join_queue import JoinQueue
from .login import Login
from .logout import Logout
from .me import Me
from .my_bookings import MyBookings
from .operations import (
    BOOKING_TICKETS_GQL,
    CANCEL_BOOKING_GQL,
    CANCEL_SHOW_GQL,
    CHECK_IN_CHANGES_CURSOR_GQL,
    CHECK_IN_CHANGES_GQL,
    CHECK_IN_GQL,
    CHECK_IN_SCANS_GQL,
    CHECK_IN_TICKETS_PAGE_GQL,
    CHECKOUT_GQL,
    CONFIGURE_QUEUE_GQL,
    CONFIRM_PAYMENT_GQL,
    CREATE_HALL_GQL,
    CREATE_PROMO_CODE_GQL,
    CREATE_SHOW_GQL,
    CREATE_VENUE_GQL,
    EXTEND_HOLD_GQL,
    GET_AVAILABILITY_GQL,
    GET_BOOKING_GQL,
    GET_PAYMENT_GQL,
    GET_SHOW_GQL,
    GET_SHOW_QUEUE_GQL,
    GET_VENUE_GQL,
    HOLD_BEST_AVAILABLE_GQL,
    HOLD_GENERAL_ADMISSION_GQL,
    HOLD_GQL,
    HOLD_SEATS_GQL,
    ISSUE_REFUND_GQL,
    JOIN_QUEUE_GQL,
    LOGIN_GQL,
    LOGOUT_GQL,
    ME_GQL,
    MY_BOOKINGS_GQL,
    PAUSE_QUEUE_GQL,
    PUBLISH_SHOW_GQL,
    QUEUE_CHALLENGE_GQL,
    QUEUE_STATUS_GQL,
    REFRESH_GQL,
    REGISTER_GQL,
    RELEASE_HOLD_GQL,
    RESUME_QUEUE_GQL,
    SEAT_MAP_GQL,
    SET_VENUE_TIME_ZONE_GQL,
    SHOWS_GQL,
    START_PAYMENT_GQL,
    UPLOAD_CHECK_INS_GQL,
    WATCH_SEATS_BY_VERSION_GQL,
    WATCH_SEATS_GQL,
)
from .operations_base import OperationsBase
from .pause_queue import PauseQueue
from .publish_show import PublishShow
from .queue_challenge import QueueChallenge
from .queue_status import QueueStatus
from .refresh import Refresh
from .register import Register
from .release_hold import ReleaseHold
from .resume_queue import ResumeQueue
from .seat_map import SeatMap
from .set_venue_time_zone import SetVenueTimeZone
from .shows import Shows
from .start_payment import StartPayment
from .upload_check_ins import UploadCheckIns
from .watch_seats import WatchSeats
from .watch_seats_by_version import WatchSeatsByVersion


def gql(q: str) -> str:
    return q


class Operations(OperationsBase):
    async def register(self, input: RegisterInput, **kwargs: Any) -> Register:
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=REGISTER_GQL, operation_name="Register", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Register.model_validate(data)

    async def login(self, input: LoginInput, **kwargs: Any) -> Login:
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=LOGIN_GQL, operation_name="Login", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Login.model_validate(data)

    async def refresh(self, refresh_token: str, **kwargs: Any) -> Refresh:
        variables: dict[str, object] = {"refreshToken": refresh_token}
        response = await self.execute(
            query=REFRESH_GQL, operation_name="Refresh", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Refresh.model_validate(data)

    async def logout(self, **kwargs: Any) -> Logout:
        variables: dict[str, object] = {}
        response = await self.execute(
            query=LOGOUT_GQL, operation_name="Logout", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Logout.model_validate(data)

    async def me(self, **kwargs: Any) -> Me:
        variables: dict[str, object] = {}
        response = await self.execute(
            query=ME_GQL, operation_name="Me", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Me.model_validate(data)

    async def hold_seats(
        self,
        show_id: str,
        seat_ids: list[str],
        segment: Union[Optional[SegmentInput], UnsetType] = UNSET,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        fare_class: Union[Optional[str], UnsetType] = UNSET,
        promo_code: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> HoldSeats:
        variables: dict[str, object] = {
            "showId": show_id,
            "seatIds": seat_ids,
            "segment": segment,
            "idempotencyKey": idempotency_key,
            "fareClass": fare_class,
            "promoCode": promo_code,
        }
        response = await self.execute(
            query=HOLD_SEATS_GQL,
            operation_name="HoldSeats",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return HoldSeats.model_validate(data)

    async def hold_best_available(
        self,
        show_id: str,
        quantity: int,
        category: Union[Optional[str], UnsetType] = UNSET,
        segment: Union[Optional[SegmentInput], UnsetType] = UNSET,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        fare_class: Union[Optional[str], UnsetType] = UNSET,
        promo_code: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> HoldBestAvailable:
        variables: dict[str, object] = {
            "showId": show_id,
            "quantity": quantity,
            "category": category,
            "segment": segment,
            "idempotencyKey": idempotency_key,
            "fareClass": fare_class,
            "promoCode": promo_code,
        }
        response = await self.execute(
            query=HOLD_BEST_AVAILABLE_GQL,
            operation_name="HoldBestAvailable",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return HoldBestAvailable.model_validate(data)

    async def hold_general_admission(
        self,
        show_id: str,
        section_id: str,
        quantity: int,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        promo_code: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> HoldGeneralAdmission:
        variables: dict[str, object] = {
            "showId": show_id,
            "sectionId": section_id,
            "quantity": quantity,
            "idempotencyKey": idempotency_key,
            "promoCode": promo_code,
        }
        response = await self.execute(
            query=HOLD_GENERAL_ADMISSION_GQL,
            operation_name="HoldGeneralAdmission",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return HoldGeneralAdmission.model_validate(data)

    async def extend_hold(self, hold_id: str, **kwargs: Any) -> ExtendHold:
        variables: dict[str, object] = {"holdId": hold_id}
        response = await self.execute(
            query=EXTEND_HOLD_GQL,
            operation_name="ExtendHold",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ExtendHold.model_validate(data)

    async def release_hold(self, hold_id: str, **kwargs: Any) -> ReleaseHold:
        variables: dict[str, object] = {"holdId": hold_id}
        response = await self.execute(
            query=RELEASE_HOLD_GQL,
            operation_name="ReleaseHold",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ReleaseHold.model_validate(data)

    async def hold(self, id: str, **kwargs: Any) -> Hold:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=HOLD_GQL, operation_name="Hold", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Hold.model_validate(data)

    async def checkout(
        self, hold_id: str, idempotency_key: str, **kwargs: Any
    ) -> Checkout:
        variables: dict[str, object] = {
            "holdId": hold_id,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=CHECKOUT_GQL, operation_name="Checkout", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Checkout.model_validate(data)

    async def cancel_booking(self, booking_id: str, **kwargs: Any) -> CancelBooking:
        variables: dict[str, object] = {"bookingId": booking_id}
        response = await self.execute(
            query=CANCEL_BOOKING_GQL,
            operation_name="CancelBooking",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CancelBooking.model_validate(data)

    async def get_booking(self, id: str, **kwargs: Any) -> GetBooking:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=GET_BOOKING_GQL,
            operation_name="GetBooking",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetBooking.model_validate(data)

    async def my_bookings(self, **kwargs: Any) -> MyBookings:
        variables: dict[str, object] = {}
        response = await self.execute(
            query=MY_BOOKINGS_GQL,
            operation_name="MyBookings",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return MyBookings.model_validate(data)

    async def check_in(
        self,
        ticket_token: str,
        gate: str,
        stop: Union[Optional[int], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CheckIn:
        variables: dict[str, object] = {
            "ticketToken": ticket_token,
            "gate": gate,
            "stop": stop,
        }
        response = await self.execute(
            query=CHECK_IN_GQL, operation_name="CheckIn", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CheckIn.model_validate(data)

    async def upload_check_ins(
        self, show_id: str, scans: list[CheckInScanInput], **kwargs: Any
    ) -> UploadCheckIns:
        variables: dict[str, object] = {"showId": show_id, "scans": scans}
        response = await self.execute(
            query=UPLOAD_CHECK_INS_GQL,
            operation_name="UploadCheckIns",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return UploadCheckIns.model_validate(data)

    async def check_in_tickets_page(
        self,
        show_id: str,
        first: int,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CheckInTicketsPage:
        variables: dict[str, object] = {
            "showId": show_id,
            "first": first,
            "after": after,
        }
        response = await self.execute(
            query=CHECK_IN_TICKETS_PAGE_GQL,
            operation_name="CheckInTicketsPage",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CheckInTicketsPage.model_validate(data)

    async def check_in_changes_cursor(
        self, show_id: str, **kwargs: Any
    ) -> CheckInChangesCursor:
        variables: dict[str, object] = {"showId": show_id}
        response = await self.execute(
            query=CHECK_IN_CHANGES_CURSOR_GQL,
            operation_name="CheckInChangesCursor",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CheckInChangesCursor.model_validate(data)

    async def check_in_changes(
        self,
        show_id: str,
        first: int,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CheckInChanges:
        variables: dict[str, object] = {
            "showId": show_id,
            "first": first,
            "after": after,
        }
        response = await self.execute(
            query=CHECK_IN_CHANGES_GQL,
            operation_name="CheckInChanges",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CheckInChanges.model_validate(data)

    async def check_in_scans(
        self,
        show_id: str,
        first: int,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CheckInScans:
        variables: dict[str, object] = {
            "showId": show_id,
            "first": first,
            "after": after,
        }
        response = await self.execute(
            query=CHECK_IN_SCANS_GQL,
            operation_name="CheckInScans",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CheckInScans.model_validate(data)

    async def booking_tickets(self, id: str, **kwargs: Any) -> BookingTickets:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=BOOKING_TICKETS_GQL,
            operation_name="BookingTickets",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return BookingTickets.model_validate(data)

    async def watch_seats(
        self, show_id: str, **kwargs: Any
    ) -> AsyncIterator[WatchSeats]:
        variables: dict[str, object] = {"showId": show_id}
        async for data in self.execute_ws(
            query=WATCH_SEATS_GQL,
            operation_name="WatchSeats",
            variables=variables,
            **kwargs,
        ):
            yield WatchSeats.model_validate(data)

    async def watch_seats_by_version(
        self, show_id: str, **kwargs: Any
    ) -> AsyncIterator[WatchSeatsByVersion]:
        variables: dict[str, object] = {"showId": show_id}
        async for data in self.execute_ws(
            query=WATCH_SEATS_BY_VERSION_GQL,
            operation_name="WatchSeatsByVersion",
            variables=variables,
            **kwargs,
        ):
            yield WatchSeatsByVersion.model_validate(data)

    async def start_payment(
        self,
        booking_id: str,
        provider: Union[Optional[PaymentProvider], UnsetType] = UNSET,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> StartPayment:
        variables: dict[str, object] = {
            "bookingId": booking_id,
            "provider": provider,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=START_PAYMENT_GQL,
            operation_name="StartPayment",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return StartPayment.model_validate(data)

    async def confirm_payment(
        self,
        payment_id: str,
        card: Union[Optional[str], UnsetType] = UNSET,
        razorpay: Union[Optional[RazorpayProofInput], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ConfirmPayment:
        variables: dict[str, object] = {
            "paymentId": payment_id,
            "card": card,
            "razorpay": razorpay,
        }
        response = await self.execute(
            query=CONFIRM_PAYMENT_GQL,
            operation_name="ConfirmPayment",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ConfirmPayment.model_validate(data)

    async def issue_refund(
        self,
        payment_id: str,
        idempotency_key: str,
        amount: Union[Optional[int], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> IssueRefund:
        variables: dict[str, object] = {
            "paymentId": payment_id,
            "amount": amount,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=ISSUE_REFUND_GQL,
            operation_name="IssueRefund",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return IssueRefund.model_validate(data)

    async def get_payment(self, id: str, **kwargs: Any) -> GetPayment:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=GET_PAYMENT_GQL,
            operation_name="GetPayment",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetPayment.model_validate(data)

    async def create_promo_code(
        self,
        input: CreatePromoCodeInput,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CreatePromoCode:
        variables: dict[str, object] = {
            "input": input,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=CREATE_PROMO_CODE_GQL,
            operation_name="CreatePromoCode",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CreatePromoCode.model_validate(data)

    async def queue_challenge(self, show_id: str, **kwargs: Any) -> QueueChallenge:
        variables: dict[str, object] = {"showId": show_id}
        response = await self.execute(
            query=QUEUE_CHALLENGE_GQL,
            operation_name="QueueChallenge",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return QueueChallenge.model_validate(data)

    async def join_queue(
        self,
        show_id: str,
        nonce: Union[Optional[str], UnsetType] = UNSET,
        solution: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> JoinQueue:
        variables: dict[str, object] = {
            "showId": show_id,
            "nonce": nonce,
            "solution": solution,
        }
        response = await self.execute(
            query=JOIN_QUEUE_GQL,
            operation_name="JoinQueue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return JoinQueue.model_validate(data)

    async def queue_status(self, ticket_id: str, **kwargs: Any) -> QueueStatus:
        variables: dict[str, object] = {"ticketId": ticket_id}
        response = await self.execute(
            query=QUEUE_STATUS_GQL,
            operation_name="QueueStatus",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return QueueStatus.model_validate(data)

    async def configure_queue(
        self, show_id: str, input: QueueInput, **kwargs: Any
    ) -> ConfigureQueue:
        variables: dict[str, object] = {"showId": show_id, "input": input}
        response = await self.execute(
            query=CONFIGURE_QUEUE_GQL,
            operation_name="ConfigureQueue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ConfigureQueue.model_validate(data)

    async def pause_queue(self, show_id: str, **kwargs: Any) -> PauseQueue:
        variables: dict[str, object] = {"showId": show_id}
        response = await self.execute(
            query=PAUSE_QUEUE_GQL,
            operation_name="PauseQueue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return PauseQueue.model_validate(data)

    async def resume_queue(self, show_id: str, **kwargs: Any) -> ResumeQueue:
        variables: dict[str, object] = {"showId": show_id}
        response = await self.execute(
            query=RESUME_QUEUE_GQL,
            operation_name="ResumeQueue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ResumeQueue.model_validate(data)

    async def get_show_queue(self, id: str, **kwargs: Any) -> GetShowQueue:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=GET_SHOW_QUEUE_GQL,
            operation_name="GetShowQueue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetShowQueue.model_validate(data)

    async def shows(
        self,
        first: int,
        filter_: Union[Optional[ShowFilter], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> Shows:
        variables: dict[str, object] = {
            "filter": filter_,
            "first": first,
            "after": after,
        }
        response = await self.execute(
            query=SHOWS_GQL, operation_name="Shows", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Shows.model_validate(data)

    async def get_show(self, id: str, **kwargs: Any) -> GetShow:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=GET_SHOW_GQL, operation_name="GetShow", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetShow.model_validate(data)

    async def seat_map(
        self,
        id: str,
        segment: Union[Optional[SegmentInput], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> SeatMap:
        variables: dict[str, object] = {"id": id, "segment": segment}
        response = await self.execute(
            query=SEAT_MAP_GQL, operation_name="SeatMap", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SeatMap.model_validate(data)

    async def get_availability(
        self,
        id: str,
        segment: Union[Optional[SegmentInput], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> GetAvailability:
        variables: dict[str, object] = {"id": id, "segment": segment}
        response = await self.execute(
            query=GET_AVAILABILITY_GQL,
            operation_name="GetAvailability",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetAvailability.model_validate(data)

    async def get_venue(self, id: str, **kwargs: Any) -> GetVenue:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=GET_VENUE_GQL,
            operation_name="GetVenue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return GetVenue.model_validate(data)

    async def create_venue(
        self,
        input: CreateVenueInput,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CreateVenue:
        variables: dict[str, object] = {
            "input": input,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=CREATE_VENUE_GQL,
            operation_name="CreateVenue",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CreateVenue.model_validate(data)

    async def set_venue_time_zone(
        self, venue_id: str, time_zone: str, **kwargs: Any
    ) -> SetVenueTimeZone:
        variables: dict[str, object] = {"venueId": venue_id, "timeZone": time_zone}
        response = await self.execute(
            query=SET_VENUE_TIME_ZONE_GQL,
            operation_name="SetVenueTimeZone",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return SetVenueTimeZone.model_validate(data)

    async def create_hall(
        self,
        venue_id: str,
        seat_map: Any,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CreateHall:
        variables: dict[str, object] = {
            "venueId": venue_id,
            "seatMap": seat_map,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=CREATE_HALL_GQL,
            operation_name="CreateHall",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CreateHall.model_validate(data)

    async def create_show(
        self,
        input: CreateShowInput,
        idempotency_key: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> CreateShow:
        variables: dict[str, object] = {
            "input": input,
            "idempotencyKey": idempotency_key,
        }
        response = await self.execute(
            query=CREATE_SHOW_GQL,
            operation_name="CreateShow",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CreateShow.model_validate(data)

    async def publish_show(self, id: str, **kwargs: Any) -> PublishShow:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=PUBLISH_SHOW_GQL,
            operation_name="PublishShow",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return PublishShow.model_validate(data)

    async def cancel_show(self, id: str, **kwargs: Any) -> CancelShow:
        variables: dict[str, object] = {"id": id}
        response = await self.execute(
            query=CANCEL_SHOW_GQL,
            operation_name="CancelShow",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return CancelShow.model_validate(data)
