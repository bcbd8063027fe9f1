// The customer's flows in a real browser (Chromium through playwright-core) against a real
// TicketFlow serving the built app: tests/e2e/test_web_app.py prepares the data, runs this
// with the project's Node, and checks the graph and the database afterwards.
//
// Environment:
//   TICKETFLOW_WEB_URL        the router's base URL serving web/dist (http://127.0.0.1:4000/)
//   TICKETFLOW_E2E_INPUT      JSON: { customerA, customerB: {email, password, name},
//                             newCustomer: {email, password, name}, show: {id, seats: [{id, label}]},
//                             journey: {id, seats: [{id, label}], from, to} }
//   TICKETFLOW_E2E_ARTIFACTS  a directory for screenshots (NN-step.png)
//   TICKETFLOW_E2E_OUTPUT     a JSON file this writes what it saw to
//   TICKETFLOW_CHROMIUM       the browser (default /usr/bin/chromium)
//
// Flows: (1) two customers on one show: B's live map shows A's hold, and B asking for the
// same seat gets the "just taken" words; (2) A checks out, a declined card, then a good one,
// and the confirmation's QR codes (decoded here with jsQR); (3) register, pay, my bookings,
// cancel; (4) a journey: pick a segment and hold a seat on it.
// Exits 1 with a message naming the step on any failure (and a screenshot of every page).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const BASE = env('TICKETFLOW_WEB_URL').replace(/\/?$/, '/');
const input = JSON.parse(readFileSync(env('TICKETFLOW_E2E_INPUT'), 'utf8'));
const ARTIFACTS = env('TICKETFLOW_E2E_ARTIFACTS');
const OUTPUT = env('TICKETFLOW_E2E_OUTPUT');
mkdirSync(ARTIFACTS, { recursive: true });

// Deadlines for things the stack does in its own time (a live delta, a payment's events, the
// tickets): generous, only there so a broken app fails instead of hanging.
const SOON = 30_000;
const output = { steps: [], seconds: {} };
let shot = 0;
let step = 'start';

async function screenshot(page, name) {
  shot += 1;
  const file = join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Run one named step; on failure say which (the message names it). */
async function stepOf(name, page, run) {
  step = name;
  const started = Date.now();
  const result = await run();
  output.steps.push(name);
  output.seconds[name] = (Date.now() - started) / 1000;
  if (page) await screenshot(page, name);
  return result;
}

/** Text with its spaces (no-break ones too) as single spaces. */
const text = (value) => String(value ?? '').replace(/\s+/g, ' ').trim();

const byLabel = (page, label) => page.getByLabel(label, { exact: true });

async function signIn(page, who) {
  await page.goto(`${BASE}#/signin`);
  await page.locator('#signin-email').fill(who.email);
  await page.locator('#signin-password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: who.name }).waitFor({ timeout: SOON });
}

async function seatState(page, seatId) {
  return page.$eval('.seatmap', (el, id) => el.seatmap.stateOf(id), seatId);
}

async function waitSeatState(page, seatId, state, why) {
  try {
    await page.waitForFunction(
      ([id, want]) => document.querySelector('.seatmap')?.seatmap?.stateOf(id) === want,
      [seatId, state], { timeout: SOON });
  } catch {
    throw new Error(`${why}: seat ${seatId} is ${await seatState(page, seatId)}, not ${state}`);
  }
}

/** Click a seat on the map where the map says it is (canvas coordinates), once the page
 * above the map has its counts (nothing moves the map after that). */
async function clickSeat(page, seatId) {
  await page.locator('.availability[data-loaded]').waitFor({ timeout: SOON });
  const at = await page.$eval('.seatmap', (el, id) => el.seatmap.locate(id), seatId);
  check(at, `the map cannot locate seat ${seatId}`);
  await page.mouse.click(at.x, at.y);
}

async function alertText(page) {
  const alert = page.getByRole('alert').first();
  await alert.waitFor({ timeout: SOON });
  return (await alert.textContent()).trim();
}

/** The pixels of every e-ticket canvas, decoded with jsQR. */
async function decodeTickets(page) {
  const images = await page.$$eval('canvas[aria-label^="E-ticket for"]', (canvases) => canvases.map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return { label: c.getAttribute('aria-label'), width: c.width, height: c.height, pixels: Array.from(data.data) };
  }));
  return images.map(({ label, width, height, pixels }) => {
    const code = jsQR(Uint8ClampedArray.from(pixels), width, height);
    check(code, `the QR code "${label}" does not decode`);
    return { label, token: code.data };
  });
}

