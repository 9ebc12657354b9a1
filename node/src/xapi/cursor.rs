//! The `more` cursor of a paged statements list: the whole query plus the position reached,
//! encoded as an opaque URL-safe string, so the LRS keeps no per-query state. Decoding checks
//! every field again; anything that is not a cursor this LRS wrote is a 400.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::agent::IfiKey;
use super::datatypes::is_iri;
use super::error::XapiError;
use super::query::{Format, ListQuery};
use super::time::{format_timestamp, parse_timestamp};

/// Where a paged list continues. `after` is the store's position of the last statement already
/// returned (e.g. its insertion sequence number); the store decides what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct MoreCursor {
    pub query: ListQuery,
    pub after: i64,
}

/// The serialised form; short names keep `more` IRLs short.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    act: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reg: Option<Uuid>,
    #[serde(default, skip_serializing_if = "is_false")]
    ra: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    rg: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    limit: u32,
    fmt: String,
    #[serde(default, skip_serializing_if = "is_false")]
    asc: bool,
    after: i64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl MoreCursor {
    /// The cursor as a URL-safe string (base64url of a small JSON object).
    pub fn encode(&self) -> String {
        let q = &self.query;
        let wire = Wire {
            agent: q.agent.as_ref().map(|key| key.to_string()),
            verb: q.verb.clone(),
            act: q.activity.clone(),
            reg: q.registration,
            ra: q.related_activities,
            rg: q.related_agents,
            since: q.since.as_ref().map(format_timestamp),
            until: q.until.as_ref().map(format_timestamp),
            limit: q.limit,
            fmt: q.format.as_str().to_string(),
            asc: q.ascending,
            after: self.after,
        };
        let json = serde_json::to_vec(&wire).expect("a cursor of strings and numbers always serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor back; any malformed or tampered cursor is a 400.
    pub fn decode(text: &str) -> Result<MoreCursor, XapiError> {
        Self::try_decode(text).ok_or_else(|| XapiError::bad_request("more: not a cursor this LRS issued"))
    }

    fn try_decode(text: &str) -> Option<MoreCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let wire: Wire = serde_json::from_slice(&bytes).ok()?;
        let iri = |value: Option<String>| match value {
            Some(iri) if !is_iri(&iri) => None,
            other => Some(other),
        };
        let time = |value: Option<String>| match value {
            Some(text) => parse_timestamp(&text).map(Some),
            None => Some(None),
        };
        let agent = match wire.agent {
            Some(key) => Some(IfiKey::parse(&key)?),
            None => None,
        };
        let query = ListQuery {
            agent,
            verb: iri(wire.verb)?,
            activity: iri(wire.act)?,
            registration: wire.reg,
            related_activities: wire.ra,
            related_agents: wire.rg,
            since: time(wire.since)?,
            until: time(wire.until)?,
            limit: wire.limit,
            format: Format::parse(&wire.fmt)?,
            ascending: wire.asc,
        };
        Some(MoreCursor { query, after: wire.after })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn cursors_round_trip() {
        let agent = IfiKey::parse("account:https://sis.lantern.example|s-1").unwrap();
        let full = MoreCursor {
            query: ListQuery {
                agent: Some(agent),
                verb: Some("http://adlnet.gov/expapi/verbs/answered".into()),
                activity: Some("https://items.lantern.example/quiz/6.RP.A.1".into()),
                registration: Some(Uuid::parse_str("ec531277-b57b-4c15-8d91-d292c5b2b8f7").unwrap()),
                related_activities: true,
                related_agents: true,
                since: Some(Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap()),
                until: Some(Utc.timestamp_nanos(1_788_000_000_123_456_789)),
                limit: 100,
                format: Format::Ids,
                ascending: true,
            },
            after: 987_654,
        };
        let encoded = full.encode();
        assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(MoreCursor::decode(&encoded).unwrap(), full);

        let empty = MoreCursor { query: ListQuery::default(), after: -1 };
        assert_eq!(MoreCursor::decode(&empty.encode()).unwrap(), empty);
        assert!(empty.encode().len() < 60);
    }

    #[test]
    fn tampered_cursors_are_400s() {
        let valid = MoreCursor { query: ListQuery::default(), after: 5 }.encode();
        let forged = |json: &str| URL_SAFE_NO_PAD.encode(json);
        for bad in [
            String::new(),
            "!!!".to_string(),
            valid[..valid.len() - 3].to_string(),
            forged(r#"{"limit":1,"fmt":"exact","after":1,"x":1}"#),
            forged(r#"{"limit":1,"fmt":"full","after":1}"#),
            forged(r#"{"limit":-1,"fmt":"exact","after":1}"#),
            forged(r#"{"limit":1,"fmt":"exact","after":1,"verb":"answered"}"#),
            forged(r#"{"limit":1,"fmt":"exact","after":1,"agent":"mbox:ann"}"#),
            forged(r#"{"limit":1,"fmt":"exact","after":1,"since":"yesterday"}"#),
            forged(r#"{"limit":1,"fmt":"exact","after":1,"reg":"nope"}"#),
        ] {
            let error = MoreCursor::decode(&bad).unwrap_err();
            assert_eq!((error.status, error.message.as_str()), (400, "more: not a cursor this LRS issued"), "{bad}");
        }
    }
}
