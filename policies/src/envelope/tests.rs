//! Tests of sealing and opening: the round trip, one test per failure, the no-student-data
//! property of the payload, and the timing of one full release (DP + sign + encrypt).

use std::collections::HashSet;
use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::dp::{compute_release, plan_release, CellKey, PublicPartitions, ReleaseInputs, StudentRecord};
use crate::release_policy::{PartitionSource, ReleasePolicy, SUBGROUP};

struct Keys {
    node: SigningKey,
    identity: age::x25519::Identity,
}

fn keys() -> Keys {
    Keys { node: SigningKey::generate(&mut rand::rngs::OsRng), identity: age::x25519::Identity::generate() }
}

fn node(id: &str) -> NodeId {
    id.parse().expect("valid node id")
}

fn student(i: usize) -> StudentRecord {
    let mut s = StudentRecord::new(format!("student-secret-{i:04}"));
    s.set("grade", ["06", "07", "08"][i % 3])
        .set("tier", (i % 4).to_string())
        .set("sex", ["female", "male"][i % 2])
        .set("race_ethnicity", ["asian", "white", "hispanic_or_latino", "black_african_american"][i % 4])
        .set("attendance_band", ["satisfactory", "at_risk", "moderate", "severe"][i % 4])
        .set("outcome_level", ((i % 4) + 1).to_string())
        .set("intervention_type", ["none", "tutoring"][i % 2])
        .set("intervention_outcome", ["none", "ongoing"][i % 2])
        .set("attendance_rate_bin", format!("{:.3}", 0.7 + (i % 30) as f64 / 100.0))
        .set("absences_14d_bin", (i % 9).to_string())
        .set("focus_mastery_min_bin", format!("{:.2}", (i % 100) as f64 / 100.0));
    s
}

fn inputs(rules: usize, standards: usize, students: usize) -> ReleaseInputs {
    let partitions = PublicPartitions {
        rules: (0..rules).map(|r| format!("rule_{r}")).collect(),
        standards: (0..standards).map(|s| format!("6.NS.{s}")).collect(),
    };
    let students = (0..students)
        .map(|i| {
            let mut s = student(i);
            for r in &partitions.rules {
                s.set_for(PartitionSource::Rule, r, "flagged", if i % 5 == 0 { "yes" } else { "no" });
            }
            for st in &partitions.standards {
                s.set_for(PartitionSource::Standard, st, "mastery_band", format!("{:.2}", (i % 97) as f64 / 97.0));
            }
            s
        })
        .collect();
    ReleaseInputs { partitions, students }
}

fn release(policy: &ReleasePolicy, node_id: &str, inputs: &ReleaseInputs) -> Release {
    let tables = compute_release(policy, inputs).unwrap();
    let period = policy.period_containing(NaiveDate::from_ymd_opt(2026, 10, 12).expect("date"));
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).single().expect("time");
    Release::new(node(node_id), 7, period, policy, tables, at)
}

/// Seals an arbitrary payload, as an attacker holding the aggregator's (public) recipient could.
fn seal_raw(node_id: &str, payload: &[u8], signature: &Signature, recipient: &age::x25519::Recipient) -> Vec<u8> {
    let envelope = SignedEnvelope {
        node_id: node_id.into(),
        payload: BASE64.encode(payload),
        signature: BASE64.encode(signature.to_bytes()),
    };
    age::encrypt(recipient, &serde_json::to_vec(&envelope).unwrap()).unwrap()
}

fn small() -> (ReleasePolicy, Release, Keys) {
    let policy = ReleasePolicy::builtin().unwrap();
    let r = release(&policy, "school-a", &inputs(2, 3, 40));
    (policy, r, keys())
}

#[test]
fn seal_then_open_round_trips() {
    let (policy, r, k) = small();
    let bytes = seal(&r, &k.node, &k.identity.to_public()).unwrap();
    let public = k.node.verifying_key();
    let opened = open(&bytes, &k.identity, |id| (id.as_str() == "school-a").then_some(public)).unwrap();
    assert_eq!(opened, r);
    assert_eq!(opened.policy_hash, *policy.hash());
    assert_eq!(opened.period.label, "2026-10");
    assert!(opened.rho_spent > 0.0 && opened.rho_spent <= policy.budget().period_rho);
}

