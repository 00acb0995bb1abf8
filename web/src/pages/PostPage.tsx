//! A post's page: the picture, every comment (paginated), adding a comment, deleting comments and the post.

import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { useSession } from '../auth/session';
import { ErrorMessage } from '../components/ErrorMessage';
import { Picture } from '../components/Picture';
import { AuthorLink } from '../components/PostCard';
import { commentCount, dateTime, timeAgo } from '../format';
import type { Comment, Post } from '../api/types';

/** Polls a processing post with backoff: 0.5 s, 0.75 s, ... up to 5 s. */
export function pollDelay(updates: number): number {
  return Math.min(5000, 500 * 1.5 ** updates);
}

export function PostPage({ id }: { id: string }) {
  const { client, user } = useSession();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const post = useQuery({
    queryKey: ['post', id],
    queryFn: () => client.getPost(id),
    refetchInterval: (q) => (q.state.data?.status === 'processing' ? pollDelay(q.state.dataUpdateCount) : false),
  });
  const comments = useInfiniteQuery({
    queryKey: ['comments', id],
    queryFn: ({ pageParam }) => client.comments(id, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: post.data?.status === 'ready',
  });
  const [text, setText] = useState('');
  const [confirming, setConfirming] = useState(false);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['comments', id] });
    void qc.invalidateQueries({ queryKey: ['post', id] });
    void qc.invalidateQueries({ queryKey: ['posts'] });
  };
  const add = useMutation({
    mutationFn: (t: string) => client.addComment(id, t),
    onSuccess: () => {
      setText('');
      refresh();
    },
  });
  const del = useMutation({ mutationFn: (c: Comment) => client.deleteComment(id, c.id), onSuccess: refresh });
  const delPost = useMutation({
    mutationFn: () => client.deletePost(id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['posts'] });
      navigate('/');
    },
  });

  if (post.isPending) return <main><p className="muted">Loading…</p></main>;
  if (post.error) return <main><ErrorMessage error={post.error} /></main>;
  const p: Post = post.data;
  const mine = user?.username === p.author;
  const canModerate = mine || user?.role === 'admin';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) add.mutate(text);
  };
  const list = comments.data?.pages.flatMap((pg) => pg.items) ?? [];
  return (
    <main className="post-page">
      <h1 className="visually-hidden">Post by {p.author}</h1>
      <article className="card post-full" aria-label={`Post by ${p.author}`}>
        {p.status === 'ready' && p.image ? (
          <Picture className="post-image" src={p.image.url} alt={p.alt_text || `Image posted by ${p.author}`} width={p.image.width} height={p.image.height} placeholder={p.image.placeholder} />
        ) : p.status === 'processing' ? (
          <div className="processing" role="status">
            <span className="spinner" aria-hidden="true" /> Processing your image…
          </div>
        ) : (
          <p className="error" role="alert">This image could not be used: {p.failure?.message ?? 'it failed to process'}.</p>
        )}
        <div className="card-body">
          <p className="meta">
            <AuthorLink author={p.author} />
            <time dateTime={p.created_at} title={dateTime(p.created_at)}>{timeAgo(p.created_at)}</time>
            <span className="status-badge" data-status={p.status}>{p.status === 'ready' ? 'Ready' : p.status === 'processing' ? 'Processing' : 'Failed'}</span>
          </p>
          {p.caption && <p className="caption">{p.caption}</p>}
          {mine && (
            <div className="row">
              {!confirming ? (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete post</button>
              ) : (
                <>
                  <span>Delete this post and its comments?</span>
                  <button type="button" className="danger" onClick={() => delPost.mutate()} disabled={delPost.isPending}>Delete</button>
                  <button type="button" className="secondary" onClick={() => setConfirming(false)}>Cancel</button>
                </>
              )}
            </div>
          )}
          <ErrorMessage error={delPost.error} />
        </div>
      </article>
      {p.status === 'ready' && (
        <section className="card comments" aria-labelledby="comments-title">
          <h2 id="comments-title">{commentCount(p.comment_count)}</h2>
          <form onSubmit={submit} className="comment-form">
            <label htmlFor="comment-text">Comment</label>
            <textarea id="comment-text" rows={2} maxLength={1000} value={text} onChange={(e) => setText(e.target.value)} required />
            <ErrorMessage error={add.error} />
            <button type="submit" disabled={add.isPending || !text.trim()}>Comment</button>
          </form>
          <ErrorMessage error={comments.error ?? del.error} />
          <ul className="plain comment-list">
            {list.map((c) => (
              <li key={c.id} className="comment">
                <p className="meta">
                  <AuthorLink author={c.author} />
                  <time dateTime={c.created_at} title={dateTime(c.created_at)}>{timeAgo(c.created_at)}</time>
                </p>
                <p className="comment-text">{c.text}</p>
                {(canModerate || c.author === user?.username) && (
                  <button type="button" className="link danger-text" aria-label={`Delete comment by ${c.author}: ${c.text.slice(0, 40)}`} onClick={() => del.mutate(c)} disabled={del.isPending}>
                    Delete
                  </button>
                )}
              </li>
            ))}
          </ul>
          {comments.hasNextPage && (
            <button type="button" className="secondary" onClick={() => void comments.fetchNextPage()} disabled={comments.isFetchingNextPage}>
              Load more comments
            </button>
          )}
        </section>
      )}
    </main>
  );
}
