//! Accounts, sessions and access decisions — the domain side of authentication. HTTP extractors in
//! `http::session` call into here; the CLI's `lantern node user ...` does too.

pub mod password;
pub mod rate_limit;
pub mod roles;
pub mod scope;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::accounts::{self as sql, AccountRow};
use crate::store::{Store, StoreError};
pub use roles::{allows, Capability, Role};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed logins; try again in {0} seconds")]
    RateLimited(i64),
    #[error("not logged in")]
    NotAuthenticated,
    #[error("the session has expired; log in again")]
    SessionExpired,
    #[error("the session was revoked; log in again")]
    SessionRevoked,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("your role ({role}) does not allow this ({capability:?})")]
    Forbidden { role: Role, capability: Capability },
    #[error("you may not see this student")]
    OutOfScope,
    #[error("a password change is required before anything else")]
    PasswordChangeRequired,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    #[error("user {0:?} already exists")]
    DuplicateUser(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The authenticated person behind a request.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub role: Role,
    /// Pseudonymous key of the rostered person (teacher, student, guardian), if linked.
    pub person_key: Option<String>,
    pub session_id: i64,
    #[serde(skip)]
    pub csrf_token: String,
    pub via: SessionKind,
    pub must_change_password: bool,
}

impl Principal {
    /// The one capability check every guarded route goes through.
    pub fn require(&self, cap: Capability) -> Result<(), AuthError> {
        if self.must_change_password && cap != Capability::OwnAccount {
            return Err(AuthError::PasswordChangeRequired);
        }
        if allows(self.role, cap) {
            Ok(())
        } else {
            Err(AuthError::Forbidden { role: self.role, capability: cap })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

/// A new session's secrets, handed to the client once.
#[derive(Debug, Clone, Serialize)]
pub struct NewSession {
    #[serde(skip)]
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub principal: Principal,
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn principal_from(a: &AccountRow, session_id: i64, csrf: String, via: SessionKind) -> Result<Principal, AuthError> {
    let role = a.role.parse::<Role>().map_err(|e| AuthError::Store(StoreError::Invalid(e)))?;
    Ok(Principal {
        account_id: a.id,
        username: a.username.clone(),
        role,
        person_key: a.person_key.clone(),
        session_id,
        csrf_token: csrf,
        via,
        must_change_password: a.must_change_password,
    })
}

/// A login attempt.
pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's address, for throttling.
    pub address: &'a str,
    pub now: DateTime<Utc>,
    pub ttl: Duration,
    pub kind: SessionKind,
}

/// Checks a password and opens a session. Failures are throttled by `limiter` and all look alike.
pub async fn login(
    store: &Store,
    limiter: &rate_limit::LoginLimiter,
    limits: &rate_limit::LimitConfig,
    attempt: LoginAttempt<'_>,
) -> Result<NewSession, AuthError> {
    let LoginAttempt { username, password, address, now, ttl, kind } = attempt;
    if let Err(wait) = limiter.check(limits, username, address, now) {
        return Err(AuthError::RateLimited(wait));
    }
    let name = username.to_string();
    let account = store.read(move |c| sql::find_account(c, &name)).await?;
    let pw = password.to_string();
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    // argon2 takes tens of milliseconds: off the async threads.
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(h) => password::verify_password(&pw, &h),
        None => {
            password::verify_password(&pw, password::dummy_hash());
            false
        }
    })
    .await
    .map_err(|e| AuthError::Invalid(format!("password check failed: {e}")))?;
    let Some(account) = account.filter(|_| matches) else {
        limiter.record_failure(username, address, now);
        return Err(AuthError::InvalidCredentials);
    };
    if account.disabled {
        return Err(AuthError::AccountDisabled);
    }
    limiter.record_success(username);
    open_session(store, &account, now, ttl, kind, None).await
}

async fn open_session(
    store: &Store,
    account: &AccountRow,
    now: DateTime<Utc>,
    ttl: Duration,
    kind: SessionKind,
    label: Option<String>,
) -> Result<NewSession, AuthError> {
    let token = password::generate_token();
    let csrf = password::generate_token();
    let expires_at = now + ttl;
    let (hash, account_id, csrf2, now_s, exp_s) =
        (token_hash(&token), account.id, csrf.clone(), ts(now), ts(expires_at));
    let session_id = store
        .write(move |c| {
            sql::insert_session(
                c,
                &sql::NewSessionRow {
                    token_hash: &hash,
                    account_id,
                    kind: kind.as_str(),
                    csrf: &csrf2,
                    label: label.as_deref(),
                    now: &now_s,
                    expires: &exp_s,
                },
            )
        })
        .await?;
    let principal = principal_from(account, session_id, csrf.clone(), kind)?;
    Ok(NewSession { token, csrf_token: csrf, expires_at, principal })
}

/// Resolves a session or API token to its principal.
pub async fn authenticate(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Principal, AuthError> {
    let hash = token_hash(token);
    let row = store.read(move |c| sql::find_session(c, &hash)).await?;
    let Some(s) = row else {
        return Err(AuthError::NotAuthenticated);
    };
    if s.revoked {
        return Err(AuthError::SessionRevoked);
    }
    let expires = DateTime::parse_from_rfc3339(&s.expires_at)
        .map_err(|e| AuthError::Store(StoreError::Invalid(format!("session expiry {:?}: {e}", s.expires_at))))?;
    if expires <= now {
        return Err(AuthError::SessionExpired);
    }
    if s.account.disabled {
        return Err(AuthError::AccountDisabled);
    }
    let via = if s.kind == "api" { SessionKind::Api } else { SessionKind::Browser };
    principal_from(&s.account, s.session_id, s.csrf_token, via)
}

pub async fn logout(store: &Store, session_id: i64, now: DateTime<Utc>) -> Result<(), AuthError> {
    let now = ts(now);
    store.write(move |c| sql::revoke_session(c, session_id, &now)).await?;
    Ok(())
}

/// Issues a long-lived bearer token for API clients of the same account.
pub async fn issue_api_token(
    store: &Store,
    principal: &Principal,
    label: Option<String>,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<NewSession, AuthError> {
    let name = principal.username.clone();
    let account = store.read(move |c| sql::find_account(c, &name)).await?.ok_or(AuthError::NotAuthenticated)?;
    open_session(store, &account, now, ttl, SessionKind::Api, label).await
}

/// What `add_user` produced: the account id, and the generated password when none was given.
#[derive(Debug, Clone)]
pub struct AddedUser {
    pub account_id: i64,
    pub generated_password: Option<String>,
}

/// Creates an account. With no password, a one-time password is generated that must be changed at
/// first login. `person` is the OneRoster sourcedId of the rostered person this account is.
pub fn add_user(
    store: &Store,
    username: &str,
    role: Role,
    password: Option<&str>,
    person: Option<&str>,
    now: DateTime<Utc>,
) -> Result<AddedUser, AuthError> {
    validate_username(username)?;
    let (pw, generated) = match password {
        Some(p) => {
            password::check_strength(p).map_err(AuthError::Invalid)?;
            (p.to_string(), None)
        }
        None => {
            let p = password::generate_password();
            (p.clone(), Some(p))
        }
    };
    let hash = password::hash_password(&pw).map_err(AuthError::Invalid)?;
    let (username, person, must_change) = (username.to_string(), person.map(str::to_string), generated.is_some());
    let account_id = store.write_blocking(move |c| -> Result<i64, AuthError> {
        if sql::find_account(c, &username)?.is_some() {
            return Err(AuthError::DuplicateUser(username.clone()));
        }
        let person_key = match &person {
            Some(p) => Some(
                scope::person_key(c, p)?
                    .ok_or_else(|| AuthError::Invalid(format!("no rostered person with sourcedId {p:?}")))?,
            ),
            None => None,
        };
        Ok(sql::insert_account(c, &username, role.as_str(), &hash, person_key.as_deref(), must_change, &ts(now))?)
    })?;
    Ok(AddedUser { account_id, generated_password: generated })
}

fn validate_username(u: &str) -> Result<(), AuthError> {
    let ok =
        !u.is_empty() && u.len() <= 64 && u.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!("username {u:?} must be 1–64 letters, digits or . _ - @")))
    }
}

