//! SQL for early-warning flags, their transition history and ratings — the tables of migration
//! `0005_alerts.sql`. Interventions, appeals, next steps and the read-only queries behind facts,
//! regrouping and reports live in the submodules. Functions take a `&Connection` and never open
//! transactions: the caller (the writer, or a reader) owns it.

pub mod appeals;
pub mod interventions;
pub mod next_steps;
pub mod reads;
pub mod summary_mail;

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// Where a flag is in its workflow (docs/ALERTS.md draws the machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagState {
    Open,
    Acknowledged,
    Dismissed,
    Overridden,
    InterventionStarted,
    Resolved,
    Expired,
}

impl FlagState {
    pub const ALL: [FlagState; 7] = [
        FlagState::Open,
        FlagState::Acknowledged,
        FlagState::Dismissed,
        FlagState::Overridden,
        FlagState::InterventionStarted,
        FlagState::Resolved,
        FlagState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagState::Open => "open",
            FlagState::Acknowledged => "acknowledged",
            FlagState::Dismissed => "dismissed",
            FlagState::Overridden => "overridden",
            FlagState::InterventionStarted => "intervention_started",
            FlagState::Resolved => "resolved",
            FlagState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<FlagState> {
        FlagState::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Live flags are shown as current and block a second flag of the same rule.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            FlagState::Open | FlagState::Acknowledged | FlagState::Overridden | FlagState::InterventionStarted
        )
    }
}

impl fmt::Display for FlagState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const LIVE: &str = "('open', 'acknowledged', 'overridden', 'intervention_started')";

/// One stored flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagRow {
    pub id: i64,
    pub student_key: String,
    pub rule_id: String,
    pub rule_version: u32,
    pub policy_hash: String,
    /// The rule's tier.
    pub tier: u8,
    /// A person's override of the tier, if any.
    pub tier_override: Option<u8>,
    pub color: String,
    pub label: String,
    pub playbook: String,
    pub reason: String,
    /// The policy's `Evidence`, as JSON text.
    pub evidence: String,
    pub state: FlagState,
    pub raised_at: String,
    pub last_confirmed_at: String,
    pub expiry_days: u32,
    pub expires_at: String,
    pub updated_at: String,
}

impl FlagRow {
    /// The tier in force: the override when a person set one.
    pub fn effective_tier(&self) -> u8 {
        self.tier_override.unwrap_or(self.tier)
    }
}

const FLAG_COLUMNS: &str = "id, student_key, rule_id, rule_version, policy_hash, tier, tier_override, color, label, \
     playbook, reason, evidence, state, raised_at, last_confirmed_at, expiry_days, expires_at, updated_at";

fn flag_row(r: &Row<'_>) -> rusqlite::Result<FlagRow> {
    let state: String = r.get(12)?;
    let state = FlagState::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            12,
            rusqlite::types::Type::Text,
            format!("flag state {state:?}").into(),
        )
    })?;
    Ok(FlagRow {
        id: r.get(0)?,
        student_key: r.get(1)?,
        rule_id: r.get(2)?,
        rule_version: r.get(3)?,
        policy_hash: r.get(4)?,
        tier: r.get(5)?,
        tier_override: r.get(6)?,
        color: r.get(7)?,
        label: r.get(8)?,
        playbook: r.get(9)?,
        reason: r.get(10)?,
        evidence: r.get(11)?,
        state,
        raised_at: r.get(13)?,
        last_confirmed_at: r.get(14)?,
        expiry_days: r.get(15)?,
        expires_at: r.get(16)?,
        updated_at: r.get(17)?,
    })
}

/// A flag to insert (state `open`).
pub struct NewFlag<'a> {
    pub student_key: &'a str,
    pub rule_id: &'a str,
    pub rule_version: u32,
    pub policy_hash: &'a str,
    pub tier: u8,
    pub color: &'a str,
    pub label: &'a str,
    pub playbook: &'a str,
    pub reason: &'a str,
    pub evidence: &'a str,
    pub now: &'a str,
    pub expiry_days: u32,
    pub expires_at: &'a str,
}

pub fn insert_flag(c: &Connection, f: &NewFlag<'_>) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO flag (student_key, rule_id, rule_version, policy_hash, tier, color, label, playbook, reason,
                           evidence, state, raised_at, last_confirmed_at, expiry_days, expires_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11, ?11, ?12, ?13, ?11)",
    )?
    .execute(params![
        f.student_key,
        f.rule_id,
        f.rule_version,
        f.policy_hash,
        f.tier,
        f.color,
        f.label,
        f.playbook,
        f.reason,
        f.evidence,
        f.now,
        f.expiry_days,
        f.expires_at
    ])?;
    Ok(c.last_insert_rowid())
}

