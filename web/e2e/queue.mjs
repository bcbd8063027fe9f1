// The waiting room in a real browser (docs/waiting-room.md): tests/e2e/test_web_queue.py gives
// an organizer's show, runs this, acts at its checkpoints (lets the queue admit one person,
// pauses it again), then checks the graph and the database.
//
// Input (TICKETFLOW_E2E_INPUT; the environment is lib.mjs's): { show: {id, title, seats:
// [{id, label}]}, first, second, organizer: {email, password, name} (verified accounts) }
//
// (0) The organizer, on the show's page, puts it behind a waiting room that opens now and
// admits one person a minute [checkpoint configured: the test waits until booking opened it];
// (1) A tries to hold a seat, is sent to the waiting room, which answers the proof of work,
// joins, and says A's place and estimated wait; the organizer's panel counts A waiting, and
// the organizer pauses the queue there [checkpoint a-waiting: the test checks it is paused]
// (2) B does the same and is told number 2, admissions paused; A's page says paused too;
// [checkpoint both-waiting: the test resumes, waits until one person is admitted, pauses]
// (3) A's page sees ADMITTED, keeps the pass, goes back to the show, and A holds the seat;
// another hold is refused (the pass was spent) and the page says so, staying on the show;
// (4) B is still in the waiting room, now number 1, without a pass; the organizer's panel,
// reading the queue again by itself, shows one waiting and one admitted.
import {
  BASE, SOON, check, checkpoint, clickSeat, input, output, scenario, signIn, stepOf, text,
  waitSeatState,
} from './lib.mjs';

// A queue page polls at the server's pollAfterSeconds, at most 120 s apart: what it shows
// after a change of the queue is waited for that long (and a little more).
const POLLED = 150_000;
const PASSES_KEY = 'ticketflow.queuePasses'; // web/src/queue.ts

const { show } = input;
const [seatA, seatB] = show.seats;
const queueUrl = new RegExp(`#/queue/${show.id}$`);

/** The waiting room's words once they are in `state` and match `pattern`: the text, and
 * whether it is a polite live region (what a screen reader announces as it changes). */
async function queueSays(page, state, pattern, timeout = SOON) {
  const region = page.getByTestId('queue-position');
  await page.locator(`[data-testid="queue-position"][data-state="${state}"]`).filter({ hasText: pattern })
    .waitFor({ timeout })
    .catch(async () => {
      throw new Error(`the waiting room says "${text(await region.textContent().catch(() => ''))}" `
        + `(${await region.getAttribute('data-state').catch(() => '?')}), not ${state} ${pattern}`);
    });
  return { words: text(await region.textContent()), live: await region.getAttribute('aria-live') };
}

/** Try to hold a seat of the queued show: the page sends the person to the waiting room. */
async function holdIsQueued(page, seat) {
  await page.goto(`${BASE}#/shows/${show.id}`);
  await waitSeatState(page, seat.id, 'AVAILABLE', 'the show\'s map never showed the seat');
  await clickSeat(page, seat.id);
  await page.getByRole('button', { name: 'Hold 1 seat' }).click();
  await page.waitForURL(queueUrl, { timeout: SOON });
  await page.getByRole('heading', { level: 1, name: `Waiting room: ${show.title}` }).waitFor({ timeout: SOON });
}

/** The organizer's waiting-room panel once its state line matches `state` and each figure
 * in `figures` ({waiting: 1, ...}) reads so: what it shows. */
async function panelShows(page, state, figures = {}, timeout = SOON) {
  const panel = page.getByRole('region', { name: 'Waiting room' });
  try {
    await panel.getByTestId('queue-state').filter({ hasText: state }).waitFor({ timeout });
    for (const [name, value] of Object.entries(figures)) {
      await panel.getByTestId(`queue-${name}`).filter({ hasText: new RegExp(`^${value}$`) })
        .waitFor({ timeout });
    }
  } catch {
    throw new Error(`the organizer's panel shows "${text(await panel.textContent().catch(() => ''))}", `
      + `not ${state} ${JSON.stringify(figures)}`);
  }
  const shown = { state: text(await panel.getByTestId('queue-state').textContent()) };
  for (const name of ['waiting', 'admitted', 'sold', 'abandoned']) {
    shown[name] = text(await panel.getByTestId(`queue-${name}`).textContent());
  }
  return shown;
}

const passesOf = (page) => page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? '{}'), PASSES_KEY);

