//! Typed server configuration files (the node's `node.toml`, the aggregator's `aggregator.toml`):
//! file (or the default file, or built-in defaults) → `LANTERN_*` environment overrides → typed
//! struct → semantic checks, every error one line naming the file or variable and the key.

use std::path::Path;

use serde::Serialize;

/// A configuration problem, as one line naming the file or variable and the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

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
    let source = crate::PolicySource { name: name.clone(), text };
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

/// A size key's lower bound, for the `validate` step: `key: N is below the minimum M`.
pub fn check_minimum(key: &str, value: usize, minimum: usize) -> Result<(), String> {
    if value < minimum {
        return Err(format!("{key}: {value} is below the minimum {minimum}"));
    }
    Ok(())
}

/// A URL key that must be http(s), for the `validate` step: `key: "…" must start with http:// or
/// https://`.
pub fn check_http_url(key: &str, url: &str) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{key}: {url:?} must start with http:// or https://"));
    }
    Ok(())
}

/// The process environment's `LANTERN_*` variables.
pub fn lantern_env() -> Vec<(String, String)> {
    std::env::vars().filter(|(k, _)| k.starts_with("LANTERN_")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Small {
        port: u16,
        inner: Inner,
    }

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Inner {
        on: bool,
    }

    const OVERRIDES: &[(&str, &[&str])] = &[("X_PORT", &["port"]), ("X_ON", &["inner", "on"])];

    fn no_zero(s: &Small) -> Result<(), String> {
        (s.port != 0).then_some(()).ok_or_else(|| "port: must not be 0".to_string())
    }

    #[test]
    fn shared_checks_name_the_key() {
        assert_eq!(check_minimum("max_bytes", 1024, 1024), Ok(()));
        assert_eq!(check_minimum("max_bytes", 10, 1024), Err("max_bytes: 10 is below the minimum 1024".into()));
        assert_eq!(check_http_url("url", "https://x.example"), Ok(()));
        assert_eq!(
            check_http_url("url", "ftp://x"),
            Err("url: \"ftp://x\" must start with http:// or https://".into())
        );
    }

    #[test]
    fn file_then_env_then_checks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("small.toml");
        std::fs::write(&p, "port = 5\n").unwrap();
        let env = vec![("X_ON".to_string(), "true".to_string()), ("X_OTHER".to_string(), "1".to_string())];
        let s: Small = load_config(Some(&p), "none.toml", &env, OVERRIDES, no_zero).unwrap();
        assert_eq!(s, Small { port: 5, inner: Inner { on: true } });
        let env = vec![("X_PORT".to_string(), "0".to_string())];
        let err = load_config::<Small>(Some(&p), "none.toml", &env, OVERRIDES, no_zero).unwrap_err();
        assert!(err.to_string().ends_with("small.toml: port: must not be 0"), "{err}");
        std::fs::write(&p, "port = 5\nprot = 6\n").unwrap();
        let err = load_config::<Small>(Some(&p), "none.toml", &[], OVERRIDES, no_zero).unwrap_err();
        assert!(err.to_string().contains("small.toml:2:1") && err.to_string().contains("prot"), "{err}");
    }
}
