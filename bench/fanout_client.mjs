// The fan-out benchmark's subscribers: N graphql-transport-ws connections in one Node process.
//
//   node bench/fanout_client.mjs --url ws://127.0.0.1:4000/graphql --show SHOW_ID \
//        --subscribers 1000 [--concurrency 200] [--query-file watch.graphql] [--reconnect true]
//
// Driven by bench/fanout.py over stdin/stdout, one JSON object a line:
//   out {"event":"opened", ...}        every subscription has its snapshot (or failed)
//   in  {"cmd":"report","holds":PATH}  PATH: JSON [{seat, sent, answered}] (CLOCK_MONOTONIC ms)
//   out {"event":"report", ...}        latencies, gaps, messages per subscriber
//   in  {"cmd":"progress","version":V[,"since":T]} -> {"event":"progress","behind":...}
//       (with since: how many have a snapshot received at or after T, and the last one's time)
//   in  {"cmd":"close"}                close every connection and exit
//
// Lean on purpose, so that the load generator is not what is measured: a message is never
// JSON-parsed unless it is the observer's (subscriber 0, which reads which seats each
// version changed) or not a `next`; the others read the event's version (and fromVersion)
// straight from the bytes. Times are process.hrtime (CLOCK_MONOTONIC on Linux), the clock
// Python's time.monotonic() reads, so they compare with the hold sender's.
//
// With --reconnect true (bench/storm.py) a subscriber whose connection drops connects again as the
// SDK's watch_seats does: after 250 ms doubling up to 5 s, plus up to 250 ms of jitter, and carries
// on from the new subscription's snapshot.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// `ws` comes from the router's pinned packages: the benchmark adds no package of its own.
const WebSocket = createRequire(resolve(here, '../router/package.json'))('ws');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const URL_ = args.url;
const SHOW = args.show;
const N = Number(args.subscribers ?? 1000);
const CONCURRENCY = Number(args.concurrency ?? 200);
const OPEN_ATTEMPTS = 3;
const RECONNECT = args.reconnect === 'true';
const BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const QUERY = args['query-file']
  ? readFileSync(args['query-file'], 'utf8')
  : `subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version seats { seatId state } availability { total available held sold } } }`;

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, CLOCK_MONOTONIC
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const NEXT = Buffer.from('"type":"next"');
const VERSION = Buffer.from('"version":');
const FROM_VERSION = Buffer.from('"fromVersion":');
const SNAPSHOT = Buffer.from('"SNAPSHOT"');
const ERRORS = Buffer.from('"errors"');

/** The integer after `key` in `buf` (null for `null`, undefined when the key is absent). */
function intAfter(buf, key) {
  const at = buf.indexOf(key);
  if (at < 0) return undefined;
  let i = at + key.length;
  while (buf[i] === 0x20) i++;
  if (buf[i] === 0x6e) return null; // null
  let n = 0;
  for (; buf[i] >= 0x30 && buf[i] <= 0x39; i++) n = n * 10 + (buf[i] - 0x30);
  return n;
}

// version -> Float64Array of arrival times, one slot per subscriber (NaN: not received)
const arrivals = new Map();
function arrivalsOf(version) {
  let times = arrivals.get(version);
  if (!times) {
    times = new Float64Array(N).fill(Number.NaN);
    arrivals.set(version, times);
  }
  return times;
}
// version -> {from, seats} as the observer saw it
const observed = new Map();

const stats = { gaps: 0, restarts: 0, resubscribes: 0, ended: 0, errors: 0, closed: 0, reconnects: 0,
  messages: new Uint32Array(N) };
const problems = [];
function problem(text) {
  if (problems.length < 20) problems.push(text);
}

class Subscriber {
  constructor(index) {
    this.index = index;
    this.last = -1; // version of the last event, -1 before the snapshot
    this.sub = 0; // current subscription id (a resubscription takes the next)
    this.snapshotAt = 0;
    this.onSnapshot = null;
  }

