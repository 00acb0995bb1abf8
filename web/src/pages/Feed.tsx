//! The feed: ready posts sorted by comments or newest, optionally one author's, loaded page by page.

import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useLocation, useSearch } from 'wouter';
import { useSession } from '../auth/session';
import { PostCard } from '../components/PostCard';
import { ErrorMessage } from '../components/ErrorMessage';
import { useInView } from '../hooks/useInView';

export function FeedPage() {
  const { client } = useSession();
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const sort = params.get('sort') === 'new' ? 'new' : 'comments';
  const author = params.get('author') ?? '';
  const q = useInfiniteQuery({
    queryKey: ['posts', sort, author],
    queryFn: ({ pageParam }) => client.posts({ sort, author: author || undefined, cursor: pageParam, limit: 12 }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const sentinel = useInView<HTMLDivElement>(() => {
    if (q.hasNextPage && !q.isFetchingNextPage) void q.fetchNextPage();
  }, !!q.hasNextPage);
  const setParam = (k: string, v: string | null) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    const s = p.toString();
    navigate(s ? `/?${s}` : '/');
  };
  const posts = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <main>
      <div className="toolbar">
        <h1>{author ? `Posts by ${author}` : 'Feed'}</h1>
        <div className="row">
          <label htmlFor="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(e) => setParam('sort', e.target.value === 'new' ? 'new' : null)}>
            <option value="comments">Most comments</option>
            <option value="new">Newest</option>
          </select>
          {author && (
            <button type="button" className="secondary" onClick={() => setParam('author', null)}>
              Show everyone
            </button>
          )}
        </div>
      </div>
      <ErrorMessage error={q.error} />
      {q.isPending && <p className="muted">Loading posts…</p>}
      {!q.isPending && !posts.length && !q.error && (
        <div className="card empty">
          <p>No posts yet.</p>
          <Link href="/new">Post the first image</Link>
        </div>
      )}
      <div className="grid" aria-label="Posts" role="feed" aria-busy={q.isFetching}>
        {posts.map((p) => (
          <PostCard key={p.id} post={p} />
        ))}
      </div>
      <div ref={sentinel} className="more">
        {q.hasNextPage && (
          <button type="button" className="secondary" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </main>
  );
}
