//! Shared steps of the end-to-end tests: accounts through the UI, posting, generated test images,
//! axe checks and screenshots.

import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testdata = (name: string) => fileURLToPath(new URL(`../../../shared/testdata/valid/${name}`, import.meta.url));
export const screenshotDir = fileURLToPath(new URL('../screenshots/', import.meta.url));

let n = 0;
export function uniqueName(prefix: string) {
  return `${prefix}_${Date.now().toString(36)}${(n++).toString(36)}`.slice(0, 32);
}

export async function signUp(page: Page, base: string, username: string, password = 'password-123') {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

export async function logIn(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

/** Posts a file through the UI and waits until the post page says Ready; returns the post id. */
export async function postImage(page: Page, base: string, file: string, caption: string, alt = 'A test picture') {
  await page.goto(`${base}/new`);
  await page.getByLabel('Image', { exact: true }).setInputFiles(file);
  await page.getByLabel('Caption').fill(caption);
  await page.getByLabel('Alt text').fill(alt);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await page.waitForURL(/\/posts\//, { timeout: 120_000 });
  await expect(page.locator('.status-badge')).toHaveText('Ready', { timeout: 60_000 });
  return page.url().split('/posts/')[1];
}

/** A 24-bit BMP of random pixels (so it does not compress), written once per size into the temp dir. */
export function noiseBmp(width: number, height: number): string {
  const path = join(tmpdir(), `imagegram-noise-${width}x${height}.bmp`);
  if (existsSync(path)) return path;
  const row = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + row * height;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'ascii');
  header.writeUInt32LE(size, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(row * height, 34);
  writeFileSync(path, Buffer.concat([header, randomBytes(row * height)]));
  return path;
}

export async function expectNoSeriousA11yViolations(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${screen}: ${v.id} (${v.impact}): ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`)).toEqual([]);
}

export async function expectNoHorizontalScroll(page: Page) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w).toBeLessThanOrEqual(390);
}

export async function shot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
