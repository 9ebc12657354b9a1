//! Reading one CSV file as real exports write them: UTF-8 with or without a BOM, CRLF or LF,
//! quoted fields holding commas and newlines, columns in any order, vendor columns (ignored and
//! reported), optional columns absent or empty. Header names match as the format spells them.

use std::collections::HashMap;

use csv::{ReaderBuilder, StringRecord, Trim};

use super::error::{Problem, Problems};
use super::report::DroppedColumn;

/// Whether Lantern keeps a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    Kept,
    /// Read for nothing (or only transiently); reported as dropped with this reason when the
    /// file has a non-empty value in it.
    Dropped(&'static str),
}

/// One column of a file format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
    pub keep: Keep,
}

/// A required, kept column.
pub(crate) const fn required(name: &'static str) -> ColumnSpec {
    ColumnSpec { name, required: true, keep: Keep::Kept }
}

/// An optional, kept column.
pub(crate) const fn optional(name: &'static str) -> ColumnSpec {
    ColumnSpec { name, required: false, keep: Keep::Kept }
}

/// An optional column whose values are not kept.
pub(crate) const fn dropped(name: &'static str, reason: &'static str) -> ColumnSpec {
    ColumnSpec { name, required: false, keep: Keep::Dropped(reason) }
}

/// A parsed CSV file: header index and records (with their line numbers).
#[derive(Debug)]
pub(crate) struct Table {
    pub file: String,
    index: HashMap<String, usize>,
    /// (line where the record starts, record).
    records: Vec<(u64, StringRecord)>,
    /// Columns present with values Lantern does not keep, and vendor columns.
    pub dropped: Vec<DroppedColumn>,
}

/// Marks a value whose problem has already been recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reported;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads `bytes` as the CSV file `file` with the given columns. Problems go to `problems`;
/// `None` when the file cannot be read at all (encoding, header, malformed quoting).
pub(crate) fn read_table(
    file: &str,
    bytes: &[u8],
    columns: &[ColumnSpec],
    extra_reason: &str,
    problems: &mut Problems,
) -> Option<Table> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..error.valid_up_to()].iter().filter(|&&byte| byte == b'\n').count() as u64;
        problems.push(Problem::row(file, line, "not valid UTF-8 text (save the file as UTF-8)"));
        return None;
    }
    let mut reader = ReaderBuilder::new().has_headers(true).flexible(true).trim(Trim::All).from_reader(bytes);
    let header = match reader.headers() {
        Ok(header) if header.iter().any(|name| !name.is_empty()) => header.clone(),
        Ok(_) => {
            problems.push(Problem::file(file, "the file is empty (no header row)"));
            return None;
        }
        Err(error) => {
            problems.push(Problem::row(file, 1, format!("malformed CSV header: {error}")));
            return None;
        }
    };

    let mut index = HashMap::new();
    let mut header_ok = true;
    for (position, name) in header.iter().enumerate() {
        if index.insert(name.to_owned(), position).is_some() {
            problems.push(Problem::at(file, 1, "header", format!("column \"{name}\" appears more than once")));
            header_ok = false;
        }
    }
    for column in columns.iter().filter(|column| column.required) {
        if !index.contains_key(column.name) {
            problems.push(Problem::at(file, 1, "header", format!("missing required column \"{}\"", column.name)));
            header_ok = false;
        }
    }
    if !header_ok {
        return None;
    }

    let lines = LineIndex::new(bytes);
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = lines.line_of(record.position());
                if record.len() != header.len() {
                    problems.push(Problem::row(
                        file,
                        line,
                        format!("row has {} fields, the header has {}", record.len(), header.len()),
                    ));
                    continue;
                }
                records.push((line, record));
            }
            Err(error) => {
                let line = lines.line_of(error.position());
                problems.push(Problem::row(file, line, format!("malformed CSV: {error}")));
                return None;
            }
        }
    }

    let mut dropped = Vec::new();
    for name in header.iter() {
        let spec = columns.iter().find(|column| column.name == name);
        let reason = match spec {
            None => extra_reason,
            Some(ColumnSpec { keep: Keep::Dropped(reason), .. }) => {
                let position = index[name];
                if records.iter().all(|(_, record)| record[position].is_empty()) {
                    continue;
                }
                reason
            }
            Some(_) => continue,
        };
        dropped.push(DroppedColumn { file: file.to_owned(), column: name.to_owned(), reason: reason.to_owned() });
    }

    Some(Table { file: file.to_owned(), index, records, dropped })
}

/// Physical line numbers from byte offsets. (The csv crate's own line count lags by one after
/// a CRLF terminator, which real exports use.)
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let newlines = bytes.iter().enumerate().filter(|(_, &byte)| byte == b'\n').map(|(offset, _)| offset).collect();
        Self { bytes, newlines }
    }

    /// The 1-based line of the first character at or after `position` that is not a line
    /// terminator left over from the previous record.
    fn line_of(&self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return 0;
        };
        let len = self.bytes.len();
        let mut offset = usize::try_from(position.byte()).unwrap_or(len);
        while offset < len && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        1 + self.newlines.partition_point(|&newline| newline < offset) as u64
    }
}

