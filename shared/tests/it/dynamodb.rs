//! What the DynamoDB adapter must do beyond the port suites (`stores.rs` runs those): the items
//! it writes, its indexes and the bounds of its queries, on a moto server, a fresh table per test.
//!
//! How the moto server is found or started (and why it serializes requests): `common/moto.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{common, conformance};

use common::moto::{moto_url, store};
use imagegram::adapters::dynamodb::{DynamoStore, create_table};
use imagegram::domain::Id;
use imagegram::ports::{LibraryStore, Listing, StoreError};

#[tokio::test]
async fn dynamodb_create_table_twice_is_already_exists() {
    let s = store().await;
    let client = DynamoStore::local_client(&moto_url(), "AKTEST", "secret-test");
    assert!(matches!(
        create_table(&client, s.table()).await,
        Err(StoreError::AlreadyExists)
    ));
}

/// SECURITY.md figure 4 on DynamoDB: 20 rounds of 50 concurrent creates + 20 concurrent deletes.
/// Each round gets a fresh table: moto copies the whole table for every TransactWriteItems, so on
/// one table that has collected earlier rounds' items the same rounds take about 4x longer (≈ 9 min
/// instead of ≈ 2.5 min here) without testing anything more. The rounds are independent anyway:
/// each makes its own post.
/// Tiers count their users in the same transactions that write users: the count is what makes
/// `delete_tier` atomic, so check it is exact through creates, moves and refused writes.
type RawItem = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A raw item of the store's table (what the adapter wrote, beyond what the ports show).
async fn raw_item(s: &DynamoStore, pk: &str, sk: &str) -> Option<RawItem> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = DynamoStore::local_client(&moto_url(), "AKTEST", "secret-test");
    client
        .get_item()
        .table_name(s.table())
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn number(item: &RawItem, name: &str) -> i64 {
    item[name].as_n().unwrap().parse().unwrap()
}

