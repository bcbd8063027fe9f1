__all__ = [
    "BOOKING_TICKETS_GQL",
    "CANCEL_BOOKING_GQL",
    "CANCEL_SHOW_GQL",
    "CHECKOUT_GQL",
    "CHECK_IN_CHANGES_CURSOR_GQL",
    "CHECK_IN_CHANGES_GQL",
    "CHECK_IN_GQL",
    "CHECK_IN_SCANS_GQL",
    "CHECK_IN_TICKETS_PAGE_GQL",
    "CONFIGURE_QUEUE_GQL",
    "CONFIRM_PAYMENT_GQL",
    "CREATE_HALL_GQL",
    "CREATE_PROMO_CODE_GQL",
    "CREATE_SHOW_GQL",
    "CREATE_VENUE_GQL",
    "EXTEND_HOLD_GQL",
    "GET_AVAILABILITY_GQL",
    "GET_BOOKING_GQL",
    "GET_PAYMENT_GQL",
    "GET_SHOW_GQL",
    "GET_SHOW_QUEUE_GQL",
    "GET_VENUE_GQL",
    "HOLD_BEST_AVAILABLE_GQL",
    "HOLD_GENERAL_ADMISSION_GQL",
    "HOLD_GQL",
    "HOLD_SEATS_GQL",
    "ISSUE_REFUND_GQL",
    "JOIN_QUEUE_GQL",
    "LOGIN_GQL",
    "LOGOUT_GQL",
    "ME_GQL",
    "MY_BOOKINGS_GQL",
    "PAUSE_QUEUE_GQL",
    "PUBLISH_SHOW_GQL",
    "QUEUE_CHALLENGE_GQL",
    "QUEUE_STATUS_GQL",
    "REFRESH_GQL",
    "REGISTER_GQL",
    "RELEASE_HOLD_GQL",
    "RESUME_QUEUE_GQL",
    "SEAT_MAP_GQL",
    "SET_VENUE_TIME_ZONE_GQL",
    "SHOWS_GQL",
    "START_PAYMENT_GQL",
    "UPLOAD_CHECK_INS_GQL",
    "WATCH_SEATS_BY_VERSION_GQL",
    "WATCH_SEATS_GQL",
]

REGISTER_GQL = """
mutation Register($input: RegisterInput!) {
  account: register(input: $input) {
    ...AuthPayload
  }
}

fragment AuthPayload on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  user {
    ...User
  }
}

fragment User on User {
  id
  name
  role
  email
}
"""

LOGIN_GQL = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    ...AuthPayload
  }
}

fragment AuthPayload on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  user {
    ...User
  }
}

fragment User on User {
  id
  name
  role
  email
}
"""

REFRESH_GQL = """
mutation Refresh($refreshToken: String!) {
  refresh(refreshToken: $refreshToken) {
    ...AuthPayload
  }
}

fragment AuthPayload on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  user {
    ...User
  }
}

fragment User on User {
  id
  name
  role
  email
}
"""

LOGOUT_GQL = """
mutation Logout {
  logout
}
"""

ME_GQL = """
query Me {
  me {
    ...User
  }
}

