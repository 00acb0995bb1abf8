// Uploads on a bad network: a fault proxy stands in front of the object endpoint (presigned URLs point at it
// through --s3-public-url), cutting part bodies halfway, capping bandwidth, or holding a request until its
// URL expired. Real CORS preflights go through it, nothing is intercepted in the browser.
import { test, expect } from '@playwright/test';
import { freePort, startServer, type Running } from './server';
import { FaultProxy } from './faultProxy';
import { noiseBmp, shot, signUp, uniqueName } from './helpers';

/** A server whose presigned URLs go through a fresh fault proxy, for the tests of one describe block. */
function proxied(uploadUrlTtl?: number) {
  const env = { server: null as unknown as Running, proxy: null as unknown as FaultProxy };
  test.afterEach(async ({}, info) => {
    // What the network saw, for a failed test's report.
    if (info.status !== info.expectedStatus) {
      await info.attach('part-puts.json', { body: JSON.stringify(env.proxy?.puts.map((p) => ({ ...p, at: p.at % 100000 })), null, 1) });
      console.log(JSON.stringify(env.proxy?.puts.map((p) => ({ ...p, at: p.at % 100000 }))));
    }
  });
  test.beforeAll(async () => {
    env.server = await startServer({
      uploadUrlTtl,
      s3PublicUrl: async (s3Port) => {
        env.proxy = new FaultProxy(s3Port);
        return env.proxy.listen(await freePort());
      },
    });
  });
  test.afterAll(async () => {
    env.proxy?.close();
    await env.server?.stop();
  });
  return env;
}

test.describe('expiring URLs', () => {
  const env = proxied(5);
  test('expired part URLs are re-signed', async ({ page }) => {
    const { server, proxy } = env;
    // Given part URLs that live 5 s, and a network that holds each part's first PUT back for 6 s
    const file = noiseBmp(2000, 2000);
    proxy.rules = { delayMs: ({ attempt }) => (attempt === 1 ? 6000 : 0) };
    await signUp(page, server.url, uniqueName('exp'));
    const resign = page.waitForRequest((r) => r.method() === 'POST' && /\/v1\/uploads\/[^/]+\/parts$/.test(r.url()));
    await page.goto(`${server.url}/new`);
    await page.getByLabel('Image', { exact: true }).setInputFiles(file);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    // Then the app asks for fresh URLs and the post is made
    await resign;
    await page.waitForURL(/\/posts\//, { timeout: 120_000 });
    await expect(page.locator('.status-badge')).toHaveText('Ready', { timeout: 60_000 });
    // (the object endpoint answers the expired PUTs 403 early; through Node some of those read as a reset)
    expect(proxy.puts.filter((p) => p.attempt === 1 && p.outcome !== 'ok')).toHaveLength(2);
    expect(proxy.puts.filter((p) => p.outcome === 'ok').map((p) => p.number).sort()).toEqual([1, 2]);
  });
});

test.describe('bad networks', () => {
const env = proxied();
let server: Running;
let proxy: FaultProxy;
test.beforeEach(() => {
  ({ server, proxy } = env);
  proxy.rules = {};
  proxy.puts = [];
});

test('an upload whose part requests are cut mid-way completes by itself', async ({ page }) => {
  // Given a 12 MB image (two 8 MiB parts) and a network that cuts the first two tries of every part halfway
  const file = noiseBmp(2000, 2000);
  proxy.rules = { cut: ({ attempt }) => attempt <= 2 };
  await signUp(page, server.url, uniqueName('cut'));
  // When it is posted
  await page.goto(`${server.url}/new`);
  await page.getByLabel('Image', { exact: true }).setInputFiles(file);
  await page.getByLabel('Caption').fill('Cut twice');
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  // Then the post is made and becomes ready
  await page.waitForURL(/\/posts\//, { timeout: 120_000 });
  await expect(page.locator('.status-badge')).toHaveText('Ready', { timeout: 60_000 });
  const parts = [...new Set(proxy.puts.map((p) => p.number))].sort();
  expect(parts).toEqual([1, 2]);
  for (const n of parts) {
    expect(proxy.putsOf(n).filter((p) => p.outcome === 'cut')).toHaveLength(2);
    expect(proxy.putsOf(n).filter((p) => p.outcome === 'ok')).toHaveLength(1);
  }
  expect(proxy.preflights).toBeGreaterThan(0);
});

for (const lost of [false, true]) {
test(`a reload mid-upload resumes without re-sending stored parts${lost ? ' (browser state lost: from the server list)' : ''}`, async ({ page }) => {
  // Given a 20 MB image (parts of 8 MiB, 8 MiB, 3.9 MB) on a link capped at 1.5 MB/s per part
  const file = noiseBmp(2600, 2600);
  proxy.rules = { bytesPerSecond: 1_500_000 };
  await signUp(page, server.url, uniqueName('reload'));
  await page.goto(`${server.url}/new`);
  await page.getByLabel('Image', { exact: true }).setInputFiles(file);
  await page.getByLabel('Caption').fill('Survived a reload');
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(page.getByRole('progressbar', { name: 'Upload progress' })).toBeVisible();
  // When the small last part is stored, and the bigger ones are still on their way, the page reloads
  await expect.poll(() => proxy.putsOf(3).some((p) => p.outcome === 'ok'), { timeout: 60_000 }).toBe(true);
  if (!lost) await shot(page, 'upload-in-progress');
  expect(proxy.puts.filter((p) => p.outcome === 'ok').map((p) => p.number)).toEqual([3]);
  if (lost) {
    // The browser forgot the upload (another machine, cleared storage): only GET /v1/uploads knows it.
    await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('imagegram.upload.')).forEach((k) => localStorage.removeItem(k)));
  }
  await page.reload();
  const reloadedAt = Date.now();
  proxy.rules = {};
  // Then the app offers to resume it, and with the same file picked again...
  const pick = page.getByLabel(/^Pick imagegram-noise-2600x2600\.bmp again to resume/);
  await expect(pick).toBeAttached();
  if (!lost) await shot(page, 'resume-offer');
  await pick.setInputFiles(file);
  await page.waitForURL(/\/posts\//, { timeout: 120_000 });
  await expect(page.locator('.status-badge')).toHaveText('Ready', { timeout: 60_000 });
  if (!lost) await expect(page.getByText('Survived a reload')).toBeVisible();
  // ...only the missing parts were sent again
  expect(proxy.putsOf(3, reloadedAt)).toHaveLength(0);
  expect(proxy.putsOf(1, reloadedAt).filter((p) => p.outcome === 'ok')).toHaveLength(1);
  expect(proxy.putsOf(2, reloadedAt).filter((p) => p.outcome === 'ok')).toHaveLength(1);
});
}
});
