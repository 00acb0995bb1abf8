//! `MediaStore` contract for owners' libraries: listing an image, its renditions, and the
//! newest-first list with its title filter.

use std::collections::HashSet;
use std::sync::Arc;

use imagegram::domain::{Failure, Fit, Id, Image, MediaStatus, Outcome, Rendition};
use imagegram::ports::{ALREADY_LISTED, ImageQuery, Listing, StoreError};

use super::{Library, name, unique, upload_and_image};

const FIT: Fit = Fit {
    width: 800,
    height: 600,
};

/// A new, processing image of `owner`, not in the library yet.
async fn new_image(store: &dyn Library, owner: &str) -> Id {
    let (upload, image) = upload_and_image(owner);
    store.create_upload(&upload, &image).await.unwrap();
    image.id
}

fn ready(renditions: Vec<Rendition>) -> Outcome {
    Outcome::Ready {
        width: 640,
        height: 427,
        renditions,
        placeholder: None,
    }
}

fn failed() -> Outcome {
    Outcome::Failed(Failure {
        code: "corrupt_image".into(),
        message: "x".into(),
    })
}

async fn renditions_of(store: &dyn Library, id: Id) -> HashSet<Rendition> {
    let stored = store.get_image(id).await.unwrap().unwrap().renditions;
    let set: HashSet<_> = stored.iter().copied().collect();
    assert_eq!(set.len(), stored.len(), "a set: {stored:?}");
    set
}

fn query(owner: &str, title: Option<&str>, limit: u32) -> ImageQuery {
    ImageQuery {
        owner: name(owner),
        title: title.map(str::to_owned),
        limit,
    }
}

/// Every image the query lists, across pages (short ones allowed with a title filter).
pub async fn all_images(store: &dyn Library, query: &ImageQuery) -> Vec<Image> {
    let mut images = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let page = store.list_images(query, after.as_deref()).await.unwrap();
        let n = page.items.len();
        assert!(
            n <= query.limit as usize,
            "a page holds at most limit images"
        );
        if query.title.is_none() && page.next.is_some() {
            assert_eq!(
                n, query.limit as usize,
                "untitled pages are full but the last"
            );
        }
        images.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return images,
        }
    }
    panic!("list_images did not reach the end in 1000 pages");
}

fn ids(images: &[Image]) -> Vec<Id> {
    images.iter().map(|i| i.id).collect()
}

pub async fn list_image_then_get(store: &dyn Library) {
    let owner = unique("lib");
    let id = new_image(store, &owner).await;
    let fresh = store.get_image(id).await.unwrap().unwrap();
    assert!(!fresh.listed);
    assert!(fresh.renditions.is_empty());

    let listing = Listing {
        alt_text: "été ".repeat(375),
        ..Listing::new("Été à Paris", Some(FIT))
    };
    let listed = store.list_image(id, &listing).await.unwrap();
    assert_eq!(listed.alt_text, listing.alt_text);
    assert_eq!(
        (listed.id, listed.title.as_str(), listed.fit, listed.listed),
        (id, "Été à Paris", Some(FIT), true)
    );
    assert_eq!(listed.status, MediaStatus::Processing);
    let got = store.get_image(id).await.unwrap().unwrap();
    assert_eq!(
        (got.title.as_str(), got.fit, got.listed, got.owner.as_str()),
        ("Été à Paris", Some(FIT), true, owner.as_str())
    );
    assert_eq!(got.alt_text, listing.alt_text);

    // Listing it again is a conflict and changes nothing.
    assert!(matches!(
        store.list_image(id, &Listing::new("Other", None)).await,
        Err(StoreError::Conflict(ALREADY_LISTED))
    ));
    let got = store.get_image(id).await.unwrap().unwrap();
    assert_eq!((got.title.as_str(), got.fit), ("Été à Paris", Some(FIT)));

    assert!(matches!(
        store
            .list_image(Id::generate(), &Listing::new("Ghost", None))
            .await,
        Err(StoreError::NotFound)
    ));

    // Without a requested size the image keeps none.
    let plain = new_image(store, &owner).await;
    let listed = store
        .list_image(plain, &Listing::new("Plain", None))
        .await
        .unwrap();
    assert_eq!((listed.fit, listed.listed), (None, true));
    assert_eq!(listed.alt_text, "");
    assert_eq!(store.get_image(plain).await.unwrap().unwrap().fit, None);
}