fragment User on User {
  id
  name
  role
  email
}
"""

HOLD_SEATS_GQL = """
mutation HoldSeats($showId: ID!, $seatIds: [ID!]!, $segment: SegmentInput, $idempotencyKey: String, $fareClass: String, $promoCode: String) {
  holdSeats(
    showId: $showId
    seatIds: $seatIds
    segment: $segment
    idempotencyKey: $idempotencyKey
    fareClass: $fareClass
    promoCode: $promoCode
  ) {
    __typename
    ...SeatHold
    ... on SeatsUnavailable {
      code
      message
      seatIds
    }
    ... on PromoCodeRejected {
      code
      message
      reason
      promoCode
    }
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

HOLD_BEST_AVAILABLE_GQL = """
mutation HoldBestAvailable($showId: ID!, $quantity: Int!, $category: String, $segment: SegmentInput, $idempotencyKey: String, $fareClass: String, $promoCode: String) {
  holdBestAvailable(
    showId: $showId
    quantity: $quantity
    category: $category
    segment: $segment
    idempotencyKey: $idempotencyKey
    fareClass: $fareClass
    promoCode: $promoCode
  ) {
    __typename
    ...SeatHold
    ... on SoldOut {
      code
      message
      available
    }
    ... on PromoCodeRejected {
      code
      message
      reason
      promoCode
    }
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

HOLD_GENERAL_ADMISSION_GQL = """
mutation HoldGeneralAdmission($showId: ID!, $sectionId: ID!, $quantity: Int!, $idempotencyKey: String, $promoCode: String) {
  holdGeneralAdmission(
    showId: $showId
    sectionId: $sectionId
    quantity: $quantity
    idempotencyKey: $idempotencyKey
    promoCode: $promoCode
  ) {
    __typename
    ...SeatHold
    ... on SoldOut {
      code
      message
      available
    }
    ... on PromoCodeRejected {
      code
      message
      reason
      promoCode
    }
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

EXTEND_HOLD_GQL = """
mutation ExtendHold($holdId: ID!) {
  extendHold(holdId: $holdId) {
    __typename
    ...SeatHold
    ... on HoldExpired {
      code
      message
      holdId
    }
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

RELEASE_HOLD_GQL = """
mutation ReleaseHold($holdId: ID!) {
  releaseHold(holdId: $holdId) {
    ...SeatHold
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

HOLD_GQL = """
query Hold($id: ID!) {
  hold(id: $id) {
    ...SeatHold
  }
}

fragment HeldPlaces on HeldPlaces {
  sectionId
  quantity
}

fragment HeldSeat on HeldSeat {
  seatId
  label
  category
  price {
    ...Money
  }
}

fragment HoldLine on HoldLine {
  seatId
  sectionId
  label
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment SeatHold on SeatHold {
  id
  status
  expiresAt
  seatIds
  show {
    id
  }
  seats {
    ...HeldSeat
  }
  generalAdmission {
    ...HeldPlaces
  }
  segment {
    ...Segment
  }
  lines {
    ...HoldLine
  }
  total {
    ...Money
  }
  discount {
    ...Money
  }
  promoCode
}

fragment Segment on Segment {
  from
  to
}
"""

CHECKOUT_GQL = """
mutation Checkout($holdId: ID!, $idempotencyKey: String!) {
  checkout(holdId: $holdId, idempotencyKey: $idempotencyKey) {
    __typename
    ...Booking
    ... on HoldExpired {
      code
      message
      holdId
    }
    ... on PromoCodeRejected {
      code
      message
      reason
      promoCode
    }
  }
}

fragment AdmissionLine on AdmissionLine {
  sectionId
  name
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Booking on Booking {
  id
  status
  createdAt
  show {
    ...ShowSummary
  }
  total {
    ...Money
  }
  segment {
    ...Segment
  }
  lines {
    ...BookingLine
  }
  generalAdmission {
    ...AdmissionLine
  }
  payment {
    ...Payment
  }
}

fragment BookingLine on BookingLine {
  seatId
  label
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}

fragment Segment on Segment {
  from
  to
}

fragment ShowSummary on Show {
  id
  title
  startsAt
}
"""

CANCEL_BOOKING_GQL = """
mutation CancelBooking($bookingId: ID!) {
  cancelBooking(bookingId: $bookingId) {
    ...Booking
  }
}

fragment AdmissionLine on AdmissionLine {
  sectionId
  name
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Booking on Booking {
  id
  status
  createdAt
  show {
    ...ShowSummary
  }
  total {
    ...Money
  }
  segment {
    ...Segment
  }
  lines {
    ...BookingLine
  }
  generalAdmission {
    ...AdmissionLine
  }
  payment {
    ...Payment
  }
}

fragment BookingLine on BookingLine {
  seatId
  label
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}

fragment Segment on Segment {
  from
  to
}

fragment ShowSummary on Show {
  id
  title
  startsAt
}
"""

GET_BOOKING_GQL = """
query GetBooking($id: ID!) {
  booking(id: $id) {
    ...Booking
  }
}

fragment AdmissionLine on AdmissionLine {
  sectionId
  name
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Booking on Booking {
  id
  status
  createdAt
  show {
    ...ShowSummary
  }
  total {
    ...Money
  }
  segment {
    ...Segment
  }
  lines {
    ...BookingLine
  }
  generalAdmission {
    ...AdmissionLine
  }
  payment {
    ...Payment
  }
}

fragment BookingLine on BookingLine {
  seatId
  label
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}

fragment Segment on Segment {
  from
  to
}

fragment ShowSummary on Show {
  id
  title
  startsAt
}
"""

MY_BOOKINGS_GQL = """
query MyBookings {
  me {
    id
    bookings {
      ...Booking
    }
  }
}

fragment AdmissionLine on AdmissionLine {
  sectionId
  name
  quantity
  unitPrice {
    ...Money
  }
  price {
    ...Money
  }
}

fragment Booking on Booking {
  id
  status
  createdAt
  show {
    ...ShowSummary
  }
  total {
    ...Money
  }
  segment {
    ...Segment
  }
  lines {
    ...BookingLine
  }
  generalAdmission {
    ...AdmissionLine
  }
  payment {
    ...Payment
  }
}

fragment BookingLine on BookingLine {
  seatId
  label
  price {
    ...Money
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}

fragment Segment on Segment {
  from
  to
}

fragment ShowSummary on Show {
  id
  title
  startsAt
}
"""

CHECK_IN_GQL = """
mutation CheckIn($ticketToken: String!, $gate: String!, $stop: Int) {
  checkIn(ticketToken: $ticketToken, gate: $gate, stop: $stop) {
    __typename
    ...CheckedIn
    ...AlreadyCheckedIn
    ...TicketRefused
  }
}

fragment AlreadyCheckedIn on AlreadyCheckedIn {
  ticketId
  at
  gate
}

fragment CheckedIn on CheckedIn {
  ticketId
  seat
  at
  gate
}

fragment TicketRefused on TicketRefused {
  code
  reason
}
"""

UPLOAD_CHECK_INS_GQL = """
mutation UploadCheckIns($showId: ID!, $scans: [CheckInScanInput!]!) {
  uploadCheckIns(showId: $showId, scans: $scans) {
    ...CheckInUpload
  }
}

fragment CheckInConflict on CheckInConflict {
  ticketId
  winner {
    ...CheckInScan
  }
  loser {
    ...CheckInScan
  }
}

fragment CheckInScan on CheckInScan {
  ticketId
  at
  gate
}

fragment CheckInUpload on CheckInUpload {
  recorded
  unchanged
  conflicts {
    ...CheckInConflict
  }
  refused {
    ...RefusedScan
  }
  admitted
}

fragment RefusedScan on RefusedScan {
  ticketId
  code
  reason
}
"""

CHECK_IN_TICKETS_PAGE_GQL = """
query CheckInTicketsPage($showId: ID!, $first: Int!, $after: String) {
  show(id: $showId) {
    id
    checkInList {
      ticketsPage(first: $first, after: $after) {
        nodes {
          ...ExpectedTicket
        }
        pageInfo {
          ...PageInfo
        }
      }
    }
  }
}

fragment CheckInScan on CheckInScan {
  ticketId
  at
  gate
}

fragment ExpectedTicket on ExpectedTicket {
  ticketId
  seat
  bookingId
  holder {
    ...TicketHolder
  }
  checkedIn {
    ...CheckInScan
  }
}

fragment PageInfo on BookingPageInfo {
  hasNextPage
  endCursor
}

fragment TicketHolder on User {
  id
  name
}
"""

CHECK_IN_CHANGES_CURSOR_GQL = """
query CheckInChangesCursor($showId: ID!) {
  show(id: $showId) {
    id
    checkInList {
      changesCursor
    }
  }
}
"""

CHECK_IN_CHANGES_GQL = """
query CheckInChanges($showId: ID!, $first: Int!, $after: String) {
  show(id: $showId) {
    id
    checkInList {
      ticketChanges(first: $first, after: $after) {
        nodes {
          ...TicketChange
        }
        pageInfo {
          ...PageInfo
        }
      }
    }
  }
}

fragment CheckInScan on CheckInScan {
  ticketId
  at
  gate
}

fragment ExpectedTicket on ExpectedTicket {
  ticketId
  seat
  bookingId
  holder {
    ...TicketHolder
  }
  checkedIn {
    ...CheckInScan
  }
}

fragment PageInfo on BookingPageInfo {
  hasNextPage
  endCursor
}

fragment TicketChange on TicketChange {
  admits
  ticket {
    ...ExpectedTicket
  }
}

fragment TicketHolder on User {
  id
  name
}
"""

CHECK_IN_SCANS_GQL = """
query CheckInScans($showId: ID!, $first: Int!, $after: String) {
  show(id: $showId) {
    id
    checkInList {
      scansAfter(first: $first, after: $after) {
        nodes {
          ...CheckInScan
        }
        pageInfo {
          ...PageInfo
        }
      }
    }
  }
}

fragment CheckInScan on CheckInScan {
  ticketId
  at
  gate
}

fragment PageInfo on BookingPageInfo {
  hasNextPage
  endCursor
}
"""

BOOKING_TICKETS_GQL = """
query BookingTickets($id: ID!) {
  booking(id: $id) {
    id
    tickets {
      ...Ticket
    }
  }
}

fragment Ticket on Ticket {
  id
  label
  token
  issuedAt
}
"""

WATCH_SEATS_GQL = """
subscription WatchSeats($showId: ID!) {
  seatAvailability(showId: $showId) {
    showId
    kind
    version
    fromVersion
    seats {
      seatId
      state
      legs
    }
    availability {
      total
      available
      held
      sold
    }
    generalAdmission {
      ...GeneralAdmissionAvailability
    }
  }
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}
"""

WATCH_SEATS_BY_VERSION_GQL = """
subscription WatchSeatsByVersion($showId: ID!) {
  seatAvailability(showId: $showId) {
    showId
    kind
    version
    seats {
      seatId
      state
      legs
    }
    availability {
      total
      available
      held
      sold
    }
    generalAdmission {
      ...GeneralAdmissionAvailability
    }
  }
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}
"""

START_PAYMENT_GQL = """
mutation StartPayment($bookingId: ID!, $provider: PaymentProvider, $idempotencyKey: String) {
  startPayment(
    bookingId: $bookingId
    provider: $provider
    idempotencyKey: $idempotencyKey
  ) {
    ...Payment
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}
"""

CONFIRM_PAYMENT_GQL = """
mutation ConfirmPayment($paymentId: ID!, $card: String, $razorpay: RazorpayProofInput) {
  confirmPayment(paymentId: $paymentId, card: $card, razorpay: $razorpay) {
    __typename
    ...Payment
    ... on PaymentDeclined {
      code
      message
      reason
      payment {
        ...Payment
      }
    }
    ... on PaymentWindowClosed {
      code
      message
      payment {
        ...Payment
      }
    }
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}
"""

ISSUE_REFUND_GQL = """
mutation IssueRefund($paymentId: ID!, $amount: Int, $idempotencyKey: String!) {
  refundPayment(
    paymentId: $paymentId
    amount: $amount
    idempotencyKey: $idempotencyKey
  ) {
    ...Refund
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}
"""

GET_PAYMENT_GQL = """
query GetPayment($id: ID!) {
  payment(id: $id) {
    ...Payment
  }
}

fragment Money on Money {
  amount
  currency
}

fragment Payment on Payment {
  id
  status
  provider
  amount {
    ...Money
  }
  captured {
    ...Money
  }
  refunded {
    ...Money
  }
  providerPaymentId
  failure {
    ...PaymentFailure
  }
  attempts
  createdAt
  updatedAt
  succeededAt
  checkout {
    ...PaymentCheckout
  }
  booking {
    id
  }
  refunds {
    ...Refund
  }
}

fragment PaymentCheckout on PaymentCheckout {
  provider
  keyId
  orderId
}

fragment PaymentFailure on PaymentFailure {
  code
  message
}

fragment Refund on Refund {
  id
  amount {
    ...Money
  }
  status
  reason
  providerRefundId
  failureMessage
  createdAt
  settledAt
  payment {
    id
  }
}
"""

CREATE_PROMO_CODE_GQL = """
mutation CreatePromoCode($input: CreatePromoCodeInput!, $idempotencyKey: String) {
  createPromoCode(input: $input, idempotencyKey: $idempotencyKey) {
    ...PromoCode
  }
}

fragment Money on Money {
  amount
  currency
}

fragment PromoCode on PromoCode {
  id
  code
  kind
  percent
  amount {
    ...Money
  }
  showIds
  categories
  validFrom
  validUntil
  maxRedemptions
  maxPerCustomer
  redeemed
  unlocksCategories
  active
  organizerId
  createdAt
}
"""

QUEUE_CHALLENGE_GQL = """
query QueueChallenge($showId: ID!) {
  queueChallenge(showId: $showId) {
    kind
    nonce
    difficulty
  }
}
"""

JOIN_QUEUE_GQL = """
mutation JoinQueue($showId: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $showId, nonce: $nonce, solution: $solution) {
    ...QueueTicket
  }
}

fragment QueueTicket on QueueTicket {
  id
  showId
  state
  position
  estimatedWaitSeconds
  pollAfterSeconds
  pass
  passExpiresAt
}
"""

QUEUE_STATUS_GQL = """
query QueueStatus($ticketId: ID!) {
  queueStatus(ticketId: $ticketId) {
    ...QueueTicket
  }
}

fragment QueueTicket on QueueTicket {
  id
  showId
  state
  position
  estimatedWaitSeconds
  pollAfterSeconds
  pass
  passExpiresAt
}
"""

CONFIGURE_QUEUE_GQL = """
mutation ConfigureQueue($showId: ID!, $input: QueueInput!) {
  configureQueue(showId: $showId, input: $input) {
    ...ShowQueue
  }
}

fragment ShowQueue on ShowQueue {
  opensAt
  ratePerMinute
  auto
  paused
  opened
  waiting
  admitted
  sold
  abandoned
  requireVerifiedEmail
}
"""

PAUSE_QUEUE_GQL = """
mutation PauseQueue($showId: ID!) {
  pauseQueue(showId: $showId) {
    ...ShowQueue
  }
}

fragment ShowQueue on ShowQueue {
  opensAt
  ratePerMinute
  auto
  paused
  opened
  waiting
  admitted
  sold
  abandoned
  requireVerifiedEmail
}
"""

RESUME_QUEUE_GQL = """
mutation ResumeQueue($showId: ID!) {
  resumeQueue(showId: $showId) {
    ...ShowQueue
  }
}

fragment ShowQueue on ShowQueue {
  opensAt
  ratePerMinute
  auto
  paused
  opened
  waiting
  admitted
  sold
  abandoned
  requireVerifiedEmail
}
"""

GET_SHOW_QUEUE_GQL = """
query GetShowQueue($id: ID!) {
  show(id: $id) {
    id
    queue {
      ...ShowQueue
    }
  }
}

fragment ShowQueue on ShowQueue {
  opensAt
  ratePerMinute
  auto
  paused
  opened
  waiting
  admitted
  sold
  abandoned
  requireVerifiedEmail
}
"""

SHOWS_GQL = """
query Shows($filter: ShowFilter, $first: Int!, $after: String) {
  shows(filter: $filter, first: $first, after: $after) {
    ...ShowPage
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}

fragment Leg on Leg {
  index
  fromStop: from
  toStop: to
}

fragment Money on Money {
  amount
  currency
}

fragment PriceTier on PriceTier {
  category
  price {
    ...Money
  }
}

fragment Show on Show {
  id
  title
  kind
  status
  startsAt
  localStartsAt
  endsAt
  currency
  venueId
  hallId
  venue {
    name
    timeZone
  }
  price {
    ...Money
  }
  priceTiers {
    ...PriceTier
  }
  stops {
    ...Stop
  }
  legs {
    ...Leg
  }
  availability {
    ...Availability
  }
}

fragment ShowPage on ShowConnection {
  nodes {
    ...Show
  }
  pageInfo {
    hasNextPage
    endCursor
  }
}

fragment Stop on Stop {
  name
  departsAt
}
"""

GET_SHOW_GQL = """
query GetShow($id: ID!) {
  show(id: $id) {
    ...Show
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}

fragment Leg on Leg {
  index
  fromStop: from
  toStop: to
}

fragment Money on Money {
  amount
  currency
}

fragment PriceTier on PriceTier {
  category
  price {
    ...Money
  }
}

fragment Show on Show {
  id
  title
  kind
  status
  startsAt
  localStartsAt
  endsAt
  currency
  venueId
  hallId
  venue {
    name
    timeZone
  }
  price {
    ...Money
  }
  priceTiers {
    ...PriceTier
  }
  stops {
    ...Stop
  }
  legs {
    ...Leg
  }
  availability {
    ...Availability
  }
}

fragment Stop on Stop {
  name
  departsAt
}
"""

SEAT_MAP_GQL = """
query SeatMap($id: ID!, $segment: SegmentInput) {
  show(id: $id) {
    id
    seatMap
    seatStates(segment: $segment) {
      seatId
      state
      legs
    }
  }
}
"""

GET_AVAILABILITY_GQL = """
query GetAvailability($id: ID!, $segment: SegmentInput) {
  show(id: $id) {
    id
    availability(segment: $segment) {
      ...Availability
    }
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}
"""

GET_VENUE_GQL = """
query GetVenue($id: ID!) {
  venue(id: $id) {
    ...Venue
  }
}

fragment Hall on Hall {
  id
  name
  kind
  sections {
    ...Section
  }
}

fragment Section on Section {
  id
  key
  name
  capacity
  category
  generalAdmission
}

fragment Venue on Venue {
  id
  name
  ownerId
  timeZone
  halls {
    ...Hall
  }
}
"""

CREATE_VENUE_GQL = """
mutation CreateVenue($input: CreateVenueInput!, $idempotencyKey: String) {
  createVenue(input: $input, idempotencyKey: $idempotencyKey) {
    ...Venue
  }
}

fragment Hall on Hall {
  id
  name
  kind
  sections {
    ...Section
  }
}

fragment Section on Section {
  id
  key
  name
  capacity
  category
  generalAdmission
}

fragment Venue on Venue {
  id
  name
  ownerId
  timeZone
  halls {
    ...Hall
  }
}
"""

SET_VENUE_TIME_ZONE_GQL = """
mutation SetVenueTimeZone($venueId: ID!, $timeZone: String!) {
  setVenueTimeZone(venueId: $venueId, timeZone: $timeZone) {
    ...Venue
  }
}

fragment Hall on Hall {
  id
  name
  kind
  sections {
    ...Section
  }
}

fragment Section on Section {
  id
  key
  name
  capacity
  category
  generalAdmission
}

fragment Venue on Venue {
  id
  name
  ownerId
  timeZone
  halls {
    ...Hall
  }
}
"""

CREATE_HALL_GQL = """
mutation CreateHall($venueId: ID!, $seatMap: JSON!, $idempotencyKey: String) {
  createHall(
    venueId: $venueId
    seatMap: $seatMap
    idempotencyKey: $idempotencyKey
  ) {
    ...Hall
  }
}

fragment Hall on Hall {
  id
  name
  kind
  sections {
    ...Section
  }
}

fragment Section on Section {
  id
  key
  name
  capacity
  category
  generalAdmission
}
"""

CREATE_SHOW_GQL = """
mutation CreateShow($input: CreateShowInput!, $idempotencyKey: String) {
  createShow(input: $input, idempotencyKey: $idempotencyKey) {
    ...Show
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}

fragment Leg on Leg {
  index
  fromStop: from
  toStop: to
}

fragment Money on Money {
  amount
  currency
}

fragment PriceTier on PriceTier {
  category
  price {
    ...Money
  }
}

fragment Show on Show {
  id
  title
  kind
  status
  startsAt
  localStartsAt
  endsAt
  currency
  venueId
  hallId
  venue {
    name
    timeZone
  }
  price {
    ...Money
  }
  priceTiers {
    ...PriceTier
  }
  stops {
    ...Stop
  }
  legs {
    ...Leg
  }
  availability {
    ...Availability
  }
}

fragment Stop on Stop {
  name
  departsAt
}
"""

PUBLISH_SHOW_GQL = """
mutation PublishShow($id: ID!) {
  publishShow(id: $id) {
    ...Show
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}

fragment Leg on Leg {
  index
  fromStop: from
  toStop: to
}

fragment Money on Money {
  amount
  currency
}

fragment PriceTier on PriceTier {
  category
  price {
    ...Money
  }
}

fragment Show on Show {
  id
  title
  kind
  status
  startsAt
  localStartsAt
  endsAt
  currency
  venueId
  hallId
  venue {
    name
    timeZone
  }
  price {
    ...Money
  }
  priceTiers {
    ...PriceTier
  }
  stops {
    ...Stop
  }
  legs {
    ...Leg
  }
  availability {
    ...Availability
  }
}

fragment Stop on Stop {
  name
  departsAt
}
"""

CANCEL_SHOW_GQL = """
mutation CancelShow($id: ID!) {
  cancelShow(id: $id) {
    ...Show
  }
}

fragment Availability on Availability {
  total
  available
  held
  sold
  byCategory {
    ...CategoryAvailability
  }
  generalAdmission {
    ...GeneralAdmissionAvailability
  }
}

fragment CategoryAvailability on CategoryAvailability {
  category
  total
  available
  held
  sold
}

fragment GeneralAdmissionAvailability on GeneralAdmissionAvailability {
  sectionId
  key
  name
  capacity
  available
  held
  sold
}

fragment Leg on Leg {
  index
  fromStop: from
  toStop: to
}

fragment Money on Money {
  amount
  currency
}

fragment PriceTier on PriceTier {
  category
  price {
    ...Money
  }
}

fragment Show on Show {
  id
  title
  kind
  status
  startsAt
  localStartsAt
  endsAt
  currency
  venueId
  hallId
  venue {
    name
    timeZone
  }
  price {
    ...Money
  }
  priceTiers {
    ...PriceTier
  }
  stops {
    ...Stop
  }
  legs {
    ...Leg
  }
  availability {
    ...Availability
  }
}

fragment Stop on Stop {
  name
  departsAt
}
"""