  open() {
    return new Promise((resolveOpen, rejectOpen) => {
      const ws = new WebSocket(URL_, 'graphql-transport-ws', { perMessageDeflate: false });
      this.ws = ws;
      this.onSnapshot = resolveOpen;
      ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
      ws.on('message', (data) => this.message(data));
      ws.on('error', (err) => rejectOpen(err));
      ws.on('close', (code) => {
        if (!this.closing && !this.onSnapshot && ws === this.ws) {
          stats.closed++;
          if (RECONNECT) this.reconnect(1);
          else problem(`subscriber ${this.index}: connection closed (${code})`);
        }
        rejectOpen(new Error(`closed ${code}`));
      });
    });
  }

  /** Connect again after a dropped connection (attempt 1, 2, ...), until a snapshot comes. */
  reconnect(attempt) {
    this.last = -1;
    const delay = Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** (attempt - 1) + Math.random() * BACKOFF_MS);
    setTimeout(() => {
      if (this.closing) return;
      stats.reconnects++;
      this.open().catch(() => {
        this.ws?.terminate();
        this.reconnect(attempt + 1);
      });
    }, delay);
  }

  subscribe() {
    this.sub++;
    this.last = -1;
    this.ws.send(JSON.stringify({ id: String(this.sub), type: 'subscribe',
      payload: { query: QUERY, variables: { show: SHOW } } }));
  }

  resubscribe(why, ended = false) {
    stats.resubscribes++;
    problem(`subscriber ${this.index}: ${why}; resubscribed`);
    if (!ended) this.ws.send(JSON.stringify({ id: String(this.sub), type: 'complete' }));
    this.last = -1;
    // After a gap at once (the SDK's way); after an error the server may be struggling: back off a
    // little, with jitter, so that a thousand subscribers do not all come back in the same instant.
    if (!ended) this.subscribe();
    else {
      const { ws } = this;
      setTimeout(() => ws === this.ws && ws.readyState === WebSocket.OPEN && this.subscribe(), 500 + Math.random() * 1000);
    }
  }

  message(data) {
    const at = now();
    if (data.indexOf(NEXT) < 0) {
      const msg = JSON.parse(data);
      if (msg.type === 'connection_ack') return this.subscribe();
      if (msg.type === 'ping') return this.ws.send('{"type":"pong"}');
      if (msg.type === 'pong') return undefined;
      if (msg.id !== String(this.sub)) return undefined; // the end of a subscription we left
      stats[msg.type === 'complete' ? 'ended' : 'errors']++;
      return this.resubscribe(`${msg.type} ${JSON.stringify(msg.payload ?? '').slice(0, 200)}`, true);
    }
    if (data.indexOf(`"id":"${this.sub}"`) < 0) return undefined; // an old subscription's
    if (data.indexOf(ERRORS) >= 0) {
      // a `next` with errors is followed by the server's `complete` for it: that one resubscribes
      stats.errors++;
      problem(`subscriber ${this.index}: errors ${data.toString().slice(0, 300)}`);
      return undefined;
    }
    stats.messages[this.index]++;
    const version = intAfter(data, VERSION);
    if (this.last < 0) {
      if (data.indexOf(SNAPSHOT) < 0) return this.resubscribe('first event is not a snapshot');
      this.last = version;
      this.snapshotAt = at;
      if (this.onSnapshot) this.onSnapshot(at);
      this.onSnapshot = null;
      return undefined;
    }
    if (data.indexOf(SNAPSHOT) >= 0) {
      // A mid-stream snapshot (the server's way to bring a lagging subscriber up to date):
      // the state at that version, so every change since the last version arrived now.
      stats.restarts++;
      for (let v = this.last + 1; v <= version; v++) arrivalsOf(v)[this.index] = at;
      this.last = Math.max(this.last, version);
      return undefined;
    }
    const from = intAfter(data, FROM_VERSION);
    // A delta follows the previous version (or says which version it follows: coalesced).
    const follows = from == null ? version === this.last + 1 : from === this.last;
    if (!follows) {
      stats.gaps++;
      return this.resubscribe(`gap: ${this.last} then ${from ?? '-'}..${version}`);
    }
    this.last = version;
    arrivalsOf(version)[this.index] = at;
    if (this.index === 0) {
      const event = JSON.parse(data).payload.data.seatAvailability;
      observed.set(version, { from: event.fromVersion ?? version - 1, seats: event.seats.map((s) => s.seatId) });
    }
    return undefined;
  }

  close() {
    this.closing = true;
    this.ws?.terminate();
  }
}

