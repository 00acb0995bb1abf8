//! `ObjectStore` contract, with real HTTP PUT/GET through presigned URLs.

use std::time::Duration;

use bytes::Bytes;
use imagegram::ports::{Bucket, ObjectError, ObjectStore};

const MIB: usize = 1024 * 1024;

pub async fn multipart_with_presigned_parts(store: &dyn ObjectStore) {
    let key = "uploads/alice/01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let data: Vec<u8> = (0..6 * MIB + 123).map(|i| (i % 251) as u8).collect();
    let mp = store.start_multipart(key, "image/jpeg").await.unwrap();
    let http = reqwest::Client::new();
    let lens = [5 * MIB, MIB + 123];
    let mut etags = Vec::new();
    // Upload part 2 first: ListParts must still come back sorted.
    for (n, range) in [(2u32, 5 * MIB..data.len()), (1, 0..5 * MIB)] {
        let url = store
            .presign_part(
                key,
                &mp,
                n,
                lens[n as usize - 1] as u64,
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let res = http
            .put(&url.url)
            .body(data[range].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "part {n}");
        etags.push((
            n,
            res.headers()["etag"]
                .to_str()
                .unwrap()
                .trim_matches('"')
                .to_owned(),
        ));
    }
    etags.sort();
    let parts = store.list_parts(key, &mp).await.unwrap();
    assert_eq!(
        parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        parts.iter().map(|p| p.size).collect::<Vec<_>>(),
        vec![5 * MIB as u64, MIB as u64 + 123]
    );
    assert_eq!(
        parts.iter().map(|p| p.etag.clone()).collect::<Vec<_>>(),
        etags.iter().map(|e| e.1.clone()).collect::<Vec<_>>()
    );

    // A wrong ETag or a missing part is InvalidPart, and the upload stays open.
    let wrong = vec![(1, etags[0].1.clone()), (2, "0".repeat(32))];
    assert!(matches!(
        store.complete_multipart(key, &mp, &wrong).await,
        Err(ObjectError::InvalidPart(_))
    ));
    let missing = vec![
        (1, etags[0].1.clone()),
        (2, etags[1].1.clone()),
        (3, etags[1].1.clone()),
    ];
    assert!(matches!(
        store.complete_multipart(key, &mp, &missing).await,
        Err(ObjectError::InvalidPart(_))
    ));
    store.complete_multipart(key, &mp, &etags).await.unwrap();

    let info = store.head(Bucket::Uploads, key).await.unwrap().unwrap();
    assert_eq!(info.size, data.len() as u64);
    assert!(matches!(
        store.get(Bucket::Uploads, key, 1000).await,
        Err(ObjectError::TooLarge(_))
    ));
    assert_eq!(
        store
            .get(Bucket::Uploads, key, 100 * MIB as u64)
            .await
            .unwrap(),
        Bytes::from(data)
    );
}

pub async fn presigned_urls_are_checked(store: &dyn ObjectStore) {
    let key = "01ARZ3NDEKTSV4RRFFQ69G5FAV/600x600.jpg";
    store
        .put(
            Bucket::Renditions,
            key,
            Bytes::from_static(b"jpeg bytes"),
            "image/jpeg",
        )
        .await
        .unwrap();
    store
        .put(
            Bucket::Renditions,
            key,
            Bytes::from_static(b"jpeg bytes 2"),
            "image/jpeg",
        )
        .await
        .unwrap();
    let signed = store
        .presign_get(Bucket::Renditions, key, Duration::from_secs(60))
        .await
        .unwrap();
    let res = reqwest::get(&signed.url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.bytes().await.unwrap(),
        Bytes::from_static(b"jpeg bytes 2")
    );
    let (head, sig) = signed.url.split_once("X-Amz-Signature=").unwrap();
    let flipped = format!(
        "{head}X-Amz-Signature={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    for bad in [
        signed.url.replace("600x600", "600x601"),
        flipped,
        signed.url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"),
        signed.url.replace(
            "X-Amz-SignedHeaders=host",
            "X-Amz-SignedHeaders=host%3Brange",
        ),
    ] {
        assert_eq!(reqwest::get(&bad).await.unwrap().status(), 403, "{bad}");
    }
    // Malformed signatures (wrong length, missing) are refused too (400 or 403).
    for bad in [
        signed.url.replace("X-Amz-Signature=", "X-Amz-Signature=1"),
        head.trim_end_matches('&').to_owned(),
    ] {
        let status = reqwest::get(&bad).await.unwrap().status().as_u16();
        assert!(status == 400 || status == 403, "{bad} -> {status}");
    }
    store.delete(Bucket::Renditions, key).await.unwrap();
    assert!(store.head(Bucket::Renditions, key).await.unwrap().is_none());
    assert!(matches!(
        store.get(Bucket::Renditions, key, 100).await,
        Err(ObjectError::NotFound)
    ));
}

pub async fn expired_urls_are_refused(store: &dyn ObjectStore) {
    let key = "uploads/alice/01ARZ3NDEKTSV4RRFFQ69G5FAW";
    let mp = store.start_multipart(key, "image/png").await.unwrap();
    let url = store
        .presign_part(key, &mp, 1, 3, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = reqwest::Client::new()
        .put(&url.url)
        .body(b"abc".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    store.abort_multipart(key, &mp).await.unwrap();
    assert!(store.list_parts(key, &mp).await.unwrap().is_empty());
}
