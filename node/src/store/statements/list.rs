//! The statement list query of `GET /xapi/statements`: filters on the statement's columns and its
//! side rows (migration 0009), the StatementRef rule, `since`/`until` as `seq` bounds, and the
//! page order. Voided statements are never listed.

use std::collections::HashSet;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, ToSql};

use crate::store::StoreError;

/// The `agent` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFilter {
    /// The canonical IFI key (as `statement.actor` holds it).
    pub key: String,
    /// `related_agents=true`: also authority, instructor, team and SubStatement agents.
    pub related: bool,
    /// The data source whose authority Agent this key is, if it is one: every statement that
    /// source stored has it as `authority` (matched through `source_id`).
    pub authority_of_source: Option<String>,
}

/// The `activity` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFilter {
    pub id: String,
    /// `related_activities=true`: also context activities and SubStatement activities.
    pub related: bool,
}

/// The SQL side of a statements list query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub agent: Option<AgentFilter>,
    pub verb: Option<String>,
    pub activity: Option<ActivityFilter>,
    pub registration: Option<String>,
    /// Stored strictly after / at or before (same text form as the column).
    pub since: Option<String>,
    pub until: Option<String>,
    pub ascending: bool,
    /// Continue after this seq (in the listing order).
    pub after: Option<i64>,
}

/// One listed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedStatement {
    pub seq: i64,
    pub stored: String,
    pub json: String,
}

/// Sets holding a related identifier of these kinds, for a statement `s`.
fn related_set_has(kinds: &str, param: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM statement_related r JOIN related_set_id k ON k.set_id = r.set_id
                  WHERE r.seq = s.seq AND k.kind IN ({kinds}) AND k.value = {param})"
    )
}

