//! Reads of the statements resource (`GET /xapi/statements`): one statement by (voided) id, or a
//! filtered list paged through `more` cursors, each with the consistency bound the response
//! headers carry. Runs on a reader connection.

use rusqlite::Connection;

use super::{stored_text, IngestError};
use crate::store::statements::{self as sql, ListFilter};
use crate::xapi::{format_statement, parse_statements, Format, ListQuery, MoreCursor, StatementQuery};

/// Largest page of statements (also what `limit=0` means).
pub const MAX_PAGE: u32 = 500;

/// A read answer: the JSON body, and the `stored` values for the response headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub body: String,
    /// `X-Experience-API-Consistent-Through`: every statement stored at or before it is
    /// returned by queries (the `stored` of the last committed statement); `None` when the LRS
    /// is empty.
    pub consistent_through: Option<String>,
    /// `Last-Modified`: the newest `stored` among the statements returned.
    pub last_modified: Option<String>,
}

/// Answers a parsed query; `Ok(None)` is a 404 (no such statement, or it is (not) voided).
/// `langs`: the reader's `Accept-Language` preferences, for `format=canonical`.
pub fn retrieve(c: &Connection, query: &StatementQuery, langs: &[String]) -> Result<Option<Answer>, IngestError> {
    // Read the bound first: whatever a query below sees is at least as new.
    let consistent_through = sql::last_stored(c)?;
    match query {
        StatementQuery::Single { id, voided, format } => {
            let Some(found) = sql::statement_by_id(c, &id.to_string())? else { return Ok(None) };
            if found.voided != *voided {
                return Ok(None);
            }
            let body = formatted(&found.json, *format, langs);
            Ok(Some(Answer { body, consistent_through, last_modified: Some(found.stored) }))
        }
        StatementQuery::List(list) => list_page(c, list, None, langs, consistent_through).map(Some),
        StatementQuery::More(cursor) => {
            list_page(c, &cursor.query, Some(cursor.after), langs, consistent_through).map(Some)
        }
    }
}

fn list_page(
    c: &Connection,
    query: &ListQuery,
    after: Option<i64>,
    langs: &[String],
    consistent_through: Option<String>,
) -> Result<Answer, IngestError> {
    let limit = if query.limit == 0 { MAX_PAGE } else { query.limit.min(MAX_PAGE) } as usize;
    let mut filter = ListFilter {
        verb: query.verb.clone(),
        registration: query.registration.map(|r| r.to_string()),
        since: query.since.map(stored_text),
        until: query.until.map(stored_text),
        ascending: query.ascending,
        after,
        ..ListFilter::default()
    };
    let agent_key = query.agent.as_ref().map(|k| k.to_string());
    match (&agent_key, query.related_agents) {
        (Some(key), true) => filter.text_contains.extend(agent_hint(key)),
        (Some(key), false) => filter.agent = Some(key.clone()),
        (None, _) => {}
    }
    match (&query.activity, query.related_activities) {
        (Some(iri), true) => filter.text_contains.push(format!("\"{iri}\"")),
        (Some(iri), false) => filter.activity = Some(iri.clone()),
        (None, _) => {}
    }
    let exact_activity = query.activity.as_deref().filter(|_| query.related_activities);
    let exact_agent = agent_key.as_deref().filter(|_| query.related_agents);
    let keep = |json: &str| {
        if exact_activity.is_none() && exact_agent.is_none() {
            return true;
        }
        let Ok(parsed) = parse_statements(json.as_bytes()) else { return false };
        let Some(statement) = parsed.first() else { return false };
        exact_activity.is_none_or(|iri| statement.related_activity_ids().contains(&iri))
            && exact_agent.is_none_or(|key| statement.related_agent_keys().iter().any(|k| k.as_str() == key))
    };
    let mut rows = sql::list_statements(c, &filter, limit + 1, keep)?;
    let more = if rows.len() > limit {
        rows.truncate(limit);
        let last = rows.last().map_or(0, |r| r.seq);
        format!("/xapi/statements?more={}", MoreCursor { query: query.clone(), after: last }.encode())
    } else {
        String::new()
    };
    let mut body = String::with_capacity(rows.iter().map(|r| r.json.len() + 1).sum::<usize>() + 64 + more.len());
    body.push_str("{\"statements\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&formatted(&row.json, query.format, langs));
    }
    body.push_str("],\"more\":");
    body.push_str(&serde_json::Value::String(more).to_string());
    body.push('}');
    let last_modified = rows.iter().map(|r| &r.stored).max().cloned();
    Ok(Answer { body, consistent_through, last_modified })
}

/// A substring every statement naming this agent contains as sent, to narrow `related_agents`
/// scans (the exact check follows): the account name, or the mailbox's local part.
fn agent_hint(key: &str) -> Option<String> {
    if let Some(account) = key.strip_prefix("account:") {
        return account.split_once('|').map(|(_, name)| name.to_string());
    }
    let mailbox = key.strip_prefix("mbox:mailto:")?;
    mailbox.rsplit_once('@').map(|(local, _)| format!("{local}@"))
}

fn formatted(json: &str, format: Format, langs: &[String]) -> String {
    if format == Format::Exact {
        return json.to_string();
    }
    match serde_json::from_str(json) {
        Ok(value) => format_statement(&value, format, langs).to_string(),
        // Stored text is always valid JSON; return it as stored rather than fail the read.
        Err(_) => json.to_string(),
    }
}
