//! What the ingest path needs from a statement, as typed data: the kind of verb (from the ADL verb
//! IRIs and their common aliases) and the learning facts (item, result, class and quiz context).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::statement::Statement;

/// The verbs the node's indicators distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerbKind {
    Answered,
    Attempted,
    Completed,
    Passed,
    Failed,
    Experienced,
    Other,
}

impl VerbKind {
    /// The lowercase name (`answered`, ..., `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            VerbKind::Answered => "answered",
            VerbKind::Attempted => "attempted",
            VerbKind::Completed => "completed",
            VerbKind::Passed => "passed",
            VerbKind::Failed => "failed",
            VerbKind::Experienced => "experienced",
            VerbKind::Other => "other",
        }
    }

    /// The kind of a verb IRI. Recognised: the ADL vocabulary (`http://adlnet.gov/expapi/verbs/…`,
    /// also written with `https`), its w3id.org home (`https://w3id.org/xapi/adl/verbs/…`), and
    /// cmi5's `initialized`, which starts an attempt. cmi5's completed/passed/failed use the ADL
    /// IRIs already. Everything else (including `voided`) is `Other`.
    pub fn from_verb_id(verb_id: &str) -> VerbKind {
        let name =
            ["http://adlnet.gov/expapi/verbs/", "https://adlnet.gov/expapi/verbs/", "https://w3id.org/xapi/adl/verbs/"]
                .iter()
                .find_map(|prefix| verb_id.strip_prefix(prefix));
        match name {
            Some("answered") => VerbKind::Answered,
            Some("attempted" | "initialized") => VerbKind::Attempted,
            Some("completed") => VerbKind::Completed,
            Some("passed") => VerbKind::Passed,
            Some("failed") => VerbKind::Failed,
            Some("experienced") => VerbKind::Experienced,
            _ => VerbKind::Other,
        }
    }
}

/// The facts of one statement the indicators are built from.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningFields {
    pub verb_kind: VerbKind,
    /// The object's activity id (for a question, the item IRI of the item bank).
    pub item_id: Option<String>,
    pub success: Option<bool>,
    pub response: Option<String>,
    pub score_scaled: Option<f64>,
    /// `result.duration` in seconds.
    pub duration_seconds: Option<f64>,
    pub registration: Option<Uuid>,
    /// The first parent or grouping activity with a `classes` path segment
    /// (`https://sis.lantern.example/classes/<class sourcedId>`).
    pub class_ref: Option<String>,
    /// The quiz the item belongs to: the first parent activity that is not a class, else the
    /// first such grouping activity.
    pub quiz_ref: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
}

/// Reads the learning facts of a statement.
pub fn learning_fields(statement: &Statement) -> LearningFields {
    let result = statement.result();
    let activities = &statement.context().activities;
    let parents_then_groupings = || activities.parent.iter().chain(&activities.grouping);
    LearningFields {
        verb_kind: VerbKind::from_verb_id(statement.verb_id()),
        item_id: statement.object().activity_id().map(str::to_string),
        success: result.success,
        response: result.response.clone(),
        score_scaled: result.score_scaled,
        duration_seconds: result.duration_seconds,
        registration: statement.registration(),
        class_ref: parents_then_groupings().find(|id| is_class_iri(id)).cloned(),
        quiz_ref: parents_then_groupings().find(|id| !is_class_iri(id)).cloned(),
        timestamp: statement.timestamp(),
    }
}

