// Live counts of one show (seats and standing places per category) for the organizer's pages:
// a lean seatAvailability subscription that asks for the counts only (no seat states), started
// again with backoff and jitter when it ends or fails (the router restarted, a subgraph away).
import { subscribe } from '../api';
import { graphql } from '../gql';
import type { ShowCountsSubscription } from '../gql/graphql';

const SHOW_COUNTS = graphql(`
  subscription ShowCounts($showId: ID!) {
    seatAvailability(showId: $showId) {
      version
      availability {
        total available held sold
        byCategory { category total available held sold }
        generalAdmission { sectionId name capacity available held sold }
      }
    }
  }
`);

export type ShowCounts = ShowCountsSubscription['seatAvailability']['availability'];

export interface CountsWatch {
  stop(): void;
}

/** Calls `onCounts` with every new version's counts and `onLive(false)` while reconnecting. */
export function watchCounts(showId: string, onCounts: (counts: ShowCounts, version: number) => void,
  onLive: (live: boolean) => void = () => {}): CountsWatch {
  let end: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let stopped = false;

  const again = () => {
    end?.();
    end = null;
    if (stopped) return;
    onLive(false);
    const wait = Math.min(30_000, 500 * 2 ** attempt++) + Math.random() * 500;
    timer = setTimeout(open, wait);
  };

  function open(): void {
    timer = null;
    end = subscribe(SHOW_COUNTS, { showId }, {
      next: (data) => {
        attempt = 0;
        onLive(true);
        onCounts(data.seatAvailability.availability, data.seatAvailability.version);
      },
      error: again,
      complete: again,
    });
  }

  open();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      end?.();
    },
  };
}
