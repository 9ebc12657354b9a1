//! Deciding, per file, what an import changes: which rows are added, updated, deleted or left
//! unchanged, by comparing the batch with the stored records (bulk: the file is the whole set;
//! delta: only listed rows change, rows older than what is stored are ignored).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Change, FileRows};
use crate::import::report::{FileCounts, FileMode};
use crate::store::roster::records::Stored;

/// A row to write (added, updated, or unchanged with a newer `dateLastModified`).
#[derive(Debug)]
pub(crate) struct Write<'b, T> {
    pub sourced_id: &'b str,
    pub line: u64,
    pub record: &'b T,
    pub date_last_modified: Option<DateTime<Utc>>,
}

impl<T: Clone> Write<'_, T> {
    pub(crate) fn stored(&self) -> Stored<T> {
        Stored { record: self.record.clone(), date_last_modified: self.date_last_modified }
    }
}

/// What one file changes.
#[derive(Debug)]
pub(crate) struct Plan<'b, T> {
    pub file: &'static str,
    /// Active rows that apply (not stale), changed or not: all must pass reference checks.
    pub live: Vec<Write<'b, T>>,
    /// Indexes into `live` of the rows to write.
    pub writes: Vec<usize>,
    /// sourcedIds to delete, in a stable order.
    pub deletes: Vec<String>,
    pub counts: FileCounts,
}

impl<'b, T> Plan<'b, T> {
    pub(crate) fn writes(&self) -> impl Iterator<Item = &Write<'b, T>> {
        self.writes.iter().map(|&index| &self.live[index])
    }

    /// Adds a deletion of a stored record (counted).
    pub(crate) fn delete(&mut self, sourced_id: String) {
        self.deletes.push(sourced_id);
        self.counts.deleted += 1;
    }
}

/// Plans one file against the stored records; `None` when the file is absent.
pub(crate) fn plan<'b, T: PartialEq>(
    rows: &'b FileRows<T>,
    stored: &HashMap<String, Stored<T>>,
    warnings: &mut Vec<String>,
) -> Option<Plan<'b, T>> {
    let mode = rows.mode?;
    let mut plan = Plan {
        file: rows.file,
        live: Vec::with_capacity(rows.rows.len()),
        writes: Vec::new(),
        deletes: Vec::new(),
        counts: FileCounts::new(rows.report_name, mode, rows.rows.len()),
    };
    let mut listed: HashSet<&str> = HashSet::with_capacity(rows.rows.len());
    for row in &rows.rows {
        listed.insert(&row.sourced_id);
        let old = stored.get(&row.sourced_id);
        let stale = mode == FileMode::Delta
            && matches!(
                (row.date_last_modified, old.and_then(|old| old.date_last_modified)),
                (Some(new), Some(old)) if new < old
            );
        if stale {
            plan.counts.unchanged += 1;
            continue;
        }
        match &row.change {
            Change::Delete => {
                if old.is_some() {
                    plan.delete(row.sourced_id.clone());
                } else {
                    plan.counts.unchanged += 1;
                    warnings.push(format!(
                        "{}:{}: {} \"{}\" is marked tobedeleted but is not stored",
                        rows.file, row.line, rows.kind, row.sourced_id
                    ));
                }
            }
            Change::Upsert(record) => {
                let index = plan.live.len();
                plan.live.push(Write {
                    sourced_id: &row.sourced_id,
                    line: row.line,
                    record,
                    date_last_modified: row.date_last_modified,
                });
                match old {
                    None => {
                        plan.counts.added += 1;
                        plan.writes.push(index);
                    }
                    Some(old) if old.record == *record => {
                        plan.counts.unchanged += 1;
                        // Same content with a newer stamp: keep the stamp for later deltas.
                        if row.date_last_modified.is_some() && row.date_last_modified != old.date_last_modified {
                            plan.writes.push(index);
                        }
                    }
                    Some(_) => {
                        plan.counts.updated += 1;
                        plan.writes.push(index);
                    }
                }
            }
        }
    }
    if mode == FileMode::Bulk {
        let mut missing: Vec<&String> = stored.keys().filter(|id| !listed.contains(id.as_str())).collect();
        missing.sort();
        for id in missing {
            plan.delete(id.clone());
        }
    }
    Some(plan)
}

/// The sourcedIds stored after the plan: stored − deleted + written.
pub(crate) fn ids_after<T>(stored: &HashMap<String, Stored<T>>, plan: Option<&Plan<'_, T>>) -> HashSet<String> {
    let mut ids: HashSet<String> = stored.keys().cloned().collect();
    if let Some(plan) = plan {
        for id in &plan.deletes {
            ids.remove(id);
        }
        for write in plan.writes() {
            ids.insert(write.sourced_id.to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::super::Row;
    use super::*;

    fn at(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).expect("valid").with_timezone(&Utc))
    }

    fn row(id: &str, stamp: &str, change: Change<u32>) -> Row<u32> {
        Row { sourced_id: id.into(), line: 2, date_last_modified: at(stamp), change }
    }

    fn stored(entries: &[(&str, u32, &str)]) -> HashMap<String, Stored<u32>> {
        entries
            .iter()
            .map(|(id, value, stamp)| ((*id).to_owned(), Stored { record: *value, date_last_modified: at(stamp) }))
            .collect()
    }

    #[test]
    fn delta_updates_deletes_and_ignores_stale_rows() {
        let rows = FileRows {
            file: "t.csv",
            report_name: "t.csv",
            kind: "thing",
            mode: Some(FileMode::Delta),
            rows: vec![
                row("a", "2026-09-02T00:00:00Z", Change::Upsert(2)),
                row("b", "2026-09-02T00:00:00Z", Change::Delete),
                row("c", "2026-08-01T00:00:00Z", Change::Upsert(9)),
                row("d", "2026-09-02T00:00:00Z", Change::Upsert(4)),
            ],
        };
        let stored = stored(&[
            ("a", 1, "2026-09-01T00:00:00Z"),
            ("b", 1, "2026-09-01T00:00:00Z"),
            ("c", 3, "2026-09-01T00:00:00Z"),
            ("e", 5, "2026-09-01T00:00:00Z"),
        ]);
        let mut warnings = Vec::new();
        let plan = plan(&rows, &stored, &mut warnings).expect("present");
        assert_eq!((plan.counts.added, plan.counts.updated, plan.counts.deleted, plan.counts.unchanged), (1, 1, 1, 1));
        assert_eq!(plan.deletes, ["b"]);
        let after = ids_after(&stored, Some(&plan));
        let mut after: Vec<_> = after.into_iter().collect();
        after.sort();
        assert_eq!(after, ["a", "c", "d", "e"]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn bulk_deletes_what_is_missing_and_keeps_equal_rows_unchanged() {
        let rows = FileRows {
            file: "t.csv",
            report_name: "t.csv",
            kind: "thing",
            mode: Some(FileMode::Bulk),
            rows: vec![Row { sourced_id: "a".into(), line: 2, date_last_modified: None, change: Change::Upsert(1) }],
        };
        let stored = stored(&[("a", 1, "2026-09-01T00:00:00Z"), ("z", 1, "2026-09-01T00:00:00Z")]);
        let plan = plan(&rows, &stored, &mut Vec::new()).expect("present");
        assert_eq!(plan.counts.unchanged, 1);
        assert!(plan.writes.is_empty());
        assert_eq!(plan.deletes, ["z"]);
    }
}
