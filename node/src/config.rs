//! The node's configuration (`node.toml`): one typed struct with defaults that work for the demo,
//! overridable key by key from `LANTERN_*` environment variables. Every key is listed in
//! docs/CONFIG.md; unknown keys and bad values are errors that name the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where the node reads its configuration when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "node.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Stable id of this school; names the node in releases. Lowercase letters, digits, `-`.
    pub school_id: String,
    /// Shown on dashboards.
    pub school_name: String,
    /// Where the database, keys and outbox live.
    pub data_dir: PathBuf,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// The URL people use to reach the node (behind a TLS proxy: `https://...`); cookies are marked
    /// `Secure` when it is https.
    pub public_url: Option<String>,
    pub policies: PolicyFiles,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub xapi: XapiConfig,
}

/// Policy files in force; a missing entry means the default shipped in the binary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyFiles {
    pub rules: Option<PathBuf>,
    pub release: Option<PathBuf>,
    pub retention: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Database file name, relative to `data_dir` unless absolute.
    pub file: PathBuf,
    /// File holding the SQLCipher key (encryption at rest). The key may instead come from the
    /// `LANTERN_DB_KEY` environment variable. Neither set: the database is not encrypted.
    pub key_file: Option<PathBuf>,
    /// Read connections in the pool.
    pub readers: usize,
    /// Capacity of the bounded queue in front of the single writer.
    pub writer_queue: usize,
    /// `full` survives power loss; `normal` survives a process crash only (faster).
    pub synchronous: Synchronous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Lifetime of a browser session.
    pub session_ttl_minutes: u32,
    /// Lifetime of an API bearer token.
    pub api_token_ttl_days: u32,
    /// Failed logins per account within the window before it is locked for the window.
    pub max_failures_per_account: u32,
    /// Failed logins per client address within the window.
    pub max_failures_per_address: u32,
    pub failure_window_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XapiConfig {
    /// Largest accepted request body on `/xapi/statements` (413 above it).
    pub max_body_bytes: usize,
    /// `homePage` of xAPI account actors whose `name` is a rostered sourcedId.
    pub account_home_page: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            school_id: "school-1".into(),
            school_name: "Lantern School".into(),
            data_dir: PathBuf::from("./lantern-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 7070)),
            public_url: None,
            policies: PolicyFiles::default(),
            database: DatabaseConfig::default(),
            auth: AuthConfig::default(),
            xapi: XapiConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            file: PathBuf::from("node.db"),
            key_file: None,
            readers: 4,
            writer_queue: 4096,
            synchronous: Synchronous::Full,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl_minutes: 8 * 60,
            api_token_ttl_days: 90,
            max_failures_per_account: 5,
            max_failures_per_address: 30,
            failure_window_minutes: 15,
        }
    }
}

impl Default for XapiConfig {
    fn default() -> Self {
        XapiConfig { max_body_bytes: 4 * 1024 * 1024, account_home_page: "https://sis.lantern.example".into() }
    }
}

/// Environment variables that override keys, and the key each one sets.
pub const ENV_OVERRIDES: &[(&str, &[&str])] = &[
    ("LANTERN_SCHOOL_ID", &["school_id"]),
    ("LANTERN_SCHOOL_NAME", &["school_name"]),
    ("LANTERN_DATA_DIR", &["data_dir"]),
    ("LANTERN_LISTEN", &["listen"]),
    ("LANTERN_PUBLIC_URL", &["public_url"]),
    ("LANTERN_POLICIES_RULES", &["policies", "rules"]),
    ("LANTERN_POLICIES_RELEASE", &["policies", "release"]),
    ("LANTERN_POLICIES_RETENTION", &["policies", "retention"]),
    ("LANTERN_DATABASE_FILE", &["database", "file"]),
    ("LANTERN_DATABASE_KEY_FILE", &["database", "key_file"]),
    ("LANTERN_DATABASE_READERS", &["database", "readers"]),
    ("LANTERN_DATABASE_WRITER_QUEUE", &["database", "writer_queue"]),
    ("LANTERN_DATABASE_SYNCHRONOUS", &["database", "synchronous"]),
    ("LANTERN_AUTH_SESSION_TTL_MINUTES", &["auth", "session_ttl_minutes"]),
    ("LANTERN_AUTH_API_TOKEN_TTL_DAYS", &["auth", "api_token_ttl_days"]),
    ("LANTERN_AUTH_MAX_FAILURES_PER_ACCOUNT", &["auth", "max_failures_per_account"]),
    ("LANTERN_AUTH_MAX_FAILURES_PER_ADDRESS", &["auth", "max_failures_per_address"]),
    ("LANTERN_AUTH_FAILURE_WINDOW_MINUTES", &["auth", "failure_window_minutes"]),
    ("LANTERN_XAPI_MAX_BODY_BYTES", &["xapi", "max_body_bytes"]),
    ("LANTERN_XAPI_ACCOUNT_HOME_PAGE", &["xapi", "account_home_page"]),
];

