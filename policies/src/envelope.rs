//! The sealed release envelope: a [`Release`] serialized to JSON, signed with the node's Ed25519
//! key, wrapped as `{node_id, payload, signature}`, and encrypted with age to the aggregator's
//! X25519 recipient. `open` reverses it and says exactly which step failed.
//!
//! The node seals a release once and stores the bytes in its outbox; a retry re-sends the same
//! bytes (never a fresh draw of noise), and the aggregator is idempotent on `release_id`.

mod release;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

pub use release::{NodeId, Release, RELEASE_FORMAT};

/// Prefixed to the payload before signing, so a node key's signature over a release can never be
/// mistaken for a signature over anything else.
const SIGNING_CONTEXT: &[u8] = b"lantern release v1\n";

/// How every binary age file starts.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// What travels inside the age encryption.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedEnvelope {
    node_id: String,
    /// Base64 of the release JSON, exactly the bytes that were signed.
    payload: String,
    /// Base64 of the 64-byte Ed25519 signature over `SIGNING_CONTEXT ‖ payload bytes`.
    signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not an age-encrypted file")]
    NotAge,
    #[error("not encrypted to this aggregator's key")]
    WrongRecipient,
    #[error("age file is damaged or truncated ({0})")]
    Garbled(String),
    #[error("decrypted envelope is malformed: {0}")]
    Malformed(String),
    #[error("unknown node \"{0}\"")]
    UnknownNode(String),
    #[error("signature check failed for node \"{0}\"")]
    BadSignature(String),
    #[error("signed release payload is malformed: {0}")]
    MalformedPayload(String),
    #[error("envelope is from node \"{envelope}\" but its payload says \"{payload}\"")]
    NodeMismatch { envelope: String, payload: String },
    #[error("release format {0} is not supported (expected {RELEASE_FORMAT})")]
    UnsupportedFormat(u32),
    #[error("cannot seal release: {0}")]
    Seal(String),
}

/// Serializes, signs and encrypts a release. The result is what the node queues and re-sends.
pub fn seal(
    release: &Release,
    signing_key: &SigningKey,
    recipient: &age::x25519::Recipient,
) -> Result<Vec<u8>, EnvelopeError> {
    let payload = serde_json::to_vec(release).map_err(|e| EnvelopeError::Seal(e.to_string()))?;
    let signature = signing_key.sign(&signed_message(&payload));
    let envelope = SignedEnvelope {
        node_id: release.node_id.to_string(),
        payload: BASE64.encode(&payload),
        signature: BASE64.encode(signature.to_bytes()),
    };
    let plaintext = serde_json::to_vec(&envelope).map_err(|e| EnvelopeError::Seal(e.to_string()))?;
    age::encrypt(recipient, &plaintext).map_err(|e| EnvelopeError::Seal(e.to_string()))
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + payload.len());
    message.extend_from_slice(SIGNING_CONTEXT);
    message.extend_from_slice(payload);
    message
}

/// Decrypts with the aggregator's identity, finds the sender's public key with `lookup_node_key`,
/// verifies the signature (`verify_strict`), and parses the release.
pub fn open(
    bytes: &[u8],
    identity: &age::x25519::Identity,
    lookup_node_key: impl Fn(&NodeId) -> Option<VerifyingKey>,
) -> Result<Release, EnvelopeError> {
    if !bytes.starts_with(AGE_MAGIC) {
        return Err(EnvelopeError::NotAge);
    }
    let plaintext = age::decrypt(identity, bytes).map_err(|e| match e {
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => EnvelopeError::NotAge,
        age::DecryptError::NoMatchingKeys => EnvelopeError::WrongRecipient,
        other => EnvelopeError::Garbled(other.to_string()),
    })?;
    let envelope: SignedEnvelope =
        serde_json::from_slice(&plaintext).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
    let node_id: NodeId = envelope.node_id.parse().map_err(EnvelopeError::Malformed)?;
    let key = lookup_node_key(&node_id).ok_or_else(|| EnvelopeError::UnknownNode(node_id.to_string()))?;
    let payload = BASE64.decode(&envelope.payload).map_err(|e| EnvelopeError::Malformed(format!("payload: {e}")))?;
    let signature: [u8; 64] = BASE64
        .decode(&envelope.signature)
        .map_err(|e| EnvelopeError::Malformed(format!("signature: {e}")))?
        .try_into()
        .map_err(|b: Vec<u8>| EnvelopeError::Malformed(format!("signature is {} bytes, expected 64", b.len())))?;
    key.verify_strict(&signed_message(&payload), &Signature::from_bytes(&signature))
        .map_err(|_| EnvelopeError::BadSignature(node_id.to_string()))?;

    let release: Release =
        serde_json::from_slice(&payload).map_err(|e| EnvelopeError::MalformedPayload(e.to_string()))?;
    if release.format != RELEASE_FORMAT {
        return Err(EnvelopeError::UnsupportedFormat(release.format));
    }
    if release.node_id != node_id {
        return Err(EnvelopeError::NodeMismatch {
            envelope: node_id.to_string(),
            payload: release.node_id.to_string(),
        });
    }
    if !(release.rho_spent.is_finite() && release.rho_spent >= 0.0) {
        return Err(EnvelopeError::MalformedPayload(format!(
            "rho_spent {} is not a finite number ≥ 0",
            release.rho_spent
        )));
    }
    Ok(release)
}
