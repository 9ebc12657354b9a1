//! `lantern policy check`: every policy file is validated by the schema its `kind` names, and every
//! problem is reported as `file:line:col: message`.

use std::path::Path;

use crate::{release_policy::ReleasePolicy, retention, rules, Diagnostic, PolicySource};

/// What one file turned out to be, when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub file: String,
    pub kind: String,
    pub hash: String,
}

/// Validates one policy source by its `kind`.
pub fn check_source(src: &PolicySource) -> Result<Checked, Vec<Diagnostic>> {
    let kind = src.kind().map_err(|d| vec![d])?;
    match kind.as_str() {
        "rules" => rules::load(src).map(|_| ()),
        "release" => ReleasePolicy::load(src).map(|_| ()),
        "retention" => retention::load(src).map(|_| ()),
        other => Err(vec![src.diagnostic(
            find_kind_span(src),
            format!("unknown policy kind {other:?} (expected one of: rules, release, retention)"),
        )]),
    }?;
    Ok(Checked { file: src.name.clone(), kind, hash: src.hash().0 })
}

fn find_kind_span(src: &PolicySource) -> Option<std::ops::Range<usize>> {
    let start = src.text.find("kind")?;
    Some(start..start + 4)
}

/// Validates files on disk; returns the valid ones and every diagnostic of the rest.
pub fn check_files(paths: &[&Path]) -> (Vec<Checked>, Vec<Diagnostic>) {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match PolicySource::read(p) {
            Err(d) => problems.push(d),
            Ok(src) => match check_source(&src) {
                Ok(c) => ok.push(c),
                Err(mut ds) => problems.append(&mut ds),
            },
        }
    }
    (ok, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_defaults_pass() {
        for src in [rules::default_source(), retention::default_source()] {
            check_source(&src).unwrap();
        }
        let release = PolicySource::builtin("release.toml", include_str!("../defaults/release.toml"));
        assert_eq!(check_source(&release).unwrap().kind, "release");
    }

    #[test]
    fn unknown_kind_and_missing_files_are_reported() {
        let src = PolicySource { name: "x.toml".into(), text: "kind = \"budgets\"\n".into() };
        let errs = check_source(&src).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "x.toml:1:1: unknown policy kind \"budgets\" (expected one of: rules, release, retention)"
        );
        let (ok, problems) = check_files(&[Path::new("/nonexistent/rules.toml")]);
        assert!(ok.is_empty());
        assert!(problems[0].to_string().starts_with("/nonexistent/rules.toml: cannot read"));
    }

    #[test]
    fn a_broken_rules_file_names_line_and_column() {
        let text = rules::default_source().text.replacen("absences_14d >= 2", "absenses_14d >= 2", 1);
        let src = PolicySource { name: "rules.toml".into(), text };
        let errs = check_source(&src).unwrap_err();
        let msg = errs[0].to_string();
        assert!(msg.starts_with("rules.toml:") && msg.contains("unknown indicator \"absenses_14d\""), "{msg}");
    }
}
