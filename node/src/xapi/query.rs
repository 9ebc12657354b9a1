//! The parameters of `GET /xapi/statements` (Part 3 §2.1.3), parsed into a typed query: a single
//! statement by (voided) id, a filtered list, or the continuation of a list through `more`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::agent::{validate_actor, IfiKey};
use super::cursor::MoreCursor;
use super::datatypes::{is_iri, parse_uuid};
use super::error::XapiError;
use super::json::{quoted, Json};
use super::path::Path;
use super::time::parse_timestamp;

/// How statements are returned (`format` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Agents, Groups, Activities and Verbs reduced to what identifies them.
    Ids,
    /// As received.
    #[default]
    Exact,
    /// Activity and Verb language maps reduced to one language, by the reader's preference.
    Canonical,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ids => "ids",
            Format::Exact => "exact",
            Format::Canonical => "canonical",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Format> {
        match text {
            "ids" => Some(Format::Ids),
            "exact" => Some(Format::Exact),
            "canonical" => Some(Format::Canonical),
            _ => None,
        }
    }
}

/// A parsed statements query.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementQuery {
    /// `statementId` (voided: false) or `voidedStatementId` (voided: true): one statement.
    Single { id: Uuid, voided: bool, format: Format },
    /// A filtered, paged list.
    List(ListQuery),
    /// `more=<cursor>`: the next page of an earlier list.
    More(MoreCursor),
}

/// The filters of a list query. Matching rules (Part 3 §2.1.3), for the store to apply: `agent`
/// matches the actor or object (and, with `related_agents`, authority, instructor, team and
/// SubStatement parts; Groups match through their members); `activity` matches the object (and,
/// with `related_activities`, context activities and SubStatement parts); statements targeting a
/// matching statement through a StatementRef match too; voided statements are never listed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    pub agent: Option<IfiKey>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<Uuid>,
    pub related_activities: bool,
    pub related_agents: bool,
    /// Stored strictly after.
    pub since: Option<DateTime<Utc>>,
    /// Stored at or before.
    pub until: Option<DateTime<Utc>>,
    /// Page size; 0 means the server's maximum.
    pub limit: u32,
    pub format: Format,
    /// Oldest first when true; newest first (by `stored`) otherwise.
    pub ascending: bool,
}

const PARAMETERS: [&str; 15] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

/// Parses the (already URL-decoded) query parameters of `GET /xapi/statements`. Unknown or
/// repeated parameters, malformed values, `statementId` together with `voidedStatementId` or with
/// any filter, and `attachments=true` (this LRS stores no attachments) are 400s.
pub fn parse_query(pairs: &[(String, String)]) -> Result<StatementQuery, XapiError> {
    let mut seen: Vec<&str> = Vec::with_capacity(pairs.len());
    let mut list = ListQuery::default();
    let mut single: Option<(Uuid, bool, &str)> = None;
    let mut more = None;
    for (name, value) in pairs {
        let name = name.as_str();
        if seen.contains(&name) {
            return Err(XapiError::bad_request(format!("{name}: the parameter is given more than once")));
        }
        seen.push(name);
        match name {
            "statementId" | "voidedStatementId" => {
                if let Some((_, _, other)) = single {
                    return Err(XapiError::bad_request(format!("{name}: cannot be combined with {other}")));
                }
                single = Some((uuid_parameter(name, value)?, name == "voidedStatementId", name));
            }
            "agent" => list.agent = Some(agent_parameter(value)?),
            "verb" => list.verb = Some(iri_parameter(name, value)?),
            "activity" => list.activity = Some(iri_parameter(name, value)?),
            "registration" => list.registration = Some(uuid_parameter(name, value)?),
            "related_activities" => list.related_activities = bool_parameter(name, value)?,
            "related_agents" => list.related_agents = bool_parameter(name, value)?,
            "ascending" => list.ascending = bool_parameter(name, value)?,
            "since" => list.since = Some(timestamp_parameter(name, value)?),
            "until" => list.until = Some(timestamp_parameter(name, value)?),
            "limit" => list.limit = limit_parameter(value)?,
            "format" => {
                list.format = Format::parse(value).ok_or_else(|| {
                    XapiError::bad_request(format!("format: must be ids, exact or canonical, found {}", quoted(value)))
                })?
            }
            "attachments" => {
                if bool_parameter(name, value)? {
                    return Err(XapiError::bad_request(
                        "attachments: this LRS stores no attachments; leave the parameter out or set it to false",
                    ));
                }
            }
            "more" => more = Some(MoreCursor::decode(value)?),
            _ => {
                return Err(XapiError::bad_request(format!(
                    "{}: unknown parameter (the statements resource takes {})",
                    quoted(name),
                    PARAMETERS.join(", ")
                )))
            }
        }
    }
    let others = |allowed: &[&str]| seen.iter().copied().find(|name| !allowed.contains(name));
    if let Some((id, voided, name)) = single {
        if let Some(other) = others(&[name, "format", "attachments"]) {
            return Err(XapiError::bad_request(format!(
                "{name}: cannot be combined with {other} (only with format and attachments)"
            )));
        }
        return Ok(StatementQuery::Single { id, voided, format: list.format });
    }
    if let Some(cursor) = more {
        if let Some(other) = others(&["more", "attachments"]) {
            return Err(XapiError::bad_request(format!(
                "more: cannot be combined with {other} (the cursor carries the whole query)"
            )));
        }
        return Ok(StatementQuery::More(cursor));
    }
    Ok(StatementQuery::List(list))
}

