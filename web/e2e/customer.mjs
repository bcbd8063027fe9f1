// The customer's flows in a real browser (Chromium through playwright-core) against a real
// TicketFlow serving the built app: tests/e2e/test_web_app.py prepares the data, runs this
// with the project's Node, and checks the graph and the database afterwards.
//
// Input (TICKETFLOW_E2E_INPUT; the environment is lib.mjs's): { customerA, customerB: {email,
// password, name}, newCustomer: {email, password, name}, show: {id, seats: [{id, label}], day},
// standing: {id, section}, journey: {id, seats: [{id, label}], from, to}, organizer,
// promo: {code, seat: {id, label}} }
//
// Flows: (1) two customers on one show: B's live map shows A's hold, and B asking for the
// same seat gets the "just taken" words; (2) A checks out, a declined card, then a good one,
// and the confirmation's QR codes (decoded here with jsQR); (3) register, pay, my bookings,
// cancel; (4) a journey: pick a segment and hold a seat on it; (5) the organizer's pages, and a
// promo code made in the show's panel (a bad percentage first), used by A, seen redeemed, withdrawn.
// Exits 1 with a message naming the step on any failure (and a screenshot of every page).
import jsQR from 'jsqr';
import {
  BASE, SOON, alertText, byLabel, check, clickSeat, input, output, scenario, signIn, stepOf, text,
  waitSeatState,
} from './lib.mjs';

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

await scenario('customer', async ({ open }) => {
  const a = await open('a');
  const b = await open('b');
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
  const c = await open('c');
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
  const o = await open('o');
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

  // ---- (6) promo codes: the organizer makes one in the show's panel, A books with it, the
  // organizer sees it redeemed and withdraws it
  const { promo } = input;
  const promos = o.getByRole('region', { name: 'Promo codes' });
  const field = (name) => promos.locator(`input[name="${name}"]`);
  await stepOf('o-promo-refused', o, async () => {
    // the list has loaded (codes the organizer made for all their shows may be in it: other
    // tests share the organizer), and this code is not among them
    await promos.getByTestId('promo-list').filter({ hasNotText: 'Loading…' }).waitFor({ timeout: SOON });
    check(!(await promos.locator(`li[data-code="${promo.code}"]`).count()), 'the new code is listed already');
    await field('code').fill(promo.code);
    await field('percent').fill('150');
    await promos.getByRole('button', { name: 'Create promo code' }).click();
    output.promoRefused = text(await promos.getByRole('alert').textContent());
    check(!(await promos.locator(`li[data-code="${promo.code}"]`).count()), 'a refused code is listed');
  });
  await stepOf('o-promo-created', o, async () => {
    await field('percent').fill('20');
    await field('maxRedemptions').fill('5');
    await field('maxPerCustomer').fill('1');
    await promos.getByRole('button', { name: 'Create promo code' }).click();
    const item = promos.locator(`li[data-code="${promo.code}"]`);
    await item.waitFor({ timeout: SOON });
    output.promoCreated = text(await promos.locator('.messages').textContent());
    output.promoListed = text(await item.locator('.promo-description').textContent());
  });
  await stepOf('a-promo-booked', a, async () => {
    await a.goto(`${BASE}#/shows/${show.id}`);
    await a.getByRole('heading', { level: 1 }).waitFor();
    await waitSeatState(a, promo.seat.id, 'AVAILABLE', 'page A\'s map never showed the seat');
    await clickSeat(a, promo.seat.id);
    await a.getByRole('button', { name: 'Hold 1 seat' }).click();
    const panel = a.getByRole('region', { name: 'Your hold' });
    await panel.waitFor({ timeout: SOON });
    await a.locator('#promo-code').fill(promo.code);
    await panel.getByRole('button', { name: 'Apply' }).click();
    await a.getByTestId('hold-discount').waitFor({ timeout: SOON });
    output.promoDiscount = text(await a.getByTestId('hold-discount').textContent());
    output.promoTotal = text(await a.getByTestId('hold-total').textContent());
    await a.getByRole('button', { name: 'Check out' }).click();
    await a.waitForURL(/#\/bookings\/[^/]+\/pay$/, { timeout: SOON });
    output.promoBooking = decodeURIComponent(new URL(a.url()).hash.split('/')[2]);
    await byLabel(a, 'Card number').fill('4242 4242 4242 4242');
    await a.getByRole('button', { name: /^Pay / }).click();
    await a.locator('[data-status="CONFIRMED"]').waitFor({ timeout: SOON });
  });
  await stepOf('o-promo-redeemed', o, async () => {
    await o.reload();
    const item = promos.locator(`li[data-code="${promo.code}"]`);
    await item.filter({ hasText: '1 of 5 redeemed' }).waitFor({ timeout: SOON });
    output.promoRedeemed = text(await item.locator('.promo-description').textContent());
  });
  await stepOf('o-promo-withdrawn', o, async () => {
    await promos.getByRole('button', { name: `Withdraw ${promo.code}` }).click();
    await promos.locator(`li[data-code="${promo.code}"][data-active="false"]`).waitFor({ timeout: SOON });
    output.promoWithdrawn = text(await promos.locator(`li[data-code="${promo.code}"] .promo-description`).textContent());
  });
});