const subscribers = Array.from({ length: N }, (_, i) => new Subscriber(i));

async function openAll() {
  const started = now();
  let next = 0;
  let failures = 0;
  let retried = 0;
  const worker = async () => {
    while (next < N) {
      const s = subscribers[next++];
      for (let attempt = 1; ; attempt++) {
        try {
          await s.open();
          break;
        } catch (err) {
          // as a real client would: try again (e.g. 4408, connection_init late on a loaded machine)
          problem(`subscriber ${s.index}: ${err.message} (attempt ${attempt})`);
          s.ws?.terminate();
          if (attempt === OPEN_ATTEMPTS) {
            failures++;
            break;
          }
          retried++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, N) }, worker));
  const versions = new Set(subscribers.filter((s) => s.last >= 0).map((s) => s.last));
  const lastSnapshot = Math.max(...subscribers.map((s) => s.snapshotAt));
  out({ event: 'opened', subscribers: N, failures, retried, seconds: (lastSnapshot - started) / 1000,
    snapshotVersions: [...versions], problems });
}

function percentiles(values) {
  if (!values.length) return null;
  values.sort((a, b) => a - b);
  const at = (p) => values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
  return { n: values.length, p50: at(50), p99: at(99), max: values[values.length - 1] };
}

function report(holdsPath) {
  const holds = JSON.parse(readFileSync(holdsPath, 'utf8'));
  const bySeat = new Map(holds.map((h) => [h.seat, h]));
  const fromSent = [];
  const fromAnswered = [];
  let deltas = 0;
  let holdDeliveries = 0;
  let missing = 0;
  const seen = new Set();
  for (const [version, info] of observed) {
    const times = arrivals.get(version);
    const caused = info.seats.map((seat) => bySeat.get(seat)).filter(Boolean);
    deltas++;
    for (const hold of caused) seen.add(hold.seat);
    for (let i = 0; i < N; i++) {
      const t = times[i];
      if (Number.isNaN(t)) {
        missing++;
        continue;
      }
      for (const hold of caused) {
        holdDeliveries++;
        fromSent.push(t - hold.sent);
        if (hold.answered != null) fromAnswered.push(t - hold.answered);
      }
    }
  }
  const perSubscriber = Array.from(stats.messages);
  out({
    event: 'report',
    deltas,
    holds: holds.length,
    holdsSeen: seen.size,
    holdDeliveries,
    missing,
    fromSent: percentiles(fromSent),
    fromAnswered: percentiles(fromAnswered),
    messagesPerSubscriber: { min: Math.min(...perSubscriber), max: Math.max(...perSubscriber),
      mean: perSubscriber.reduce((a, b) => a + b, 0) / N },
    gaps: stats.gaps,
    restarts: stats.restarts,
    resubscribes: stats.resubscribes,
    ended: stats.ended,
    errors: stats.errors,
    closed: stats.closed,
    problems,
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'report') report(cmd.holds);
  else if (cmd.cmd === 'progress') {
    // how far the slowest and the fastest subscriber got (to wait for the last deltas)
    const lasts = subscribers.map((s) => s.last);
    const progress = { event: 'progress', lowest: Math.min(...lasts), highest: Math.max(...lasts),
      behind: lasts.filter((v) => v < cmd.version).length, reconnects: stats.reconnects,
      resubscribes: stats.resubscribes, gaps: stats.gaps, problems };
    if (cmd.since != null) {
      const fresh = subscribers.filter((s) => s.last >= 0 && s.snapshotAt >= cmd.since);
      progress.snapshotsSince = fresh.length;
      progress.lastSnapshotAt = Math.max(0, ...fresh.map((s) => s.snapshotAt));
      progress.firstSnapshotAt = fresh.length ? Math.min(...fresh.map((s) => s.snapshotAt)) : 0;
    }
    out(progress);
  } else if (cmd.cmd === 'close') {
    for (const s of subscribers) s.close();
    lines.close();
    setImmediate(() => process.exit(0));
  }
});

openAll();