impl Table {
    /// The data rows, in file order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = RowRef<'_>> {
        self.records.iter().map(move |(line, record)| RowRef { table: self, line: *line, record })
    }

    pub(crate) fn row_count(&self) -> usize {
        self.records.len()
    }

    /// Whether the header has this column.
    pub(crate) fn has_column(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// One data row of a [`Table`].
#[derive(Clone, Copy)]
pub(crate) struct RowRef<'t> {
    table: &'t Table,
    line: u64,
    record: &'t StringRecord,
}

impl<'t> RowRef<'t> {
    /// The 1-based line where the record starts.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn file(&self) -> &'t str {
        &self.table.file
    }

    /// The (trimmed) value, or "" when empty or the column is absent.
    pub(crate) fn get(&self, column: &str) -> &'t str {
        self.table.index.get(column).and_then(|&position| self.record.get(position)).unwrap_or("")
    }

    /// A problem located at this row and column.
    pub(crate) fn problem(&self, column: &str, reason: impl Into<String>) -> Problem {
        Problem::at(self.file(), self.line(), column, reason)
    }

    /// A non-empty value, or a "required value missing" problem.
    pub(crate) fn required(&self, column: &str, problems: &mut Problems) -> Result<&'t str, Reported> {
        let value = self.get(column);
        if value.is_empty() {
            problems.push(self.problem(column, "required value missing"));
            Err(Reported)
        } else {
            Ok(value)
        }
    }

    /// The value, or `None` when empty.
    pub(crate) fn optional(&self, column: &str) -> Option<String> {
        let value = self.get(column);
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// A required value parsed by `parse` (whose `Err` is the reason).
    pub(crate) fn parse<T>(
        &self,
        column: &str,
        problems: &mut Problems,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, Reported> {
        let value = self.required(column, problems)?;
        parse(value).map_err(|reason| {
            problems.push(self.problem(column, reason));
            Reported
        })
    }

    /// An optional value parsed by `parse`; `Ok(None)` when empty.
    pub(crate) fn parse_optional<T>(
        &self,
        column: &str,
        problems: &mut Problems,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Reported> {
        let value = self.get(column);
        if value.is_empty() {
            return Ok(None);
        }
        parse(value).map(Some).map_err(|reason| {
            problems.push(self.problem(column, reason));
            Reported
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[ColumnSpec] = &[required("id"), optional("name"), dropped("secret", "never stored")];

    fn read(bytes: &[u8]) -> (Option<Table>, Vec<String>) {
        let mut problems = Problems::default();
        let table = read_table("t.csv", bytes, COLUMNS, "vendor column", &mut problems);
        let listed = match problems.into_result("t") {
            Ok(()) => Vec::new(),
            Err(error) => error.problems().iter().map(ToString::to_string).collect(),
        };
        (table, listed)
    }

    #[test]
    fn reads_bom_crlf_quoted_newlines_and_any_column_order() {
        let bytes = b"\xEF\xBB\xBFname,x-vendor,id,secret\r\n\"Zo\xC3\xAB, \"\"Z\"\"\nsecond\",v,1,\r\nAl,,2,pw\r\n";
        let (table, problems) = read(bytes);
        assert!(problems.is_empty(), "{problems:?}");
        let table = table.expect("readable");
        let rows: Vec<_> = table.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("id"), "1");
        assert_eq!(rows[0].get("name"), "Zoë, \"Z\"\nsecond");
        assert_eq!(rows[0].line(), 2);
        assert_eq!(rows[1].line(), 4);
        assert_eq!(rows[1].get("absent"), "");
        let dropped: Vec<_> = table.dropped.iter().map(|d| format!("{}: {}", d.column, d.reason)).collect();
        assert_eq!(dropped, ["x-vendor: vendor column", "secret: never stored"]);
    }

    #[test]
    fn dropped_column_with_only_empty_values_is_not_reported() {
        let (table, _) = read(b"id,secret\n1,\n");
        assert!(table.expect("readable").dropped.is_empty());
    }

    #[test]
    fn rejects_non_utf8_with_its_line() {
        let (table, problems) = read(b"id,name\n1,ok\n2,caf\xE9\n");
        assert!(table.is_none());
        assert_eq!(problems, ["t.csv:3: not valid UTF-8 text (save the file as UTF-8)"]);
    }

    #[test]
    fn rejects_missing_required_column_and_duplicate_header() {
        let (_, problems) = read(b"name,name\nx,y\n");
        assert_eq!(
            problems,
            [
                "t.csv:1: header: column \"name\" appears more than once",
                "t.csv:1: header: missing required column \"id\"",
            ]
        );
    }

    #[test]
    fn rejects_ragged_rows_and_empty_files() {
        let (_, problems) = read(b"id,name\n1\n");
        assert_eq!(problems, ["t.csv:2: row has 1 fields, the header has 2"]);
        let (_, problems) = read(b"");
        assert_eq!(problems, ["t.csv: the file is empty (no header row)"]);
    }
}