/// One filter condition on a statement row `s` (the StatementRef rule applies to each condition
/// separately), with the named parameters it uses.
struct Condition {
    sql: String,
    params: Vec<(&'static str, SqlValue)>,
}

fn text(name: &'static str, value: &str) -> (&'static str, SqlValue) {
    (name, SqlValue::Text(value.to_string()))
}

fn conditions(filter: &ListFilter) -> Vec<Condition> {
    let mut conds = Vec::new();
    if let Some(agent) = &filter.agent {
        let mut params = vec![text(":agent", &agent.key)];
        let mut alternatives = vec!["s.actor = :agent".to_string(), "s.object = :agent".to_string()];
        if agent.related {
            if let Some(source) = &agent.authority_of_source {
                params.push(text(":authority", source));
                alternatives.push("s.source_id = (SELECT id FROM data_source WHERE name = :authority)".into());
            }
            alternatives.push(related_set_has("'member', 'agent'", ":agent"));
        } else {
            alternatives.push(related_set_has("'member'", ":agent"));
        }
        conds.push(Condition { sql: format!("({})", alternatives.join(" OR ")), params });
    }
    if let Some(verb) = &filter.verb {
        conds.push(Condition { sql: "s.verb = :verb".into(), params: vec![text(":verb", verb)] });
    }
    if let Some(activity) = &filter.activity {
        let sql = if activity.related {
            format!("(s.object = :activity OR {})", related_set_has("'activity'", ":activity"))
        } else {
            "s.object = :activity".into()
        };
        conds.push(Condition { sql, params: vec![text(":activity", &activity.id)] });
    }
    if let Some(registration) = &filter.registration {
        let params = vec![text(":registration", registration)];
        conds.push(Condition { sql: "s.registration = :registration".into(), params });
    }
    conds
}

fn named<'a>(params: impl IntoIterator<Item = &'a (&'static str, SqlValue)>) -> Vec<(&'static str, &'a dyn ToSql)> {
    params.into_iter().map(|(name, value)| (*name, value as &dyn ToSql)).collect()
}

/// Statements matching `filter`, in order; stops after `take` of them.
///
/// A statement matches when it meets every filter condition, each either itself or through the
/// statement its object refers to with a StatementRef, recursively (Part 3 §2.1.3, "Filter
/// Conditions for StatementRefs": "Statements which target another Statement ... will meet the
/// filter condition if the targeted Statement meets the filter condition"). The target may be
/// voided; `since`/`until` and the paging position apply to the listed statement only.
pub fn list_statements(c: &Connection, filter: &ListFilter, take: usize) -> Result<Vec<ListedStatement>, StoreError> {
    let conds = conditions(filter);
    let mut params: Vec<(&'static str, SqlValue)> = Vec::new();
    let mut bounds = String::new();
    if let Some(since) = &filter.since {
        params.push((":since_seq", SqlValue::Integer(first_seq_stored_after(c, since)?)));
        bounds.push_str(" AND s.seq >= :since_seq");
    }
    if let Some(until) = &filter.until {
        params.push((":until_seq", SqlValue::Integer(first_seq_stored_after(c, until)?)));
        bounds.push_str(" AND s.seq < :until_seq");
    }
    if let Some(after) = filter.after {
        params.push((":after", SqlValue::Integer(after)));
        bounds.push_str(if filter.ascending { " AND s.seq > :after" } else { " AND s.seq < :after" });
    }
    let order = if filter.ascending { "ASC" } else { "DESC" };
    let mut out = Vec::new();
    if conds.is_empty() {
        let sql = format!(
            "SELECT s.seq, s.stored, s.json FROM statement s WHERE s.voided = 0{bounds} ORDER BY s.seq {order}"
        );
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(named(&params).as_slice())?;
        while out.len() < take {
            let Some(row) = rows.next()? else { break };
            out.push(ListedStatement { seq: row.get(0)?, stored: row.get(1)?, json: row.get(2)? });
        }
        return Ok(out);
    }
    let sqls: Vec<&str> = conds.iter().map(|cond| cond.sql.as_str()).collect();
    let sql = format!(
        "SELECT s.seq, s.stored, s.json, t.target, {columns} FROM statement s
           LEFT JOIN statement_target t ON t.seq = s.seq
          WHERE s.voided = 0{bounds} AND ((({all})) OR t.seq IS NOT NULL)
          ORDER BY s.seq {order}",
        columns = sqls.join(", "),
        all = sqls.join(") AND ("),
    );
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query(named(conds.iter().flat_map(|cond| &cond.params).chain(&params)).as_slice())?;
    let targets = TargetChecks { c, conds: &conds };
    while out.len() < take {
        let Some(row) = rows.next()? else { break };
        let target: Option<String> = row.get(3)?;
        let mut matches = true;
        for i in 0..conds.len() {
            // NULL (a comparison with a missing column) is false.
            if row.get::<_, Option<bool>>(4 + i)? == Some(true) {
                continue;
            }
            matches = match &target {
                Some(target) => targets.meets(i, target)?,
                None => false,
            };
            if !matches {
                break;
            }
        }
        if matches {
            out.push(ListedStatement { seq: row.get(0)?, stored: row.get(1)?, json: row.get(2)? });
        }
    }
    Ok(out)
}

/// Follows StatementRef targets to decide one condition for a statement that does not meet it
/// itself.
struct TargetChecks<'a> {
    c: &'a Connection,
    conds: &'a [Condition],
}

impl TargetChecks<'_> {
    /// Whether the statement with id `target`, or one it targets in turn, meets condition `i`.
    /// Voided targets count; a missing target does not; a cycle of references ends.
    fn meets(&self, i: usize, target: &str) -> Result<bool, StoreError> {
        let cond = &self.conds[i];
        let sql = format!(
            "SELECT {}, t.target FROM statement s LEFT JOIN statement_target t ON t.seq = s.seq
              WHERE s.id = :target_id",
            cond.sql
        );
        let mut st = self.c.prepare_cached(&sql)?;
        let mut seen = HashSet::new();
        let mut next = target.to_string();
        while seen.insert(next.clone()) {
            let id = SqlValue::Text(next.clone());
            let mut params = named(&cond.params);
            params.push((":target_id", &id));
            let found: Option<(Option<bool>, Option<String>)> =
                st.query_row(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            match found {
                Some((Some(true), _)) => return Ok(true),
                Some((_, Some(further))) => next = further,
                _ => return Ok(false),
            }
        }
        Ok(false)
    }
}

/// The first `seq` whose `stored` is after `at` (one past the last seq when none is): a binary
/// search over `seq`, valid because `stored` strictly increases with `seq`.
pub fn first_seq_stored_after(c: &Connection, at: &str) -> Result<i64, StoreError> {
    let mut probe = c.prepare_cached("SELECT seq, stored FROM statement WHERE seq >= ?1 ORDER BY seq LIMIT 1")?;
    let mut at_or_after = |seq: i64| -> Result<Option<(i64, String)>, StoreError> {
        Ok(probe.query_row([seq], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    };
    let (Some((first, _)), Some(last)) = (
        at_or_after(i64::MIN)?,
        c.prepare_cached("SELECT max(seq) FROM statement")?.query_row([], |r| r.get::<_, Option<i64>>(0))?,
    ) else {
        return Ok(1);
    };
    // Invariant: every seq < lo is stored at or before `at`; every seq >= hi is stored after it.
    let (mut lo, mut hi) = (first, last + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match at_or_after(mid)? {
            Some((seq, stored)) if seq < hi && stored.as_str() <= at => lo = seq + 1,
            Some((seq, _)) if seq < hi => hi = seq,
            _ => hi = mid,
        }
    }
    Ok(lo)
}
