//! Schema versions (`PRAGMA user_version`): a fresh file gets the current schema, an older one is
//! upgraded in place one version at a time, all in one transaction.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::domain::fold_title;
use crate::ports::{StoreError, StoreResult};

pub(super) const SCHEMA_VERSION: i64 = 5;

/// The current schema, for a file that has none yet.
const SCHEMA: &str = include_str!("schema.sql");

/// What upgrades version `to - 1` to `to`: a script, then what SQL alone cannot do.
struct Step {
    to: i64,
    sql: &'static str,
    then: fn(&Transaction<'_>) -> StoreResult<()>,
}

/// In ascending order of `to`.
const STEPS: &[Step] = &[
    Step {
        to: 2,
        sql: include_str!("migrations/v2.sql"),
        then: list_posted_images,
    },
    Step {
        to: 3,
        sql: include_str!("migrations/v3.sql"),
        then: |_| Ok(()),
    },
    Step {
        to: 4,
        sql: include_str!("migrations/v4.sql"),
        then: |_| Ok(()),
    },
    Step {
        to: 5,
        sql: include_str!("migrations/v5.sql"),
        then: |_| Ok(()),
    },
];

/// Brings the database to [`SCHEMA_VERSION`]. The version is read inside the write transaction,
/// so two processes opening the same file at once migrate it once.
pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Unavailable(format!(
            "database schema version {version} is newer than this build understands ({SCHEMA_VERSION})"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    if version == 0 {
        tx.execute_batch(SCHEMA)?;
    } else {
        for step in STEPS.iter().filter(|s| s.to > version) {
            tx.execute_batch(step.sql)?;
            (step.then)(&tx)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Version 2: a posted image is in its owner's library, titled as `app::posts` titles the image of
/// a new post (its first post's caption, else its file name, else "untitled"; 200 characters at
/// most), with the folded title beside it.
fn list_posted_images(tx: &Transaction<'_>) -> StoreResult<()> {
    let posted: Vec<(String, String, Option<String>)> = tx
        .prepare(
            "SELECT p.image_id, p.caption, u.filename FROM posts AS p \
             LEFT JOIN uploads AS u ON u.id = p.image_id ORDER BY p.image_id, p.id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut list = tx.prepare(
        "UPDATE images SET listed = 1, title = ?2, title_fold = ?3 WHERE id = ?1 AND listed = 0",
    )?;
    for (image, caption, filename) in posted {
        let title: String = [caption.trim(), filename.as_deref().unwrap_or("").trim()]
            .into_iter()
            .find(|t| !t.is_empty())
            .unwrap_or("untitled")
            .chars()
            .take(200)
            .collect();
        list.execute(params![image, title, fold_title(&title)])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::adapters::sqlite::Sqlite;
    use crate::domain::{Fit, Id, MediaStatus, Rendition, Role, Tier, Username};
    use crate::ports::{ImageQuery, LibraryStore, Listing, MediaStore, TierStore, UserStore};

    const V1_SCHEMA: &str = include_str!("migrations/v1_schema.sql");

    /// A data dir as version 1 left it: alice with a ready, posted image and a processing one.
    fn version_1_file(path: &Path, ready: Id, processing: Id) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(V1_SCHEMA).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO users VALUES ('alice', '$argon2id$x', 'Basic', 'user', 1)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO images (id, owner, status, width, height, created_at) \
             VALUES (?1, 'alice', 'ready', 640, 427, 2), (?2, 'alice', 'processing', NULL, NULL, 3)",
            params![ready.to_string(), processing.to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO posts (id, author, caption, image_id, status, created_at) \
             VALUES (?1, 'alice', ' Été à Paris ', ?2, 'ready', 4)",
            params![Id::generate().to_string(), ready.to_string()],
        )
        .unwrap();
    }

    fn version(path: &Path) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    /// Every table's columns and every index's name, columns and partial-ness, in a stable order.
    fn shape(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let names = |sql: &str| -> Vec<String> {
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let mut shape = Vec::new();
        for table in names("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
            let sql = format!(
                "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || ifnull(dflt_value, '-') || ' ' || pk \
                 FROM pragma_table_info('{table}') ORDER BY cid"
            );
            shape.extend(names(&sql).into_iter().map(|c| format!("{table}: {c}")));
            let sql = format!(
                "SELECT l.name || ' partial=' || l.partial || ' on ' || \
                 (SELECT group_concat(i.name, ',') FROM pragma_index_info(l.name) AS i) \
                 FROM pragma_index_list('{table}') AS l ORDER BY l.name"
            );
            shape.extend(
                names(&sql)
                    .into_iter()
                    .map(|i| format!("{table}: index {i}")),
            );
        }
        shape
    }

    #[tokio::test]
    async fn a_version_1_file_is_upgraded_in_place() {
        // Given a data dir written by version 1
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let (ready, processing) = (Id::generate(), Id::generate());
        version_1_file(&path, ready, processing);

        // When this build opens it
        let store = Sqlite::open(&path).unwrap();

        // Then it is at version 2, its data is intact, and the new columns read and write
        assert_eq!(version(&path), SCHEMA_VERSION);
        let alice = store.get_user("alice").await.unwrap().unwrap();
        assert_eq!((alice.tier.as_str(), alice.role), ("Basic", Role::User));
        let image = store.get_image(ready).await.unwrap().unwrap();
        assert_eq!(
            (image.status, image.width, image.height),
            (MediaStatus::Ready, Some(640), Some(427))
        );
        assert_eq!(image.renditions, vec![Rendition::Feed]);
        assert!(image.listed, "a posted image is in the library");
        assert_eq!((image.title.as_str(), image.fit), ("Été à Paris", None));
        let fresh = store.get_image(processing).await.unwrap().unwrap();
        assert!(!fresh.listed && fresh.renditions.is_empty());

        let fit = Fit {
            width: 800,
            height: 600,
        };
        let listed = store
            .list_image(processing, &Listing::new("Winter in Oslo", Some(fit)))
            .await
            .unwrap();
        assert_eq!(
            (listed.title.as_str(), listed.fit, listed.listed),
            ("Winter in Oslo", Some(fit), true)
        );
        store
            .add_renditions(ready, &[Rendition::Thumb(200)])
            .await
            .unwrap();
        let search = |title: &str| ImageQuery {
            owner: Username::from_trusted("alice".into()),
            title: Some(title.into()),
            limit: 10,
        };
        for (needle, found) in [("ÉTÉ", ready), ("oslo", processing)] {
            let page = store.list_images(&search(needle), None).await.unwrap();
            let ids: Vec<_> = page.items.iter().map(|i| i.id).collect();
            assert_eq!(ids, vec![found], "{needle}");
        }
        let all = ImageQuery {
            title: None,
            ..search("")
        };
        let page = store.list_images(&all, None).await.unwrap();
        assert_eq!(
            page.items.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![processing, ready]
        );
        let renditions: HashSet<_> = store
            .get_image(ready)
            .await
            .unwrap()
            .unwrap()
            .renditions
            .into_iter()
            .collect();
        assert_eq!(
            renditions,
            HashSet::from([Rendition::Feed, Rendition::Thumb(200)])
        );

        let basic = Tier::new("Basic", vec![200], false, false).unwrap();
        store.create_tier(&basic).await.unwrap();
        assert_eq!(store.get_tier("Basic").await.unwrap(), Some(basic));

        // And opening it again changes nothing
        drop(store);
        let again = Sqlite::open(&path).unwrap();
        let title = again.get_image(processing).await.unwrap().unwrap().title;
        assert_eq!(title, "Winter in Oslo");
    }

    #[test]
    fn a_migrated_file_has_the_shape_of_a_fresh_one() {
        // Given a fresh file and a version 1 file, both opened by this build
        let dir = tempfile::tempdir().unwrap();
        let (fresh, old) = (dir.path().join("fresh.db"), dir.path().join("old.db"));
        Sqlite::open(&fresh).unwrap();
        version_1_file(&old, Id::generate(), Id::generate());
        Sqlite::open(&old).unwrap();

        // Then both are the current version with the same tables, columns and indexes
        assert_eq!(version(&fresh), SCHEMA_VERSION);
        let shape_fresh = shape(&fresh);
        assert!(
            shape_fresh
                .iter()
                .any(|s| s.contains("images_by_owner partial=1 on owner,id,title_fold"))
        );
        assert!(shape_fresh.iter().any(|s| s.starts_with("tiers: ")));
        assert_eq!(shape_fresh, shape(&old));
    }

    #[test]
    fn a_newer_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            Sqlite::open(&path),
            Err(StoreError::Unavailable(_))
        ));
    }
}
