//! The aggregator's configuration (`aggregator.toml`): one typed struct with defaults that work for
//! the demo, overridable from `LANTERN_AGGREGATOR_*` environment variables, loaded with the same
//! loader as the node's. [`AggregatorConfig::resolve`] turns the file names into loaded keys and
//! the district policy ([`Resolved`]), so the server never starts half-configured.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use lantern_policies::config_file::{check_minimum, load_config, ConfigError};
use lantern_policies::envelope::NodeId;
use lantern_policies::keys;
use lantern_policies::release_policy::ReleasePolicy;
use lantern_policies::PolicySource;
use serde::{Deserialize, Serialize};

/// Where the aggregator reads its configuration when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "aggregator.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AggregatorConfig {
    /// Shown on the dashboard.
    pub district_name: String,
    /// Where the database and the analyst token live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The age identity releases are encrypted to (`lantern keygen`; mode 0600). Relative paths are
    /// resolved against the working directory.
    pub identity_file: PathBuf,
    /// The district release policy; every release must carry its hash. Default: the built-in one.
    pub release_policy: Option<PathBuf>,
    /// The analysts' bearer token (one line). Created with a random token at first start if absent.
    /// Default: `analyst-token` in `data_dir`.
    pub analyst_token_file: Option<PathBuf>,
    /// Largest accepted sealed release.
    pub max_release_bytes: usize,
    /// `full`: every accepted release is on disk before it is acknowledged (survives power loss).
    /// `normal`: survives a crash of the process, not of the machine; several times faster intake.
    pub synchronous: Synchronous,
    /// The school nodes allowed to send releases, with their public keys.
    pub nodes: Vec<NodeEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

/// One registered school node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    /// The node's `school_id`.
    pub id: String,
    /// Shown on the dashboard; defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The node's Ed25519 public key: 64 hex digits or SPKI PEM text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Or a file holding it (`node-public-key.pem` from `lantern keygen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_file: Option<PathBuf>,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        AggregatorConfig {
            district_name: "Lantern District".into(),
            data_dir: PathBuf::from("./lantern-aggregator-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 7080)),
            identity_file: PathBuf::from("aggregator-identity.txt"),
            release_policy: None,
            analyst_token_file: None,
            max_release_bytes: 32 * 1024 * 1024,
            synchronous: Synchronous::Full,
            nodes: Vec::new(),
        }
    }
}

/// Environment variables that override keys, and the key each one sets.
pub const ENV_OVERRIDES: &[(&str, &[&str])] = &[
    ("LANTERN_AGGREGATOR_DISTRICT_NAME", &["district_name"]),
    ("LANTERN_AGGREGATOR_DATA_DIR", &["data_dir"]),
    ("LANTERN_AGGREGATOR_LISTEN", &["listen"]),
    ("LANTERN_AGGREGATOR_IDENTITY_FILE", &["identity_file"]),
    ("LANTERN_AGGREGATOR_RELEASE_POLICY", &["release_policy"]),
    ("LANTERN_AGGREGATOR_ANALYST_TOKEN_FILE", &["analyst_token_file"]),
    ("LANTERN_AGGREGATOR_MAX_RELEASE_BYTES", &["max_release_bytes"]),
    ("LANTERN_AGGREGATOR_SYNCHRONOUS", &["synchronous"]),
];

/// A registered node, its key parsed.
#[derive(Debug, Clone)]
pub struct RegisteredNode {
    pub id: NodeId,
    pub name: String,
    pub key: VerifyingKey,
}

/// Everything the server needs, loaded and checked.
pub struct Resolved {
    pub config: AggregatorConfig,
    pub identity: age::x25519::Identity,
    pub policy: ReleasePolicy,
    pub nodes: BTreeMap<NodeId, RegisteredNode>,
}