fn uuid_parameter(name: &str, value: &str) -> Result<Uuid, XapiError> {
    parse_uuid(value).ok_or_else(|| {
        XapiError::bad_request(format!("{name}: must be a UUID in standard form, found {}", quoted(value)))
    })
}

fn iri_parameter(name: &str, value: &str) -> Result<String, XapiError> {
    if is_iri(value) {
        Ok(value.to_string())
    } else {
        Err(XapiError::bad_request(format!("{name}: must be an absolute IRI with a scheme, found {}", quoted(value))))
    }
}

fn bool_parameter(name: &str, value: &str) -> Result<bool, XapiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(XapiError::bad_request(format!("{name}: must be true or false, found {}", quoted(value)))),
    }
}

fn timestamp_parameter(name: &str, value: &str) -> Result<DateTime<Utc>, XapiError> {
    parse_timestamp(value).ok_or_else(|| {
        XapiError::bad_request(format!(
            "{name}: must be an ISO 8601 timestamp with a time zone, found {}",
            quoted(value)
        ))
    })
}

fn limit_parameter(value: &str) -> Result<u32, XapiError> {
    let parsed = if value.bytes().all(|b| b.is_ascii_digit()) { value.parse().ok() } else { None };
    parsed
        .ok_or_else(|| XapiError::bad_request(format!("limit: must be a nonnegative integer, found {}", quoted(value))))
}

