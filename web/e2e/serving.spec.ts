// The server serves the app itself: index.html at / and at client routes, hashed assets, a strict CSP that the
// app runs under without a violation. (No Node front here: this checks the binary.)
import { test, expect } from '@playwright/test';
import { startServer, type Running } from './server';

let server: Running;
test.beforeAll(async () => {
  process.env.E2E_FRONT_SAVED = process.env.E2E_FRONT ?? '';
  process.env.E2E_FRONT = '0';
  server = await startServer();
  process.env.E2E_FRONT = process.env.E2E_FRONT_SAVED;
});
test.afterAll(async () => {
  await server?.stop();
});

test('the binary serves the app at / and client routes, under its CSP', async ({ page }) => {
  const root = await fetch(`${server.url}/`, { headers: { Accept: 'text/html' } });
  expect(root.status).toBe(200);
  expect(root.headers.get('content-type')).toContain('text/html');
  const html = await root.text();
  expect(html).toContain('<div id="root">');
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  const deep = await fetch(`${server.url}/posts/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { headers: { Accept: 'text/html' } });
  expect(deep.status).toBe(200);
  expect(await deep.text()).toBe(html);
  const api404 = await fetch(`${server.url}/v1/no-such-route`);
  expect(api404.status).toBe(404);
  expect(api404.headers.get('content-type')).toContain('application/json');

  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(`${server.url}/login`);
  expect(res!.headers()['content-security-policy'] ?? '').toContain("script-src 'self'");
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  expect(violations).toEqual([]);
});