/// True when the IRI's path has a `classes` segment followed by a non-empty one.
fn is_class_iri(iri: &str) -> bool {
    let after_scheme = iri.split_once("://").map_or(iri, |(_, rest)| rest);
    let path = after_scheme.split(['?', '#']).next().unwrap_or("");
    let mut segments = path.split('/').skip(1);
    while let Some(segment) = segments.next() {
        if segment == "classes" {
            return segments.next().is_some_and(|id| !id.is_empty());
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::xapi::parse_statements;

    #[test]
    fn verbs_map_to_kinds() {
        let cases = [
            ("http://adlnet.gov/expapi/verbs/answered", VerbKind::Answered),
            ("https://w3id.org/xapi/adl/verbs/answered", VerbKind::Answered),
            ("https://adlnet.gov/expapi/verbs/attempted", VerbKind::Attempted),
            ("http://adlnet.gov/expapi/verbs/initialized", VerbKind::Attempted),
            ("http://adlnet.gov/expapi/verbs/completed", VerbKind::Completed),
            ("http://adlnet.gov/expapi/verbs/passed", VerbKind::Passed),
            ("https://w3id.org/xapi/adl/verbs/failed", VerbKind::Failed),
            ("http://adlnet.gov/expapi/verbs/experienced", VerbKind::Experienced),
            ("http://adlnet.gov/expapi/verbs/voided", VerbKind::Other),
            ("https://w3id.org/xapi/adl/verbs/satisfied", VerbKind::Other),
            ("http://example.com/answered", VerbKind::Other),
            ("http://adlnet.gov/expapi/verbs/answered/extra", VerbKind::Other),
        ];
        for (iri, kind) in cases {
            assert_eq!(VerbKind::from_verb_id(iri), kind, "{iri}");
        }
    }

    #[test]
    fn class_iris_have_a_classes_segment() {
        assert!(is_class_iri("https://sis.lantern.example/classes/c-1"));
        assert!(is_class_iri("https://sis.lantern.example/school/classes/c-1?x=1"));
        assert!(!is_class_iri("https://sis.lantern.example/classes/"));
        assert!(!is_class_iri("https://classes.example/c-1"));
        assert!(!is_class_iri("https://items.lantern.example/quiz/6.RP.A.1"));
        assert!(!is_class_iri("https://x.example/subclasses/c-1"));
    }

    #[test]
    fn the_synth_statement_gives_its_learning_fields() {
        let body = br#"{"id":"0f6c3a39-2b36-4a4c-9d4e-3a8f1a0e9b11","actor":{"objectType":"Agent","account":{"homePage":"https://sis.lantern.example","name":"stu-0001"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/answered","display":{"en-US":"answered"}},"object":{"objectType":"Activity","id":"https://items.lantern.example/item/6.RP.A.1/003","definition":{"type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice"}},"result":{"success":true,"response":"b","duration":"PT42S"},"context":{"registration":"7d0e3f5a-9c1b-4e2d-8f3a-6b5c4d3e2f10","contextActivities":{"grouping":[{"id":"https://items.lantern.example/quiz/6.RP.A.1"},{"id":"https://sis.lantern.example/classes/cls-6a"}]}},"timestamp":"2026-09-03T09:14:22Z"}"#;
        let statements = parse_statements(body).unwrap();
        let fields = learning_fields(&statements[0]);
        assert_eq!(fields.verb_kind, VerbKind::Answered);
        assert_eq!(fields.item_id.as_deref(), Some("https://items.lantern.example/item/6.RP.A.1/003"));
        assert_eq!(fields.success, Some(true));
        assert_eq!(fields.response.as_deref(), Some("b"));
        assert_eq!(fields.score_scaled, None);
        assert_eq!(fields.duration_seconds, Some(42.0));
        assert_eq!(fields.verb_kind.as_str(), "answered");
        assert_eq!(fields.registration.unwrap().to_string(), "7d0e3f5a-9c1b-4e2d-8f3a-6b5c4d3e2f10");
        assert_eq!(fields.class_ref.as_deref(), Some("https://sis.lantern.example/classes/cls-6a"));
        assert_eq!(fields.quiz_ref.as_deref(), Some("https://items.lantern.example/quiz/6.RP.A.1"));
        assert_eq!(fields.timestamp.unwrap().to_rfc3339(), "2026-09-03T09:14:22+00:00");
        assert_eq!(statements[0].actor_key().unwrap().account(), Some(("https://sis.lantern.example", "stu-0001")));
    }

    #[test]
    fn a_parent_quiz_wins_over_a_grouping_one() {
        let body = br#"{"actor":{"mbox":"mailto:a@b.example"},"verb":{"id":"http://adlnet.gov/expapi/verbs/passed"},"object":{"id":"https://items.lantern.example/quiz/q1"},"result":{"score":{"scaled":0.8}},"context":{"contextActivities":{"parent":{"id":"https://items.lantern.example/unit/u1"},"grouping":[{"id":"https://items.lantern.example/quiz/q0"}]}}}"#;
        let statements = parse_statements(body).unwrap();
        let fields = learning_fields(&statements[0]);
        assert_eq!(fields.verb_kind, VerbKind::Passed);
        assert_eq!(fields.score_scaled, Some(0.8));
        assert_eq!(fields.quiz_ref.as_deref(), Some("https://items.lantern.example/unit/u1"));
        assert_eq!(fields.class_ref, None);
        assert_eq!(fields.timestamp, None);
    }
}
