//! Records to DynamoDB items and back: attribute names and the strict readers that check what is stored.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::keys::{
    AUTHOR_PK, FEED_PARTITION, FEED_PK, FEED_SK, IMAGE_SK, NEW_SK, OWNER_PK, OWNER_SK, PK, POST_SK,
    SK, UPLOAD_SK, USER_SK, USERS_PARTITION, comment_sk, feed_sk, image_pk, post_pk, upload_pk,
    uploads_by_status_pk, uploads_pk, user_pk,
};
use crate::domain::{
    Comment, Failure, Fit, Id, Image, MediaStatus, Placeholder, Post, Rendition, Role, Upload,
    UploadStatus, User, Username, fold_title,
};
use crate::ports::{StoreError, StoreResult};

pub(super) type Item = HashMap<String, AttributeValue>;

// Attribute names shared by several items.
pub(super) const ID: &str = "id";
pub(super) const STATUS: &str = "status";
pub(super) const FAILURE_CODE: &str = "failure_code";
pub(super) const FAILURE_MESSAGE: &str = "failure_message";
pub(super) const CREATED_AT: &str = "created_at";
pub(super) const AUTHOR: &str = "author";
pub(super) const WIDTH: &str = "width";
pub(super) const HEIGHT: &str = "height";
pub(super) const POST_IDS: &str = "post_ids";
pub(super) const COMMENT_COUNT: &str = "comment_count";
pub(super) const RECENT_COMMENTS: &str = "recent_comments";
pub(super) const VERSION: &str = "version";
pub(super) const OWNER: &str = "owner";
pub(super) const TIER: &str = "tier";
pub(super) const USER_COUNT: &str = "user_count";
pub(super) const TITLE: &str = "title";
/// `fold_title(title)`, what `title` search matches with `contains`.
pub(super) const TITLE_FOLD: &str = "title_fold";
pub(super) const LISTED: &str = "listed";
pub(super) const FIT_WIDTH: &str = "fit_width";
pub(super) const FIT_HEIGHT: &str = "fit_height";
/// String set of `Rendition::name()`; absent when empty (DynamoDB has no empty sets).
pub(super) const RENDITIONS: &str = "renditions";
pub(super) const ALT_TEXT: &str = "alt_text";
pub(super) const THUMBHASH: &str = "thumbhash";
pub(super) const COLOR: &str = "color";

pub(super) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub(super) fn n(number: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("stored {what} is unreadable"))
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(corrupt(name)),
    }
}

pub(super) fn get_opt_s(item: &Item, name: &str) -> StoreResult<Option<String>> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
        Some(_) => Err(corrupt(name)),
    }
}

pub(super) fn get_n<T: FromStr>(item: &Item, name: &str) -> StoreResult<T> {
    get_opt_n(item, name)?.ok_or_else(|| corrupt(name))
}

pub(super) fn get_opt_n<T: FromStr>(item: &Item, name: &str) -> StoreResult<Option<T>> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| corrupt(name)),
        Some(_) => Err(corrupt(name)),
    }
}

fn get_opt_bool(item: &Item, name: &str) -> StoreResult<Option<bool>> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::Bool(v)) => Ok(Some(*v)),
        Some(_) => Err(corrupt(name)),
    }
}

pub(super) fn get_bool(item: &Item, name: &str) -> StoreResult<bool> {
    get_opt_bool(item, name)?.ok_or_else(|| corrupt(name))
}

fn get_id(item: &Item, name: &str) -> StoreResult<Id> {
    Id::parse(get_s(item, name)?).ok_or_else(|| corrupt(name))
}

fn get_time(item: &Item, name: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(get_n(item, name)?).ok_or_else(|| corrupt(name))
}

fn get_failure(item: &Item) -> StoreResult<Option<Failure>> {
    let Some(code) = get_opt_s(item, FAILURE_CODE)? else {
        return Ok(None);
    };
    let message = get_opt_s(item, FAILURE_MESSAGE)?.unwrap_or_default();
    Ok(Some(Failure { code, message }))
}

pub(super) fn get_media_status(item: &Item) -> StoreResult<MediaStatus> {
    MediaStatus::parse(get_s(item, STATUS)?).ok_or_else(|| corrupt(STATUS))
}