/// The `agent` parameter: an Agent or identified Group as JSON, reduced to its IFI key.
fn agent_parameter(value: &str) -> Result<IfiKey, XapiError> {
    let json = Json::parse(value)
        .map_err(|e| XapiError::bad_request(format!("agent: must be an Agent or identified Group as JSON ({e})")))?;
    let actor = validate_actor(&json, &Path::Root("agent"))?;
    actor.ifi().cloned().ok_or_else(|| {
        XapiError::bad_request(
            "agent: an anonymous Group has no identifier to filter by; give an Agent or identified Group",
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<StatementQuery, XapiError> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse_query(&owned)
    }

    fn message(pairs: &[(&str, &str)]) -> String {
        let error = query(pairs).unwrap_err();
        assert_eq!(error.status, 400);
        error.message
    }

    #[test]
    fn a_full_list_query_parses() {
        let StatementQuery::List(list) = query(&[
            ("agent", r#"{"account": {"homePage": "https://sis.lantern.example", "name": "s-1"}}"#),
            ("verb", "http://adlnet.gov/expapi/verbs/answered"),
            ("activity", "https://items.lantern.example/quiz/6.RP.A.1"),
            ("registration", "ec531277-b57b-4c15-8d91-d292c5b2b8f7"),
            ("related_activities", "true"),
            ("related_agents", "false"),
            ("since", "2026-09-01T00:00:00Z"),
            ("until", "2026-09-30T00:00:00+02:00"),
            ("limit", "0"),
            ("format", "canonical"),
            ("attachments", "false"),
            ("ascending", "true"),
        ])
        .unwrap() else {
            panic!("expected a list query");
        };
        assert_eq!(list.agent.unwrap().as_str(), "account:https://sis.lantern.example|s-1");
        assert!(list.related_activities && !list.related_agents && list.ascending);
        assert_eq!(list.limit, 0);
        assert_eq!(list.format, Format::Canonical);
        assert_eq!(list.until.unwrap().to_rfc3339(), "2026-09-29T22:00:00+00:00");
        assert_eq!(query(&[]).unwrap(), StatementQuery::List(ListQuery::default()));
    }

    #[test]
    fn single_statement_queries() {
        let id = "e05aa883-acaf-40ad-bf54-02c8ce485fb0";
        assert_eq!(
            query(&[("voidedStatementId", id), ("format", "ids"), ("attachments", "false")]).unwrap(),
            StatementQuery::Single { id: Uuid::parse_str(id).unwrap(), voided: true, format: Format::Ids }
        );
        assert_eq!(
            message(&[("statementId", id), ("voidedStatementId", id)]),
            "voidedStatementId: cannot be combined with statementId"
        );
        assert_eq!(
            message(&[("statementId", id), ("limit", "5")]),
            "statementId: cannot be combined with limit (only with format and attachments)"
        );
        assert_eq!(
            message(&[("verb", "http://x.example/v"), ("voidedStatementId", id)]),
            "voidedStatementId: cannot be combined with verb (only with format and attachments)"
        );
    }

    #[test]
    fn bad_parameters_are_400s() {
        let cases: [(&[(&str, &str)], &str); 14] = [
            (&[("statementid", "x")], "\"statementid\": unknown parameter (the statements resource takes statementId, voidedStatementId, agent, verb, activity, registration, related_activities, related_agents, since, until, limit, format, attachments, ascending, more)"),
            (&[("limit", "5"), ("limit", "6")], "limit: the parameter is given more than once"),
            (&[("statementId", "e05aa883acaf40adbf5402c8ce485fb0")], "statementId: must be a UUID in standard form, found \"e05aa883acaf40adbf5402c8ce485fb0\""),
            (&[("agent", "mailto:a@b.example")], "agent: must be an Agent or identified Group as JSON (expected value at line 1 column 1)"),
            (&[("agent", r#"{"objectType": "Group", "member": [{"mbox": "mailto:a@b.example"}]}"#)], "agent: an anonymous Group has no identifier to filter by; give an Agent or identified Group"),
            (&[("agent", r#"{"mbox": "a@b.example"}"#)], "agent.mbox: must be a mailto: IRI such as \"mailto:name@example.com\""),
            (&[("verb", "answered")], "verb: must be an absolute IRI with a scheme, found \"answered\""),
            (&[("related_agents", "1")], "related_agents: must be true or false, found \"1\""),
            (&[("ascending", "TRUE")], "ascending: must be true or false, found \"TRUE\""),
            (&[("since", "2026-09-01")], "since: must be an ISO 8601 timestamp with a time zone, found \"2026-09-01\""),
            (&[("limit", "-1")], "limit: must be a nonnegative integer, found \"-1\""),
            (&[("limit", "99999999999")], "limit: must be a nonnegative integer, found \"99999999999\""),
            (&[("format", "full")], "format: must be ids, exact or canonical, found \"full\""),
            (&[("attachments", "true")], "attachments: this LRS stores no attachments; leave the parameter out or set it to false"),
        ];
        for (pairs, expected) in cases {
            assert_eq!(message(pairs), expected);
        }
    }

    #[test]
    fn more_stands_alone() {
        let cursor = MoreCursor { query: ListQuery { limit: 10, ..ListQuery::default() }, after: 42 };
        let encoded = cursor.encode();
        assert_eq!(query(&[("more", &encoded)]).unwrap(), StatementQuery::More(cursor));
        assert_eq!(
            message(&[("more", &encoded), ("limit", "5")]),
            "more: cannot be combined with limit (the cursor carries the whole query)"
        );
        assert_eq!(message(&[("more", "not-a-cursor")]), "more: not a cursor this LRS issued");
    }
}