impl AggregatorConfig {
    /// Reads `path` (or `aggregator.toml` here if present, else the defaults), then applies
    /// `LANTERN_AGGREGATOR_*` overrides from `env`.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<AggregatorConfig, ConfigError> {
        load_config(path, DEFAULT_CONFIG_FILE, env, ENV_OVERRIDES, AggregatorConfig::validate)
    }

    fn validate(&self) -> Result<(), String> {
        check_minimum("max_release_bytes", self.max_release_bytes, 1024)?;
        let mut seen = std::collections::HashSet::new();
        for (i, n) in self.nodes.iter().enumerate() {
            n.id.parse::<NodeId>().map_err(|e| format!("nodes[{i}].id: {e}"))?;
            if !seen.insert(n.id.as_str()) {
                return Err(format!("nodes[{i}].id: node \"{}\" is listed twice", n.id));
            }
            if n.public_key.is_some() == n.public_key_file.is_some() {
                return Err(format!("nodes[{i}] ({}): give exactly one of public_key and public_key_file", n.id));
            }
        }
        Ok(())
    }

    /// The analyst token file, resolved against the data dir.
    pub fn analyst_token_path(&self) -> PathBuf {
        self.analyst_token_file.clone().unwrap_or_else(|| self.data_dir.join("analyst-token"))
    }

    /// The database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("aggregator.db")
    }

    /// Loads the identity, the policy and every node key; the first problem is the error.
    pub fn resolve(self) -> Result<Resolved, ConfigError> {
        let identity =
            keys::load_age_identity(&self.identity_file).map_err(|e| ConfigError(format!("identity_file: {e}")))?;
        let policy = match &self.release_policy {
            Some(p) => {
                let src = PolicySource::read(p).map_err(|d| ConfigError(format!("release_policy: {d}")))?;
                ReleasePolicy::load(&src)
            }
            None => ReleasePolicy::builtin(),
        }
        .map_err(|ds| {
            ConfigError(format!(
                "release_policy: {}",
                ds.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ))
        })?;
        let mut nodes = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let id: NodeId = n.id.parse().map_err(|e| ConfigError(format!("nodes[{i}].id: {e}")))?;
            let key = match (&n.public_key, &n.public_key_file) {
                (Some(text), _) => keys::parse_verifying_key(text)
                    .map_err(|e| ConfigError(format!("nodes[{i}].public_key ({id}): {e}")))?,
                (None, Some(file)) => keys::load_verifying_key(file)
                    .map_err(|e| ConfigError(format!("nodes[{i}].public_key_file ({id}): {e}")))?,
                (None, None) => return Err(ConfigError(format!("nodes[{i}] ({id}): no public key"))),
            };
            let name = n.name.clone().unwrap_or_else(|| id.to_string());
            nodes.insert(id.clone(), RegisteredNode { id, name, key });
        }
        Ok(Resolved { config: self, identity, policy, nodes })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("aggregator.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_listen_on_loopback_7080() {
        let c = AggregatorConfig::load(None, &[]).unwrap();
        assert_eq!(c.listen.port(), 7080);
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.data_dir, PathBuf::from("./lantern-aggregator-data"));
        assert_eq!(c.analyst_token_path(), PathBuf::from("./lantern-aggregator-data/analyst-token"));
    }

    #[test]
    fn nodes_and_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), &format!("[[nodes]]\nid = \"oak-hill\"\npublic_key = \"{}\"\n", "ab".repeat(32)));
        let env = vec![("LANTERN_AGGREGATOR_LISTEN".to_string(), "127.0.0.1:9081".to_string())];
        let c = AggregatorConfig::load(Some(&p), &env).unwrap();
        assert_eq!(c.listen.port(), 9081);
        assert_eq!(c.nodes[0].id, "oak-hill");
    }

    #[test]
    fn bad_nodes_are_refused_with_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[[nodes]]\nid = \"bad id\"\npublic_key = \"00\"\n");
        let err = AggregatorConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("nodes[0].id"), "{err}");
        let p = write(dir.path(), "[[nodes]]\nid = \"a\"\n");
        let err = AggregatorConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("exactly one of public_key and public_key_file"), "{err}");
        let p = write(dir.path(), "listen = \"127.0.0.1:1\"\nnodez = []\n");
        let err = AggregatorConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("aggregator.toml:2:1") && err.contains("nodez"), "{err}");
    }

    #[test]
    fn resolve_reports_a_bad_key_by_node() {
        let dir = tempfile::tempdir().unwrap();
        let files = keys::generate(dir.path()).unwrap();
        let mut c = AggregatorConfig { identity_file: files.aggregator_identity.clone(), ..Default::default() };
        c.nodes.push(NodeEntry { id: "n1".into(), name: None, public_key: Some("zz".into()), public_key_file: None });
        let err = c.clone().resolve().err().unwrap().to_string();
        assert!(err.starts_with("nodes[0].public_key (n1):"), "{err}");
        c.nodes[0] = NodeEntry {
            id: "n1".into(),
            name: None,
            public_key: None,
            public_key_file: Some(files.node_public_key.clone()),
        };
        let r = c.resolve().unwrap();
        assert_eq!(r.nodes.len(), 1);
        let missing = AggregatorConfig { identity_file: dir.path().join("nope"), ..Default::default() };
        assert!(missing.resolve().err().unwrap().to_string().starts_with("identity_file:"));
    }
}
