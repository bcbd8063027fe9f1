// What a newcomer finds in the router's IDE (Hive Laboratory, GraphiQL's successor): a collection of
// ready operations, "TicketFlow: getting started", the same journey `make dev` prints. Sign in first,
// then paste the token into the operation's headers. tests/unit/test_ide_examples.py keeps every
// example valid against the supergraph, tests/unit/test_operation_limits.py within the limits.

const TOKEN_HEADERS = JSON.stringify({ Authorization: 'Bearer <paste accessToken from Sign in>' }, null, 2);
const CREATED_AT = '2026-01-01T00:00:00.000Z';

export const EXAMPLES = [
  {
    name: '1. Sign in as the demo customer',
    query: `mutation SignIn {
  login(input: {email: "customer@ticketflow.dev", password: "customer-demo-pass"}) {
    accessToken expiresAt user { id name }
  }
}`,
  },
  {
    name: '2. Tonight: one query across all four subgraphs',
    headers: TOKEN_HEADERS,
    query: `query Tonight {
  shows { nodes { id title kind startsAt venue { name } price { amount currency }
                  availability { total available held sold } } }
  me { name bookings { id status total { amount currency } payment { status } } }
}`,
  },
  {
    name: '3. Hold seats (ids from venue { seats { id label } })',
    headers: TOKEN_HEADERS,
    variables: JSON.stringify({ showId: '<show id>', seatIds: ['<seat id>'] }, null, 2),
    query: `mutation Hold($showId: ID!, $seatIds: [ID!]!) {
  holdSeats(showId: $showId, seatIds: $seatIds) {
    __typename
    ... on SeatHold { id expiresAt seatIds }
    ... on SeatsUnavailable { code message seatIds }
  }
}`,
  },
  {
    name: '4. Check out, then pay with a sandbox test card (docs/payments.md)',
    headers: TOKEN_HEADERS,
    variables: JSON.stringify({ holdId: '<hold id>', key: 'checkout-1', card: '4242 4242 4242 4242' }, null, 2),
    query: `mutation Checkout($holdId: ID!, $key: String!) {
  checkout(holdId: $holdId, idempotencyKey: $key) {
    __typename
    ... on Booking { id status total { amount currency } }
    ... on HoldExpired { code message }
  }
}

mutation StartPayment($bookingId: ID!) {
  startPayment(bookingId: $bookingId) { id status amount { amount currency } }
}

mutation Confirm($paymentId: ID!, $card: String!) {
  confirmPayment(paymentId: $paymentId, card: $card) {
    __typename
    ... on Payment { id status captured { amount currency } booking { id status } }
    ... on PaymentDeclined { code reason message }
    ... on PaymentWindowClosed { code message }
  }
}`,
  },
  {
    name: '5. Watch a seat map live',
    variables: JSON.stringify({ showId: '<show id>' }, null, 2),
    query: `subscription Watch($showId: ID!) {
  seatAvailability(showId: $showId) {
    kind version seats { seatId state } availability { available held sold }
  }
}`,
  },
];

/** The IDE's `defaultCollections`: one collection of the examples, each a complete Laboratory operation. */
export const EXAMPLE_COLLECTIONS = [
  {
    id: 'ticketflow-getting-started',
    name: 'TicketFlow: getting started',
    createdAt: CREATED_AT,
    operations: EXAMPLES.map((op, i) => ({
      id: `ticketflow-example-${i + 1}`,
      description: '',
      createdAt: CREATED_AT,
      variables: '{}',
      headers: '{}',
      extensions: '{}',
      ...op,
    })),
  },
];

/** The gateway's `graphiql` option: the IDE with the examples, or false where it is off. */
export function graphiqlOption(enabled) {
  return enabled ? { title: 'TicketFlow', subscriptionsProtocol: 'WS', defaultCollections: EXAMPLE_COLLECTIONS } : false;
}
