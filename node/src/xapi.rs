//! xAPI 1.0.3 (IEEE 9274.1.1) for the node's Learning Record Store: statement validation (Part 2),
//! the statement comparison rule, `GET /xapi/statements` parameters, result formats and paging
//! cursors (Part 3), and the learning facts the ingest path reads from a statement. Pure code: no
//! storage, no HTTP.
//!
//! Map: [`parse_statements`] → [`Statement`] (validated JSON + typed facts) → [`Statement::finalize`]
//! when storing; [`same_content`] for the "same id, different content" rule; [`parse_query`] →
//! [`StatementQuery`]; [`format_statement`] for `format=ids|canonical`; [`MoreCursor`] for `more`;
//! [`learning_fields`] for the ingest path.
//!
//! Deliberate limits: this LRS accepts no attachments (a statement with `attachments` is a 400, and
//! `attachments=true` in a query is a 400), and it does not check signatures (signed statements
//! carry their JWS as an attachment, so they are refused with the rest).

mod activity;
mod agent;
mod compare;
mod context;
mod cursor;
mod datatypes;
mod error;
mod json;
mod language_tag;
mod learning;
mod path;
mod query;
mod result;
mod statement;
mod statement_format;
mod time;

#[cfg(test)]
mod validation_tests;

pub use agent::{Actor, IfiKey};
pub use compare::same_content;
pub use context::{ContextActivityIds, ContextFacts};
pub use cursor::MoreCursor;
pub use error::XapiError;
pub use learning::{learning_fields, LearningFields, VerbKind};
pub use query::{parse_query, Format, ListQuery, StatementQuery};
pub use result::ResultFacts;
pub use statement::{
    ObjectKind, Statement, StatementCore, StatementObject, DEFAULT_STATEMENT_VERSION, VOIDED_VERB,
};
pub use statement_format::{format_statement, parse_accept_language};

use path::Path;
use serde_json::Value;

/// Parses the body of `POST`/`PUT /xapi/statements`: one statement object or an array of them.
/// Every statement is fully validated (Part 2); the first problem is returned, naming its path
/// (`statement[3].actor: ...`, or `statement.actor: ...` for a single object). Two statements with
/// the same id in one batch are a 400 (Part 3 §2.1.2).
pub fn parse_statements(body: &[u8]) -> Result<Vec<Statement>, XapiError> {
    let document: Value = serde_json::from_slice(body)
        .map_err(|e| XapiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let statements = match document {
        Value::Object(_) => vec![statement::parse_statement(document, &Path::Root("statement"))?],
        Value::Array(items) => {
            let mut statements = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                statements.push(statement::parse_statement(item, &Path::Item("statement", i))?);
            }
            statements
        }
        _ => {
            return Err(XapiError::bad_request(
                "the request body must be a statement object or an array of statements",
            ))
        }
    };
    reject_duplicate_ids(&statements)?;
    Ok(statements)
}

fn reject_duplicate_ids(statements: &[Statement]) -> Result<(), XapiError> {
    let mut seen: Vec<(uuid::Uuid, usize)> = statements.iter().enumerate().filter_map(|(i, s)| Some((s.id()?, i))).collect();
    seen.sort_unstable();
    for pair in seen.windows(2) {
        if pair[0].0 == pair[1].0 {
            let (first, second) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
            return Err(XapiError::bad_request(format!(
                "statement[{second}].id: the same id as statement[{first}] in one batch"
            )));
        }
    }
    Ok(())
}
