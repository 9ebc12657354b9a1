//! Collecting every problem in a policy file as located diagnostics, including problems found
//! inside a string value (a condition, a template) mapped back to the file's line and column.

use std::ops::Range;

use toml::Spanned;

use super::lexer::SyntaxError;
use super::toml_string::StringOffsets;
use crate::policy_file::{Diagnostic, PolicySource};

/// The diagnostics found so far in one policy file.
pub(crate) struct Report<'a> {
    pub src: &'a PolicySource,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Report<'a> {
    pub fn new(src: &'a PolicySource) -> Report<'a> {
        Report { src, diagnostics: Vec::new() }
    }

    /// A problem at a span of the file.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(self.src.diagnostic(Some(span), message));
    }

    /// A problem with the file as a whole (a missing top-level key).
    pub fn whole(&mut self, message: impl Into<String>) {
        self.diagnostics.push(self.src.diagnostic(None, message));
    }

    /// Problems located inside the value of a string key.
    pub fn inside(&mut self, string: &Spanned<String>, errors: Vec<SyntaxError>) {
        let offsets = StringOffsets::new(&self.src.text, string.span(), string.get_ref());
        for e in errors {
            let at = offsets.file_offset(e.span.start);
            self.at(at..at, e.message);
        }
    }

    /// The 1-based line of a span's start, for "first defined on line N".
    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.src.line_col(span.start).0
    }

    /// A required key: reports `missing key` at the enclosing table when absent.
    pub fn required<'v, T>(
        &mut self,
        value: &'v Option<Spanned<T>>,
        table: &Range<usize>,
        owner: &str,
        key: &str,
        expected: &str,
    ) -> Option<&'v Spanned<T>> {
        if value.is_none() {
            self.at(table.clone(), format!("{owner}: missing key `{key}` ({expected})"));
        }
        value.as_ref()
    }

    /// A whole number in `min..=max`, else a diagnostic naming the key and the range.
    pub fn whole_in(&mut self, value: &Spanned<i64>, key: &str, min: u32, max: u32, why: &str) -> Option<u32> {
        let v = *value.get_ref();
        match u32::try_from(v) {
            Ok(n) if n >= min && n <= max => Some(n),
            _ => {
                self.at(value.span(), format!("{key} = {v}: expected a whole number from {min} to {max}{why}"));
                None
            }
        }
    }

    /// A non-blank string, else a diagnostic.
    pub fn text(&mut self, value: &Spanned<String>, key: &str) -> Option<String> {
        let s = value.get_ref().trim();
        if s.is_empty() {
            self.at(value.span(), format!("{key} is empty"));
            return None;
        }
        Some(s.to_string())
    }

    /// The value when nothing was reported; else every diagnostic, whole-file ones first, then in
    /// file order.
    pub fn into_result<T>(mut self, value: Option<T>) -> Result<T, Vec<Diagnostic>> {
        self.diagnostics.sort_by_key(|d| (d.line.is_some(), d.line, d.col));
        match value {
            Some(v) if self.diagnostics.is_empty() => Ok(v),
            _ if self.diagnostics.is_empty() => {
                // Every path that yields no value reports why; this is a guard, not a message.
                Err(vec![self.src.diagnostic(None, "invalid policy")])
            }
            _ => Err(self.diagnostics),
        }
    }
}

/// Checks a policy id: lowercase ASCII letters, digits and `-`, starting with a letter.
pub(crate) fn slug(id: &str) -> Result<(), String> {
    let ok = id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err("use lowercase letters, digits and `-`, starting with a letter (at most 64), e.g. \"small-group-reteach\""
            .to_string())
    }
}