#[test]
fn not_age() {
    let k = keys();
    let err = open(b"{\"node_id\": \"school-a\"}", &k.identity, |_| None).unwrap_err();
    assert!(matches!(err, EnvelopeError::NotAge), "{err}");
    assert!(matches!(open(&[], &k.identity, |_| None), Err(EnvelopeError::NotAge)));
}

#[test]
fn wrong_recipient() {
    let (_, r, k) = small();
    let other = age::x25519::Identity::generate();
    let bytes = seal(&r, &k.node, &other.to_public()).unwrap();
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::WrongRecipient), "{err}");
    assert_eq!(err.to_string(), "not encrypted to this aggregator's key");
}

#[test]
fn garbled_ciphertext() {
    let (_, r, k) = small();
    let bytes = seal(&r, &k.node, &k.identity.to_public()).unwrap();
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x40;
    let err = open(&flipped, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::Garbled(_)), "{err}");
    let err = open(&bytes[..bytes.len() / 2], &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::Garbled(_)), "{err}");
}

#[test]
fn unknown_node() {
    let (_, r, k) = small();
    let bytes = seal(&r, &k.node, &k.identity.to_public()).unwrap();
    let err = open(&bytes, &k.identity, |_| None).unwrap_err();
    assert_eq!(err.to_string(), "unknown node \"school-a\"");
}

#[test]
fn bad_signature() {
    let (_, r, k) = small();
    let recipient = k.identity.to_public();
    // Signed by a key the aggregator does not have for this node.
    let bytes = seal(&r, &keys().node, &recipient).unwrap();
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert_eq!(err.to_string(), "signature check failed for node \"school-a\"");
    // A payload changed after signing.
    let payload = serde_json::to_vec(&r).unwrap();
    let signature = k.node.sign(&signed_message(&payload));
    let mut changed = r.clone();
    changed.rho_spent = 0.0;
    let bytes = seal_raw("school-a", &serde_json::to_vec(&changed).unwrap(), &signature, &recipient);
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::BadSignature(_)), "{err}");
    // The raw payload signed without the context prefix.
    let bytes = seal_raw("school-a", &payload, &k.node.sign(&payload), &recipient);
    assert!(matches!(open(&bytes, &k.identity, |_| Some(k.node.verifying_key())), Err(EnvelopeError::BadSignature(_))));
}

#[test]
fn malformed_envelope() {
    let k = keys();
    let recipient = k.identity.to_public();
    let lookup = |_: &NodeId| Some(k.node.verifying_key());
    let bytes = age::encrypt(&recipient, b"not json").unwrap();
    assert!(matches!(open(&bytes, &k.identity, lookup), Err(EnvelopeError::Malformed(_))));
    let bytes = age::encrypt(&recipient, br#"{"node_id":"a b","payload":"","signature":""}"#).unwrap();
    let err = open(&bytes, &k.identity, lookup).unwrap_err();
    assert!(err.to_string().contains("node id \"a b\""), "{err}");
    let bytes = age::encrypt(&recipient, br#"{"node_id":"a","payload":"AA==","signature":"AA=="}"#).unwrap();
    let err = open(&bytes, &k.identity, lookup).unwrap_err();
    assert_eq!(err.to_string(), "decrypted envelope is malformed: signature is 1 bytes, expected 64");
    let bytes = age::encrypt(&recipient, br#"{"node_id":"a","payload":"!!","signature":"AA=="}"#).unwrap();
    assert!(open(&bytes, &k.identity, lookup)
        .unwrap_err()
        .to_string()
        .starts_with("decrypted envelope is malformed: payload:"));
}

#[test]
fn malformed_payload_signed_by_the_right_key() {
    let k = keys();
    let payload = br#"{"format": 1, "node_id": "school-a"}"#;
    let bytes = seal_raw("school-a", payload, &k.node.sign(&signed_message(payload)), &k.identity.to_public());
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::MalformedPayload(_)), "{err}");
}

#[test]
fn payload_node_must_match_the_envelope() {
    let (_, r, k) = small();
    let mut other = r.clone();
    other.node_id = node("school-b");
    let payload = serde_json::to_vec(&other).unwrap();
    let bytes = seal_raw("school-a", &payload, &k.node.sign(&signed_message(&payload)), &k.identity.to_public());
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert_eq!(err.to_string(), "envelope is from node \"school-a\" but its payload says \"school-b\"");
}

#[test]
fn other_formats_are_refused() {
    let (_, mut r, k) = small();
    r.format = 2;
    let bytes = seal(&r, &k.node, &k.identity.to_public()).unwrap();
    let err = open(&bytes, &k.identity, |_| Some(k.node.verifying_key())).unwrap_err();
    assert!(matches!(err, EnvelopeError::UnsupportedFormat(2)), "{err}");
}

#[test]
fn nothing_in_the_payload_identifies_a_student() {
    let (policy, r, _) = small();
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("student-secret"), "student ids must not leave the node");
    // Every cell key label comes from the policy's public domains.
    for t in &r.tables {
        for part in &t.partitions {
            let family = part.subgroup.as_deref().and_then(|f| policy.subgroups().iter().find(|s| s.name() == f));
            for c in &part.cells {
                let CellKey::Cell(labels) = &c.key else {
                    continue;
                };
                for (dim, label) in t.dimensions.iter().zip(labels) {
                    let domain = if dim == SUBGROUP { family } else { policy.domain(dim) };
                    let public: HashSet<&String> = domain.expect("dimension has a domain").labels().iter().collect();
                    assert!(public.contains(label), "table {} dimension {dim}: {label}", t.id);
                }
            }
        }
    }
}