/// Sets a password (given, or generated and returned), and revokes the account's sessions.
/// `must_change` marks an administrator reset that the person must replace at next login.
pub fn set_password(
    store: &Store,
    username: &str,
    password: Option<&str>,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<Option<String>, AuthError> {
    let (pw, generated) = match password {
        Some(p) => {
            password::check_strength(p).map_err(AuthError::Invalid)?;
            (p.to_string(), None)
        }
        None => {
            let p = password::generate_password();
            (p.clone(), Some(p))
        }
    };
    let hash = password::hash_password(&pw).map_err(AuthError::Invalid)?;
    let username = username.to_string();
    let must_change = must_change || generated.is_some();
    store.write_blocking(move |c| -> Result<(), AuthError> {
        let a = sql::find_account(c, &username)?.ok_or_else(|| AuthError::UnknownUser(username.clone()))?;
        sql::set_password(c, a.id, &hash, must_change, &ts(now))?;
        sql::revoke_all_sessions(c, a.id, &ts(now))?;
        Ok(())
    })?;
    Ok(generated)
}

/// Changes one's own password after checking the current one; other sessions are revoked, the
/// current one stays.
pub async fn change_own_password(
    store: &Store,
    principal: &Principal,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    password::check_strength(new).map_err(AuthError::Invalid)?;
    let name = principal.username.clone();
    let account = store.read(move |c| sql::find_account(c, &name)).await?.ok_or(AuthError::NotAuthenticated)?;
    let (cur, stored, newpw) = (current.to_string(), account.password_hash.clone(), new.to_string());
    let hash = tokio::task::spawn_blocking(move || {
        if !password::verify_password(&cur, &stored) {
            return Err(AuthError::InvalidCredentials);
        }
        if cur == newpw {
            return Err(AuthError::Invalid("the new password must differ from the current one".into()));
        }
        password::hash_password(&newpw).map_err(AuthError::Invalid)
    })
    .await
    .map_err(|e| AuthError::Invalid(format!("password change failed: {e}")))??;
    let (id, keep, now_s) = (account.id, principal.session_id, ts(now));
    store
        .write(move |c| -> Result<(), AuthError> {
            sql::set_password(c, id, &hash, false, &now_s)?;
            sql::revoke_other_sessions(c, id, keep, &now_s)?;
            Ok(())
        })
        .await
}

/// What an account can be linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A student, by OneRoster sourcedId (guardian or student accounts).
    Student(String),
    /// A class, by OneRoster sourcedId (teacher accounts).
    Class(String),
}