/// Tiers count their users in the same transactions that write users: the count is what makes
/// `delete_tier` atomic, so check it is exact through creates, moves and refused writes.
#[tokio::test]
async fn dynamodb_tier_user_counts_stay_exact() {
    use imagegram::domain::{Role, Tier, User};
    use imagegram::ports::{NO_SUCH_TIER, TIER_IN_USE, TierStore, UserStore};

    let s = store().await;
    // Given two tiers and three users on Gold
    for name in ["Gold", "Tin"] {
        s.create_tier(&Tier::new(name, vec![200], false, false).unwrap())
            .await
            .unwrap();
    }
    let user = |name: &str, tier: &str| User {
        username: conformance::name(name),
        password_hash: "h".into(),
        tier: tier.into(),
        role: Role::User,
        created_at: imagegram::domain::now(),
    };
    for name in ["ann", "bob", "cid"] {
        s.create_user(&user(name, "Gold")).await.unwrap();
    }
    // When a taken name and a missing tier are refused, and users move between tiers
    assert!(matches!(
        s.create_user(&user("ann", "Tin")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        s.create_user(&user("ann", "Nope")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        s.create_user(&user("dan", "Nope")).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
    assert!(matches!(
        s.update_user(&user("bob", "Nope")).await,
        Err(StoreError::Conflict(NO_SUCH_TIER))
    ));
    s.update_user(&user("bob", "Tin")).await.unwrap();
    s.update_user(&user("cid", "Tin")).await.unwrap();
    s.update_user(&user("cid", "Tin")).await.unwrap();
    // Then the counts are exact and the refused writes left nothing behind
    let gold = raw_item(&s, "TIERS", "Gold").await.unwrap();
    let tin = raw_item(&s, "TIERS", "Tin").await.unwrap();
    assert_eq!(
        (number(&gold, "user_count"), number(&tin, "user_count")),
        (1, 2)
    );
    assert!(raw_item(&s, "TIERS", "Nope").await.is_none());
    assert!(s.get_user("dan").await.unwrap().is_none());
    assert_eq!(s.get_user("bob").await.unwrap().unwrap().tier, "Tin");
    assert!(matches!(
        s.delete_tier("Gold").await,
        Err(StoreError::Conflict(TIER_IN_USE))
    ));
    s.update_user(&user("ann", "Tin")).await.unwrap();
    s.delete_tier("Gold").await.unwrap();
    assert!(matches!(
        s.delete_tier("Gold").await,
        Err(StoreError::NotFound)
    ));
}

/// A user written before tiers were counted (no `user_count` share, no listing keys): moving it
/// must not drive its old tier's count below zero, and lists it from then on.
#[tokio::test]
async fn dynamodb_legacy_user_moves_without_a_negative_count() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use imagegram::domain::{Role, Tier, User};
    use imagegram::ports::{TierStore, UserStore};

    let s = store().await;
    for name in ["Basic", "Premium"] {
        s.create_tier(&Tier::new(name, vec![200], false, false).unwrap())
            .await
            .unwrap();
    }
    // Given a user item as the adapter wrote it before this change
    let client = DynamoStore::local_client(&moto_url(), "AKTEST", "secret-test");
    let old = [
        ("pk", "USER#old_timer"),
        ("sk", "USER"),
        ("username", "old_timer"),
        ("password_hash", "h"),
        ("tier", "Basic"),
        ("role", "user"),
    ];
    let mut put = client.put_item().table_name(s.table());
    for (k, v) in old {
        put = put.item(k, AttributeValue::S(v.into()));
    }
    put.item("created_at", AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();
    assert!(s.list_users(10, None).await.unwrap().items.is_empty());
    // When it moves to another tier
    let moved = User {
        username: conformance::name("old_timer"),
        password_hash: "h2".into(),
        tier: "Premium".into(),
        role: Role::User,
        created_at: imagegram::domain::now(),
    };
    s.update_user(&moved).await.unwrap();
    // Then the old tier stays at zero, the new one counts it, and it is listed
    let basic = raw_item(&s, "TIERS", "Basic").await.unwrap();
    let premium = raw_item(&s, "TIERS", "Premium").await.unwrap();
    assert_eq!(
        (number(&basic, "user_count"), number(&premium, "user_count")),
        (0, 1)
    );
    let listed = s.list_users(10, None).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].tier, "Premium");
}

/// `images_by_owner` is sparse: an image enters it when listed, never at creation.
#[tokio::test]
async fn dynamodb_only_listed_images_are_in_the_owner_index() {
    use imagegram::domain::{Fit, Outcome, Rendition};
    use imagegram::ports::{ALREADY_LISTED, MediaStore};

    let s = store().await;
    let (upload, image) = conformance::upload_and_image("alice");
    s.create_upload(&upload, &image).await.unwrap();
    let pk = format!("IMAGE#{}", image.id);
    let item = raw_item(&s, &pk, "IMAGE").await.unwrap();
    assert!(!item.contains_key("owner_pk") && !item.contains_key("owner_sk"));
    assert!(!item.contains_key("renditions"));

    let fit = Fit {
        width: 800,
        height: 600,
    };
    let listed = s
        .list_image(image.id, &Listing::new("Été à Paris", Some(fit)))
        .await
        .unwrap();
    assert!(listed.listed);
    assert_eq!(
        (listed.title.as_str(), listed.fit),
        ("Été à Paris", Some(fit))
    );
    let item = raw_item(&s, &pk, "IMAGE").await.unwrap();
    assert_eq!(item["owner_pk"].as_s().unwrap(), "alice");
    assert_eq!(item["owner_sk"].as_s().unwrap(), &image.id.to_string());
    assert_eq!(item["title_fold"].as_s().unwrap(), "été à paris");
    assert!(matches!(
        s.list_image(image.id, &Listing::new("again", None)).await,
        Err(StoreError::Conflict(ALREADY_LISTED))
    ));
    assert!(matches!(
        s.list_image(Id::generate(), &Listing::new("x", None)).await,
        Err(StoreError::NotFound)
    ));

    // Renditions: a string set, a union of what finish_image and add_renditions bring.
    let ready = Outcome::Ready {
        width: 10,
        height: 10,
        renditions: vec![Rendition::Feed, Rendition::Thumb(200)],
        placeholder: None,
    };
    assert!(s.finish_image(image.id, &ready).await.unwrap());
    s.add_renditions(image.id, &[Rendition::Thumb(200), Rendition::Fit(fit)])
        .await
        .unwrap();
    s.add_renditions(image.id, &[]).await.unwrap();
    let mut names: Vec<String> = s
        .get_image(image.id)
        .await
        .unwrap()
        .unwrap()
        .renditions
        .iter()
        .map(Rendition::name)
        .collect();
    names.sort();
    assert_eq!(names, ["feed", "fit:800x600", "h:200"]);
    for empty in [&[][..], &[Rendition::Feed][..]] {
        assert!(matches!(
            s.add_renditions(Id::generate(), empty).await,
            Err(StoreError::NotFound)
        ));
    }
}

/// A title search reads at most 5 queries per page: with the only match behind ~60 other images
/// (limit 1: the reads grow 2, 4, 8, 16, 32), the first page is short, and walking the
/// continuations finds the match exactly once and ends.
#[tokio::test]
async fn dynamodb_title_search_pages_are_bounded_and_complete() {
    use imagegram::ports::{ImageQuery, MediaStore};

    let s = store().await;
    for i in 0..70 {
        let (upload, image) = conformance::upload_and_image("alice");
        s.create_upload(&upload, &image).await.unwrap();
        let title = if i == 0 { "The Needle" } else { "hay" };
        s.list_image(image.id, &Listing::new(title, None))
            .await
            .unwrap();
    }
    let query = ImageQuery {
        owner: conformance::name("alice"),
        title: Some("NEEDLE".into()),
        limit: 1,
    };
    let first = s.list_images(&query, None).await.unwrap();
    assert!(first.items.is_empty());
    let mut after = first.next.clone();
    assert!(after.is_some());
    let mut found = Vec::new();
    let mut pages = 1;
    while let Some(a) = after {
        let page = s.list_images(&query, Some(&a)).await.unwrap();
        found.extend(page.items.into_iter().map(|i| i.title));
        after = page.next;
        pages += 1;
        assert!(pages < 10, "no end");
    }
    assert_eq!(found, ["The Needle"]);
    assert!(matches!(
        s.list_images(&query, Some("garbled")).await,
        Err(StoreError::BadContinuation)
    ));
}