pub async fn list_images_newest_first_across_pages(store: &dyn Library) {
    let (owner, other) = (unique("lib"), unique("lib"));
    // Listed images in every status, created oldest first.
    let mut mine = Vec::new();
    for (i, outcome) in [
        None,
        Some(ready(vec![Rendition::Feed])),
        Some(failed()),
        None,
        Some(ready(vec![])),
    ]
    .into_iter()
    .enumerate()
    {
        let id = new_image(store, &owner).await;
        if let Some(outcome) = outcome {
            assert!(store.finish_image(id, &outcome).await.unwrap());
        }
        store
            .list_image(id, &Listing::new(format!("image {i}"), None))
            .await
            .unwrap();
        mine.push(id);
    }
    // Neither an unlisted image of the owner nor someone else's listed one is listed.
    new_image(store, &owner).await;
    let theirs = new_image(store, &other).await;
    store
        .list_image(theirs, &Listing::new("image 0", None))
        .await
        .unwrap();
    mine.reverse();

    for limit in [1, 2, 3, 100] {
        let all = all_images(store, &query(&owner, None, limit)).await;
        assert_eq!(ids(&all), mine, "limit {limit}");
        assert!(all.iter().all(|i| i.listed && i.owner.as_str() == owner));
    }
    let all = all_images(store, &query(&owner, None, 100)).await;
    let statuses: HashSet<_> = all.iter().map(|i| i.status.as_str()).collect();
    assert_eq!(statuses.len(), 3, "every status is listed");
    assert_eq!(all[4].title, "image 0");
    assert_eq!(
        ids(&all_images(store, &query(&other, None, 2)).await),
        vec![theirs]
    );
    let nobody = store
        .list_images(&query(&unique("lib"), None, 10), None)
        .await
        .unwrap();
    assert!(nobody.items.is_empty() && nobody.next.is_none());

    assert!(matches!(
        store
            .list_images(&query(&owner, None, 2), Some("not a continuation"))
            .await,
        Err(StoreError::BadContinuation)
    ));
}

pub async fn title_filter_is_case_insensitive_and_unicode(store: &dyn Library) {
    let (owner, other) = (unique("lib"), unique("lib"));
    let titles = [
        "Été à Paris",
        "Winter",
        "été en montagne",
        "Paris by night",
        "ÉTÉ",
    ];
    let mut ids_by_title = Vec::new();
    for title in titles {
        let id = new_image(store, &owner).await;
        store
            .list_image(id, &Listing::new(title, None))
            .await
            .unwrap();
        ids_by_title.push(id);
    }
    let theirs = new_image(store, &other).await;
    store
        .list_image(theirs, &Listing::new("Paris", None))
        .await
        .unwrap();

    let newest_first = |picked: &[usize]| -> Vec<Id> {
        let mut ids: Vec<_> = picked.iter().map(|&i| ids_by_title[i]).collect();
        ids.sort_by(|a, b| b.cmp(a));
        ids
    };
    let cases: [(&str, &[usize]); 7] = [
        ("ÉTÉ", &[0, 2, 4]),
        ("été", &[0, 2, 4]),
        ("paris", &[0, 3]),
        ("PARIS BY", &[3]),
        ("été à", &[0]),
        ("winter", &[1]),
        ("ete", &[]),
    ];
    for (needle, picked) in cases {
        for limit in [1, 2, 100] {
            let found = all_images(store, &query(&owner, Some(needle), limit)).await;
            assert_eq!(
                ids(&found),
                newest_first(picked),
                "{needle:?}, limit {limit}"
            );
        }
    }
}

pub async fn add_renditions_is_a_set_union(store: &dyn Library) {
    let id = new_image(store, &unique("lib")).await;
    store
        .add_renditions(id, &[Rendition::Thumb(200)])
        .await
        .unwrap();
    store
        .add_renditions(id, &[Rendition::Thumb(200)])
        .await
        .unwrap();
    assert_eq!(
        renditions_of(store, id).await,
        HashSet::from([Rendition::Thumb(200)])
    );
    store
        .add_renditions(
            id,
            &[
                Rendition::Fit(FIT),
                Rendition::Thumb(400),
                Rendition::Fit(FIT),
            ],
        )
        .await
        .unwrap();
    store.add_renditions(id, &[]).await.unwrap();
    store.add_renditions(id, &[Rendition::Feed]).await.unwrap();
    assert_eq!(
        renditions_of(store, id).await,
        HashSet::from([
            Rendition::Thumb(200),
            Rendition::Thumb(400),
            Rendition::Fit(FIT),
            Rendition::Feed
        ])
    );
    assert!(matches!(
        store
            .add_renditions(Id::generate(), &[Rendition::Feed])
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn concurrent_add_renditions_keep_all(store: Arc<dyn Library>) {
    let id = new_image(store.as_ref(), &unique("lib")).await;
    let mut tasks = Vec::new();
    for h in 1..=16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .add_renditions(id, &[Rendition::Feed, Rendition::Thumb(h * 100)])
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected: HashSet<_> = (1..=16)
        .map(|h| Rendition::Thumb(h * 100))
        .chain([Rendition::Feed])
        .collect();
    assert_eq!(renditions_of(store.as_ref(), id).await, expected);
}

pub async fn finish_image_adds_its_renditions(store: &dyn Library) {
    let owner = unique("lib");
    let id = new_image(store, &owner).await;
    store
        .add_renditions(id, &[Rendition::Thumb(200)])
        .await
        .unwrap();
    assert!(
        store
            .finish_image(id, &ready(vec![Rendition::Feed, Rendition::Fit(FIT)]))
            .await
            .unwrap()
    );
    let all = HashSet::from([Rendition::Thumb(200), Rendition::Feed, Rendition::Fit(FIT)]);
    assert_eq!(renditions_of(store, id).await, all);

    // A duplicate event adds nothing.
    assert!(
        !store
            .finish_image(id, &ready(vec![Rendition::Thumb(999)]))
            .await
            .unwrap()
    );
    assert_eq!(renditions_of(store, id).await, all);

    let broken = new_image(store, &owner).await;
    assert!(store.finish_image(broken, &failed()).await.unwrap());
    assert!(renditions_of(store, broken).await.is_empty());
}