/// The ids in the `post_ids` string set of an image item (none if absent).
pub(super) fn get_post_ids(item: &Item) -> StoreResult<Vec<Id>> {
    match item.get(POST_IDS) {
        None => Ok(Vec::new()),
        Some(AttributeValue::Ss(ids)) => ids
            .iter()
            .map(|id| Id::parse(id).ok_or_else(|| corrupt(POST_IDS)))
            .collect(),
        Some(_) => Err(corrupt(POST_IDS)),
    }
}

fn with_failure(item: &mut Item, failure: Option<&Failure>) {
    if let Some(f) = failure {
        item.insert(FAILURE_CODE.into(), s(&f.code));
        item.insert(FAILURE_MESSAGE.into(), s(&f.message));
    }
}

pub(super) fn user_item(u: &User) -> Item {
    Item::from([
        (PK.into(), s(user_pk(u.username.as_str()))),
        (SK.into(), s(USER_SK)),
        ("username".into(), s(u.username.as_str())),
        ("password_hash".into(), s(&u.password_hash)),
        (TIER.into(), s(&u.tier)),
        ("role".into(), s(u.role.as_str())),
        (CREATED_AT.into(), n(u.created_at.timestamp_millis())),
        // The users listing (see `USERS_PARTITION`).
        (OWNER_PK.into(), s(USERS_PARTITION)),
        (OWNER_SK.into(), s(u.username.as_str())),
    ])
}

pub(super) fn user_from(item: &Item) -> StoreResult<User> {
    Ok(User {
        username: Username::from_trusted(get_s(item, "username")?.to_owned()),
        password_hash: get_s(item, "password_hash")?.to_owned(),
        tier: get_s(item, TIER)?.to_owned(),
        role: Role::parse(get_s(item, "role")?).ok_or_else(|| corrupt("role"))?,
        created_at: get_time(item, CREATED_AT)?,
    })
}

pub(super) fn upload_item(u: &Upload) -> Item {
    Item::from([
        (PK.into(), s(upload_pk(u.id))),
        (SK.into(), s(UPLOAD_SK)),
        (ID.into(), s(u.id.to_string())),
        (OWNER.into(), s(u.owner.as_str())),
        ("object_key".into(), s(&u.object_key)),
        ("multipart_id".into(), s(&u.multipart_id)),
        ("filename".into(), s(&u.filename)),
        ("content_type".into(), s(&u.content_type)),
        ("size".into(), n(u.size)),
        ("part_size".into(), n(u.part_size)),
        (STATUS.into(), s(u.status.as_str())),
        (CREATED_AT.into(), n(u.created_at.timestamp_millis())),
        (AUTHOR_PK.into(), s(uploads_pk(&u.owner))),
        (NEW_SK.into(), s(u.id.to_string())),
        (OWNER_PK.into(), s(uploads_by_status_pk(&u.owner, u.status))),
        (OWNER_SK.into(), s(u.id.to_string())),
    ])
}

pub(super) fn upload_from(item: &Item) -> StoreResult<Upload> {
    Ok(Upload {
        id: get_id(item, ID)?,
        owner: Username::from_trusted(get_s(item, OWNER)?.to_owned()),
        object_key: get_s(item, "object_key")?.to_owned(),
        multipart_id: get_s(item, "multipart_id")?.to_owned(),
        filename: get_s(item, "filename")?.to_owned(),
        content_type: get_s(item, "content_type")?.to_owned(),
        size: get_n(item, "size")?,
        part_size: get_n(item, "part_size")?,
        status: UploadStatus::parse(get_s(item, STATUS)?).ok_or_else(|| corrupt(STATUS))?,
        created_at: get_time(item, CREATED_AT)?,
    })
}