/// A configuration problem, as one line naming the file or variable and the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl NodeConfig {
    /// Reads `path` (or `node.toml` in the current directory if present, else the defaults), then
    /// applies `LANTERN_*` overrides from `env`.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<NodeConfig, ConfigError> {
        load_config(path, DEFAULT_CONFIG_FILE, env, ENV_OVERRIDES, NodeConfig::validate)
    }

    /// The database file, resolved against the data dir.
    pub fn database_path(&self) -> PathBuf {
        if self.database.file.is_absolute() {
            self.database.file.clone()
        } else {
            self.data_dir.join(&self.database.file)
        }
    }

    /// Whether cookies must carry `Secure` (the node is reached over TLS).
    pub fn cookies_secure(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    fn validate(&self) -> Result<(), String> {
        if self.school_id.is_empty()
            || !self.school_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("school_id: {:?} must be non-empty lowercase letters, digits and '-'", self.school_id));
        }
        if self.database.readers == 0 || self.database.readers > 64 {
            return Err(format!("database.readers: {} must be between 1 and 64", self.database.readers));
        }
        if self.database.writer_queue == 0 {
            return Err("database.writer_queue: must be at least 1".into());
        }
        if self.auth.session_ttl_minutes == 0 {
            return Err("auth.session_ttl_minutes: must be at least 1".into());
        }
        if self.auth.max_failures_per_account == 0 || self.auth.max_failures_per_address == 0 {
            return Err("auth.max_failures_per_*: must be at least 1".into());
        }
        if self.xapi.max_body_bytes < 1024 {
            return Err(format!("xapi.max_body_bytes: {} is below the minimum 1024", self.xapi.max_body_bytes));
        }
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(format!("public_url: {u:?} must start with http:// or https://"));
            }
        }
        Ok(())
    }
}

/// Shared by the node and the aggregator: file (or default file, or defaults) → env overrides →
/// typed struct → semantic checks. Every error is one line.
pub fn load_config<T>(
    path: Option<&Path>,
    default_file: &str,
    env: &[(String, String)],
    overrides: &[(&str, &[&str])],
    validate: fn(&T) -> Result<(), String>,
) -> Result<T, ConfigError>
where
    T: Default + Serialize + serde::de::DeserializeOwned,
{
    let (name, text) = match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| ConfigError(format!("{}: cannot read: {e}", p.display())))?;
            (p.display().to_string(), text)
        }
        None if Path::new(default_file).exists() => {
            let text = std::fs::read_to_string(default_file)
                .map_err(|e| ConfigError(format!("{default_file}: cannot read: {e}")))?;
            (default_file.to_string(), text)
        }
        None => ("(defaults)".to_string(), String::new()),
    };
    let source = lantern_policies::PolicySource { name: name.clone(), text };
    // Parse the file alone first so its errors carry file:line:col.
    let _: T = source.parse().map_err(|d| ConfigError(d.to_string()))?;
    let mut table: toml::Table =
        toml::from_str(&source.text).map_err(|e| ConfigError(format!("{name}: {}", e.message())))?;
    let defaults = toml::Table::try_from(T::default())
        .map_err(|e| ConfigError(format!("internal: defaults do not serialize: {e}")))?;
    for (var, raw) in env {
        let Some((_, key_path)) = overrides.iter().find(|(v, _)| v == var) else {
            continue;
        };
        let value = env_value(&defaults, key_path, raw);
        set_path(&mut table, key_path, value);
        T::deserialize(toml::Value::Table(table.clone()))
            .map_err(|e| ConfigError(format!("{var}: {}", e.message().trim())))?;
    }
    let config = T::deserialize(toml::Value::Table(table))
        .map_err(|e| ConfigError(format!("{name}: {}", e.message().trim())))?;
    validate(&config).map_err(|m| ConfigError(format!("{name}: {m}")))?;
    Ok(config)
}

