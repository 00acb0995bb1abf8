//! Key layout of the table: attribute and index names, key strings, feed positions and continuation keys.

use crate::domain::tier::parse_tier_name;
use crate::domain::{FeedSort, Id, UploadStatus, Username};
use crate::ports::{StoreError, StoreResult};

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";

pub(super) const FEED_PK: &str = "feed_pk";
pub(super) const FEED_SK: &str = "feed_sk";
pub(super) const NEW_SK: &str = "new_sk";
pub(super) const AUTHOR_PK: &str = "author_pk";
pub(super) const OWNER_PK: &str = "owner_pk";
pub(super) const OWNER_SK: &str = "owner_sk";

pub(super) const GSI_FEED: &str = "feed";
pub(super) const GSI_FEED_NEW: &str = "feed_new";
pub(super) const GSI_AUTHOR_FEED: &str = "author_feed";
pub(super) const GSI_AUTHOR_NEW: &str = "author_new";
pub(super) const GSI_IMAGES_BY_OWNER: &str = "images_by_owner";

/// The one partition of the feed indexes (see the module doc on sharding).
pub(super) const FEED_PARTITION: &str = "FEED";

/// The base-table partition holding every tier (`sk` = tier name), so `list_tiers` is a Query of
/// the table with no index. A few dozen small items at most: one partition is plenty.
pub(super) const TIERS_PARTITION: &str = "TIERS";

/// `images_by_owner` is overloaded to list users: user items carry `owner_pk = "USERS"` and
/// `owner_sk = <username>`, so `list_users` is one Query of that partition in username order, with
/// no GSI of its own (the table's indexes are fixed by the SAM template). `"USERS"` cannot collide
/// with an image owner's partition: usernames are lowercase (`Username::parse`).
///
/// Users written before these attributes existed are not in the index until their next
/// `update_user` (which always sets them); that is accepted, and a one-off backfill (Scan users,
/// SET the two attributes) would list them all.
pub(super) const USERS_PARTITION: &str = "USERS";

pub(super) const USER_SK: &str = "USER";
pub(super) const UPLOAD_SK: &str = "UPLOAD";
pub(super) const IMAGE_SK: &str = "IMAGE";
pub(super) const POST_SK: &str = "POST";
pub(super) const COMMENT_PREFIX: &str = "COMMENT#";
/// Sorts after every `COMMENT#<ulid>` and before `POST`: the upper bound of "all comments".
pub(super) const COMMENTS_END: &str = "COMMENT#~";

/// Uploads are listed through two overloaded indexes, so that every page is one Query: all of an
/// owner's uploads in `author_new` (`author_pk = UPLOADS#<owner>`, `new_sk = <id>`), and those of
/// one status in `images_by_owner` (`owner_pk = UPLOADS#<owner>#<status>`, `owner_sk = <id>`,
/// rewritten by every status change). `#` is not in usernames, so these partitions cannot meet a
/// post author's or a library owner's.
pub(super) fn uploads_pk(owner: &Username) -> String {
    format!("UPLOADS#{owner}")
}

pub(super) fn uploads_by_status_pk(owner: &Username, status: UploadStatus) -> String {
    format!("UPLOADS#{owner}#{}", status.as_str())
}

pub(super) fn user_pk(name: &str) -> String {
    format!("USER#{name}")
}

pub(super) fn upload_pk(id: Id) -> String {
    format!("UPLOAD#{id}")
}

pub(super) fn image_pk(id: Id) -> String {
    format!("IMAGE#{id}")
}

pub(super) fn post_pk(id: Id) -> String {
    format!("POST#{id}")
}

pub(super) fn comment_sk(id: Id) -> String {
    format!("{COMMENT_PREFIX}{id}")
}

/// Width of the zero-padded count: every `u64` fits, so string order is numeric order.
const COUNT_WIDTH: usize = 20;

/// Sort key of the comments feed: comment count, then id (newest last), both in string order.
pub(super) fn feed_sk(comment_count: u64, id: Id) -> String {
    format!("{comment_count:0COUNT_WIDTH$}#{id}")
}

