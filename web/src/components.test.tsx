import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Client } from './api/client';
import { SessionProvider } from './auth/session';
import { App } from './App';
import { LoginPage } from './pages/Auth';
import { PostCard } from './components/PostCard';
import { AdminPage } from './pages/Admin';
import { FeedPage } from './pages/Feed';
import type { Post, User } from './api/types';
import { commentCount } from './format';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function wrap(ui: ReactNode, opts: { fetch?: typeof fetch; user?: User } = {}) {
  const client = new Client(opts.fetch ?? (async () => json(404, { error: { code: 'not_found', message: 'nope' } })), null);
  if (opts.user) client.setToken('t');
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <SessionProvider client={client} initialUser={opts.user}>
        {ui}
      </SessionProvider>
    </QueryClientProvider>,
  );
}

const post: Post = {
  id: 'P1',
  author: 'alice',
  caption: 'Sunset',
  alt_text: 'An orange sky over the sea',
  created_at: new Date().toISOString(),
  status: 'ready',
  comment_count: 3,
  image: { url: 'http://127.0.0.1:8081/p.jpg', width: 600, height: 600, content_type: 'image/jpeg', placeholder: { thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI', color: '#7a6a55' } },
  recent_comments: [
    { id: 'c2', post_id: 'P1', author: 'bob', text: 'Lovely', created_at: new Date().toISOString() },
    { id: 'c1', post_id: 'P1', author: 'carol', text: 'Wow', created_at: new Date().toISOString() },
  ],
};

describe('login form', () => {
  it('shows the API message of a failed login in place', async () => {
    // Given an API that refuses the credentials
    const calls: string[] = [];
    const fetchImpl = (async (url: string) => {
      calls.push(url);
      return json(401, { error: { code: 'invalid_credentials', message: 'wrong username or password' } });
    }) as unknown as typeof fetch;
    wrap(<LoginPage />, { fetch: fetchImpl });
    // When someone logs in
    await userEvent.type(screen.getByLabelText('Username'), 'alice');
    await userEvent.type(screen.getByLabelText('Password'), 'not-the-password');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    // Then the API's message is shown as an alert
    expect((await screen.findByRole('alert')).textContent).toContain('wrong username or password');
    expect(calls).toEqual(['/v1/tokens']);
  });
});

describe('comment counts', () => {
  it('writes "3 comments" and "1 comment"', () => {
    expect(commentCount(0)).toBe('0 comments');
    expect(commentCount(1)).toBe('1 comment');
    wrap(<PostCard post={post} />);
    expect(screen.getByRole('link', { name: '3 comments' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'An orange sky over the sea' }).getAttribute('width')).toBe('600');
  });

  it('says "1 comment" for one', () => {
    wrap(<PostCard post={{ ...post, comment_count: 1, recent_comments: post.recent_comments.slice(0, 1) }} />);
    expect(screen.getByRole('link', { name: '1 comment' })).toBeTruthy();
    expect(screen.queryByText(/1 comments/)).toBeNull();
  });

  it('paints the placeholder and loads lazily', () => {
    wrap(<PostCard post={post} />);
    const img = screen.getByRole('img', { name: 'An orange sky over the sea' });
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.style.backgroundImage).toContain('data:image/png;base64');
  });
});

describe('admin area', () => {
  const feed = (async () => json(200, { items: [], next_cursor: null })) as unknown as typeof fetch;
  it('is hidden from users', () => {
    wrap(<App />, { user: { username: 'bob', tier: 'Basic', role: 'user' }, fetch: feed });
    expect(screen.getByRole('link', { name: 'Feed' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
    expect(screen.getByText('Basic')).toBeTruthy();
  });

  it('is shown to admins', () => {
    wrap(<App />, { user: { username: 'root', tier: 'Enterprise', role: 'admin' }, fetch: feed });
    expect(screen.getByRole('link', { name: 'Admin' })).toBeTruthy();
  });

  it('refuses its page to users', () => {
    wrap(<AdminPage />, { user: { username: 'bob', tier: 'Basic', role: 'user' }, fetch: feed });
    expect(screen.getByRole('alert').textContent).toContain('Only administrators');
    expect(screen.queryByRole('button', { name: 'Create tier' })).toBeNull();
  });
});

describe('feed', () => {
  it('loads the next page by cursor with the Load more button', async () => {
    // Given a feed of two pages
    const urls: string[] = [];
    const page = (id: string, next: string | null) => ({ items: [{ ...post, id, caption: `caption ${id}` }], next_cursor: next });
    const fetchImpl = (async (url: string) => {
      urls.push(url);
      return json(200, url.includes('cursor=') ? page('P2', null) : page('P1', 'c1'));
    }) as unknown as typeof fetch;
    wrap(<FeedPage />, { fetch: fetchImpl, user: { username: 'bob', tier: 'Basic', role: 'user' } });
    expect(await screen.findByText('caption P1')).toBeTruthy();
    // When the reader asks for more
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    // Then the second page follows the first, and there is no more to load
    expect(await screen.findByText('caption P2')).toBeTruthy();
    expect(urls[0]).toBe('/v1/posts?sort=comments&limit=12');
    expect(urls[1]).toBe('/v1/posts?sort=comments&cursor=c1&limit=12');
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});