/// Environment values are strings; keys whose default is a number or bool are parsed as such.
fn env_value(defaults: &toml::Table, key_path: &[&str], raw: &str) -> toml::Value {
    let mut cur = defaults;
    let mut default: Option<&toml::Value> = None;
    for (i, k) in key_path.iter().enumerate() {
        match cur.get(*k) {
            Some(toml::Value::Table(t)) if i + 1 < key_path.len() => cur = t,
            Some(v) => default = Some(v),
            None => break,
        }
    }
    match default {
        Some(toml::Value::Integer(_)) => raw.trim().parse::<i64>().map_or_else(|_| raw.into(), toml::Value::Integer),
        Some(toml::Value::Float(_)) => raw.trim().parse::<f64>().map_or_else(|_| raw.into(), toml::Value::Float),
        Some(toml::Value::Boolean(_)) => raw.trim().parse::<bool>().map_or_else(|_| raw.into(), toml::Value::Boolean),
        _ => toml::Value::String(raw.to_string()),
    }
}

fn set_path(table: &mut toml::Table, key_path: &[&str], value: toml::Value) {
    let Some((last, parents)) = key_path.split_last() else {
        return;
    };
    let mut cur = table;
    for p in parents {
        let entry = cur.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(t) = entry else { return };
        cur = t;
    }
    cur.insert(last.to_string(), value);
}

/// The process environment's `LANTERN_*` variables.
pub fn lantern_env() -> Vec<(String, String)> {
    std::env::vars().filter(|(k, _)| k.starts_with("LANTERN_")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("node.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_are_valid() {
        let c = NodeConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.data_dir, PathBuf::from("./lantern-data"));
        assert!(c.listen.ip().is_loopback());
    }

    #[test]
    fn file_values_and_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "school_id = \"oak-hill\"\n[database]\nreaders = 2\n");
        let env = vec![
            ("LANTERN_LISTEN".to_string(), "127.0.0.1:9999".to_string()),
            ("LANTERN_DATABASE_WRITER_QUEUE".to_string(), "17".to_string()),
            ("LANTERN_UNRELATED".to_string(), "x".to_string()),
        ];
        let c = NodeConfig::load(Some(&p), &env).unwrap();
        assert_eq!(c.school_id, "oak-hill");
        assert_eq!(c.database.readers, 2);
        assert_eq!(c.database.writer_queue, 17);
        assert_eq!(c.listen.port(), 9999);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "school_id = \"a\"\nlisen = \"127.0.0.1:1\"\n");
        let err = NodeConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("node.toml:2:1: unknown field `lisen`"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn bad_value_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[database]\nreaders = 0\n");
        let err = NodeConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("database.readers"), "{err}");
        let p = write(dir.path(), "[database]\nsynchronous = \"sometimes\"\n");
        let err = NodeConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("node.toml:2:15") && err.contains("sometimes"), "{err}");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let env = vec![("LANTERN_DATABASE_READERS".to_string(), "many".to_string())];
        let err = NodeConfig::load(None, &env).unwrap_err().to_string();
        assert!(err.starts_with("LANTERN_DATABASE_READERS:"), "{err}");
        let env = vec![("LANTERN_LISTEN".to_string(), "nowhere".to_string())];
        let err = NodeConfig::load(None, &env).unwrap_err().to_string();
        assert!(err.starts_with("LANTERN_LISTEN:"), "{err}");
    }

    #[test]
    fn missing_file_is_an_error() {
        let err = NodeConfig::load(Some(Path::new("/nonexistent/node.toml")), &[]).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/node.toml: cannot read"));
    }

    #[test]
    fn secure_cookies_follow_public_url() {
        let mut c = NodeConfig::default();
        assert!(!c.cookies_secure());
        c.public_url = Some("https://lantern.school.example".into());
        assert!(c.cookies_secure());
    }
}
