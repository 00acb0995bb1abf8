// Sign-up, posting (a plain upload: no proxy, no interception at all), two users commenting, the feed order
// following the comment counts, deleting a comment, deleting a post.
import { test, expect } from '@playwright/test';
import { startServer, type Running } from './server';
import { postImage, shot, signUp, testdata, uniqueName } from './helpers';

let server: Running;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('sign up, post, two users comment, the feed reorders, a comment is deleted', async ({ browser }) => {
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const a = uniqueName('alice');
  const b = uniqueName('bob');

  // Given alice posts first and bob second
  await signUp(alice, server.url, a);
  await expect(alice.getByText('Basic', { exact: true })).toBeVisible();
  const alicePost = await postImage(alice, server.url, testdata('jpeg_baseline.jpg'), 'Alice at the lake', 'A lake under a grey sky');
  await signUp(bob, server.url, b);
  await postImage(bob, server.url, testdata('png_interlaced.png'), 'Bob in the city');

  // Then with no comments the newest post (bob's) comes first
  await alice.goto(server.url);
  const captions = alice.locator('.post-card .caption');
  await expect(captions.first()).toHaveText('Bob in the city');
  const first = alice.locator('.post-card').first();
  await expect(first.getByRole('link', { name: '0 comments' })).toBeVisible();
  await expect(alice.getByRole('img', { name: 'A lake under a grey sky' })).toHaveAttribute('loading', 'lazy');

  // When both comment on alice's post
  for (const [page, text] of [[bob, 'Lovely light'], [alice, 'Thanks!']] as const) {
    await page.goto(`${server.url}/posts/${alicePost}`);
    await page.getByRole('textbox', { name: 'Comment', exact: true }).fill(text);
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(page.locator('.comment-text', { hasText: text })).toBeVisible();
  }
  await expect(alice.getByRole('heading', { name: '2 comments' })).toBeVisible();
  await shot(alice, 'post-page');

  // Then alice's post leads the feed sorted by comments, with its last two comments
  await alice.goto(server.url);
  await expect(captions.first()).toHaveText('Alice at the lake');
  await expect(alice.locator('.post-card').first().getByRole('link', { name: '2 comments' })).toBeVisible();
  await expect(alice.locator('.post-card').first().locator('.recent-comments li')).toHaveCount(2);
  await shot(alice, 'feed');
  // and newest first still puts bob's first
  await alice.getByLabel('Sort by').selectOption('new');
  await expect(captions.first()).toHaveText('Bob in the city');
  // and clicking an author filters by them
  await alice.locator('.post-card').first().getByRole('link', { name: `Posts by ${b}` }).click();
  await expect(alice.getByRole('heading', { name: `Posts by ${b}` })).toBeVisible();
  await expect(alice.locator('.post-card')).toHaveCount(1);

  // When alice, the post's author, deletes bob's comment
  await alice.goto(`${server.url}/posts/${alicePost}`);
  await alice.getByRole('button', { name: new RegExp(`^Delete comment by ${b}`) }).click();
  // Then one comment is left, written "1 comment"
  await expect(alice.getByRole('heading', { name: '1 comment' })).toBeVisible();
  await expect(alice.locator('.comment-text', { hasText: 'Lovely light' })).toHaveCount(0);

  // And bob cannot delete alice's comment (no button), only his own
  await bob.goto(`${server.url}/posts/${alicePost}`);
  await expect(bob.getByRole('button', { name: /^Delete comment by/ })).toHaveCount(0);
  await expect(bob.getByRole('button', { name: 'Delete post' })).toHaveCount(0);

  // When alice deletes her post from its page, it leaves the feed
  await alice.getByRole('button', { name: 'Delete post' }).click();
  await alice.getByRole('button', { name: 'Delete', exact: true }).click();
  await alice.waitForURL(`${server.url}/`);
  await expect(captions.first()).toHaveText('Bob in the city');
  await expect(alice.locator('.post-card')).toHaveCount(1);

  // A reload keeps alice signed in
  await alice.reload();
  await expect(alice.getByRole('button', { name: 'Log out' })).toBeVisible();
  await alice.getByRole('button', { name: 'Log out' }).click();
  await expect(alice.getByRole('button', { name: 'Log in' })).toBeVisible();
});

test('login errors show the API message in place', async ({ page }) => {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill('nobody_here');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).not.toBeEmpty();
  await page.goto(`${server.url}/signup`);
  await page.getByLabel('Username').fill('X');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).not.toBeEmpty();
});
