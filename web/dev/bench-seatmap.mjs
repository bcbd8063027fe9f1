// Dev-only benchmark of the seat map in Chromium (not part of the build or the tests):
//
//   ../router/node_modules/.bin/node dev/bench-seatmap.mjs [--seats 50000] [--layout bench|grid]
//       [--dpr 1] [--chromium /usr/bin/chromium] [--shots DIR] [--url http://host/dev/seatmap.html]
//
// Starts Vite on a free port (unless --url), opens dev/seatmap.html (a generated stadium and a
// fake live feed), and prints one JSON line: the first full draw (`seatmap:first-render`, from
// mount) and the first draw with live states, parse time, the draw time per frame
// (`seatmap:frame`) while dragging the map at "fit" (every seat in view) and zoomed in, the JS
// heap, and checks: the patched low-zoom layer equals a full redraw, a click through
// handle.locate() picks a seat, a seat taken by someone else leaves the selection, and
// maxSelection holds. With --shots, screenshots go to DIR.
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: a } = parseArgs({
  options: {
    seats: { type: 'string', default: '50000' },
    layout: { type: 'string', default: 'bench' },
    dpr: { type: 'string', default: '1' },
    rate: { type: 'string', default: '10' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    shots: { type: 'string' },
    url: { type: 'string' },
  },
});

let server = null;
let base = a.url;
if (!base) {
  const { createServer } = await import('vite');
  server = await createServer({ root: new URL('..', import.meta.url).pathname, server: { port: 0, host: '127.0.0.1' }, logLevel: 'error' });
  await server.listen();
  base = `${server.resolvedUrls.local[0]}dev/seatmap.html`;
}
const url = `${base}?seats=${a.seats}&layout=${a.layout}&rate=${a.rate}`;
const browser = await chromium.launch({
  executablePath: a.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-precise-memory-info'],
});
const result = { seats: Number(a.seats), layout: a.layout, dpr: Number(a.dpr) };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: Number(a.dpr) });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('.seatmap')?.dataset.version, null, { timeout: 60_000 });
  const entries = (name) => page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration), name);
  const pct = (xs, p) => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length ? +s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))].toFixed(2) : null;
  };
  result.firstRenderMs = +(await entries('seatmap:first-render'))[0].toFixed(1);
  result.parseMs = +(await entries('seatmap:parse'))[0].toFixed(1);
  result.firstLiveRenderMs = +(await entries('seatmap:first-live-render'))[0].toFixed(1);
  if (a.shots) await page.screenshot({ path: `${a.shots}/fit.png` });
  const box = await page.locator('canvas.seatmap-canvas').boundingBox();
  const drag = async (name) => {
    await page.evaluate(() => performance.clearMeasures('seatmap:frame'));
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    for (let k = 0; k < 4; k++) {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let s = 1; s <= 30; s++) await page.mouse.move(cx + (k % 2 ? -1 : 1) * s * 8, cy + s * 4);
      await page.mouse.up();
    }
    const frames = await entries('seatmap:frame');
    result[name] = { frames: frames.length, medianMs: pct(frames, 50), p95Ms: pct(frames, 95), maxMs: pct(frames, 100) };
  };
  await drag('panAtFit');
  await page.evaluate(() => window.harness.handle.locate(window.harness.map.seats.id[0]));
  await drag('panZoomedIn');
  if (a.shots) await page.screenshot({ path: `${a.shots}/zoomed.png` });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  result.jsHeapUsedMB = +(metrics.JSHeapUsedSize / 1e6).toFixed(1);
  // Zoomed out the seats are drawn once into a layer that deltas patch: after many deltas the
  // picture must be the same, pixel for pixel, as drawing everything again.
  await page.evaluate(() => window.harness.handle.element.querySelector('button[aria-label="Show the whole map"]').click());
  result.layerMatchesRedraw = await page.evaluate(async () => {
    const raf2 = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const { handle, map, push, pause } = window.harness;
    pause();
    const canvas = handle.element.querySelector('canvas.seatmap-canvas');
    const ctx = canvas.getContext('2d');
    const grab = () => ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    await raf2();
    await raf2();
    const before = Number(handle.element.dataset.version);
    const states = ['AVAILABLE', 'HELD', 'SOLD'];
    for (let d = 0; d < 30; d++) {
      const changes = [];
      for (let k = 0; k < 20; k++) changes.push([map.seats.id[Math.floor(Math.random() * map.seats.id.length)], states[d % 3]]);
      push(changes);
    }
    await raf2();
    const after = Number(handle.element.dataset.version);
    const patched = grab();
    handle.redraw();
    const fresh = grab();
    let differ = 0;
    for (let k = 0; k < fresh.length; k++) if (patched[k] !== fresh[k]) differ++;
    return { deltasDrawn: after - before === 30, identical: differ === 0 };
  });
  // A seat picked through locate() and a real click.
  const id = await page.evaluate(() => {
    const { map, handle } = window.harness;
    return map.seats.id.find((s) => handle.stateOf(s) === 'AVAILABLE');
  });
  const p = await page.evaluate((s) => window.harness.handle.locate(s), id);
  await page.mouse.click(p.x, p.y);
  result.clickPicks = (await page.evaluate((s) => window.harness.handle.stateOf(s), id)) === 'SELECTED';
  // Someone else holds the picked seat: it leaves the selection (and onSelect hears of it).
  await page.evaluate((s) => window.harness.push([[s, 'HELD']]), id);
  await page.waitForFunction((s) => window.harness.handle.stateOf(s) === 'HELD', id);
  result.takenSeatLeavesSelection = await page.evaluate(
    (s) => !window.harness.handle.selection().includes(s) && !window.harness.selections.at(-1).includes(s),
    id,
  );
  // maxSelection (8 in the harness): the ninth click picks nothing and says why.
  const free = await page.evaluate(() => {
    const { map, handle } = window.harness;
    handle.clearSelection();
    return map.seats.id.filter((s) => handle.stateOf(s) === 'AVAILABLE').slice(100, 109);
  });
  for (const s of free) {
    const q = await page.evaluate((x) => window.harness.handle.locate(x), s);
    await page.mouse.click(q.x, q.y);
  }
  result.maxSelectionKept = await page.evaluate(
    () => window.harness.handle.selection().length === 8 && /at most 8/.test(document.querySelector('.seatmap-sr').textContent),
  );
  result.errors = errors;
} finally {
  await browser.close();
  await server?.close();
}
console.log(JSON.stringify(result));
