// Dev-only harness for the seat map (web/dev/seatmap.html, served by `npm run dev`; not in the
// build): mounts the map with a generated stadium and a fake Subscription.seatAvailability
// that sends a snapshot, then deltas at `rate` per second. Used to look at the map and to time
// it (performance entries seatmap:first-render and seatmap:frame).
import { mountSeatMap, type CompactSeatMap, type LiveStatus, type MountOptions, type SeatStatus } from '../src/seatmap/index';
import type { FeedEvent, FeedSink, Subscribe } from '../src/seatmap/live';
import { stadiumMap } from './stadium';

const q = new URLSearchParams(location.search);
const seats = Number(q.get('seats') ?? 50_000);
const layout = q.get('layout') === 'grid' ? 'grid' : 'bench';
const rate = Number(q.get('rate') ?? 10);
const batch = Number(q.get('batch') ?? 20);
const soldShare = Number(q.get('sold') ?? 0.3);
const heldShare = Number(q.get('held') ?? 0.1);

const map = stadiumMap(seats, layout);
const states: SeatStatus[] = map.seats.id.map(() => {
  const r = Math.random();
  return r < soldShare ? 'SOLD' : r < soldShare + heldShare ? 'HELD' : 'AVAILABLE';
});
let version = 1;
const sinks = new Set<FeedSink>();

function availability() {
  let available = 0;
  let held = 0;
  let sold = 0;
  for (let i = 0; i < states.length; i++) {
    if (map.seats.flags[i] & 2) continue;
    if (states[i] === 'AVAILABLE') available++;
    else if (states[i] === 'HELD') held++;
    else sold++;
  }
  return { total: available + held + sold, available, held, sold };
}

function snapshot(): FeedEvent {
  const list = [];
  for (let i = 0; i < states.length; i++) if (!(map.seats.flags[i] & 2)) list.push({ seatId: map.seats.id[i], state: states[i], legs: [] });
  return { kind: 'SNAPSHOT', version, fromVersion: null, seats: list, availability: availability() };
}

/** Change these seats (by id) and send a delta to every subscriber. */
function push(changes: [string, SeatStatus][], skipVersions = 0): void {
  const from = version;
  version += 1 + skipVersions;
  const index = new Map(changes.map(([id]) => [id, map.seats.id.indexOf(id)]));
  for (const [id, s] of changes) states[index.get(id)!] = s;
  const event: FeedEvent = { kind: 'DELTA', version, fromVersion: skipVersions ? from + 1 : from, seats: changes.map(([seatId, state]) => ({ seatId, state, legs: [] })), availability: null };
  for (const sink of sinks) sink.next(event);
}

function randomDelta(): void {
  const changes: [string, SeatStatus][] = [];
  for (let k = 0; k < batch; k++) {
    const i = Math.floor(Math.random() * states.length);
    const next: SeatStatus = states[i] === 'AVAILABLE' ? 'HELD' : states[i] === 'HELD' ? (Math.random() < 0.5 ? 'SOLD' : 'AVAILABLE') : 'SOLD';
    changes.push([map.seats.id[i], next]);
  }
  push(changes);
}

const fakeSubscribe: Subscribe = (_showId, sink) => {
  // Like the server: the snapshot first, then the deltas that follow it.
  const first = setTimeout(() => {
    sinks.add(sink);
    sink.next(snapshot());
  }, 30);
  return () => {
    clearTimeout(first);
    sinks.delete(sink);
  };
};
const ticker = rate > 0 && !q.get('show') ? setInterval(randomDelta, 1000 / rate) : undefined;

const statuses: LiveStatus[] = [];
const selections: string[][] = [];
// ?show=<id>: a real show through the router (npm run dev's proxy, TICKETFLOW_ROUTER_URL) and
// the real Subscription.seatAvailability instead of the generated stadium and the fake feed.
const realShow = q.get('show');
let shown: { seatMap: CompactSeatMap; prices: MountOptions['prices'] } = {
  seatMap: map,
  prices: [
    { category: 'PREMIUM', price: { amount: 8900, currency: 'EUR' } },
    { category: 'STANDARD', price: { amount: 4500, currency: 'EUR' } },
    { category: 'STANDING', price: { amount: 3900, currency: 'EUR' } },
  ],
};
if (realShow) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'query($id: ID!) { show(id: $id) { seatMap priceTiers { category price { amount currency } } } }',
      variables: { id: realShow },
    }),
  });
  const body = await response.json();
  shown = { seatMap: body.data.show.seatMap, prices: body.data.show.priceTiers };
}
const handle = mountSeatMap({
  showId: realShow ?? 'show-dev',
  ...shown,
  segment: null,
  selectable: true,
  maxSelection: Number(q.get('max') ?? 8),
  onSelect: (ids) => selections.push(ids),
  onStatus: (s) => statuses.push(s),
  subscribe: realShow ? undefined : fakeSubscribe,
});
document.getElementById('map')!.append(handle.element);
document.getElementById('info')!.textContent = realShow
  ? `show ${realShow}, live from the router`
  : `${map.seats.id.length.toLocaleString()} seats, layout ${layout}, ${rate} deltas/s of ${batch} seats`;

declare global {
  interface Window {
    harness: unknown;
  }
}
window.harness = {
  handle,
  statuses,
  selections,
  map,
  push,
  /** Send a delta that skips a version: the map must resubscribe. */
  gap: () => push([[map.seats.id[0], 'SOLD']], 1),
  /** Stop the random deltas (push still sends). */
  pause: () => clearInterval(ticker),
  /** End every subscription from the server's side (the map resubscribes). */
  stopFeed: () => {
    for (const sink of sinks) sink.complete();
  },
};
