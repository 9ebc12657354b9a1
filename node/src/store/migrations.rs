//! Schema migrations, embedded in the binary and applied in order at start. The schema version is
//! SQLite's `user_version`; each migration runs in its own transaction.

use rusqlite::Connection;

use super::StoreError;

/// One step of the schema.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, oldest first. Append only: never edit one that has shipped.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("migrations/0001_foundation.sql") },
    Migration { version: 2, name: "roster", sql: include_str!("migrations/0002_roster.sql") },
    Migration { version: 3, name: "xapi", sql: include_str!("migrations/0003_xapi.sql") },
    Migration { version: 4, name: "indicators", sql: include_str!("migrations/0004_indicators.sql") },
    Migration { version: 5, name: "alerts", sql: include_str!("migrations/0005_alerts.sql") },
    Migration { version: 6, name: "releases", sql: include_str!("migrations/0006_releases.sql") },
    Migration { version: 7, name: "summary_mail", sql: include_str!("migrations/0007_summary_mail.sql") },
    Migration { version: 8, name: "indicator_progress", sql: include_str!("migrations/0008_indicator_progress.sql") },
    Migration { version: 9, name: "statement_related", sql: include_str!("migrations/0009_statement_related.sql") },
];

/// The version a fully migrated database has.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
}

/// Brings the database up to `target` (normally the latest). Returns the versions applied.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<Vec<u32>, StoreError> {
    let current = current_version(conn)?;
    if current > latest_version() {
        return Err(StoreError::NewerSchema { found: current, supported: latest_version() });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current && m.version <= target) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql).map_err(|source| StoreError::Migration { version: m.version, name: m.name, source })?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index','trigger') ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn versions_are_consecutive() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "migration {} out of order", m.name);
        }
    }

    #[test]
    fn from_empty_to_latest() {
        let mut conn = Connection::open_in_memory().unwrap();
        let applied = migrate_to(&mut conn, latest_version()).unwrap();
        assert_eq!(applied.len(), MIGRATIONS.len());
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        // Running again is a no-op.
        assert!(migrate_to(&mut conn, latest_version()).unwrap().is_empty());
    }

    #[test]
    fn from_every_earlier_version_matches_fresh_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate_to(&mut fresh, latest_version()).unwrap();
        let want = tables(&fresh);
        for start in 0..latest_version() {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, start).unwrap();
            assert_eq!(current_version(&conn).unwrap(), start);
            migrate_to(&mut conn, latest_version()).unwrap();
            assert_eq!(tables(&conn), want, "upgrading from version {start}");
        }
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1).unwrap();
        let err = migrate_to(&mut conn, latest_version()).unwrap_err();
        assert!(err.to_string().contains("newer than this binary"), "{err}");
    }
}