/// An image item. Only a listed image carries the `images_by_owner` keys, so that index holds
/// exactly the owners' libraries (sparse); `list_image` adds them later for an unlisted one.
pub(super) fn image_item(i: &Image) -> Item {
    let mut item = Item::from([
        (PK.into(), s(image_pk(i.id))),
        (SK.into(), s(IMAGE_SK)),
        (ID.into(), s(i.id.to_string())),
        (OWNER.into(), s(i.owner.as_str())),
        (STATUS.into(), s(i.status.as_str())),
        (CREATED_AT.into(), n(i.created_at.timestamp_millis())),
        (LISTED.into(), AttributeValue::Bool(i.listed)),
    ]);
    with_failure(&mut item, i.failure.as_ref());
    if let (Some(w), Some(h)) = (i.width, i.height) {
        item.insert(WIDTH.into(), n(w));
        item.insert(HEIGHT.into(), n(h));
    }
    if !i.title.is_empty() {
        item.insert(TITLE.into(), s(&i.title));
        item.insert(TITLE_FOLD.into(), s(fold_title(&i.title)));
    }
    if let Some(f) = i.fit {
        item.insert(FIT_WIDTH.into(), n(f.width));
        item.insert(FIT_HEIGHT.into(), n(f.height));
    }
    if let Some(set) = rendition_set(&i.renditions) {
        item.insert(RENDITIONS.into(), set);
    }
    if !i.alt_text.is_empty() {
        item.insert(ALT_TEXT.into(), s(&i.alt_text));
    }
    with_placeholder(&mut item, i.placeholder.as_ref());
    if i.listed {
        item.insert(OWNER_PK.into(), s(i.owner.as_str()));
        item.insert(OWNER_SK.into(), s(i.id.to_string()));
    }
    item
}

/// The renditions as a string set, or `None` for none (DynamoDB refuses an empty set).
pub(super) fn rendition_set(renditions: &[Rendition]) -> Option<AttributeValue> {
    let mut names: Vec<String> = renditions.iter().map(Rendition::name).collect();
    names.sort_unstable();
    names.dedup();
    (!names.is_empty()).then_some(AttributeValue::Ss(names))
}

/// The `renditions` set, sorted by name (a set has no order); absent is none.
fn get_renditions(item: &Item) -> StoreResult<Vec<Rendition>> {
    let mut names = match item.get(RENDITIONS) {
        None => return Ok(Vec::new()),
        Some(AttributeValue::Ss(names)) => names.clone(),
        Some(_) => return Err(corrupt(RENDITIONS)),
    };
    names.sort_unstable();
    names
        .iter()
        .map(|name| Rendition::parse(name).ok_or_else(|| corrupt(RENDITIONS)))
        .collect()
}

fn get_fit(item: &Item) -> StoreResult<Option<Fit>> {
    match (get_opt_n(item, FIT_WIDTH)?, get_opt_n(item, FIT_HEIGHT)?) {
        (Some(width), Some(height)) => Ok(Some(Fit { width, height })),
        (None, None) => Ok(None),
        _ => Err(corrupt(FIT_WIDTH)),
    }
}

pub(super) fn image_from(item: &Item) -> StoreResult<Image> {
    Ok(Image {
        id: get_id(item, ID)?,
        owner: Username::from_trusted(get_s(item, OWNER)?.to_owned()),
        status: get_media_status(item)?,
        failure: get_failure(item)?,
        width: get_opt_n(item, WIDTH)?,
        height: get_opt_n(item, HEIGHT)?,
        created_at: get_time(item, CREATED_AT)?,
        // Images written before the library existed have none of these: unlisted, untitled.
        title: get_opt_s(item, TITLE)?.unwrap_or_default(),
        listed: get_opt_bool(item, LISTED)?.unwrap_or(false),
        fit: get_fit(item)?,
        renditions: get_renditions(item)?,
        alt_text: get_opt_s(item, ALT_TEXT)?.unwrap_or_default(),
        placeholder: get_placeholder(item)?,
    })
}

/// The `thumbhash` and `color` attributes of an image or post item.
pub(super) fn with_placeholder(item: &mut Item, placeholder: Option<&Placeholder>) {
    if let Some(p) = placeholder {
        item.insert(THUMBHASH.into(), s(&p.thumbhash));
        item.insert(COLOR.into(), s(&p.color));
    }
}

pub(super) fn get_placeholder(item: &Item) -> StoreResult<Option<Placeholder>> {
    Ok(
        match (get_opt_s(item, THUMBHASH)?, get_opt_s(item, COLOR)?) {
            (Some(thumbhash), Some(color)) => Some(Placeholder { thumbhash, color }),
            _ => None,
        },
    )
}

