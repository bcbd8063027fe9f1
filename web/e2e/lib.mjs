// What the browser scenarios (customer.mjs, queue.mjs) share: their environment, Chromium
// (playwright-core), named steps with a screenshot each, the failure report, the checkpoints
// at which the Python test acts between steps, and helpers for the app's pages.
//
// Environment (set by tests/e2e/browser.py, the one launcher):
//   TICKETFLOW_WEB_URL        the router's base URL serving web/dist (http://127.0.0.1:4000/)
//   TICKETFLOW_E2E_INPUT      a JSON file with the scenario's data (prepared by the test)
//   TICKETFLOW_E2E_ARTIFACTS  a directory for screenshots (NN-step.png)
//   TICKETFLOW_E2E_OUTPUT     a JSON file this writes what it saw to
//   TICKETFLOW_CHROMIUM       the browser (default /usr/bin/chromium)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

export const BASE = env('TICKETFLOW_WEB_URL').replace(/\/?$/, '/');
export const input = JSON.parse(readFileSync(env('TICKETFLOW_E2E_INPUT'), 'utf8'));
const ARTIFACTS = env('TICKETFLOW_E2E_ARTIFACTS');
const OUTPUT = env('TICKETFLOW_E2E_OUTPUT');
mkdirSync(ARTIFACTS, { recursive: true });

// Deadlines for things the stack does in its own time (a live delta, a payment's events, the
// tickets): generous, only there so a broken app fails instead of hanging.
export const SOON = 30_000;
/** What the scenario saw; written to TICKETFLOW_E2E_OUTPUT at the end, whatever happened. */
export const output = { steps: [], seconds: {} };
let shot = 0;
let step = 'start';

export async function screenshot(page, name) {
  shot += 1;
  const file = join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Run one named step; on failure say which (the message names it). */
export async function stepOf(name, page, run) {
  step = name;
  const started = Date.now();
  const result = await run();
  output.steps.push(name);
  output.seconds[name] = (Date.now() - started) / 1000;
  if (page) await screenshot(page, name);
  return result;
}

let lines = null;

/**
 * Let the Python test act (pause a queue, admit someone...): print a checkpoint line it reads,
 * with `data`, and wait for its answer on stdin ("go", or "fail <why>": the test's check failed).
 */
export async function checkpoint(name, data = {}) {
  step = `checkpoint ${name}`;
  lines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write(`\n@checkpoint ${JSON.stringify({ name, data })}\n`);
  const { value, done } = await lines.next();
  if (done) throw new Error('the test went away');
  if (value.trim() !== 'go') throw new Error(`the test says: ${value.trim()}`);
}

/** Text with its spaces (no-break ones too) as single spaces. */
export const text = (value) => String(value ?? '').replace(/\s+/g, ' ').trim();

export const byLabel = (page, label) => page.getByLabel(label, { exact: true });

export async function signIn(page, who) {
  await page.goto(`${BASE}#/signin`);
  await page.locator('#signin-email').fill(who.email);
  await page.locator('#signin-password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: who.name }).waitFor({ timeout: SOON });
}

export async function seatState(page, seatId) {
  return page.$eval('.seatmap', (el, id) => el.seatmap.stateOf(id), seatId);
}

export async function waitSeatState(page, seatId, state, why) {
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
export async function clickSeat(page, seatId) {
  await page.locator('.availability[data-loaded]').waitFor({ timeout: SOON });
  const at = await page.$eval('.seatmap', (el, id) => el.seatmap.locate(id), seatId);
  check(at, `the map cannot locate seat ${seatId}`);
  await page.mouse.click(at.x, at.y);
}

export async function alertText(page) {
  const alert = page.getByRole('alert').first();
  await alert.waitFor({ timeout: SOON });
  return (await alert.textContent()).trim();
}

/**
 * Run a scenario in Chromium: `body({ open })`, where `open(label)` makes a new browser context
 * (a person of their own) and its page. On failure: a screenshot of every page, the step named
 * in the output and on stderr, exit status 1.
 */
export async function scenario(name, body) {
  const browser = await chromium.launch({
    executablePath: process.env.TICKETFLOW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  const pages = [];
  let failed = false;
  const open = async (label) => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC',
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => output.pageErrors = [...(output.pageErrors ?? []), String(error)]);
    pages.push([label, page]);
    return page;
  };
  try {
    await body({ open });
  } catch (error) {
    failed = true;
    output.failure = `step ${step}: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
    for (const [label, page] of pages) {
      await screenshot(page, `failed-${step.replace(/\W+/g, '-')}-page${label}`).catch(() => {});
    }
  } finally {
    await browser.close();
    writeFileSync(OUTPUT, JSON.stringify(output, null, 2));
  }
  if (failed) {
    console.error(`web e2e (${name}) failed: ${output.failure}`);
    process.exit(1);
  }
  console.log(`web e2e (${name}) passed: ${output.steps.length} steps`);
  process.exit(0);
}
