// The web app's seat map in a real Chromium (bench/webmap.py starts the deployment and the show).
//
//   node bench/webmap.mjs --url http://127.0.0.1:PORT/ --show <id> [--pan-ms 4000] [--runs 3]
//       [--screenshot FILE]
//
// Per run, a fresh page: opens #/shows/<id>, waits for the seat map's first full draw (the
// performance mark `seatmap:first-render` the map sets), then drags the map around for --pan-ms
// with the mouse, counting the browser's frames (requestAnimationFrame) and reading the map's
// own draw measures (`seatmap:frame`). Prints one JSON object on stdout.

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(resolve(here, '../web/package.json'))('playwright-core');

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    show: { type: 'string' },
    'pan-ms': { type: 'string', default: '4000' },
    runs: { type: 'string', default: '3' },
    screenshot: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});

const browser = await chromium.launch({
  executablePath: values.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
});

async function run(index) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const started = Date.now();
  await page.goto(new URL(`#/shows/${encodeURIComponent(values.show)}`, values.url).toString());
  await page.waitForFunction(() => performance.getEntriesByName('seatmap:first-render').length > 0, null, {
    timeout: 120_000,
    polling: 50,
  });
  const first = await page.evaluate(() => {
    const [mark] = performance.getEntriesByName('seatmap:first-render');
    const nav = performance.getEntriesByType('navigation')[0];
    return { sinceNavigation: mark.startTime + (mark.duration || 0) - (nav?.startTime ?? 0) };
  });
  const box = await page.locator('.seatmap canvas').first().boundingBox();
  if (!box) throw new Error('no seat map canvas on the page');
  await page.evaluate(() => {
    performance.clearMeasures('seatmap:frame');
    window.__frames = [];
    const tick = (t) => {
      window.__frames.push(t);
      window.__raf = requestAnimationFrame(tick);
    };
    window.__raf = requestAnimationFrame(tick);
  });
  // Zoom in a few steps first (a stadium fitted to the screen is too small to pan far), then
  // drag in a circle until --pan-ms has passed.
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 6; i++) {
    await page.mouse.wheel(0, -240);
    await page.waitForTimeout(30);
  }
  const panMs = Number(values['pan-ms']);
  const until = Date.now() + panMs;
  let step = 0;
  await page.mouse.down();
  while (Date.now() < until) {
    const angle = step++ / 20;
    await page.mouse.move(cx + Math.cos(angle) * box.width * 0.3, cy + Math.sin(angle) * box.height * 0.3, { steps: 2 });
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    cancelAnimationFrame(window.__raf);
    const t = window.__frames;
    const intervals = t.slice(1).map((v, i) => v - t[i]);
    const draws = performance.getEntriesByName('seatmap:frame').map((e) => e.duration);
    return { intervals, draws };
  });
  await cdp.send('HeapProfiler.collectGarbage');
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  if (values.screenshot && index === 0) await page.screenshot({ path: values.screenshot });
  await context.close();
  return {
    firstRenderMs: first.sinceNavigation,
    frameIntervalsMs: frames.intervals,
    drawMs: frames.draws,
    jsHeapUsedBytes: metrics.JSHeapUsedSize,
    jsHeapTotalBytes: metrics.JSHeapTotalSize,
    domNodes: metrics.Nodes,
    elapsedMs: Date.now() - started,
  };
}

try {
  const runs = [];
  for (let i = 0; i < Number(values.runs); i++) runs.push(await run(i));
  process.stdout.write(JSON.stringify({ runs }) + '\n');
} finally {
  await browser.close();
}
