//! Image rows on SQLite: how one reads back, its set of renditions, and an owner's library pages.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::media::{failure, placeholder};
use super::{corrupt, from_millis};
use crate::domain::{Fit, Id, Image, MediaStatus, Rendition, Username};
use crate::ports::StoreResult;

const IMAGE_COLUMNS: &str = "id, owner, status, failure_code, failure_message, width, height, created_at, \
                             title, listed, fit_width, fit_height, renditions, alt_text, thumbhash, color";

struct StoredImage {
    id: String,
    owner: String,
    status: String,
    failure_code: Option<String>,
    failure_message: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    created_at: i64,
    title: String,
    listed: bool,
    fit_width: Option<u32>,
    fit_height: Option<u32>,
    renditions: String,
    alt_text: String,
    thumbhash: Option<String>,
    color: Option<String>,
}

fn read_image(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredImage> {
    Ok(StoredImage {
        id: r.get(0)?,
        owner: r.get(1)?,
        status: r.get(2)?,
        failure_code: r.get(3)?,
        failure_message: r.get(4)?,
        width: r.get(5)?,
        height: r.get(6)?,
        created_at: r.get(7)?,
        title: r.get(8)?,
        listed: r.get(9)?,
        fit_width: r.get(10)?,
        fit_height: r.get(11)?,
        renditions: r.get(12)?,
        alt_text: r.get(13)?,
        thumbhash: r.get(14)?,
        color: r.get(15)?,
    })
}

impl StoredImage {
    fn into_image(self) -> StoreResult<Image> {
        let fit = match (self.fit_width, self.fit_height) {
            (Some(width), Some(height)) => Some(Fit { width, height }),
            (None, None) => None,
            _ => return Err(corrupt("image size")),
        };
        Ok(Image {
            id: Id::parse(&self.id).ok_or_else(|| corrupt("image id"))?,
            owner: Username::from_trusted(self.owner),
            status: MediaStatus::parse(&self.status).ok_or_else(|| corrupt("image status"))?,
            failure: failure(self.failure_code, self.failure_message),
            width: self.width,
            height: self.height,
            created_at: from_millis(self.created_at),
            title: self.title,
            listed: self.listed,
            fit,
            renditions: parse_renditions(&self.renditions)?,
            alt_text: self.alt_text,
            placeholder: placeholder(self.thumbhash, self.color),
        })
    }
}

pub(super) fn image_by_id(conn: &Connection, id: Id) -> StoreResult<Option<Image>> {
    let sql = format!("SELECT {IMAGE_COLUMNS} FROM images WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], read_image)
        .optional()?;
    row.map(StoredImage::into_image).transpose()
}

/// The stored form of a rendition set: a JSON array of [`Rendition::name`]s.
fn parse_renditions(text: &str) -> StoreResult<Vec<Rendition>> {
    let names: Vec<String> = serde_json::from_str(text).map_err(|_| corrupt("renditions"))?;
    names
        .iter()
        .map(|n| Rendition::parse(n).ok_or_else(|| corrupt("rendition")))
        .collect()
}

/// Adds `new` to image `id`'s set of renditions inside the caller's write transaction, which makes
/// the read-modify-write a set union no other writer can interleave with. `false`: no such image.
pub(super) fn add_renditions(tx: &Transaction<'_>, id: Id, new: &[Rendition]) -> StoreResult<bool> {
    let key = id.to_string();
    let stored: Option<String> = tx
        .prepare_cached("SELECT renditions FROM images WHERE id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    let Some(stored) = stored else {
        return Ok(false);
    };
    let mut set = parse_renditions(&stored)?;
    let before = set.len();
    for r in new {
        if !set.contains(r) {
            set.push(*r);
        }
    }
    if set.len() > before {
        let names: Vec<String> = set.iter().map(Rendition::name).collect();
        let json = serde_json::to_string(&names).map_err(|_| corrupt("renditions"))?;
        tx.prepare_cached("UPDATE images SET renditions = ?2 WHERE id = ?1")?
            .execute([&key, &json])?;
    }
    Ok(true)
}

/// One page of an owner's listed images, newest first: a range scan of `images_by_owner`
/// (`listed = 1` is spelled out so the partial index applies). A title search filters on the
/// folded title inside that index (a covering scan that touches no table row) and then reads only
/// the rows of the page: `images` is WITHOUT ROWID, so SQLite would otherwise look up every
/// scanned row in the table before testing its title.
/// Parameters: `:owner`, `:before` (an id, or `~` which sorts after every id), `:limit`, `:needle`.
fn page_sql(by_title: bool) -> String {
    let range = "owner = :owner AND listed = 1 AND id < :before";
    if by_title {
        format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE id IN (SELECT id FROM images WHERE {range} \
             AND instr(title_fold, :needle) > 0 ORDER BY id DESC LIMIT :limit) ORDER BY id DESC"
        )
    } else {
        format!("SELECT {IMAGE_COLUMNS} FROM images WHERE {range} ORDER BY id DESC LIMIT :limit")
    }
}

/// Up to `limit + 1` images (the extra one says whether there is a next page).
pub(super) fn page(
    conn: &Connection,
    owner: &str,
    needle: Option<&str>,
    before: Option<Id>,
    limit: u32,
) -> StoreResult<Vec<Image>> {
    let mut stmt = conn.prepare_cached(&page_sql(needle.is_some()))?;
    let before = before.map_or_else(|| "~".to_owned(), |id| id.to_string());
    let limit = i64::from(limit) + 1;
    let mut named: Vec<(&str, &dyn rusqlite::ToSql)> =
        vec![(":owner", &owner), (":before", &before), (":limit", &limit)];
    if let Some(needle) = &needle {
        named.push((":needle", needle));
    }
    let rows = stmt.query_map(named.as_slice(), read_image)?;
    rows.map(|r| r?.into_image()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::Sqlite;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn an_untitled_page_is_one_range_scan_of_the_owner_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        Sqlite::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();

        let sql = page_sql(false)
            .replace(":owner", "'alice'")
            .replace(":before", "'~'")
            .replace(":limit", "21");
        let plan = plan(&conn, &sql);
        assert!(
            plan.contains("USING INDEX images_by_owner (owner=? AND id<?)"),
            "{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn a_title_search_scans_only_the_owner_index_and_reads_only_its_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        Sqlite::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();

        let sql = page_sql(true)
            .replace(":owner", "'alice'")
            .replace(":before", "'~'")
            .replace(":limit", "21")
            .replace(":needle", "'sunset'");
        let plan = plan(&conn, &sql);
        assert!(
            plan.contains("USING COVERING INDEX images_by_owner (owner=? AND id<?)"),
            "{plan}"
        );
        assert!(plan.contains("USING PRIMARY KEY (id=?)"), "{plan}");
        assert!(!plan.contains("SCAN images"), "{plan}");
    }

    #[test]
    fn rendition_sets_read_back_and_refuse_garbage() {
        assert_eq!(
            parse_renditions(r#"["feed","h:200","fit:800x600"]"#).unwrap(),
            vec![
                Rendition::Feed,
                Rendition::Thumb(200),
                Rendition::Fit(Fit {
                    width: 800,
                    height: 600
                })
            ]
        );
        assert!(parse_renditions(r#"["feed","square"]"#).is_err());
        assert!(parse_renditions("feed").is_err());
    }
}
