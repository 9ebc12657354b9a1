//! Key files: the node's Ed25519 signing key (which signs its releases) and the aggregator's age
//! X25519 identity (which decrypts them), each with its public half. `generate` writes all four
//! for `lantern keygen --out DIR`; the loaders read them back with errors that name the file.
//!
//! Formats are the standard ones, so other tools can read them: PKCS#8 / SPKI PEM for Ed25519,
//! `age-keygen` text for the age identity and recipient. Secret files are created with mode 0600
//! and refused when other users can read them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

pub const NODE_SIGNING_KEY_FILE: &str = "node-signing-key.pem";
pub const NODE_PUBLIC_KEY_FILE: &str = "node-public-key.pem";
pub const AGGREGATOR_IDENTITY_FILE: &str = "aggregator-identity.txt";
pub const AGGREGATOR_RECIPIENT_FILE: &str = "aggregator-recipient.txt";

/// Where `generate` wrote each key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyFiles {
    /// Secret: stays on the node.
    pub node_signing_key: PathBuf,
    /// Goes into the aggregator's list of known nodes.
    pub node_public_key: PathBuf,
    /// Secret: stays on the aggregator.
    pub aggregator_identity: PathBuf,
    /// Goes into every node's configuration.
    pub aggregator_recipient: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: already exists; refusing to overwrite a key file", path.display())]
    Exists { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: not {expected}: {reason}", path.display())]
    Malformed { path: PathBuf, expected: &'static str, reason: String },
    #[error("{}: permissions {mode:o} let other users read this secret key (run chmod 600)", path.display())]
    TooOpen { path: PathBuf, mode: u32 },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_path_buf(), source }
}

/// Generates a node signing key and an aggregator age identity in `out_dir` (created if needed).
/// Refuses, writing nothing, if any of the four files already exists.
pub fn generate(out_dir: &Path) -> Result<KeyFiles, KeyError> {
    let files = KeyFiles {
        node_signing_key: out_dir.join(NODE_SIGNING_KEY_FILE),
        node_public_key: out_dir.join(NODE_PUBLIC_KEY_FILE),
        aggregator_identity: out_dir.join(AGGREGATOR_IDENTITY_FILE),
        aggregator_recipient: out_dir.join(AGGREGATOR_RECIPIENT_FILE),
    };
    let all =
        [&files.node_signing_key, &files.node_public_key, &files.aggregator_identity, &files.aggregator_recipient];
    if let Some(existing) = all.iter().find(|p| p.exists()) {
        return Err(KeyError::Exists { path: existing.to_path_buf() });
    }
    fs::create_dir_all(out_dir).map_err(io(out_dir))?;

    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let malformed =
        |path: &Path, e: String| KeyError::Malformed { path: path.to_path_buf(), expected: "encodable", reason: e };
    let signing_pem =
        signing.to_pkcs8_pem(LineEnding::LF).map_err(|e| malformed(&files.node_signing_key, e.to_string()))?;
    let public_pem = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| malformed(&files.node_public_key, e.to_string()))?;
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let identity_text = age::secrecy::SecretString::from(format!(
        "# created: {}\n# public key: {recipient}\n{}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        identity.to_string().expose_secret()
    ));

    let writes: [(&Path, &str, bool); 4] = [
        (&files.node_signing_key, signing_pem.as_str(), true),
        (&files.node_public_key, &public_pem, false),
        (&files.aggregator_identity, identity_text.expose_secret(), true),
        (&files.aggregator_recipient, &format!("{recipient}\n"), false),
    ];
    let mut written: Vec<&Path> = Vec::new();
    for (path, text, secret) in writes {
        if let Err(e) = write_new(path, text, secret) {
            for done in written {
                let _ = fs::remove_file(done);
            }
            return Err(e);
        }
        written.push(path);
    }
    Ok(files)
}

/// Creates `path` (never replacing an existing file), mode 0600 for secrets.
fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists { path: path.to_path_buf() }
        } else {
            KeyError::Io { path: path.to_path_buf(), source: e }
        }
    })?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io(path))
}

/// Reads a secret key file, refusing one that other users could read.
fn read_secret(path: &Path) -> Result<age::secrecy::SecretString, KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).map_err(io(path))?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::TooOpen { path: path.to_path_buf(), mode });
        }
    }
    fs::read_to_string(path).map(age::secrecy::SecretString::from).map_err(io(path))
}

/// The node's signing key (PKCS#8 PEM).
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = read_secret(path)?;
    SigningKey::from_pkcs8_pem(text.expose_secret()).map_err(|e| KeyError::Malformed {
        path: path.to_path_buf(),
        expected: "a PKCS#8 PEM Ed25519 private key",
        reason: e.to_string(),
    })
}

/// A node's public key file (SPKI PEM, or the 64 hex digits of the raw key).
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    parse_verifying_key(&text).map_err(|reason| KeyError::Malformed {
        path: path.to_path_buf(),
        expected: "an Ed25519 public key (SPKI PEM or 64 hex digits)",
        reason,
    })
}