pub fn flag(c: &Connection, id: i64) -> Result<Option<FlagRow>, StoreError> {
    let sql = format!("SELECT {FLAG_COLUMNS} FROM flag WHERE id = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([id], flag_row).optional()?)
}

/// A student's live flags, oldest first.
pub fn live_flags_of(c: &Connection, student_key: &str) -> Result<Vec<FlagRow>, StoreError> {
    let sql = format!("SELECT {FLAG_COLUMNS} FROM flag WHERE student_key = ?1 AND state IN {LIVE} ORDER BY id");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([student_key], flag_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Every flag of a student, newest first.
pub fn flags_of(c: &Connection, student_key: &str) -> Result<Vec<FlagRow>, StoreError> {
    let sql = format!("SELECT {FLAG_COLUMNS} FROM flag WHERE student_key = ?1 ORDER BY id DESC");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([student_key], flag_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Flags, newest first, optionally only live ones or those in one state.
pub fn list_flags(c: &Connection, state: Option<FlagState>, live_only: bool) -> Result<Vec<FlagRow>, StoreError> {
    let filter = match (state, live_only) {
        (Some(_), _) => "WHERE state = ?1".to_string(),
        (None, true) => format!("WHERE state IN {LIVE} AND ?1 IS NULL"),
        (None, false) => "WHERE ?1 IS NULL".to_string(),
    };
    let sql = format!("SELECT {FLAG_COLUMNS} FROM flag {filter} ORDER BY id DESC");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([state.map(FlagState::as_str)], flag_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// When this rule was last dismissed for this student, if ever (RFC 3339).
pub fn last_dismissed_at(c: &Connection, student_key: &str, rule_id: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT max(updated_at) FROM flag WHERE student_key = ?1 AND rule_id = ?2 AND state = 'dismissed'",
    )?
    .query_row(params![student_key, rule_id], |r| r.get(0))?)
}

/// What a renewal changes: the evidence as now, and the new confirmation and expiry times.
pub struct Renewal<'a> {
    pub rule_version: u32,
    pub policy_hash: &'a str,
    pub reason: &'a str,
    pub evidence: &'a str,
    pub now: &'a str,
    pub expiry_days: u32,
    pub expires_at: &'a str,
}

pub fn renew_flag(c: &Connection, id: i64, r: &Renewal<'_>) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE flag SET rule_version = ?2, policy_hash = ?3, reason = ?4, evidence = ?5, last_confirmed_at = ?6,
                         expiry_days = ?7, expires_at = ?8, updated_at = ?6
          WHERE id = ?1",
    )?
    .execute(params![
        id,
        r.rule_version,
        r.policy_hash,
        r.reason,
        r.evidence,
        r.now,
        r.expiry_days,
        r.expires_at
    ])?;
    Ok(())
}

/// Moves a flag to `state`; `tier_override` is set when given.
pub fn set_flag_state(
    c: &Connection,
    id: i64,
    state: FlagState,
    tier_override: Option<u8>,
    now: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE flag SET state = ?2, tier_override = COALESCE(?3, tier_override), updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, state.as_str(), tier_override, now])?;
    Ok(())
}

/// Live flags in states that lapse by themselves whose expiry time has passed.
pub fn expirable_due(c: &Connection, now: &str) -> Result<Vec<FlagRow>, StoreError> {
    let sql = format!(
        "SELECT {FLAG_COLUMNS} FROM flag WHERE state IN ('open', 'acknowledged', 'overridden') AND expires_at <= ?1 ORDER BY id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([now], flag_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Students with a live flag (so a full evaluation can expire flags of students no longer rostered).
pub fn students_with_live_flags(c: &Connection) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT DISTINCT student_key FROM flag WHERE state IN {LIVE} ORDER BY student_key");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One transition of a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagEvent {
    pub at: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// `None` when the system made the change (raised, expired).
    pub account_id: Option<i64>,
    pub role: Option<String>,
    pub reason: Option<String>,
}

pub fn insert_flag_event(c: &Connection, flag_id: i64, e: &FlagEvent) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO flag_event (flag_id, at, from_state, to_state, account_id, role, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![flag_id, e.at, e.from_state, e.to_state, e.account_id, e.role, e.reason])?;
    Ok(())
}

/// A flag's history, oldest first.
pub fn flag_events(c: &Connection, flag_id: i64) -> Result<Vec<FlagEvent>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT at, from_state, to_state, account_id, role, reason FROM flag_event WHERE flag_id = ?1 ORDER BY id",
    )?;
    let rows = st
        .query_map([flag_id], |r| {
            Ok(FlagEvent {
                at: r.get(0)?,
                from_state: r.get(1)?,
                to_state: r.get(2)?,
                account_id: r.get(3)?,
                role: r.get(4)?,
                reason: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One person's rating of a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagRating {
    pub account_id: i64,
    pub useful: bool,
    pub comment: Option<String>,
    pub at: String,
}

/// Records (or replaces) one person's rating of a flag.
pub fn upsert_rating(c: &Connection, flag_id: i64, r: &FlagRating) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO flag_rating (flag_id, account_id, useful, comment, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (flag_id, account_id) DO UPDATE SET useful = excluded.useful, comment = excluded.comment,
                                                         at = excluded.at",
    )?
    .execute(params![flag_id, r.account_id, r.useful, r.comment, r.at])?;
    Ok(())
}

pub fn ratings(c: &Connection, flag_id: i64) -> Result<Vec<FlagRating>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT account_id, useful, comment, at FROM flag_rating WHERE flag_id = ?1 ORDER BY at")?;
    let rows = st
        .query_map([flag_id], |r| {
            Ok(FlagRating { account_id: r.get(0)?, useful: r.get(1)?, comment: r.get(2)?, at: r.get(3)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
