"""Every GraphQL document the SDK sends, in one place.

``tests/unit/test_sdk_operations.py`` validates each against ``schema/supergraph.graphql``,
so a schema change that breaks the SDK fails CI. Fragments a document uses are appended
to it by :func:`_document` (transitively), so each constant is a complete document.
"""

from __future__ import annotations

import re

_MONEY = "{ amount currency }"

FRAGMENTS: dict[str, str] = {
    "UserFields": "fragment UserFields on User { id name role email }",
    "AuthFields": """fragment AuthFields on AuthPayload {
  accessToken refreshToken expiresAt user { ...UserFields } }""",
    "SectionFields": """fragment SectionFields on Section {
  id key name capacity category generalAdmission }""",
    "HallFields": "fragment HallFields on Hall { id name kind sections { ...SectionFields } }",
    "VenueFields": """fragment VenueFields on Venue {
  id name ownerId timeZone halls { ...HallFields } }""",
    "AvailabilityFields": """fragment AvailabilityFields on Availability {
  total available held sold
  byCategory { category total available held sold }
  generalAdmission { ...AdmissionFields } }""",
    "AdmissionFields": """fragment AdmissionFields on GeneralAdmissionAvailability {
  sectionId key name capacity available held sold }""",
    "ShowFields": f"""fragment ShowFields on Show {{
  id title kind status startsAt endsAt currency venueId hallId venue {{ name timeZone }}
  price {_MONEY} priceTiers {{ category price {_MONEY} }}
  stops {{ name departsAt }} legs {{ index from to }}
  availability {{ ...AvailabilityFields }} }}""",
    "HoldFields": f"""fragment HoldFields on SeatHold {{
  id status expiresAt seatIds show {{ id }}
  seats {{ seatId label category price {_MONEY} }}
  generalAdmission {{ sectionId quantity }}
  segment {{ from to }}
  lines {{ seatId sectionId label quantity unitPrice {_MONEY} price {_MONEY} }}
  total {_MONEY} }}""",
    "RefundFields": f"""fragment RefundFields on Refund {{
  id amount {_MONEY} status reason providerRefundId failureMessage createdAt settledAt
  payment {{ id }} }}""",
    "PaymentFields": f"""fragment PaymentFields on Payment {{
  id status provider amount {_MONEY} captured {_MONEY} refunded {_MONEY}
  providerPaymentId failure {{ code message }} attempts createdAt updatedAt succeededAt
  checkout {{ provider keyId orderId }} booking {{ id }} refunds {{ ...RefundFields }} }}""",
    "BookingFields": f"""fragment BookingFields on Booking {{
  id status createdAt show {{ id title startsAt }} total {_MONEY} segment {{ from to }}
  lines {{ seatId label price {_MONEY} }}
  generalAdmission {{ sectionId name quantity unitPrice {_MONEY} price {_MONEY} }}
  payment {{ ...PaymentFields }} }}""",
}

_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_]\w*)")


def _document(body: str) -> str:
    """``body`` followed by every fragment it uses, directly or through other fragments."""
    needed: list[str] = []
    pending = _SPREAD.findall(body)
    while pending:
        name = pending.pop(0)
        if name in FRAGMENTS and name not in needed:
            needed.append(name)
            pending.extend(_SPREAD.findall(FRAGMENTS[name]))
    return "\n".join([body.strip(), *(FRAGMENTS[n] for n in needed)])


# --- accounts (auth) --------------------------------------------------------------------

REGISTER = _document("""mutation Register($input: RegisterInput!) {
  register(input: $input) { ...AuthFields } }""")
LOGIN = _document("""mutation Login($input: LoginInput!) {
  login(input: $input) { ...AuthFields } }""")
REFRESH = _document("""mutation Refresh($refreshToken: String!) {
  refresh(refreshToken: $refreshToken) { ...AuthFields } }""")
LOGOUT = _document("mutation Logout { logout }")
ME = _document("query Me { me { ...UserFields } }")

# --- venues and shows (venue, with booking's availability) ------------------------------

SHOWS = _document("""query Shows($filter: ShowFilter, $first: Int!, $after: String) {
  shows(filter: $filter, first: $first, after: $after) {
    nodes { ...ShowFields } pageInfo { hasNextPage endCursor } } }""")
SHOW = _document("query Show($id: ID!) { show(id: $id) { ...ShowFields } }")
SEAT_MAP = _document("""query SeatMap($id: ID!, $segment: SegmentInput) {
  show(id: $id) { id seatMap seatStates(segment: $segment) { seatId state legs } } }""")
AVAILABILITY = _document("""query Availability($id: ID!, $segment: SegmentInput) {
  show(id: $id) { id availability(segment: $segment) { ...AvailabilityFields } } }""")
VENUE = _document("query Venue($id: ID!) { venue(id: $id) { ...VenueFields } }")
CREATE_VENUE = _document("""mutation CreateVenue($input: CreateVenueInput!,
                                                 $idempotencyKey: String) {
  createVenue(input: $input, idempotencyKey: $idempotencyKey) { ...VenueFields } }""")
SET_VENUE_TIME_ZONE = _document("""mutation SetVenueTimeZone($venueId: ID!, $timeZone: String!) {
  setVenueTimeZone(venueId: $venueId, timeZone: $timeZone) { ...VenueFields } }""")
