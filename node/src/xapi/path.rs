//! JSON paths for error messages (`statement[3].context.contextActivities.parent[0].id`), built on
//! the stack while validating and only turned into text when something is wrong.

use std::fmt;

/// Where a value sits in the request body. Cheap to create: each level borrows its parent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    /// The top of the document, e.g. `statement` or the query parameter `agent`.
    Root(&'a str),
    /// One element of a top-level array, e.g. `statement[3]`.
    Item(&'a str, usize),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

/// Keys that read well after a dot; anything else (IRIs, language tags) is quoted in brackets.
fn is_plain_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Item(name, i) => write!(f, "{name}[{i}]"),
            Path::Key(parent, key) if is_plain_key(key) => write!(f, "{parent}.{key}"),
            Path::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_javascript_accessors() {
        let root = Path::Item("statement", 3);
        let context = root.key("context");
        let activities = context.key("contextActivities");
        let parent = activities.key("parent");
        let first = parent.index(0);
        assert_eq!(first.key("id").to_string(), "statement[3].context.contextActivities.parent[0].id");

        let ext = Path::Root("statement");
        let ext = ext.key("result");
        let ext = ext.key("extensions");
        assert_eq!(ext.key("not an iri").to_string(), r#"statement.result.extensions["not an iri"]"#);
    }
}