await scenario('queue', async ({ open }) => {
  const o = await open('organizer');
  const a = await open('a');
  const b = await open('b');
  await stepOf('a-signed-in', a, () => signIn(a, input.first));
  await stepOf('b-signed-in', b, () => signIn(b, input.second));

  // ---- (0) the organizer puts the show behind a waiting room: open now, one a minute
  await stepOf('organizer-configures', o, async () => {
    await signIn(o, input.organizer);
    await o.goto(`${BASE}#/organizer/shows/${show.id}`);
    const panel = o.getByRole('region', { name: 'Waiting room' });
    await panel.getByText('This show has no waiting room.', { exact: false }).waitFor({ timeout: SOON });
    // the opening time as the datetime-local field takes it, in the browser's zone: this minute
    const now = await o.evaluate(() => {
      const d = new Date();
      const pad = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
    await panel.getByLabel('Opens at').fill(now);
    await panel.getByLabel('People per minute').fill('0');
    await panel.getByRole('button', { name: 'Put behind a waiting room' }).click();
    const refused = panel.getByRole('alert');
    await refused.waitFor({ timeout: SOON });
    output.badRate = text(await refused.textContent());
    await panel.getByLabel('People per minute').fill('1');
    await panel.getByRole('button', { name: 'Put behind a waiting room' }).click();
    output.configured = await panelShows(o, /admitting 1 a minute/, { waiting: 0 });
    // how the page writes the opening time it was given (if it shows "Opens ...")
    output.opensShown = await o.evaluate((local) => new Date(local).toLocaleString(undefined,
      { dateStyle: 'medium', timeStyle: 'short' }), now);
  });
  await checkpoint('configured');

  // ---- (1) A is sent to the waiting room and joins: number 1, about a minute (one a minute)
  await stepOf('a-queued', a, () => holdIsQueued(a, seatA));
  await stepOf('a-waiting', a, async () => {
    output.aWaiting = await queueSays(a, 'WAITING', /^You are number \d+ in the queue/);
  });
  await stepOf('organizer-pauses', o, async () => {
    output.beforePause = await panelShows(o, /^Open/, { waiting: 1, admitted: 0 });
    await o.getByRole('region', { name: 'Waiting room' }).getByRole('button', { name: 'Pause' }).click();
    output.paused = await panelShows(o, /^Paused/, { waiting: 1 });
  });
  await checkpoint('a-waiting');

  // ---- (2) paused: B joins behind A; both pages say the queue is paused
  await stepOf('b-queued', b, () => holdIsQueued(b, seatB));
  await stepOf('b-paused', b, async () => {
    output.bPaused = await queueSays(b, 'PAUSED', /^You are number \d+ in the queue/);
  });
  await stepOf('a-paused', a, async () => {
    output.aPaused = await queueSays(a, 'PAUSED', /^You are number 1 in the queue/, POLLED);
  });
  await checkpoint('both-waiting');

  // ---- (3) A was admitted: the page keeps the pass, goes back to the show; A holds the seat
  await stepOf('a-admitted', a, async () => {
    await a.waitForURL(new RegExp(`#/shows/${show.id}$`), { timeout: POLLED });
    const passes = await passesOf(a);
    check(passes[show.id]?.pass, `no queue pass kept for the show: ${JSON.stringify(passes)}`);
    output.aPass = passes[show.id].pass;
  });
  await stepOf('a-holds', a, async () => {
    await waitSeatState(a, seatA.id, 'AVAILABLE', 'the show\'s map never showed the seat');
    await clickSeat(a, seatA.id);
    await a.getByRole('button', { name: 'Hold 1 seat' }).click();
    const panel = a.getByRole('region', { name: 'Your hold' });
    await panel.waitFor({ timeout: SOON });
    output.holdA = await panel.getAttribute('data-hold-id');
    await waitSeatState(a, seatA.id, 'OWN', 'page A\'s map does not show its own hold');
    check(a.url().match(new RegExp(`#/shows/${show.id}$`)), `page A left the show for ${a.url()}`);
  });

  await stepOf('a-pass-spent', a, async () => {
    // another hold: the pass admitted one purchase; the page says so and stays (no round trip
    // through the waiting room, which would hand the same pass back)
    await clickSeat(a, seatB.id);
    await waitSeatState(a, seatB.id, 'SELECTED', 'page A could not pick a second seat');
    await a.getByRole('button', { name: 'Hold 1 seat' }).click();
    const alert = a.getByRole('alert').filter({ hasText: /waiting room/ });
    await alert.waitFor({ timeout: SOON });
    output.spentWords = text(await alert.textContent());
    const hash = await a.evaluate(() => location.hash);
    check(hash === `#/shows/${show.id}`, `page A went to ${hash}`);
  });

  // ---- (4) B, not admitted, is still waiting (A is out of the line: B is number 1 now)
  await stepOf('b-still-waiting', b, async () => {
    output.bStill = await queueSays(b, 'PAUSED', /^You are number 1 in the queue/, POLLED);
    check(queueUrl.test(b.url()), `page B left the waiting room for ${b.url()}`);
    output.bPasses = await passesOf(b);
  });
  await stepOf('organizer-sees-admission', o, async () => {
    output.afterAdmission = await panelShows(o, /^Paused/, { waiting: 1, admitted: 1 });
  });
});
