//! The node's configuration (`node.toml`): one typed struct with defaults that work for the demo,
//! overridable key by key from `LANTERN_*` environment variables. Every key is listed in
//! docs/CONFIG.md; unknown keys and bad values are errors that name the key.

pub mod smtp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

// The loader is shared with the aggregator and lives in lantern-policies.
use lantern_policies::config_file::{check_http_url, check_minimum};
pub use lantern_policies::config_file::{lantern_env, load_config, ConfigError};

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
    pub release: ReleaseConfig,
    /// Weekly summaries by e-mail (`[smtp]`); absent: nothing is sent.
    pub smtp: Option<smtp::SmtpConfig>,
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

/// Releases to the district aggregator (`[release]`): where to send them, the keys, the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReleaseConfig {
    /// Whether `node serve` builds each ended period's release and sends the outbox.
    pub enabled: bool,
    /// Base URL of the aggregator, e.g. `https://aggregator.district.example`.
    pub aggregator_url: Option<String>,
    /// The aggregator's age recipient (`age1…`), from `lantern keygen`.
    pub aggregator_recipient_file: Option<PathBuf>,
    /// This node's Ed25519 signing key (PKCS#8 PEM, mode 0600), from `lantern keygen`.
    pub signing_key_file: Option<PathBuf>,
    /// How often `node serve` checks whether an ended period still needs its release.
    pub check_interval_seconds: u64,
    /// Longest wait between two attempts to deliver a queued release (backoff cap).
    pub retry_max_seconds: u64,
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
            release: ReleaseConfig::default(),
            smtp: None,
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

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            enabled: false,
            aggregator_url: None,
            aggregator_recipient_file: None,
            signing_key_file: None,
            check_interval_seconds: 3600,
            retry_max_seconds: 300,
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
    ("LANTERN_RELEASE_ENABLED", &["release", "enabled"]),
    ("LANTERN_RELEASE_AGGREGATOR_URL", &["release", "aggregator_url"]),
    ("LANTERN_RELEASE_AGGREGATOR_RECIPIENT_FILE", &["release", "aggregator_recipient_file"]),
    ("LANTERN_RELEASE_SIGNING_KEY_FILE", &["release", "signing_key_file"]),
    ("LANTERN_RELEASE_CHECK_INTERVAL_SECONDS", &["release", "check_interval_seconds"]),
    ("LANTERN_RELEASE_RETRY_MAX_SECONDS", &["release", "retry_max_seconds"]),
    // These change keys of an `[smtp]` section the file has (the port is set in the file only).
    ("LANTERN_SMTP_HOST", &["smtp", "host"]),
    ("LANTERN_SMTP_SECURITY", &["smtp", "security"]),
    ("LANTERN_SMTP_USERNAME", &["smtp", "username"]),
    ("LANTERN_SMTP_PASSWORD_FILE", &["smtp", "password_file"]),
    ("LANTERN_SMTP_FROM", &["smtp", "from"]),
    ("LANTERN_SMTP_SEND_DAY", &["smtp", "send_day"]),
    ("LANTERN_SMTP_SEND_TIME", &["smtp", "send_time"]),
    ("LANTERN_SMTP_TIME_ZONE", &["smtp", "time_zone"]),
];

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
        check_minimum("xapi.max_body_bytes", self.xapi.max_body_bytes, 1024)?;
        let r = &self.release;
        if let Some(u) = &r.aggregator_url {
            check_http_url("release.aggregator_url", u)?;
        }
        if r.enabled && (r.aggregator_url.is_none() || r.aggregator_recipient_file.is_none()) {
            return Err("release.enabled: needs release.aggregator_url and release.aggregator_recipient_file".into());
        }
        if r.enabled && r.signing_key_file.is_none() {
            return Err("release.enabled: needs release.signing_key_file".into());
        }
        if r.check_interval_seconds == 0 || r.retry_max_seconds == 0 {
            return Err("release.check_interval_seconds and release.retry_max_seconds: must be at least 1".into());
        }
        if let Some(u) = &self.public_url {
            check_http_url("public_url", u)?;
        }
        if let Some(smtp) = &self.smtp {
            smtp.validate()?;
        }
        Ok(())
    }
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
    fn release_section_needs_its_keys_when_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[release]\nenabled = true\naggregator_url = \"http://127.0.0.1:7080\"\n");
        let err = NodeConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("release.enabled: needs"), "{err}");
        let p = write(dir.path(), "[release]\naggregator_url = \"ftp://x\"\n");
        let err = NodeConfig::load(Some(&p), &[]).unwrap_err().to_string();
        assert!(err.contains("release.aggregator_url"), "{err}");
        let env = vec![("LANTERN_RELEASE_CHECK_INTERVAL_SECONDS".to_string(), "5".to_string())];
        assert_eq!(NodeConfig::load(None, &env).unwrap().release.check_interval_seconds, 5);
    }

    #[test]
    fn secure_cookies_follow_public_url() {
        let mut c = NodeConfig::default();
        assert!(!c.cookies_secure());
        c.public_url = Some("https://lantern.school.example".into());
        assert!(c.cookies_secure());
    }
}
