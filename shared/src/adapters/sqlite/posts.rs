//! `PostStore` and `CommentStore` on SQLite: posts, comments, and the feed served by one index range scan per page.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, params};

use super::media::{failure, placeholder};
use super::{Sqlite, corrupt, from_millis, is_unique_violation, to_millis};
use crate::domain::{Comment, FeedSort, Id, MediaStatus, Page, Post, Username};
use crate::ports::{
    CommentStore, FeedQuery, PostStore, StoreError, StoreResult, feed_continuation,
    parse_feed_continuation,
};

const POST_COLUMNS: &str = "id, author, caption, image_id, status, failure_code, failure_message, comment_count, \
                            recent_comments, created_at, alt_text, thumbhash, color";

fn read_post(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPost> {
    Ok(StoredPost {
        id: r.get(0)?,
        author: r.get(1)?,
        caption: r.get(2)?,
        image_id: r.get(3)?,
        status: r.get(4)?,
        failure_code: r.get(5)?,
        failure_message: r.get(6)?,
        comment_count: r.get(7)?,
        recent: r.get(8)?,
        created_at: r.get(9)?,
        alt_text: r.get(10)?,
        thumbhash: r.get(11)?,
        color: r.get(12)?,
    })
}

struct StoredPost {
    id: String,
    author: String,
    caption: String,
    image_id: String,
    status: String,
    failure_code: Option<String>,
    failure_message: Option<String>,
    comment_count: i64,
    recent: String,
    created_at: i64,
    alt_text: String,
    thumbhash: Option<String>,
    color: Option<String>,
}

impl StoredPost {
    fn into_post(self) -> StoreResult<Post> {
        Ok(Post {
            id: Id::parse(&self.id).ok_or_else(|| corrupt("post id"))?,
            author: Username::from_trusted(self.author),
            caption: self.caption,
            image_id: Id::parse(&self.image_id).ok_or_else(|| corrupt("image id"))?,
            status: MediaStatus::parse(&self.status).ok_or_else(|| corrupt("post status"))?,
            failure: failure(self.failure_code, self.failure_message),
            comment_count: self.comment_count.max(0) as u64,
            recent_comments: serde_json::from_str(&self.recent)
                .map_err(|_| corrupt("recent comments"))?,
            created_at: from_millis(self.created_at),
            alt_text: self.alt_text,
            placeholder: placeholder(self.thumbhash, self.color),
        })
    }
}

/// The feed position a continuation key stands for, as SQL parameters (count, id).
fn parse_feed_key(sort: FeedSort, key: &str) -> StoreResult<(i64, String)> {
    let (count, id) = parse_feed_continuation(sort, key)?;
    Ok((
        i64::try_from(count).map_err(|_| StoreError::BadContinuation)?,
        id.to_string(),
    ))
}

fn feed_sql(sort: FeedSort, by_author: bool, after: bool) -> String {
    let mut sql = format!("SELECT {POST_COLUMNS} FROM posts WHERE status = 'ready'");
    if by_author {
        sql.push_str(" AND author = :author");
    }
    match (sort, after) {
        (FeedSort::Comments, true) => sql.push_str(" AND (comment_count, id) < (:count, :id)"),
        (FeedSort::New, true) => sql.push_str(" AND id < :id"),
        _ => {}
    }
    match sort {
        FeedSort::Comments => sql.push_str(" ORDER BY comment_count DESC, id DESC"),
        FeedSort::New => sql.push_str(" ORDER BY id DESC"),
    }
    sql.push_str(" LIMIT :limit");
    sql
}

fn recent_of(tx: &Transaction<'_>, post_id: &str) -> StoreResult<Vec<Comment>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, author, text, created_at FROM comments WHERE post_id = ?1 ORDER BY id DESC LIMIT 2",
    )?;
    let rows = stmt.query_map([post_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let post = Id::parse(post_id).ok_or_else(|| corrupt("post id"))?;
    rows.map(|row| {
        let (id, author, text, at) = row?;
        Ok(Comment {
            id: Id::parse(&id).ok_or_else(|| corrupt("comment id"))?,
            post_id: post,
            author: Username::from_trusted(author),
            text,
            created_at: from_millis(at),
        })
    })
    .collect()
}

fn save_recent(
    tx: &Transaction<'_>,
    post_id: &str,
    delta: i64,
    recent: &[Comment],
) -> StoreResult<()> {
    let json = serde_json::to_string(recent).map_err(|_| corrupt("recent comments"))?;
    tx.execute(
        "UPDATE posts SET comment_count = comment_count + ?2, recent_comments = ?3 WHERE id = ?1",
        params![post_id, delta, json],
    )?;
    Ok(())
}

#[async_trait]
impl PostStore for Sqlite {
    async fn create_post(&self, post: &Post) -> StoreResult<Post> {
        let mut p = post.clone();
        self.write(move |tx| {
            type ImageState = (String, Option<String>, Option<String>, Option<String>, Option<String>);
            let image: Option<ImageState> = tx
                .query_row(
                    "SELECT status, failure_code, failure_message, thumbhash, color FROM images WHERE id = ?1",
                    [p.image_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let (status, code, message, thumbhash, color) = image.ok_or(StoreError::NotFound)?;
            p.status = MediaStatus::parse(&status).ok_or_else(|| corrupt("image status"))?;
            p.failure = failure(code, message);
            p.placeholder = placeholder(thumbhash, color);
            // A new post has no comments, whatever the caller's value says (as stored below).
            p.comment_count = 0;
            p.recent_comments = Vec::new();
            let (code, message) = p.failure.clone().map(|f| (f.code, f.message)).unzip();
            let r = tx.execute(
                "INSERT INTO posts (id, author, caption, image_id, status, failure_code, failure_message, \
                 comment_count, recent_comments, created_at, alt_text, thumbhash, color) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, '[]', ?8, ?9, ?10, ?11)",
                params![
                    p.id.to_string(),
                    p.author.as_str(),
                    p.caption,
                    p.image_id.to_string(),
                    p.status.as_str(),
                    code,
                    message,
                    to_millis(p.created_at),
                    p.alt_text,
                    p.placeholder.as_ref().map(|x| x.thumbhash.clone()),
                    p.placeholder.as_ref().map(|x| x.color.clone()),
                ],
            );
            match r {
                Ok(_) => Ok(p),
                Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn get_post(&self, id: Id) -> StoreResult<Option<Post>> {
        self.read(move |conn| {
            let sql = format!("SELECT {POST_COLUMNS} FROM posts WHERE id = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([id.to_string()], read_post)
                .optional()?;
            row.map(StoredPost::into_post).transpose()
        })
        .await
    }

    async fn delete_post(&self, id: Id) -> StoreResult<()> {
        self.write(move |tx| {
            let n = tx.execute("DELETE FROM posts WHERE id = ?1", [id.to_string()])?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM comments WHERE post_id = ?1", [id.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn list_posts(&self, query: &FeedQuery, after: Option<&str>) -> StoreResult<Page<Post>> {
        let q = query.clone();
        let after = after.map(|a| parse_feed_key(q.sort, a)).transpose()?;
        self.read(move |conn| {
            let sql = feed_sql(q.sort, q.author.is_some(), after.is_some());
            let mut stmt = conn.prepare_cached(&sql)?;
            let limit = i64::from(q.limit) + 1;
            let author = q
                .author
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default();
            let (count, id) = after.unwrap_or_default();
            let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":limit", &limit)];
            if q.author.is_some() {
                named.push((":author", &author));
            }
            if !id.is_empty() {
                named.push((":id", &id));
                if q.sort == FeedSort::Comments {
                    named.push((":count", &count));
                }
            }
            let rows = stmt.query_map(named.as_slice(), read_post)?;
            let mut items = rows
                .map(|r| r.map_err(StoreError::from)?.into_post())
                .collect::<StoreResult<Vec<_>>>()?;
            let next = if items.len() > q.limit as usize {
                items.truncate(q.limit as usize);
                items
                    .last()
                    .map(|p| feed_continuation(q.sort, p.comment_count, p.id))
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}

#[async_trait]
impl CommentStore for Sqlite {
    async fn add_comment(&self, comment: &Comment) -> StoreResult<()> {
        let c = comment.clone();
        self.write(move |tx| {
            let post_id = c.post_id.to_string();
            let row: Option<(String, String)> = tx
                .query_row("SELECT status, recent_comments FROM posts WHERE id = ?1", [&post_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let Some((status, recent)) = row else { return Err(StoreError::NotFound) };
            if status != MediaStatus::Ready.as_str() {
                return Err(StoreError::NotFound);
            }
            let r = tx.execute(
                "INSERT INTO comments (post_id, id, author, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![post_id, c.id.to_string(), c.author.as_str(), c.text, to_millis(c.created_at)],
            );
            if let Err(e) = r {
                return Err(if is_unique_violation(&e) { StoreError::AlreadyExists } else { e.into() });
            }
            let mut recent: Vec<Comment> = serde_json::from_str(&recent).map_err(|_| corrupt("recent comments"))?;
            recent.push(c);
            recent.sort_by_key(|c| std::cmp::Reverse(c.id));
            recent.truncate(2);
            save_recent(tx, &post_id, 1, &recent)
        })
        .await
    }

    async fn get_comment(&self, post_id: Id, comment_id: Id) -> StoreResult<Option<Comment>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT author, text, created_at FROM comments WHERE post_id = ?1 AND id = ?2",
                )?
                .query_row([post_id.to_string(), comment_id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .optional()?;
            Ok(row.map(|(author, text, at)| Comment {
                id: comment_id,
                post_id,
                author: Username::from_trusted(author),
                text,
                created_at: from_millis(at),
            }))
        })
        .await
    }

    async fn delete_comment(&self, post_id: Id, comment_id: Id) -> StoreResult<()> {
        self.write(move |tx| {
            let post = post_id.to_string();
            let n = tx.execute(
                "DELETE FROM comments WHERE post_id = ?1 AND id = ?2",
                params![post, comment_id.to_string()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let recent = recent_of(tx, &post)?;
            save_recent(tx, &post, -1, &recent)
        })
        .await
    }

    async fn list_comments(
        &self,
        post_id: Id,
        limit: u32,
        after: Option<&str>,
    ) -> StoreResult<Page<Comment>> {
        let after = after
            .map(|a| Id::parse(a).ok_or(StoreError::BadContinuation))
            .transpose()?;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, author, text, created_at FROM comments WHERE post_id = ?1 AND id < ?2 \
                 ORDER BY id DESC LIMIT ?3",
            )?;
            // '~' sorts after every ULID character, so "no cursor" means "from the newest".
            let bound = after
                .map(|a| a.to_string())
                .unwrap_or_else(|| "~".to_owned());
            let rows = stmt.query_map(
                params![post_id.to_string(), bound, i64::from(limit) + 1],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )?;
            let mut items = Vec::new();
            for row in rows {
                let (id, author, text, at) = row?;
                items.push(Comment {
                    id: Id::parse(&id).ok_or_else(|| corrupt("comment id"))?,
                    post_id,
                    author: Username::from_trusted(author),
                    text,
                    created_at: from_millis(at),
                });
            }
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|c| c.id.to_string())
            } else {
                None
            };
            Ok(Page { items, next })
        })
        .await
    }
}