/// An Ed25519 public key written as SPKI PEM or as 64 hex digits (handy in a TOML config).
pub fn parse_verifying_key(text: &str) -> Result<VerifyingKey, String> {
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(text).map_err(|e| e.to_string());
    }
    let bytes: [u8; 32] = hex::decode(text)
        .map_err(|e| format!("not PEM, and not hex: {e}"))?
        .try_into()
        .map_err(|b: Vec<u8>| format!("{} bytes of hex, expected 32", b.len()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// The 64 hex digits of a public key (the form `parse_verifying_key` also accepts).
pub fn verifying_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// The aggregator's age identity (`age-keygen` format: comments, then one `AGE-SECRET-KEY-1…`).
pub fn load_age_identity(path: &Path) -> Result<age::x25519::Identity, KeyError> {
    let text = read_secret(path)?;
    let malformed = |reason: &str| KeyError::Malformed {
        path: path.to_path_buf(),
        expected: "an age X25519 identity (AGE-SECRET-KEY-1…)",
        reason: reason.to_string(),
    };
    let mut keys = text.expose_secret().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    let key = keys.next().ok_or_else(|| malformed("no key line"))?;
    if keys.next().is_some() {
        return Err(malformed("more than one key line"));
    }
    key.parse::<age::x25519::Identity>().map_err(malformed)
}

/// The aggregator's age recipient file (`age1…`).
pub fn load_age_recipient(path: &Path) -> Result<age::x25519::Recipient, KeyError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    parse_age_recipient(&text).map_err(|reason| KeyError::Malformed {
        path: path.to_path_buf(),
        expected: "an age X25519 recipient (age1…)",
        reason,
    })
}

/// An age recipient string (`age1…`), e.g. from a node's TOML config.
pub fn parse_age_recipient(text: &str) -> Result<age::x25519::Recipient, String> {
    text.trim().parse::<age::x25519::Recipient>().map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, Verifier};

    #[test]
    fn generated_keys_load_and_match() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("keys");
        let files = generate(&out).unwrap();
        let signing = load_signing_key(&files.node_signing_key).unwrap();
        let public = load_verifying_key(&files.node_public_key).unwrap();
        assert_eq!(signing.verifying_key(), public);
        let sig = signing.sign(b"hello");
        assert!(public.verify(b"hello", &sig).is_ok());
        assert_eq!(parse_verifying_key(&verifying_key_hex(&public)).unwrap(), public);

        let identity = load_age_identity(&files.aggregator_identity).unwrap();
        let recipient = load_age_recipient(&files.aggregator_recipient).unwrap();
        assert_eq!(identity.to_public().to_string(), recipient.to_string());
        let ciphertext = age::encrypt(&recipient, b"x").unwrap();
        assert_eq!(age::decrypt(&identity, &ciphertext).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn secrets_are_private_and_loose_permissions_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let files = generate(dir.path()).unwrap();
        for secret in [&files.node_signing_key, &files.aggregator_identity] {
            assert_eq!(fs::metadata(secret).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::set_permissions(&files.node_signing_key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_signing_key(&files.node_signing_key).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "node-signing-key.pem: permissions 644 let other users read this secret key (run chmod 600)"
            ),
            "{err}"
        );
    }

    #[test]
    fn refuses_to_overwrite_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(AGGREGATOR_RECIPIENT_FILE), "keep me").unwrap();
        let err = generate(dir.path()).unwrap_err();
        assert!(matches!(err, KeyError::Exists { ref path } if path.ends_with(AGGREGATOR_RECIPIENT_FILE)), "{err}");
        assert!(err
            .to_string()
            .ends_with("aggregator-recipient.txt: already exists; refusing to overwrite a key file"));
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [AGGREGATOR_RECIPIENT_FILE], "nothing else written");
        assert_eq!(fs::read_to_string(dir.path().join(AGGREGATOR_RECIPIENT_FILE)).unwrap(), "keep me");
    }

    #[test]
    fn malformed_key_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let write_secret = |name: &str, text: &str| {
            let path = dir.path().join(name);
            write_new(&path, text, true).unwrap();
            path
        };
        let err = load_signing_key(&write_secret("bad.pem", "not a key")).unwrap_err();
        assert!(err.to_string().contains("bad.pem: not a PKCS#8 PEM Ed25519 private key: "), "{err}");
        let identity_err = |path: PathBuf| load_age_identity(&path).err().expect("should be refused");
        let err = identity_err(write_secret("id.txt", "# only a comment\n"));
        assert!(
            err.to_string().ends_with("id.txt: not an age X25519 identity (AGE-SECRET-KEY-1…): no key line"),
            "{err}"
        );
        let id = age::x25519::Identity::generate().to_string();
        let two = format!("{}\n{}\n", id.expose_secret(), id.expose_secret());
        let err = identity_err(write_secret("two.txt", &two));
        assert!(err.to_string().ends_with("more than one key line"), "{err}");
        let err = identity_err(write_secret("garbage.txt", "AGE-SECRET-KEY-1NOPE\n"));
        assert!(err.to_string().contains("garbage.txt: not an age X25519 identity"), "{err}");

        let public = dir.path().join("pub.txt");
        fs::write(&public, "abcd").unwrap();
        let err = load_verifying_key(&public).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "pub.txt: not an Ed25519 public key (SPKI PEM or 64 hex digits): 2 bytes of hex, expected 32"
            ),
            "{err}"
        );
        fs::write(&public, "age1nope").unwrap();
        assert!(load_age_recipient(&public).unwrap_err().to_string().contains("pub.txt: not an age X25519 recipient"));
        let missing = dir.path().join("missing.pem");
        assert!(matches!(load_signing_key(&missing), Err(KeyError::Io { .. })));
        assert!(matches!(load_verifying_key(&missing), Err(KeyError::Io { .. })));
    }
}
