//! Loading policy files: every policy is a TOML file with a top-level `kind`, parsed into a typed
//! struct, with errors that name `file:line:col` so a district can fix its files without guessing.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The text of one policy file and where it came from (a path, or `defaults/NAME.toml` for the
/// policies built into the binary).
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// Shown in error messages, e.g. `policies/rules.toml`.
    pub name: String,
    pub text: String,
}

/// SHA-256 over a policy's exact bytes, hex encoded. Travels with every release so the aggregator
/// knows which rules and budget produced it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PolicyHash(pub String);

impl fmt::Display for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem in a policy file, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line and column; `None` when the problem is about the file as a whole.
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Diagnostic {}

impl PolicySource {
    /// Reads a policy file from disk.
    pub fn read(path: &Path) -> Result<PolicySource, Diagnostic> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Diagnostic {
            file: name.clone(),
            line: None,
            col: None,
            message: format!("cannot read: {e}"),
        })?;
        Ok(PolicySource { name, text })
    }

    /// A policy compiled into the binary.
    pub fn builtin(name: &str, text: &str) -> PolicySource {
        PolicySource { name: format!("defaults/{name}"), text: text.to_string() }
    }

    pub fn hash(&self) -> PolicyHash {
        PolicyHash(hex::encode(Sha256::digest(self.text.as_bytes())))
    }

    /// 1-based line and column of a byte offset in the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let upto = &self.text[..offset.min(self.text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// A diagnostic at a byte span (from `toml::Spanned`), or for the whole file.
    pub fn diagnostic(&self, span: Option<std::ops::Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = match span {
            Some(s) => {
                let (l, c) = self.line_col(s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Diagnostic { file: self.name.clone(), line, col, message: message.into() }
    }

    /// Deserializes the whole file into `T`; syntax and shape errors become one diagnostic with the
    /// position the TOML parser reports.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        toml::from_str::<T>(&self.text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            self.diagnostic(e.span(), message)
        })
    }

    /// The file's `kind = "..."` key, which says which schema applies.
    pub fn kind(&self) -> Result<String, Diagnostic> {
        #[derive(serde::Deserialize)]
        struct KindOnly {
            kind: Option<toml::Spanned<String>>,
        }
        let k: KindOnly = self.parse()?;
        match k.kind {
            Some(k) => Ok(k.into_inner()),
            None => Err(self.diagnostic(None, "missing top-level key `kind` (one of: rules, release, retention)")),
        }
    }
}

/// Paths given on a command line, resolved for messages.
pub fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        kind: String,
        budget: f64,
    }

    #[test]
    fn unknown_key_is_located() {
        let src = PolicySource { name: "p.toml".into(), text: "kind = \"x\"\nbudgit = 1.0\n".into() };
        let err = src.parse::<Demo>().unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert_eq!(err.col, Some(1), "{err}");
        assert!(err.to_string().starts_with("p.toml:2:1: unknown field `budgit`"), "{err}");
    }

    #[test]
    fn wrong_type_is_located() {
        let src = PolicySource { name: "p.toml".into(), text: "kind = \"x\"\nbudget = \"lots\"\n".into() };
        let err = src.parse::<Demo>().unwrap_err();
        assert_eq!((err.line, err.col), (Some(2), Some(10)), "{err}");
    }

    #[test]
    fn missing_kind() {
        let src = PolicySource { name: "p.toml".into(), text: "budget = 1.0\n".into() };
        assert!(src.kind().unwrap_err().message.contains("missing top-level key `kind`"));
    }

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let a = PolicySource::builtin("a.toml", "kind = \"x\"\n");
        let b = PolicySource::builtin("b.toml", "kind = \"x\"\n");
        let c = PolicySource::builtin("a.toml", "kind = \"y\"\n");
        assert_eq!(a.hash(), b.hash());
        assert_ne!(a.hash(), c.hash());
        assert_eq!(a.hash().0.len(), 64);
    }
}