/// Links an account to a student or a class; the role must fit the link.
pub fn link(store: &Store, username: &str, target: LinkTarget, now: DateTime<Utc>) -> Result<bool, AuthError> {
    let username = username.to_string();
    store.write_blocking(move |c| -> Result<bool, AuthError> {
        let a = sql::find_account(c, &username)?.ok_or_else(|| AuthError::UnknownUser(username.clone()))?;
        let role: Role = a.role.parse().map_err(AuthError::Invalid)?;
        match (&target, role) {
            (LinkTarget::Student(sid), Role::Guardian | Role::Student) => {
                let key = scope::person_key(c, sid)?
                    .ok_or_else(|| AuthError::Invalid(format!("no rostered student with sourcedId {sid:?}")))?;
                if role == Role::Student && a.person_key.as_deref().is_some_and(|k| k != key) {
                    return Err(AuthError::Invalid("a student account can only be linked to its own record".into()));
                }
                Ok(sql::insert_link(c, a.id, "student", &key, &ts(now))?)
            }
            (LinkTarget::Class(cid), Role::Teacher) => {
                if !scope::class_exists(c, cid)? {
                    return Err(AuthError::Invalid(format!("no rostered class with sourcedId {cid:?}")));
                }
                Ok(sql::insert_link(c, a.id, "class", cid, &ts(now))?)
            }
            (LinkTarget::Student(_), r) => {
                Err(AuthError::Invalid(format!("a {r} account cannot be linked to a student")))
            }
            (LinkTarget::Class(_), r) => Err(AuthError::Invalid(format!("a {r} account cannot be linked to a class"))),
        }
    })
}

/// On first start (no accounts at all), creates `admin` with a one-time password to print.
pub fn bootstrap_admin(store: &Store, now: DateTime<Utc>) -> Result<Option<String>, AuthError> {
    let count = store.read_blocking(sql::count_accounts)?;
    if count > 0 {
        return Ok(None);
    }
    let added = add_user(store, "admin", Role::Admin, None, None, now)?;
    Ok(added.generated_password)
}
