//! The policies in force on this node: rules and playbooks, release budget and tables, retention.
//! Loaded at start from the files `node.toml` names (or the defaults built into the binary); a
//! file that does not validate stops the start with every problem listed.

use std::path::Path;
use std::sync::Arc;

use lantern_policies::release_policy::ReleasePolicy;
use lantern_policies::retention::{self, RetentionPolicy};
use lantern_policies::rules::{self, RulesPolicy};
use lantern_policies::{Diagnostic, PolicySource};

use crate::config::PolicyFiles;

#[derive(Debug)]
pub struct Policies {
    pub rules: Arc<RulesPolicy>,
    pub release: Arc<ReleasePolicy>,
    pub retention: Arc<RetentionPolicy>,
}

/// Every diagnostic of every policy that failed, one per line.
#[derive(Debug, thiserror::Error)]
#[error("policy files do not validate:\n{}", .0.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
pub struct PolicyError(pub Vec<Diagnostic>);

fn source(path: Option<&Path>, builtin: impl FnOnce() -> PolicySource) -> Result<PolicySource, Vec<Diagnostic>> {
    match path {
        Some(p) => PolicySource::read(p).map_err(|d| vec![d]),
        None => Ok(builtin()),
    }
}

impl Policies {
    pub fn load(files: &PolicyFiles) -> Result<Policies, PolicyError> {
        let mut problems = Vec::new();
        let rules = source(files.rules.as_deref(), rules::default_source).and_then(|s| rules::load(&s));
        let release = source(files.release.as_deref(), || {
            PolicySource::builtin("release.toml", lantern_policies::release_policy::DEFAULT_RELEASE_POLICY)
        })
        .and_then(|s| ReleasePolicy::load(&s));
        let retention = source(files.retention.as_deref(), retention::default_source).and_then(|s| retention::load(&s));
        let rules = rules.map_err(|mut d| problems.append(&mut d)).ok();
        let release = release.map_err(|mut d| problems.append(&mut d)).ok();
        let retention = retention.map_err(|mut d| problems.append(&mut d)).ok();
        match (rules, release, retention) {
            (Some(rules), Some(release), Some(retention)) => {
                Ok(Policies { rules: Arc::new(rules), release: Arc::new(release), retention: Arc::new(retention) })
            }
            _ => Err(PolicyError(problems)),
        }
    }

    /// The shipped defaults (they are validated by tests, so this cannot fail in a release).
    pub fn defaults() -> Result<Policies, PolicyError> {
        Policies::load(&PolicyFiles::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let p = Policies::defaults().unwrap();
        assert!(!p.rules.rules.is_empty());
    }

    #[test]
    fn a_bad_file_is_reported_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "kind = \"rules\"\nbogus = 1\n").unwrap();
        let err = Policies::load(&PolicyFiles { rules: Some(path), ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("rules.toml:"), "{err}");
    }
}
