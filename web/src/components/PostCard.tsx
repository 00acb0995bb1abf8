//! One post as the feed shows it: picture, author, time, caption, comment count and the last two comments.

import { Link } from 'wouter';
import type { Post } from '../api/types';
import { commentCount, dateTime, timeAgo } from '../format';
import { Picture } from './Picture';

export function AuthorLink({ author }: { author: string }) {
  return (
    <Link className="author" href={`/?author=${encodeURIComponent(author)}`} aria-label={`Posts by ${author}`}>
      {author}
    </Link>
  );
}

export function PostCard({ post }: { post: Post }) {
  return (
    <article className="card post-card" aria-labelledby={`post-${post.id}-by`}>
      {post.image && (
        <Link href={`/posts/${post.id}`} className="post-image-link" aria-label={`Open post by ${post.author}`}>
          <Picture
            className="post-image"
            src={post.image.url}
            alt={post.alt_text || (post.caption ? `Image: ${post.caption}` : `Image posted by ${post.author}`)}
            width={post.image.width}
            height={post.image.height}
            placeholder={post.image.placeholder}
          />
        </Link>
      )}
      <div className="card-body">
        <p className="meta" id={`post-${post.id}-by`}>
          <AuthorLink author={post.author} />
          <time dateTime={post.created_at} title={dateTime(post.created_at)}>
            {timeAgo(post.created_at)}
          </time>
        </p>
        {post.caption && <p className="caption">{post.caption}</p>}
        <p>
          <Link href={`/posts/${post.id}`} className="count">
            {commentCount(post.comment_count)}
          </Link>
        </p>
        {post.recent_comments.length > 0 && (
          <ul className="recent-comments" aria-label="Latest comments">
            {post.recent_comments.map((c) => (
              <li key={c.id}>
                <strong>{c.author}</strong> {c.text}
              </li>
            ))}
          </ul>
        )}
      </div>
    </article>
  );
}
