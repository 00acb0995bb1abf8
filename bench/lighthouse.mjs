#!/usr/bin/env node
// Lighthouse (performance + accessibility) of one page of the app, signed in or not, via Lighthouse's Node API.
//
//     node bench/lighthouse.mjs <url> <out-prefix> [--token TOKEN] [--desktop] [--runs N]
//
// Launches /usr/bin/chromium (CHROME_PATH overrides) headless with puppeteer-core (a dependency of Lighthouse,
// from /work/tools/lh). With --token, it first opens the origin's /healthz (JSON, so none of the app's assets are
// loaded or cached), stores the token under the app's localStorage key `imagegram.token`
// (web/src/api/client.ts TOKEN_KEY), clears the HTTP cache, and runs Lighthouse with disableStorageReset so that the
// token survives; the run is then a cold-cache load of a signed-in page. Without --token it is a normal run
// (storage reset). Mobile is Lighthouse's default (Moto G Power emulation, simulated slow 4G, 4x CPU slowdown);
// --desktop uses Lighthouse's desktop config. Each of the N runs (default 1) writes <out-prefix>-<i>.report.html
// and .report.json; prints one JSON line per run with the scores, LCP/TBT/CLS/FCP/SI, the LCP element, and the
// failing audits (score < 0.9) with their savings.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire('/work/tools/lh/package.json');
const lhDir = require.resolve('lighthouse/package.json').replace(/package\.json$/, '');
const { default: lighthouse } = await import(`${lhDir}core/index.js`);
const { default: desktopConfig } = await import(`${lhDir}core/config/desktop-config.js`);
const puppeteer = (await import(require.resolve('puppeteer-core'))).default;

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, v] = args.splice(i, 2);
  return v;
};
const token = opt('--token');
const runs = Number(opt('--runs') ?? 1);
const desktop = args.includes('--desktop');
const [url, prefix] = args.filter((a) => a !== '--desktop');
if (!url || !prefix) {
  console.error('usage: node bench/lighthouse.mjs <url> <out-prefix> [--token TOKEN] [--desktop] [--runs N]');
  process.exit(2);
}

for (let i = 1; i <= runs; i++) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    if (token) {
      await page.goto(new URL('/healthz', url).href);
      await page.evaluate((t) => localStorage.setItem('imagegram.token', t), token);
      const cdp = await page.createCDPSession();
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
    }
    const flags = {
      output: ['html', 'json'],
      onlyCategories: ['performance', 'accessibility'],
      disableStorageReset: Boolean(token),
      logLevel: 'error',
    };
    const result = await lighthouse(url, flags, desktop ? desktopConfig : undefined, page);
    const [html, json] = result.report;
    writeFileSync(`${prefix}-${i}.report.html`, html);
    writeFileSync(`${prefix}-${i}.report.json`, json);
    const lhr = result.lhr;
    const a = lhr.audits;
    const lcpEl = a['largest-contentful-paint-element']?.details?.items?.[0]?.items?.[0]?.node;
    const lcpPhases = a['largest-contentful-paint-element']?.details?.items?.[1]?.items;
    const failing = Object.values(lhr.categories)
      .flatMap((c) => c.auditRefs.filter((r) => r.weight > 0 || c.id === 'performance').map((r) => ({ cat: c.id, audit: a[r.id] })))
      .filter(({ audit }) => audit && audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode !== 'informative' && audit.scoreDisplayMode !== 'notApplicable')
      .map(({ cat, audit }) => ({ cat, id: audit.id, score: audit.score, value: audit.displayValue ?? null }));
    const insights = Object.values(a)
      .filter((x) => x.details?.metricSavings && Object.values(x.details.metricSavings).some((v) => v > 0))
      .map((x) => ({ id: x.id, savings: x.details.metricSavings, value: x.displayValue ?? null }));
    console.log(
      JSON.stringify({
        url: lhr.finalDisplayedUrl,
        form: desktop ? 'desktop' : 'mobile',
        run: i,
        performance: Math.round(lhr.categories.performance.score * 100),
        accessibility: Math.round(lhr.categories.accessibility.score * 100),
        fcp: a['first-contentful-paint'].displayValue,
        lcp: a['largest-contentful-paint'].displayValue,
        tbt: a['total-blocking-time'].displayValue,
        cls: a['cumulative-layout-shift'].displayValue,
        si: a['speed-index'].displayValue,
        lcp_element: lcpEl ? `${lcpEl.nodeLabel} <${lcpEl.selector}>` : null,
        lcp_phases: lcpPhases ?? null,
        failing,
        savings: insights,
        warnings: lhr.runWarnings,
        report: `${prefix}-${i}.report.html`,
      }),
    );
  } finally {
    await browser.close();
  }
}
