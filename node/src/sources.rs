//! xAPI data sources: each quiz or LMS tool gets its own Basic credentials. The secret is 256 random
//! bits shown once and stored as SHA-256 (a fast hash is right here: the secret is random, not a
//! human password, and checking it on every request must not cap ingest throughput).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::auth::password::generate_token;
use crate::auth::ts;
use crate::store::sources::{self as sql, SourceRow};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("data source {0:?} already exists")]
    Duplicate(String),
    #[error("no data source named {0:?}")]
    Unknown(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Credentials of a new source, printed once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewCredentials {
    pub name: String,
    pub key: String,
    pub secret: String,
}

/// An authenticated data source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub classes: Option<Vec<String>>,
}

impl Source {
    /// Whether the source may report on this class (`None` class: not tied to a class).
    pub fn serves_class(&self, class_id: Option<&str>) -> bool {
        match (&self.classes, class_id) {
            (None, _) => true,
            (Some(list), Some(c)) => list.iter().any(|x| x == c),
            (Some(_), None) => false,
        }
    }
}

fn validate_name(name: &str) -> Result<(), SourceError> {
    if name.is_empty()
        || name.len() > 64
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(SourceError::Invalid(format!(
            "source name {name:?} must be 1–64 letters, digits, '-', '_' or '.'"
        )));
    }
    Ok(())
}

pub fn create(
    store: &Store,
    name: &str,
    classes: Option<Vec<String>>,
    now: DateTime<Utc>,
) -> Result<NewCredentials, SourceError> {
    validate_name(name)?;
    if let Some(c) = &classes {
        if c.is_empty() || c.iter().any(|x| x.trim().is_empty()) {
            return Err(SourceError::Invalid("--classes needs at least one non-empty class id".into()));
        }
    }
    let key = format!("src_{}", &generate_token()[..24]);
    let secret = generate_token();
    let hash = Sha256::digest(secret.as_bytes()).to_vec();
    let (n, k) = (name.to_string(), key.clone());
    store.write_blocking(move |c| -> Result<(), SourceError> {
        if sql::by_name(c, &n)?.is_some() {
            return Err(SourceError::Duplicate(n.clone()));
        }
        sql::insert(c, &n, &k, &hash, classes.as_deref(), &ts(now))?;
        Ok(())
    })?;
    Ok(NewCredentials { name: name.to_string(), key, secret })
}

pub fn revoke(store: &Store, name: &str, now: DateTime<Utc>) -> Result<(), SourceError> {
    let n = name.to_string();
    store.write_blocking(move |c| -> Result<(), SourceError> {
        if sql::revoke(c, &n, &ts(now))? {
            Ok(())
        } else {
            Err(SourceError::Unknown(n.clone()))
        }
    })
}

pub fn list(store: &Store) -> Result<Vec<SourceRow>, SourceError> {
    Ok(store.read_blocking(sql::list)?)
}

/// Checks Basic credentials; `None` for unknown key, wrong secret or a revoked source.
pub fn verify(c: &rusqlite::Connection, key: &str, secret: &str) -> Result<Option<Source>, StoreError> {
    let Some(row) = sql::by_key(c, key)? else {
        return Ok(None);
    };
    let given: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    // Compare digests of digests so timing reveals nothing about the stored value.
    let a: [u8; 32] = Sha256::digest(given).into();
    let b: [u8; 32] = Sha256::digest(&row.secret_sha256).into();
    if a != b || row.revoked_at.is_some() {
        return Ok(None);
    }
    Ok(Some(Source { id: row.id, name: row.name, classes: row.classes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-09-01T08:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn create_verify_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open_temp(dir.path()).unwrap();
        let cred = create(&store, "quizzer", Some(vec!["class-1".into()]), now()).unwrap();
        assert_eq!(cred.secret.len(), 64);
        let ok = store.read_blocking(|c| verify(c, &cred.key, &cred.secret)).unwrap().unwrap();
        assert!(ok.serves_class(Some("class-1")) && !ok.serves_class(Some("class-2")) && !ok.serves_class(None));
        assert!(store.read_blocking(|c| verify(c, &cred.key, "wrong")).unwrap().is_none());
        assert!(store.read_blocking(|c| verify(c, "src_nope", &cred.secret)).unwrap().is_none());
        assert!(matches!(create(&store, "quizzer", None, now()), Err(SourceError::Duplicate(_))));
        assert!(matches!(create(&store, "bad name", None, now()), Err(SourceError::Invalid(_))));
        revoke(&store, "quizzer", now()).unwrap();
        assert!(store.read_blocking(|c| verify(c, &cred.key, &cred.secret)).unwrap().is_none());
        assert!(matches!(revoke(&store, "quizzer", now()), Err(SourceError::Unknown(_))));
        assert_eq!(list(&store).unwrap().len(), 1);
    }
}