#[test]
fn the_aggregator_can_check_a_release_against_the_policy() {
    let (policy, r, _) = small();
    assert_eq!(r.conforms_to(&policy), Ok(()));
    let other = ReleasePolicy::load(&crate::PolicySource::builtin(
        "release.toml",
        &crate::release_policy::DEFAULT_RELEASE_POLICY.replace("min_cell = 10", "min_cell = 5"),
    ))
    .unwrap();
    assert!(r.conforms_to(&other).unwrap_err().starts_with("policy hash "));
    let mut bad = r.clone();
    bad.rho_spent = 0.2;
    assert_eq!(bad.conforms_to(&policy).unwrap_err(), "rho_spent 0.2 exceeds the period budget 0.05");
    let mut bad = r.clone();
    bad.tables[0].partitions[0].cells.pop();
    assert_eq!(bad.conforms_to(&policy).unwrap_err(), "table tiers partition 0: 128 cells, expected 129");
    let mut bad = r.clone();
    bad.tables[0].partitions[0].cells[0].key =
        CellKey::Cell(vec!["0".into(), "06".into(), "student-secret-0001".into()]);
    assert!(bad.conforms_to(&policy).unwrap_err().contains("is not in the public domain"));
    let mut bad = r.clone();
    bad.tables[1].partitions[0].cells[0].value = crate::dp::CellValue::Suppressed;
    assert!(bad.conforms_to(&policy).unwrap_err().ends_with("a cell is suppressed in a table that does not suppress"));
    let mut bad = r;
    bad.tables[0].id = "extra".into();
    assert_eq!(bad.conforms_to(&policy).unwrap_err(), "table extra: not in the policy");
}

/// The DESIGN bar: one release of ≥ 5,000 cells, DP + sign + encrypt, in ≤ 250 ms. Run with
/// `cargo test --release -p lantern-policies --lib -- --ignored --nocapture release_timing`.
#[test]
#[ignore]
fn release_timing() {
    // The default policy with room for 60 standards: 5,088 cells with 12 rules.
    let text = crate::release_policy::DEFAULT_RELEASE_POLICY.replace("max_per = 30", "max_per = 60");
    let policy = ReleasePolicy::load(&crate::PolicySource::builtin("release.toml", &text)).unwrap();
    let inputs = inputs(12, 60, 2000);
    let k = keys();
    let recipient = k.identity.to_public();
    let mut times = Vec::new();
    let mut cells = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let plan = plan_release(&policy, &inputs.partitions).unwrap();
        let tables = plan.compute(&inputs.students).unwrap();
        cells = tables.cell_count();
        let period = policy.period_containing(NaiveDate::from_ymd_opt(2026, 10, 12).expect("date"));
        let r = Release::new(node("school-a"), 1, period, &policy, tables, Utc::now());
        let bytes = seal(&r, &k.node, &recipient).unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(!bytes.is_empty());
    }
    times.sort_by(f64::total_cmp);
    println!("release_timing: cells={cells} students=2000 median_ms={:.1} min_ms={:.1}", times[3], times[0]);
    assert!(cells >= 5000, "{cells}");
}