pub(super) use crate::ports::feed_continuation;

/// The index sort key a continuation stands for; anything this store did not make is refused.
pub(super) fn parse_feed_continuation(sort: FeedSort, text: &str) -> StoreResult<String> {
    let (count, id) = crate::ports::parse_feed_continuation(sort, text)?;
    Ok(match sort {
        FeedSort::Comments => feed_sk(count, id),
        FeedSort::New => id.to_string(),
    })
}

/// The comment id a comments continuation stands for, as the sort key to continue below.
pub(super) fn parse_comment_continuation(text: &str) -> StoreResult<String> {
    Ok(comment_sk(
        Id::parse(text).ok_or(StoreError::BadContinuation)?,
    ))
}

/// The username a users continuation stands for (the last one of the page): the `owner_sk` to
/// continue above.
pub(super) fn parse_user_continuation(text: &str) -> StoreResult<String> {
    Username::parse(text)
        .map(|u| u.as_str().to_owned())
        .map_err(|_| StoreError::BadContinuation)
}

/// The tier name a tiers continuation stands for: the `sk` to continue above.
pub(super) fn parse_tier_continuation(text: &str) -> StoreResult<String> {
    parse_tier_name(text).map_err(|_| StoreError::BadContinuation)
}

/// The image id a library continuation stands for: the `owner_sk` to continue below. It is a sort
/// position (the last image returned, or the last one a filtered page read), never a serialised
/// `LastEvaluatedKey`, so it stays valid whatever else the key of that item holds.
pub(super) fn parse_image_continuation(text: &str) -> StoreResult<String> {
    Ok(Id::parse(text)
        .ok_or(StoreError::BadContinuation)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_keys_sort_by_count_then_id() {
        let (a, b) = (Id::generate(), Id::generate());
        assert!(feed_sk(9, b) < feed_sk(10, a));
        assert!(feed_sk(10, a) < feed_sk(10, b));
        assert!(feed_sk(u64::MAX, a).starts_with("18446744073709551615#"));
        assert!(comment_sk(b).as_str() < COMMENTS_END && COMMENTS_END < POST_SK);
    }

    #[test]
    fn continuations_round_trip_and_refuse_anything_else() {
        let id = Id::generate();
        let c = feed_continuation(FeedSort::Comments, 42, id);
        assert_eq!(
            parse_feed_continuation(FeedSort::Comments, &c).unwrap(),
            feed_sk(42, id)
        );
        let n = feed_continuation(FeedSort::New, 42, id);
        assert_eq!(
            parse_feed_continuation(FeedSort::New, &n).unwrap(),
            id.to_string()
        );
        for bad in [
            "",
            "garbage",
            "42",
            ":",
            &format!("+42:{id}"),
            &format!("042:{id}"),
            &format!("-1:{id}"),
            &format!("99999999999999999999:{id}"),
            &format!("42:{}", id.to_string().to_lowercase()),
            &format!("42:{id}:x"),
        ] {
            assert!(
                matches!(
                    parse_feed_continuation(FeedSort::Comments, bad),
                    Err(StoreError::BadContinuation)
                ),
                "{bad}"
            );
        }
        assert!(parse_feed_continuation(FeedSort::New, &c).is_err());
        assert!(parse_comment_continuation("x").is_err());
        assert_eq!(
            parse_image_continuation(&id.to_string()).unwrap(),
            id.to_string()
        );
        assert_eq!(parse_user_continuation("al_ice").unwrap(), "al_ice");
        assert_eq!(parse_tier_continuation("Gold-2").unwrap(), "Gold-2");
        for bad in ["", "x y", "ALICE", &"a".repeat(100)] {
            assert!(parse_user_continuation(bad).is_err(), "{bad}");
        }
        for bad in ["", "a b", "é", &"a".repeat(33)] {
            assert!(parse_tier_continuation(bad).is_err(), "{bad}");
        }
        assert!(parse_image_continuation("x").is_err());
        assert_eq!(
            parse_comment_continuation(&id.to_string()).unwrap(),
            comment_sk(id)
        );
    }
}
