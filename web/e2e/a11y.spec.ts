// Keyboard-only sign-in, the 390 px phone width and axe-core on every screen.
import { test, expect, type Page } from '@playwright/test';
import { startServer, ADMIN, type Running } from './server';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations, logIn, postImage, shot, testdata } from './helpers';

let server: Running;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

async function tabTo(page: Page, label: string) {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement | null;
      return el?.labels?.[0]?.textContent ?? el?.getAttribute('aria-label') ?? el?.textContent ?? '';
    });
    if (name.trim() === label) return;
  }
  throw new Error(`could not reach ${label} with Tab`);
}

test('signing in with the keyboard alone, with a visible focus', async ({ page }) => {
  await page.goto(`${server.url}/login`);
  await tabTo(page, 'Username');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.type(ADMIN.username);
  await tabTo(page, 'Password');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  // and the navigation is reachable by keyboard
  await page.goto(`${server.url}/`);
  await tabTo(page, 'My images');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'My images' })).toBeVisible();
});

test('every screen passes axe, fits a 390 px phone and runs under the CSP', async ({ page }) => {
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  // Signed out screens
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/login', '/signup']) {
    await page.goto(`${server.url}${path}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expectNoSeriousA11yViolations(page, path);
    await expectNoHorizontalScroll(page);
  }
  await shot(page, 'phone-login');

  // Signed in: a post, an image in the library, the admin area
  await page.setViewportSize({ width: 1280, height: 900 });
  await logIn(page, server.url, ADMIN.username, ADMIN.password);
  const id = await postImage(page, server.url, testdata('bmp_24bit.bmp'), 'A bitmap with a long caption that has to wrap on a narrow phone screen', 'Coloured test bars');
  await page.getByRole('textbox', { name: 'Comment', exact: true }).fill('First!');
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(page.getByRole('heading', { name: '1 comment' })).toBeVisible();
  await page.goto(`${server.url}/images`);
  await page.getByLabel('Image', { exact: true }).setInputFiles(testdata('png_rgba.png'));
  await page.getByLabel('Title', { exact: true }).fill('Alpha ramp');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page.getByRole('article', { name: 'Alpha ramp' }).locator('img')).toBeVisible({ timeout: 60_000 });

  const screens: Array<[string, string, () => Promise<unknown>]> = [
    ['feed', '/', () => expect(page.locator('.post-card').first()).toBeVisible()],
    ['post', `/posts/${id}`, () => expect(page.getByRole('heading', { name: '1 comment' })).toBeVisible()],
    ['new-post', '/new', () => expect(page.getByRole('button', { name: 'Post', exact: true })).toBeVisible()],
    ['library', '/images', () => expect(page.getByRole('article', { name: 'Alpha ramp' })).toBeVisible()],
    ['admin', '/admin', () => expect(page.getByLabel(`Tier for ${ADMIN.username}`)).toBeVisible()],
  ];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    for (const [name, path, ready] of screens) {
      await page.goto(`${server.url}${path}`);
      await ready();
      await expectNoSeriousA11yViolations(page, `${name}@${width}`);
      if (width === 390) {
        await expectNoHorizontalScroll(page);
        await shot(page, `phone-${name}`);
      } else {
        await shot(page, `desktop-${name}`);
      }
    }
  }
  expect(cspViolations).toEqual([]);
});
