//! Reads of the statements resource (`GET /xapi/statements`): one statement by (voided) id, or a
//! filtered list paged through `more` cursors, each with the consistency bound the response
//! headers carry. Runs on a reader connection.

use rusqlite::Connection;

use super::{stored_text, IngestError, SOURCE_AUTHORITY_HOME_PAGE};
use crate::store::statements::{self as sql, ActivityFilter, AgentFilter, ListFilter};
use crate::xapi::{format_statement, Format, ListQuery, MoreCursor, StatementQuery};

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
    let filter = ListFilter {
        agent: query.agent.as_ref().map(|key| AgentFilter {
            key: key.to_string(),
            related: query.related_agents,
            authority_of_source: key
                .account()
                .filter(|(home, _)| *home == SOURCE_AUTHORITY_HOME_PAGE)
                .map(|(_, source)| source.to_string()),
        }),
        verb: query.verb.clone(),
        activity: query
            .activity
            .as_ref()
            .map(|id| ActivityFilter { id: id.clone(), related: query.related_activities }),
        registration: query.registration.map(|r| r.to_string()),
        since: query.since.map(stored_text),
        until: query.until.map(stored_text),
        ascending: query.ascending,
        after,
    };
    let mut rows = sql::list_statements(c, &filter, limit + 1)?;
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
