//! SQL for xAPI data sources.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub key: String,
    #[serde(skip)]
    pub secret_sha256: Vec<u8>,
    /// Class sourcedIds the source may report on; `None` = all.
    pub classes: Option<Vec<String>>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceRow> {
    let classes: Option<String> = r.get(4)?;
    Ok(SourceRow {
        id: r.get(0)?,
        name: r.get(1)?,
        key: r.get(2)?,
        secret_sha256: r.get(3)?,
        classes: classes.and_then(|c| serde_json::from_str(&c).ok()),
        created_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

const COLS: &str = "id, name, key, secret_sha256, classes, created_at, revoked_at";

pub fn insert(
    c: &Connection,
    name: &str,
    key: &str,
    secret_sha256: &[u8],
    classes: Option<&[String]>,
    now: &str,
) -> Result<i64, StoreError> {
    let classes = classes.map(|c| serde_json::to_string(c).unwrap_or_else(|_| "[]".into()));
    c.execute(
        "INSERT INTO data_source(name, key, secret_sha256, classes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, key, secret_sha256, classes, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn by_name(c: &Connection, name: &str) -> Result<Option<SourceRow>, StoreError> {
    Ok(c.query_row(&format!("SELECT {COLS} FROM data_source WHERE name = ?1"), [name], row).optional()?)
}

pub fn by_key(c: &Connection, key: &str) -> Result<Option<SourceRow>, StoreError> {
    Ok(c.prepare_cached(&format!("SELECT {COLS} FROM data_source WHERE key = ?1"))?.query_row([key], row).optional()?)
}

pub fn list(c: &Connection) -> Result<Vec<SourceRow>, StoreError> {
    let mut st = c.prepare(&format!("SELECT {COLS} FROM data_source ORDER BY name"))?;
    let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn revoke(c: &Connection, name: &str, now: &str) -> Result<bool, StoreError> {
    Ok(c.execute("UPDATE data_source SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL", params![name, now])?
        == 1)
}
