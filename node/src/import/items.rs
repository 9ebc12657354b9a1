//! The item bank (items.csv): each question's activity, standards, key and distractors with the
//! misconception each signals. Rows add items or replace the stored item with the same id;
//! items missing from the file stay (past answers refer to them).

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{optional, required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problems};
use super::one_file::{apply_one_file, read_one_file, upsert_if_changed, OneFileBatch, OneFileFormat, OneFileKind};
use super::report::{ImportKind, ImportReport};
use super::{fields, ImportOptions};
use crate::store::roster::{self, records::Item};

const COLUMNS: [ColumnSpec; 7] = [
    required("item_id"),
    required("activity_id"),
    required("title"),
    required("standards"),
    required("correct_response"),
    optional("distractors"),
    optional("max_score"),
];

/// items.csv, read and checked.
pub type ItemBatch = OneFileBatch<ItemRow>;

/// One item of items.csv.
#[derive(Debug)]
pub struct ItemRow {
    item_id: String,
    item: Item,
}

/// One row per item id.
const FORMAT: OneFileFormat<ItemRow, String> = OneFileFormat {
    name: "items.csv",
    columns: &COLUMNS,
    parse: read_item,
    key: |row| row.item_id.clone(),
    repeated: |row, item, first| {
        row.problem("item_id", format!("duplicate item \"{}\" (first on line {first})", item.item_id))
    },
};

/// Reads and checks items.csv (format: docs/DATA.md).
pub fn read_items(path: &Path, opts: &ImportOptions) -> Result<ItemBatch, ImportError> {
    read_one_file(path, opts, &FORMAT)
}

fn read_item(row: RowRef<'_>, problems: &mut Problems) -> Result<ItemRow, Reported> {
    let item_id = row.parse("item_id", problems, iri);
    let activity_id = row.parse("activity_id", problems, iri);
    let title = row.required("title", problems);
    let standards = row.parse("standards", problems, standards);
    let correct = row.parse("correct_response", problems, choice_id);
    let distractors = row.parse_optional("distractors", problems, |text| distractors(text, correct.as_deref().ok()));
    let max_score = row.parse_optional("max_score", problems, |text| {
        fields::number(text).and_then(|score| {
            if score > 0.0 {
                Ok(score)
            } else {
                Err(format!("must be greater than 0, found {text}"))
            }
        })
    });
    Ok(ItemRow {
        item_id: item_id?,
        item: Item {
            activity_id: activity_id?,
            title: title?.to_owned(),
            standards: standards?,
            correct_choice: correct?,
            distractors: distractors?.unwrap_or_default(),
            max_score: max_score?.unwrap_or(1.0),
        },
    })
}

/// An absolute IRI: a scheme, a colon, and no whitespace.
fn iri(text: &str) -> Result<String, String> {
    let scheme_ok = text.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if scheme_ok && !text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(text.to_owned())
    } else {
        Err(format!("not an absolute IRI: \"{text}\" (expected e.g. https://items.example/item/1)"))
    }
}

/// `;`-separated standard codes (CCSS codes or CASE GUIDs): at least one, none empty or twice.
fn standards(text: &str) -> Result<Vec<String>, String> {
    let mut seen = HashSet::new();
    let mut codes = Vec::new();
    for code in text.split(';').map(str::trim) {
        if code.is_empty() {
            return Err(format!("empty standard code in \"{text}\""));
        }
        if code.chars().any(char::is_whitespace) {
            return Err(format!("standard code \"{code}\" contains whitespace"));
        }
        if !seen.insert(code) {
            return Err(format!("standard \"{code}\" is listed twice"));
        }
        codes.push(code.to_owned());
    }
    Ok(codes)
}

/// A choice id such as `b`: letters, digits, `_` or `-`.
fn choice_id(text: &str) -> Result<String, String> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) {
        Ok(text.to_owned())
    } else {
        Err(format!("invalid choice id \"{text}\" (letters, digits, _ or - only)"))
    }
}

/// A misconception code: lowercase kebab-case (`ratio-as-difference`).
fn misconception_code(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// `choice=misconception;...`: distinct choices other than the key, well-formed codes.
fn distractors(text: &str, correct: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    for pair in text.split(';').map(str::trim) {
        let Some((choice, code)) = pair.split_once('=') else {
            return Err(format!("\"{pair}\" is not choice=misconception (e.g. a=ratio-as-difference)"));
        };
        let (choice, code) = (choice.trim(), code.trim());
        let choice = choice_id(choice)?;
        if Some(choice.as_str()) == correct {
            return Err(format!("choice \"{choice}\" is the correct response"));
        }
        if !seen.insert(choice.clone()) {
            return Err(format!("choice \"{choice}\" is listed twice"));
        }
        if !misconception_code(code) {
            return Err(format!("misconception \"{code}\" is not lowercase kebab-case (e.g. inverted-ratio)"));
        }
        pairs.push((choice, code.to_owned()));
    }
    Ok(pairs)
}

/// Writes the items inside the caller's transaction and records the report.
pub fn apply_items(conn: &Connection, batch: &ItemBatch, now: DateTime<Utc>) -> Result<ImportReport, ImportError> {
    let apply_started = Instant::now();
    let kind = OneFileKind { kind: ImportKind::Items, format: "Lantern items CSV" };
    apply_one_file(conn, batch, kind, apply_started, now, |row| {
        let stored = roster::load_item(conn, &row.item_id).map_err(database("reading an item"))?;
        let upsert = || roster::upsert_item(conn, &row.item_id, &row.item).map_err(database("writing an item"));
        upsert_if_changed(stored, &row.item, upsert).map(Some)
    })
}

#[cfg(test)]
mod tests;
