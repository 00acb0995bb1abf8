// The admin area and the library: an admin moves a user to Premium and the user's library shows the new
// thumbnails (200 and 400) and the original link; tiers are created, edited, refused deletion while in use.
import { test, expect, type Page } from '@playwright/test';
import { startServer, ADMIN, type Running } from './server';
import { logIn, shot, signUp, testdata, uniqueName } from './helpers';

let server: Running;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

async function setTier(admin: Page, username: string, tier: string) {
  await admin.goto(`${server.url}/admin`);
  await admin.getByLabel(`Tier for ${username}`).selectOption(tier);
  await expect(admin.getByRole('status').filter({ hasText: `${username} is user on ${tier}` })).toBeVisible();
}

test('an admin changes a user tier and the library follows it', async ({ browser }) => {
  const user = await (await browser.newContext()).newPage();
  const admin = await (await browser.newContext()).newPage();
  const name = uniqueName('lib');

  // Given a Basic user with one image in the library
  await signUp(user, server.url, name);
  await user.getByRole('link', { name: 'My images' }).click();
  await expect(user.getByText('Basic', { exact: true }).first()).toBeVisible();
  await user.getByLabel('Image', { exact: true }).setInputFiles(testdata('jpeg_progressive.jpg'));
  await user.getByLabel('Title', { exact: true }).fill('Harbour at dusk');
  await user.getByLabel('Width').fill('300');
  await user.getByLabel('Height').fill('300');
  await user.getByRole('button', { name: 'Upload', exact: true }).click();
  const card = user.getByRole('article', { name: 'Harbour at dusk' });
  await expect(card.getByRole('link', { name: /^200 px thumbnail/ })).toBeVisible({ timeout: 60_000 });
  await expect(card.getByRole('link', { name: /^400 px thumbnail/ })).toHaveCount(0);
  await expect(card.getByRole('button', { name: /Copy original link/ })).toHaveCount(0);
  await expect(card.getByText('300 × 225')).toBeVisible();

  // When an admin moves them to Premium
  await logIn(admin, server.url, ADMIN.username, ADMIN.password);
  await expect(admin.getByRole('link', { name: 'Admin' })).toBeVisible();
  await setTier(admin, name, 'Premium');
  await shot(admin, 'admin');

  // Then the library shows thumbnails 200 and 400 and the original link
  await user.reload();
  await expect(user.getByText('Premium', { exact: true }).first()).toBeVisible();
  await expect(card.getByRole('link', { name: /^200 px thumbnail/ })).toBeVisible();
  await expect(card.getByRole('link', { name: /^400 px thumbnail/ })).toBeVisible();
  await expect(card.getByRole('button', { name: /Copy original link/ })).toBeVisible();
  const thumb = await card.getByRole('link', { name: /^400 px thumbnail/ }).getAttribute('href');
  expect((await fetch(thumb!)).status).toBe(200);
  // and searching by title finds it, another title does not
  await user.getByLabel('Search by title').fill('harbour');
  await user.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(card).toBeVisible();
  await user.getByLabel('Search by title').fill('mountain');
  await user.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(user.getByText('No image has that title.')).toBeVisible();
  await user.getByLabel('Search by title').fill('');
  await user.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(card).toBeVisible();
  await shot(user, 'library');

  // When an admin moves them to Enterprise, an expiring link can be made, with its expiry time
  await setTier(admin, name, 'Enterprise');
  await user.reload();
  await card.getByText('Expiring link', { exact: true }).click();
  await card.getByLabel('Link lifetime in seconds').fill('600');
  await card.getByRole('button', { name: 'Make expiring link for Harbour at dusk' }).click();
  await expect(card.getByRole('link', { name: 'Open expiring link' })).toBeVisible();
  await expect(card.locator('.made-link time')).toBeVisible();
  // and out-of-range lifetimes get the API's message
  await card.getByLabel('Link lifetime in seconds').fill('10');
  await card.getByRole('button', { name: 'Make expiring link for Harbour at dusk' }).evaluate((b: HTMLButtonElement) => b.form!.noValidate = true);
  await card.getByRole('button', { name: 'Make expiring link for Harbour at dusk' }).click();
  await expect(card.getByRole('alert')).not.toBeEmpty();
});

test('tiers are created, edited, and not deleted while in use; users are created', async ({ page }) => {
  const tier = `Gold${Date.now() % 100000}`;
  const member = uniqueName('member');
  await logIn(page, server.url, ADMIN.username, ADMIN.password);
  await page.getByRole('link', { name: 'Admin' }).click();

  // Create a tier
  await page.getByLabel('Tier name').fill(tier);
  await page.getByLabel('Thumbnail heights').last().fill('200, 800');
  await page.getByRole('form', { name: 'New tier' }).getByLabel('Original link').check();
  await page.getByRole('button', { name: 'Create tier' }).click();
  await expect(page.getByRole('button', { name: `Edit tier ${tier}` })).toBeVisible();

  // Edit it
  await page.getByRole('button', { name: `Edit tier ${tier}` }).click();
  const edit = page.getByRole('form', { name: `Edit tier ${tier}` });
  await edit.getByLabel('Thumbnail heights').fill('300, 200, 800');
  await edit.getByRole('button', { name: 'Save tier' }).click();
  await expect(page.locator('.tier-row', { hasText: tier })).toContainText('Thumbnails 200, 300, 800 px');

  // Create a user on it
  await page.getByLabel('New username').fill(member);
  await page.getByLabel("New user's password").fill('password-123');
  await page.getByLabel("New user's tier").selectOption(tier);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByLabel(`Tier for ${member}`)).toHaveValue(tier);

  // Deleting it while in use is refused with the API's message
  await page.getByRole('button', { name: `Delete tier ${tier}` }).click();
  await expect(page.locator('.tier-row', { hasText: tier }).getByRole('alert')).not.toBeEmpty();

  // Once nobody is on it, it goes; roles change too
  await page.getByLabel(`Tier for ${member}`).selectOption('Basic');
  await expect(page.getByRole('status').filter({ hasText: `${member} is user on Basic` })).toBeVisible();
  await page.getByLabel(`Role for ${member}`).selectOption('admin');
  await expect(page.getByRole('status').filter({ hasText: `${member} is admin on Basic` })).toBeVisible();
  await page.getByRole('button', { name: `Delete tier ${tier}` }).click();
  await expect(page.getByRole('button', { name: `Edit tier ${tier}` })).toHaveCount(0);
});
