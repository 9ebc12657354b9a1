//! xAPI 1.0.3 (IEEE 9274.1.1) for the node's Learning Record Store: statement validation (Part 2),
//! the statement comparison rule, `GET /xapi/statements` parameters, result formats and paging
//! cursors (Part 3), and the learning facts the ingest path reads from a statement. Pure code: no
//! storage, no HTTP.
//!
//! Map: [`parse_statements`] → [`Statement`] (validated, normalised JSON text + typed facts) →
//! [`Statement::finalize`] when storing; [`same_content`] for the "same id, different content"
//! rule (409); [`parse_query`] → [`StatementQuery`]; [`format_statement`] for
//! `format=ids|canonical`; [`MoreCursor`] for `more`; [`learning_fields`] and [`related_ids`] for the
//! ingest path.
//!
//! Invariants: a [`Statement`]'s text is valid JSON that passes [`parse_statements`] again, with
//! the same facts; every error is a 400 unless it says otherwise, and names the JSON path (or the
//! query parameter) it is about; no error message repeats an agent identifier.
//!
//! Deliberate limits: this LRS accepts no attachments (a statement with `attachments` is a 400, and
//! `attachments=true` in a query is a 400), so it does not take signed statements either (their
//! JWS travels as an attachment).

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
mod related;
mod result;
mod statement;
mod statement_format;
mod time;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod roundtrip_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod validation_tests;

pub use agent::{Actor, IfiKey};
pub use compare::same_content;
pub use context::{ContextActivityIds, ContextFacts};
pub use cursor::MoreCursor;
pub use error::XapiError;
pub use learning::{learning_fields, LearningFields, VerbKind};
pub use query::{parse_query, Format, ListQuery, StatementQuery};
pub use related::{related_ids, RelatedKind};
pub use result::ResultFacts;
pub use statement::{
    Authority, ObjectKind, Statement, StatementCore, StatementObject, DEFAULT_STATEMENT_VERSION, VOIDED_VERB,
};
pub use statement_format::{format_statement, parse_accept_language};

use json::Json;
use path::Path;

/// Parses the body of `POST`/`PUT /xapi/statements`: one statement object or an array of them.
/// Every statement is fully validated (Part 2); the first problem is returned, naming its path
/// (`statement[3].actor: ...`, or `statement.actor: ...` for a single object). Two statements with
/// the same id in one batch are a 400 (Part 3 §2.1.2).
pub fn parse_statements(body: &[u8]) -> Result<Vec<Statement>, XapiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| XapiError::bad_request(format!("the request body is not UTF-8 text: {e}")))?;
    let document =
        Json::parse(text).map_err(|e| XapiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let statements = match &document {
        Json::Object(_) => vec![statement::parse_statement(&document, text.trim(), &Path::Root("statement"))?],
        Json::Array(items) => {
            let texts = array_element_texts(text);
            if texts.len() != items.len() {
                // Cannot happen for a valid JSON array; refuse rather than store mismatched text.
                return Err(XapiError { status: 500, message: "could not split the statement batch".into() });
            }
            let mut statements = Vec::with_capacity(items.len());
            for (i, (item, item_text)) in items.iter().zip(texts).enumerate() {
                statements.push(statement::parse_statement(item, item_text, &Path::Item("statement", i))?);
            }
            statements
        }
        _ => {
            return Err(XapiError::bad_request("the request body must be a statement object or an array of statements"))
        }
    };
    reject_duplicate_ids(&statements)?;
    Ok(statements)
}

/// The text of each element of `text`, which must already have parsed as a JSON array: a scan for
/// the commas and brackets at depth one, outside strings. (Cheaper than a second parse; every
/// statement keeps its text exactly as sent.)
fn array_element_texts(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut texts = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b',' if depth == 1 => texts.extend(start.take().map(|s: usize| text[s..i].trim_end())),
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    texts.extend(start.take().map(|s: usize| text[s..i].trim_end()));
                }
            }
            byte => {
                if depth == 1 && start.is_none() {
                    start = Some(i);
                }
                match byte {
                    b'[' | b'{' => depth += 1,
                    b'"' => i = closing_quote(bytes, i + 1),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    texts
}

/// The index of the quote that closes the string whose content starts at `i` (or the end of
/// `bytes`). Most of a statement is string content, so this reads eight bytes at a time and jumps
/// to the first quote or backslash among them.
fn closing_quote(bytes: &[u8], mut i: usize) -> usize {
    /// The high bit of each byte of `word` equal to `byte` is set. Bytes above a match may be
    /// flagged too (the borrow carries), but the lowest flagged byte is always a true match.
    const fn matches(word: u64, byte: u8) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let x = word ^ (ONES * byte as u64);
        x.wrapping_sub(ONES) & !x & (ONES << 7)
    }
    loop {
        while let Some(chunk) = bytes.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
            let found = matches(u64::from_le_bytes(chunk), b'"') | matches(u64::from_le_bytes(chunk), b'\\');
            if found != 0 {
                i += (found.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match bytes.get(i) {
            None | Some(b'"') => return i,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

fn reject_duplicate_ids(statements: &[Statement]) -> Result<(), XapiError> {
    let mut seen: Vec<(uuid::Uuid, usize)> =
        statements.iter().enumerate().filter_map(|(i, s)| Some((s.id()?, i))).collect();
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn array_elements_are_split_outside_strings_and_nesting() {
        let text = r#" [ {"a": [1, {"b": "],}\"{"}]} ,[2,3],"x,]" , -1.5e3, true,null,{} ] "#;
        assert_eq!(
            array_element_texts(text),
            [r#"{"a": [1, {"b": "],}\"{"}]}"#, "[2,3]", r#""x,]""#, "-1.5e3", "true", "null", "{}"]
        );
        assert!(array_element_texts("[]").is_empty());
        assert_eq!(array_element_texts("[\n{}\n]"), ["{}"]);
        let long = format!(r#"["{}\"{}", {{"k": "{}"}}]"#, "a".repeat(37), "b".repeat(20), "é".repeat(9));
        assert!(Json::parse(&long).is_ok());
        assert_eq!(array_element_texts(&long).len(), 2);
    }

    #[test]
    fn closing_quotes_are_found_past_escapes() {
        for (text, expected) in [
            (r#"abc""#, 3),
            (r#"abcdefghijklmnop""#, 16),
            (r#"abcdefgh\"ijklmnop""#, 18),
            (r#"\\""#, 2),
            (r#"0123456\\"x"#, 9),
            ("no end", 6),
        ] {
            assert_eq!(closing_quote(text.as_bytes(), 0), expected, "{text}");
        }
    }
}
