//! Import errors: every problem found in the input (up to a limit), each located as
//! `file:line: column: reason`, plus I/O and database failures.

use std::fmt;
use std::path::PathBuf;

/// At most this many problems are kept; the rest are counted.
pub const MAX_PROBLEMS: usize = 50;

/// One problem in the input, e.g. `enrollments.csv:14: classSourcedId: unknown class "cls-9"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based physical line where the record starts; `None` for whole-file problems.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    /// A problem about a field of a row.
    pub fn at(file: &str, line: u64, column: &str, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: Some(line), column: Some(column.to_owned()), reason: reason.into() }
    }

    /// A problem about a whole row.
    pub fn row(file: &str, line: u64, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: Some(line), column: None, reason: reason.into() }
    }

    /// A problem about a whole file (or archive).
    pub fn file(file: &str, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: None, column: None, reason: reason.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why an import failed. On any of these, the caller rolls back: nothing is changed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input has problems; `problems` holds the first [`MAX_PROBLEMS`] of `total`.
    #[error("{}", rejected_message(input, problems, *total))]
    Rejected { input: String, problems: Vec<Problem>, total: usize },
    /// An import option is not usable.
    #[error("import options: {option}: {reason}")]
    InvalidOption { option: &'static str, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("database error while {action}: {source}")]
    Database {
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

impl ImportError {
    /// The one-line summary (the first line of `Display`), for exit messages.
    pub fn summary(&self) -> String {
        self.to_string().lines().next().unwrap_or_default().to_owned()
    }

    /// The problems found in the input (empty for other failures).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ImportError::Rejected { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn rejected_message(input: &str, problems: &[Problem], total: usize) -> String {
    let noun = if total == 1 { "problem" } else { "problems" };
    let mut message = format!("import of {input} rejected, nothing changed: {total} {noun}");
    if total > problems.len() {
        message.push_str(&format!(" (first {} shown)", problems.len()));
    }
    for problem in problems {
        message.push_str("\n  ");
        message.push_str(&problem.to_string());
    }
    message
}

/// Wraps a database error with what the import was doing.
pub(crate) fn database(action: &'static str) -> impl FnOnce(rusqlite::Error) -> ImportError {
    move |source| ImportError::Database { action, source }
}

/// Collects problems up to [`MAX_PROBLEMS`], counting the rest.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    shown: Vec<Problem>,
    total: usize,
}

impl Problems {
    pub(crate) fn push(&mut self, problem: Problem) {
        self.total += 1;
        if self.shown.len() < MAX_PROBLEMS {
            self.shown.push(problem);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The `Rejected` error for `input`, for a caller that has recorded why it cannot go on.
    pub(crate) fn reject(self, input: &str) -> ImportError {
        ImportError::Rejected { input: input.to_owned(), problems: self.shown, total: self.total }
    }

    /// `Ok` if nothing was found, else the `Rejected` error for `input`.
    pub(crate) fn into_result(self, input: &str) -> Result<(), ImportError> {
        if self.total == 0 {
            Ok(())
        } else {
            Err(self.reject(input))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_summary_then_one_problem_per_line() {
        let mut problems = Problems::default();
        problems.push(Problem::at("enrollments.csv", 14, "classSourcedId", "unknown class \"cls-9\""));
        problems.push(Problem::file("manifest.csv", "file missing"));
        let error = problems.into_result("roster.zip").expect_err("two problems");
        assert_eq!(
            error.to_string(),
            "import of roster.zip rejected, nothing changed: 2 problems\n  \
             enrollments.csv:14: classSourcedId: unknown class \"cls-9\"\n  \
             manifest.csv: file missing"
        );
        assert_eq!(error.summary(), "import of roster.zip rejected, nothing changed: 2 problems");
    }

    #[test]
    fn problems_beyond_the_limit_are_counted_not_kept() {
        let mut problems = Problems::default();
        for line in 0..(MAX_PROBLEMS as u64 + 7) {
            problems.push(Problem::row("users.csv", line + 2, "bad"));
        }
        let error = problems.into_result("x").expect_err("problems");
        assert_eq!(error.problems().len(), MAX_PROBLEMS);
        assert!(error.summary().ends_with("57 problems (first 50 shown)"));
    }
}