/// A new post (no comments yet, `version` 0), in the feed indexes only if it is born ready.
pub(super) fn post_item(p: &Post) -> StoreResult<Item> {
    let recent = serde_json::to_string(&p.recent_comments).map_err(|_| corrupt(RECENT_COMMENTS))?;
    let mut item = Item::from([
        (PK.into(), s(post_pk(p.id))),
        (SK.into(), s(POST_SK)),
        (ID.into(), s(p.id.to_string())),
        (AUTHOR.into(), s(p.author.as_str())),
        ("caption".into(), s(&p.caption)),
        ("image_id".into(), s(p.image_id.to_string())),
        (STATUS.into(), s(p.status.as_str())),
        (COMMENT_COUNT.into(), n(p.comment_count)),
        (RECENT_COMMENTS.into(), s(recent)),
        (CREATED_AT.into(), n(p.created_at.timestamp_millis())),
        (VERSION.into(), n(0)),
    ]);
    with_failure(&mut item, p.failure.as_ref());
    with_placeholder(&mut item, p.placeholder.as_ref());
    if !p.alt_text.is_empty() {
        item.insert(ALT_TEXT.into(), s(&p.alt_text));
    }
    if p.status == MediaStatus::Ready {
        item.insert(FEED_PK.into(), s(FEED_PARTITION));
        item.insert(AUTHOR_PK.into(), s(p.author.as_str()));
        item.insert(FEED_SK.into(), s(feed_sk(p.comment_count, p.id)));
        item.insert(NEW_SK.into(), s(p.id.to_string()));
    }
    Ok(item)
}

pub(super) fn post_from(item: &Item) -> StoreResult<Post> {
    Ok(Post {
        id: get_id(item, ID)?,
        author: Username::from_trusted(get_s(item, AUTHOR)?.to_owned()),
        caption: get_s(item, "caption")?.to_owned(),
        image_id: get_id(item, "image_id")?,
        status: get_media_status(item)?,
        failure: get_failure(item)?,
        comment_count: get_n(item, COMMENT_COUNT)?,
        recent_comments: recent_from(item)?,
        created_at: get_time(item, CREATED_AT)?,
        alt_text: get_opt_s(item, ALT_TEXT)?.unwrap_or_default(),
        placeholder: get_placeholder(item)?,
    })
}

pub(super) fn recent_from(item: &Item) -> StoreResult<Vec<Comment>> {
    serde_json::from_str(get_s(item, RECENT_COMMENTS)?).map_err(|_| corrupt(RECENT_COMMENTS))
}

pub(super) fn recent_json(recent: &[Comment]) -> StoreResult<AttributeValue> {
    Ok(s(
        serde_json::to_string(recent).map_err(|_| corrupt(RECENT_COMMENTS))?
    ))
}

pub(super) fn comment_item(c: &Comment) -> Item {
    Item::from([
        (PK.into(), s(post_pk(c.post_id))),
        (SK.into(), s(comment_sk(c.id))),
        (ID.into(), s(c.id.to_string())),
        ("post_id".into(), s(c.post_id.to_string())),
        (AUTHOR.into(), s(c.author.as_str())),
        ("text".into(), s(&c.text)),
        (CREATED_AT.into(), n(c.created_at.timestamp_millis())),
    ])
}

pub(super) fn comment_from(item: &Item) -> StoreResult<Comment> {
    Ok(Comment {
        id: get_id(item, ID)?,
        post_id: get_id(item, "post_id")?,
        author: Username::from_trusted(get_s(item, AUTHOR)?.to_owned()),
        text: get_s(item, "text")?.to_owned(),
        created_at: get_time(item, CREATED_AT)?,
    })
}

/// The primary key of an item.
pub(super) fn key(pk: String, sk: &str) -> Item {
    Item::from([(PK.into(), s(pk)), (SK.into(), s(sk))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::now;

    #[test]
    fn images_round_trip_and_only_listed_ones_carry_index_keys() {
        let mut image =
            Image::processing(Id::generate(), Username::from_trusted("al".into()), now());
        let item = image_item(&image);
        assert!(!item.contains_key(OWNER_PK) && !item.contains_key(RENDITIONS));
        let back = image_from(&item).unwrap();
        assert_eq!(
            (back.title.as_str(), back.listed, back.fit),
            ("", false, None)
        );

        image.listed = true;
        image.title = "Été".into();
        image.fit = Some(Fit {
            width: 80,
            height: 60,
        });
        image.renditions = vec![Rendition::Thumb(200), Rendition::Feed, Rendition::Feed];
        let item = image_item(&image);
        assert_eq!(item[OWNER_SK], s(image.id.to_string()));
        assert_eq!(item[TITLE_FOLD], s("été"));
        let back = image_from(&item).unwrap();
        assert_eq!((back.title.as_str(), back.listed), ("Été", true));
        assert_eq!(back.fit, image.fit);
        assert_eq!(back.renditions, [Rendition::Feed, Rendition::Thumb(200)]);
    }
}