/**
 * Page B's feed, held back on demand: while `paused`, the server's subscription data (graphql-ws
 * "next" messages) wait, so B's map is a moment behind, as on a slow connection.
 */
function feedValve() {
  const valve = { paused: false, waiting: [], sockets: [] };
  valve.route = (ws) => {
    const server = ws.connectToServer();
    valve.sockets.push(ws);
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (valve.paused && String(message).includes('"next"')) valve.waiting.push([ws, message]);
      else ws.send(message);
    });
  };
  valve.resume = () => {
    valve.paused = false;
    for (const [ws, message] of valve.waiting.splice(0)) ws.send(message);
  };
  return valve;
}

const browser = await chromium.launch({
  executablePath: process.env.TICKETFLOW_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
});
const pages = [];
let failed = false;
try {
  const open = async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC',
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => output.pageErrors = [...(output.pageErrors ?? []), String(error)]);
    pages.push(page);
    return page;
  };
  const a = await open();
  const b = await open();
  const valve = feedValve();
  await b.routeWebSocket((url) => url.pathname.endsWith('/graphql'), valve.route);
  const { show, journey } = input;
  const [first, second] = show.seats;

  // ---- (1) two customers, one seat
  await stepOf('a-signed-in', a, () => signIn(a, input.customerA));
  await stepOf('b-signed-in', b, () => signIn(b, input.customerB));
  await stepOf('a-shows', a, async () => {
    await a.goto(`${BASE}#/`);
    await byLabel(a, 'From').fill(show.day);
    await byLabel(a, 'To').fill(show.day);
    await a.getByRole('button', { name: 'Filter' }).click();
    const card = a.locator('.show-card', { has: a.locator(`a[href="#/shows/${show.id}"]`) });
    await card.waitFor({ timeout: SOON });
    output.showCard = (await card.innerText()).replace(/\s+/g, ' ').trim();
    await card.getByRole('link').click();
  });
  await stepOf('a-show', a, async () => {
    await a.waitForURL(new RegExp(`#/shows/${show.id}$`));
    await a.getByRole('heading', { level: 1 }).waitFor();
    await waitSeatState(a, first.id, 'AVAILABLE', 'page A\'s map never showed the seat');
    await a.getByTestId('live-status').filter({ hasText: /^live$/ }).waitFor({ timeout: SOON }).catch(() => {
      throw new Error('the show page never said the seat map is live (its live feed did not start)');
    });
  });
  await stepOf('b-picks', b, async () => {
    await b.goto(`${BASE}#/shows/${show.id}`);
    await waitSeatState(b, first.id, 'AVAILABLE', 'page B\'s map never showed the seat');
    await clickSeat(b, first.id);
    await waitSeatState(b, first.id, 'SELECTED', 'page B could not pick the seat');
    valve.paused = true; // B's map falls a moment behind from here
  });
  await stepOf('a-holds', a, async () => {
    await clickSeat(a, first.id);
    await clickSeat(a, second.id);
    await a.getByRole('button', { name: 'Hold 2 seats' }).click();
    const panel = a.getByRole('region', { name: 'Your hold' });
    await panel.waitFor({ timeout: SOON });
    output.holdA = await panel.getAttribute('data-hold-id');
    const clock = (await a.getByTestId('countdown').textContent()).trim();
    check(/^\d+:\d\d$/.test(clock), `the hold's countdown reads "${clock}"`);
    output.countdown = clock;
    output.holdTotal = text(await a.getByTestId('hold-total').textContent());
    await waitSeatState(a, first.id, 'OWN', 'page A\'s map does not show its own hold');
  });
  await stepOf('a-extends', a, async () => {
    await a.getByRole('button', { name: 'Extend' }).click();
    const said = a.locator('.hold-panel .messages .info', { hasText: /^Extended: \d+:\d\d left\.$/ });
    await said.waitFor({ timeout: SOON });
  });
  await stepOf('b-too-late', b, async () => {
    await b.getByRole('button', { name: 'Hold 1 seat' }).click();
    output.takenWords = await alertText(b);
    check(output.takenWords.includes(`Seat ${first.label} was just taken by someone else`),
      `page B was told "${output.takenWords}"`);
    check(!(await b.getByRole('region', { name: 'Your hold' }).count()), 'page B shows a hold');
    valve.resume();
    await waitSeatState(b, first.id, 'HELD', 'page B\'s live map does not show A\'s hold');
    await waitSeatState(b, second.id, 'HELD', 'page B\'s live map does not show A\'s hold');
  });

  // ---- (2) check out, a declined card, a good one, the e-tickets
  await stepOf('a-checkout', a, async () => {
    await a.getByRole('button', { name: 'Check out' }).click();
    await a.waitForURL(/#\/bookings\/[^/]+\/pay$/, { timeout: SOON });
    output.bookingA = decodeURIComponent(new URL(a.url()).hash.split('/')[2]);
  });
  await stepOf('a-declined', a, async () => {
    await byLabel(a, 'Card number').fill('4000 0000 0000 0002');
    await a.getByRole('button', { name: /^Pay / }).click();
    output.declinedWords = await alertText(a);
    check(/declined/i.test(output.declinedWords) && output.declinedWords.includes('card_declined'),
      `a declined card was told "${output.declinedWords}"`);
  });
  await stepOf('a-paid', a, async () => {
    await byLabel(a, 'Card number').fill('4242 4242 4242 4242');
    await a.getByRole('button', { name: /^Pay / }).click();
    await a.waitForURL(new RegExp(`#/bookings/${output.bookingA}$`), { timeout: SOON });
    await a.locator('[data-status="CONFIRMED"]').waitFor({ timeout: SOON });
  });
  await stepOf('a-tickets', a, async () => {
    await a.locator('canvas[aria-label^="E-ticket for"]').first().waitFor({ timeout: 2 * SOON });
    output.tickets = await decodeTickets(a);
    check(output.tickets.length === 2, `${output.tickets.length} QR codes for 2 seats`);
  });

  // ---- (3) a new customer: register, book, pay, my bookings, cancel
  const c = await open();
  await stepOf('c-registered', c, async () => {
    await c.goto(`${BASE}#/signin`);
    await c.locator('#register-name').fill(input.newCustomer.name);
    await c.locator('#register-email').fill(input.newCustomer.email);
    await c.locator('#register-password').fill(input.newCustomer.password);
    await c.getByRole('button', { name: 'Create account' }).click();
    await c.getByTestId('signed-in-as').filter({ hasText: input.newCustomer.name }).waitFor({ timeout: SOON });
  });
  await stepOf('c-standing', c, async () => {
    const { standing } = input;
    await c.goto(`${BASE}#/shows/${standing.id}`);
    await byLabel(c, `Places in ${standing.section}`).fill('2');
    await c.getByRole('button', { name: '2 standing places' }).click();
    const panel = c.getByRole('region', { name: 'Your hold' });
    await panel.waitFor({ timeout: SOON });
    output.standingHold = await panel.getAttribute('data-hold-id');
    output.standingTotal = text(await c.getByTestId('hold-total').textContent());
  });
  await stepOf('c-released', c, async () => {
    await c.getByRole('button', { name: 'Release' }).click();
    await c.getByText('Released: the seats are back on sale.').first().waitFor({ timeout: SOON });
    check(!(await c.getByRole('region', { name: 'Your hold' }).count()), 'the released hold is still shown');
  });
  await stepOf('c-best-available', c, async () => {
    await c.goto(`${BASE}#/shows/${show.id}`);
    await c.getByRole('heading', { level: 1 }).waitFor();
    await byLabel(c, 'How many seats').fill('1');
    await c.getByRole('button', { name: 'Best available 1' }).click();
    await c.getByRole('region', { name: 'Your hold' }).waitFor({ timeout: SOON });
    await c.getByRole('button', { name: 'Check out' }).click();
    await c.waitForURL(/#\/bookings\/[^/]+\/pay$/, { timeout: SOON });
    output.bookingC = decodeURIComponent(new URL(c.url()).hash.split('/')[2]);
    await byLabel(c, 'Card number').fill('4242 4242 4242 4242');
    await c.getByRole('button', { name: /^Pay / }).click();
    await c.locator('[data-status="CONFIRMED"]').waitFor({ timeout: SOON });
  });
  await stepOf('c-my-bookings', c, async () => {
    await c.getByRole('link', { name: 'My bookings' }).click();
    const item = c.locator(`[data-booking-id="${output.bookingC}"]`);
    await item.waitFor({ timeout: SOON });
    await item.getByRole('button', { name: 'Cancel booking' }).click();
  });
  await stepOf('c-cancelled', c, async () => {
    const item = c.locator(`[data-booking-id="${output.bookingC}"]`);
    await item.getByRole('button', { name: 'Yes, cancel it' }).click();
    await item.locator('.status', { hasText: 'cancelled' }).waitFor({ timeout: SOON });
    await item.locator('.refund', { hasText: /^Refunded / }).waitFor({ timeout: SOON });
    output.refundWords = text(await item.locator('.refund').textContent());
  });
  await stepOf('c-signed-out', c, async () => {
    await c.getByRole('button', { name: 'Sign out' }).click();
    await c.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).waitFor({ timeout: SOON });
  });

  // ---- (4) a journey: from one stop to another
  await stepOf('a-journey', a, async () => {
    await a.goto(`${BASE}#/shows/${journey.id}`);
    await a.getByRole('heading', { level: 1 }).waitFor();
    await byLabel(a, 'From').selectOption(String(journey.from));
    await byLabel(a, 'To').selectOption(String(journey.to));
    const [seat] = journey.seats;
    await waitSeatState(a, seat.id, 'AVAILABLE', 'the journey\'s map never showed the seat');
    await clickSeat(a, seat.id);
    await a.getByRole('button', { name: 'Hold 1 seat' }).click();
    const panel = a.getByRole('region', { name: 'Your hold' });
    await panel.waitFor({ timeout: SOON });
    output.journeyHold = await panel.getAttribute('data-hold-id');
  });

  // ---- (5) the organizer: their shows with live counts per category, then one show's map
  const o = await open();
  await stepOf('o-shows', o, async () => {
    await signIn(o, input.organizer);
    await o.goto(`${BASE}#/organizer`);
    const row = o.locator(`li[data-show-id="${show.id}"] table.counts tbody tr`).first();
    await row.filter({ hasText: /\d/ }).waitFor({ timeout: SOON });
    output.organizerRow = (await row.locator('th, td').allTextContents()).map(text);
  });
  await stepOf('o-show', o, async () => {
    await o.goto(`${BASE}#/organizer/shows/${show.id}`);
    const live = o.getByTestId('counts-live');
    await live.filter({ hasText: / 2 sold, 0 held, / }).waitFor({ timeout: SOON });
    output.organizerLive = text(await live.textContent());
    await waitSeatState(o, first.id, 'SOLD', "the organizer's map never showed A's seat sold");
    await waitSeatState(o, second.id, 'SOLD', "the organizer's map never showed A's seat sold");
  });
} catch (error) {
  failed = true;
  output.failure = `step ${step}: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
  for (const [i, page] of pages.entries()) {
    await screenshot(page, `failed-${step}-page${'abco'[i] ?? i}`).catch(() => {});
  }
} finally {
  await browser.close();
  writeFileSync(OUTPUT, JSON.stringify(output, null, 2));
}
if (failed) {
  console.error(`web e2e failed: ${output.failure}`);
  process.exit(1);
}
console.log(`web e2e passed: ${output.steps.length} steps`);