CREATE_HALL = _document("""mutation CreateHall($venueId: ID!, $seatMap: JSON!,
                                               $idempotencyKey: String) {
  createHall(venueId: $venueId, seatMap: $seatMap, idempotencyKey: $idempotencyKey) {
    ...HallFields } }""")
CREATE_SHOW = _document("""mutation CreateShow($input: CreateShowInput!, $idempotencyKey: String) {
  createShow(input: $input, idempotencyKey: $idempotencyKey) { ...ShowFields } }""")
PUBLISH_SHOW = _document("""mutation PublishShow($id: ID!) {
  publishShow(id: $id) { ...ShowFields } }""")
CANCEL_SHOW = _document("""mutation CancelShow($id: ID!) {
  cancelShow(id: $id) { ...ShowFields } }""")

# --- holds and bookings (booking) -------------------------------------------------------

HOLD_SEATS = _document("""mutation HoldSeats($showId: ID!, $seatIds: [ID!]!,
                                             $segment: SegmentInput, $idempotencyKey: String) {
  holdSeats(showId: $showId, seatIds: $seatIds, segment: $segment,
            idempotencyKey: $idempotencyKey) {
    __typename ...HoldFields ... on SeatsUnavailable { code message seatIds } } }""")
HOLD_BEST_AVAILABLE = _document("""mutation HoldBestAvailable($showId: ID!, $quantity: Int!,
    $category: String, $segment: SegmentInput, $idempotencyKey: String) {
  holdBestAvailable(showId: $showId, quantity: $quantity, category: $category,
                    segment: $segment, idempotencyKey: $idempotencyKey) {
    __typename ...HoldFields ... on SoldOut { code message available } } }""")
HOLD_GENERAL_ADMISSION = _document("""mutation HoldGeneralAdmission($showId: ID!,
    $sectionId: ID!, $quantity: Int!, $idempotencyKey: String) {
  holdGeneralAdmission(showId: $showId, sectionId: $sectionId, quantity: $quantity,
                       idempotencyKey: $idempotencyKey) {
    __typename ...HoldFields ... on SoldOut { code message available } } }""")
EXTEND_HOLD = _document("""mutation ExtendHold($holdId: ID!) {
  extendHold(holdId: $holdId) {
    __typename ...HoldFields ... on HoldExpired { code message holdId } } }""")
RELEASE_HOLD = _document("""mutation ReleaseHold($holdId: ID!) {
  releaseHold(holdId: $holdId) { ...HoldFields } }""")
HOLD = _document("query Hold($id: ID!) { hold(id: $id) { ...HoldFields } }")
CHECKOUT = _document("""mutation Checkout($holdId: ID!, $idempotencyKey: String!) {
  checkout(holdId: $holdId, idempotencyKey: $idempotencyKey) {
    __typename ...BookingFields ... on HoldExpired { code message holdId } } }""")
CANCEL_BOOKING = _document("""mutation CancelBooking($bookingId: ID!) {
  cancelBooking(bookingId: $bookingId) { ...BookingFields } }""")
BOOKING = _document("query Booking($id: ID!) { booking(id: $id) { ...BookingFields } }")
MY_BOOKINGS = _document("query MyBookings { me { id bookings { ...BookingFields } } }")

# --- payments (payment) -----------------------------------------------------------------

START_PAYMENT = _document("""mutation StartPayment($bookingId: ID!, $provider: PaymentProvider,
                                                   $idempotencyKey: String) {
  startPayment(bookingId: $bookingId, provider: $provider, idempotencyKey: $idempotencyKey) {
    ...PaymentFields } }""")
CONFIRM_PAYMENT = _document("""mutation ConfirmPayment($paymentId: ID!, $card: String,
                                                       $razorpay: RazorpayProofInput) {
  confirmPayment(paymentId: $paymentId, card: $card, razorpay: $razorpay) {
    __typename ...PaymentFields
    ... on PaymentDeclined { code message reason payment { ...PaymentFields } }
    ... on PaymentWindowClosed { code message payment { ...PaymentFields } } } }""")
REFUND_PAYMENT = _document("""mutation RefundPayment($paymentId: ID!, $amount: Int,
                                                     $idempotencyKey: String!) {
  refundPayment(paymentId: $paymentId, amount: $amount, idempotencyKey: $idempotencyKey) {
    ...RefundFields } }""")
PAYMENT = _document("query Payment($id: ID!) { payment(id: $id) { ...PaymentFields } }")

# --- live seats (booking, over graphql-transport-ws) ------------------------------------

WATCH_SEATS = _document("""subscription WatchSeats($showId: ID!) {
  seatAvailability(showId: $showId) {
    showId kind version fromVersion seats { seatId state legs }
    availability { total available held sold }
    generalAdmission { ...AdmissionFields } } }""")
# For a server from before fromVersion (it refuses the field): every delta is one version.
WATCH_SEATS_BY_VERSION = WATCH_SEATS.replace(" fromVersion", "", 1).replace(
    "WatchSeats(", "WatchSeatsByVersion(", 1)

ALL: dict[str, str] = {name: value for name, value in globals().items()
                       if name.isupper() and isinstance(value, str) and not name.startswith("_")}
"""Every document above by its constant's name (what the schema test walks)."""
