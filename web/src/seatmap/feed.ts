// Subscription.seatAvailability as the map's live feed (live.ts) consumes it: the document,
// asking only what the map uses, over the app's graphql-ws connection (../api).
import { subscribe, type ApiError } from '../api';
import { graphql } from '../gql';
import type { Subscribe } from './live';

export const SEAT_AVAILABILITY = graphql(`
  subscription SeatMapAvailability($showId: ID!) {
    seatAvailability(showId: $showId) {
      kind
      version
      fromVersion
      seats { seatId state legs }
      availability { total available held sold }
    }
  }
`);

export const graphSubscribe: Subscribe = (showId, sink) =>
  subscribe(SEAT_AVAILABILITY, { showId }, {
    next: (data) => sink.next(data.seatAvailability),
    error: (e: ApiError) => sink.error(e),
    complete: () => sink.complete(),
  });

