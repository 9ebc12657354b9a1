//! SQL for the roster (OneRoster), the item bank, attendance, later outcomes and the import
//! history — the tables of migration `0002_roster.sql`. The only place roster SQL lives.
//!
//! Functions take a `&Connection` and never open transactions: the caller (the node's single
//! writer) owns the transaction and rolls it back if an import fails.

mod import_runs;
mod integrity;
mod learning;
mod people;
pub mod records;
mod structure;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rand::rngs::OsRng;
use rand::RngCore;
use rusqlite::types::Type;

pub use import_runs::{insert_import_run, list_import_runs, ImportRunRow};
pub use integrity::{dangling_references, DanglingReference};
pub use learning::{
    class_ids, load_attendance_mark, load_item, load_outcome, rostered_students, upsert_attendance, upsert_item,
    upsert_outcome,
};
pub use people::{
    delete_demographics, delete_role, load_demographics, load_person_keys, load_roles, load_users, remove_user,
    upsert_demographics, upsert_person, upsert_role, upsert_user_account,
};
pub use structure::{
    delete_class, delete_course, delete_enrollment, delete_org, delete_session, load_classes, load_courses,
    load_enrollments, load_orgs, load_sessions, upsert_class, upsert_course, upsert_enrollment, upsert_org,
    upsert_session,
};

/// The schema this module reads and writes; the node's migration runner applies it as
/// migration 2.
pub const MIGRATION_SQL: &str = include_str!("migrations/0002_roster.sql");

/// A fresh pseudonymous person key: `p_` + 16 random hex digits from the OS generator. Never
/// derived from the sourcedId, so it reveals nothing about the person.
pub fn new_person_key() -> String {
    random_key("p_")
}

/// A fresh record key for role and enrollment records (`r_` + 16 random hex digits).
fn new_record_key() -> String {
    random_key("r_")
}

fn random_key(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// How dates are stored: `YYYY-MM-DD`.
fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// How instants are stored: RFC 3339 UTC with milliseconds, so text order is time order.
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Lists are stored joined with ',' (OneRoster list items cannot contain commas).
fn list_text(items: &[String]) -> String {
    items.join(",")
}

fn text_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(',').map(str::to_owned).collect()
    }
}

fn conversion_error(column: usize, text: &str, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, format!("stored {what} {text:?} is malformed").into())
}

fn date_column(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<NaiveDate> {
    let text: String = row.get(column)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| conversion_error(column, &text, "date"))
}

fn optional_date_column(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = row.get(column)?;
    text.map(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| conversion_error(column, &text, "date")))
        .transpose()
}

fn optional_instant_column(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(column)?;
    text.map(|text| {
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| conversion_error(column, &text, "instant"))
    })
    .transpose()
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for tests across the crate: a migrated in-memory database and a full dump.

    use rusqlite::types::ValueRef;
    use rusqlite::Connection;

    /// An in-memory database with migration 0002 applied and foreign keys enforced.
    pub(crate) fn migrated_connection() -> Connection {
        let conn = Connection::open_in_memory().expect("in-memory database opens");
        conn.execute_batch("PRAGMA foreign_keys = ON;").expect("foreign keys pragma");
        conn.execute_batch(super::MIGRATION_SQL).expect("migration 0002 applies to an empty database");
        conn
    }

    /// Every row of every table, as text, in a stable order: to compare before/after.
    pub(crate) fn dump_all_tables(conn: &Connection) -> Vec<String> {
        let mut tables =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").expect("list tables");
        let names: Vec<String> = tables
            .query_map([], |row| row.get(0))
            .expect("query tables")
            .collect::<Result<_, _>>()
            .expect("table names");
        let mut dump = Vec::new();
        for name in names {
            let mut statement = conn.prepare(&format!("SELECT * FROM \"{name}\"")).expect("select table");
            let columns = statement.column_count();
            let mut rows: Vec<String> = statement
                .query_map([], |row| {
                    let mut cells = Vec::with_capacity(columns);
                    for index in 0..columns {
                        cells.push(match row.get_ref(index)? {
                            ValueRef::Null => "NULL".to_owned(),
                            ValueRef::Integer(value) => value.to_string(),
                            ValueRef::Real(value) => value.to_string(),
                            ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
                            ValueRef::Blob(blob) => hex::encode(blob),
                        });
                    }
                    Ok(cells.join("|"))
                })
                .expect("query rows")
                .collect::<Result<_, _>>()
                .expect("rows");
            rows.sort();
            dump.extend(rows.into_iter().map(|row| format!("{name}: {row}")));
        }
        dump
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_applies_and_person_keys_are_random_hex() {
        let conn = test_support::migrated_connection();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'person'", [], |row| {
                row.get(0)
            })
            .expect("query");
        assert_eq!(count, 1);
        let first = new_person_key();
        let second = new_person_key();
        assert_ne!(first, second);
        assert_eq!(first.len(), 18);
        assert!(first.starts_with("p_"));
        assert!(first[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn stored_text_forms_round_trip() {
        assert_eq!(text_list(&list_text(&["06".into(), "07".into()])), ["06", "07"]);
        assert!(text_list("").is_empty());
        let at = DateTime::parse_from_rfc3339("2026-08-20T12:00:00Z").expect("valid").with_timezone(&Utc);
        assert_eq!(instant_text(at), "2026-08-20T12:00:00.000Z");
    }
}
