#!/usr/bin/env node
// One browser upload through the web app, timed from the network's point of view.
//
//     node bench/browser_upload.mjs <api> <username> <password> <file> [--s3 <object origin>] [--keep-post]
//
// Launches headless Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) with Playwright from web/node_modules,
// logs in through the app's Log in screen (as web/e2e/helpers.ts logIn does), opens New post, sets the file,
// writes a caption, waits until the preview has decoded (a person picks the file, then clicks Post), and clicks
// Post. Timings come from Chromium's own network timestamps (Playwright's request.timing(), i.e. CDP):
//   seconds          first part PUT to the object endpoint started -> response of POST /v1/uploads/{id}/complete ended
//   declare_seconds  POST /v1/uploads started -> the same end (the span bench/cli_upload.py's by_curl times)
// The app's `POST /v1/posts`, sent right after complete (outside the measured span), is failed in the browser
// (CDP Fetch interception of that one URL pattern), so the server does not start resizing a 50 MB noise BMP
// (minutes in a debug build on a busy machine) that would load the CPU during the next round. With --keep-post
// the post is made and the script waits until it is no longer "Processing". Then it prints one line of JSON:
//   {seconds, declare_seconds, wall_seconds, click_seconds, bytes, puts, parts, post_id, status}
// (wall_seconds: the same span as `seconds` but between the moments Node heard of the events, a cross-check;
// click_seconds: from just before Playwright's click on Post, so it includes the click's actionability checks.)
// BENCH_VERBOSE=1 logs each step on stderr.
// `puts` counts every part PUT (retries included), `parts` the distinct part numbers.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';

const require = createRequire('/work/main/web/package.json');
const { chromium } = require('@playwright/test');

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const s3Origin = flag('--s3');
const keepPost = args.includes('--keep-post');
const positional = args.filter((a) => a !== '--keep-post');
if (positional.length !== 4) {
  console.error('usage: node bench/browser_upload.mjs <api> <username> <password> <file> [--s3 ORIGIN] [--keep-post]');
  process.exit(2);
}
const [api, username, password, file] = positional;
const apiOrigin = new URL(api).origin;
const bytes = statSync(file).size;
const t0 = performance.now();
const log = (m) => process.env.BENCH_VERBOSE && console.error(`[${((performance.now() - t0) / 1000).toFixed(2)} s] ${m}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  log('browser up');

  // Log in through the UI.
  await page.goto(`${api}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  log('logged in');

  // New post: file, caption, alt text; wait for the preview to decode before the clock can start.
  await page.goto(`${api}/new`);
  await page.getByLabel('Image', { exact: true }).setInputFiles(file);
  await page.getByLabel('Caption').fill('browser upload benchmark');
  await page.getByLabel('Alt text').fill('Random noise');
  await page.waitForFunction(() => {
    const img = document.querySelector('img.preview');
    return img && img.complete;
  });
  if (!keepPost) {
    // Fail only the app's POST /v1/posts (the pattern has no query, so GETs of the feed do not match either).
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', (e) => {
      const call = e.request.method === 'POST'
        ? cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'BlockedByClient' })
        : cdp.send('Fetch.continueRequest', { requestId: e.requestId });
      call.catch(() => undefined);
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${apiOrigin}/v1/posts`, requestStage: 'Request' }] });
  }
  log('file set, preview decoded');

  const isPut = (r) =>
    r.method() === 'PUT' && (s3Origin ? new URL(r.url()).origin === new URL(s3Origin).origin : new URL(r.url()).origin !== apiOrigin);
  const isDeclare = (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/uploads';
  const isComplete = (r) => r.method() === 'POST' && /^\/v1\/uploads\/[^/]+\/complete$/.test(new URL(r.url()).pathname);

  const puts = []; // {start, end, number}
  let declareStart = null;
  let completeEnd = null;
  let completeStart = null;
  let completeStatus = null;
  const failed = [];
  let resolveComplete;
  const completed = new Promise((r) => (resolveComplete = r));
  const wallStart = { t: null };
  page.on('request', (r) => {
    if (isPut(r) && wallStart.t === null) wallStart.t = performance.now();
  });
  page.on('requestfailed', (r) => {
    if (isPut(r) || isComplete(r)) failed.push(`${r.method()} ${r.url().split('?')[0]}: ${r.failure()?.errorText}`);
  });
  page.on('requestfinished', async (r) => {
    const t = r.timing();
    if (isPut(r)) {
      puts.push({
        start: t.startTime,
        end: t.startTime + t.responseEnd,
        number: new URL(r.url()).searchParams.get('partNumber'),
        // ms after the part's own start: request sent (after CORS preflight and connection), first byte of answer, end
        sent: t.requestStart,
        answer: t.responseStart,
        done: t.responseEnd,
      });
    } else if (isDeclare(r)) {
      declareStart = t.startTime;
    } else if (isComplete(r)) {
      completeEnd = t.startTime + t.responseEnd;
      completeStart = t.startTime;
      completeStatus = (await r.response())?.status() ?? null;
      resolveComplete(performance.now());
    }
  });

  const clickedAt = Date.now();
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  let timer;
  const timeout = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`no complete within 300 s; failed: ${failed.join('; ')}`)), 300_000);
  });
  const wallEnd = await Promise.race([completed, timeout]);
  clearTimeout(timer);
  if (completeStatus !== 200) throw new Error(`complete answered ${completeStatus}`);
  if (!puts.length) throw new Error('no part PUT was seen');
  const firstPut = Math.min(...puts.map((p) => p.start));
  log('complete answered');

  let postId = null;
  let status = null;
  if (keepPost) {
    await page.waitForURL(/\/posts\//, { timeout: 120_000 });
    postId = page.url().split('/posts/')[1];
    log(`on the post page ${postId}`);
    const badge = page.locator('.status-badge');
    await page.waitForFunction(
      () => {
        const b = document.querySelector('.status-badge');
        return b && !/processing/i.test(b.textContent ?? '');
      },
      null,
      { timeout: 300_000 },
    );
    status = (await badge.textContent())?.trim() ?? null;
    log(`post ${status}`);
  }

  console.log(
    JSON.stringify({
      seconds: (completeEnd - firstPut) / 1000,
      declare_seconds: declareStart !== null ? (completeEnd - declareStart) / 1000 : null,
      wall_seconds: (wallEnd - wallStart.t) / 1000,
      click_seconds: (completeEnd - clickedAt) / 1000,
      bytes,
      puts: puts.length,
      // last part answered -> complete sent, and complete's own round trip
      gap_to_complete_ms: Math.round(completeStart - Math.max(...puts.map((p) => p.end))),
      complete_ms: Math.round(completeEnd - completeStart),
      put_timing_ms: puts
        .sort((x, y) => x.start - y.start)
        .map((p) => ({ part: p.number, at: Math.round(p.start - firstPut), sent: Math.round(p.sent), answer: Math.round(p.answer), done: Math.round(p.done) })),
      parts: new Set(puts.map((p) => p.number)).size,
      post_id: postId,
      status,
    }),
  );
} finally {
  await browser.close();
}
