//! The item bank (items.csv): each question's activity, standards, key and distractors with the
//! misconception each signals. Rows add items or replace the stored item with the same id;
//! items missing from the file stay (past answers refer to them).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{optional, read_table, required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problems};
use super::progress::{Progress, Ticker};
use super::report::{DroppedColumn, FileCounts, FileMode, ImportKind, ImportReport};
use super::{fields, read_single_file, ImportOptions};
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
#[derive(Debug)]
pub struct ItemBatch {
    source: String,
    file: String,
    rows: Vec<ItemRow>,
    dropped_columns: Vec<DroppedColumn>,
    read_started: Instant,
    progress: Option<Progress>,
}

impl ItemBatch {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Debug)]
struct ItemRow {
    item_id: String,
    item: Item,
}

/// Reads and checks items.csv (format: docs/DATA.md).
pub fn read_items(path: &Path, opts: &ImportOptions) -> Result<ItemBatch, ImportError> {
    let read_started = Instant::now();
    let source = path.display().to_string();
    let (file, bytes) = read_single_file(path)?;
    let mut problems = Problems::default();
    let extra = "not part of the items.csv format; ignored";
    let Some(table) = read_table(&file, &bytes, &COLUMNS, extra, &mut problems) else {
        return Err(problems.reject(&source));
    };
    let mut ticker = Ticker::start(opts.progress.as_ref(), format!("reading {file}"), table.row_count());
    let mut first_lines: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(table.row_count());
    for row in table.rows() {
        ticker.tick();
        let Ok(item_row) = read_item(row, &mut problems) else {
            continue;
        };
        if let Some(first) = first_lines.get(&item_row.item_id) {
            problems.push(
                row.problem("item_id", format!("duplicate item \"{}\" (first on line {first})", item_row.item_id)),
            );
            continue;
        }
        first_lines.insert(item_row.item_id.clone(), row.line());
        rows.push(item_row);
    }
    problems.into_result(&source)?;
    Ok(ItemBatch { source, file, rows, dropped_columns: table.dropped, read_started, progress: opts.progress.clone() })
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
    let mut counts = FileCounts::new(&batch.file, FileMode::Upsert, batch.rows.len());
    let mut ticker = Ticker::start(batch.progress.as_ref(), format!("writing {}", batch.file), batch.rows.len());
    for row in &batch.rows {
        ticker.tick();
        let stored = roster::load_item(conn, &row.item_id).map_err(database("reading an item"))?;
        match stored {
            Some(stored) if stored == row.item => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.added += 1,
        }
        roster::upsert_item(conn, &row.item_id, &row.item).map_err(database("writing an item"))?;
    }
    super::record_single_file(
        conn,
        now,
        super::SingleFileImport {
            kind: ImportKind::Items,
            format: "Lantern items CSV",
            source: &batch.source,
            counts,
            dropped_columns: &batch.dropped_columns,
            read_started: batch.read_started,
            apply_started,
            progress: batch.progress.as_ref(),
        },
    )
}

#[cfg(test)]
mod tests;
