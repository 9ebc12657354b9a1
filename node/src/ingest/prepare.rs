//! The request-path half of ingest: each validated statement is given its id, matched to the
//! roster (student, item, class, quiz), checked against the classes its data source may report
//! on, and given the side rows of the `related_*` filters, so that the writer job only runs SQL.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::roster_index::{ActorMatch, RosterIndex};
use super::IngestError;
use crate::events::LearningEvent;
use crate::sources::Source;
use crate::store::statements::{NewRelated, RelatedSet};
use crate::xapi::{learning_fields, related_ids, Statement, StatementObject, VerbKind};

/// A statement ready for the writer.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(super) statement: Statement,
    /// The statement's id: as sent, or a new random one.
    pub id: Uuid,
    /// Where it is in the request, for error messages (`statement` or `statement[3]`).
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) object: Option<String>,
    pub(super) registration: Option<String>,
    pub(super) voids: Option<Uuid>,
    pub(super) voids_text: Option<String>,
    /// The learning event, when the actor is a rostered student (and the statement is not a
    /// voiding statement).
    pub(super) event: Option<EventDraft>,
    /// (kind, value) of what did not match: `actor`, `activity` or `class`.
    pub(super) unmatched: Vec<(&'static str, String)>,
    /// The related identifiers and StatementRef target, for `sql::insert_related`.
    pub(super) related: NewRelated,
}

/// A learning event before its statement has a `seq`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct EventDraft {
    student_key: String,
    verb: VerbKind,
    item_id: Option<String>,
    class_id: Option<String>,
    session_id: Option<String>,
    quiz_id: Option<String>,
    correct: Option<bool>,
    response: Option<String>,
    score: Option<f64>,
    duration_s: Option<f64>,
}

impl EventDraft {
    pub(super) fn into_event(self, seq: i64, at: String) -> LearningEvent {
        LearningEvent {
            seq,
            student_key: self.student_key,
            at,
            verb: self.verb.as_str().to_string(),
            item_id: self.item_id,
            class_id: self.class_id,
            session_id: self.session_id,
            quiz_id: self.quiz_id,
            correct: self.correct,
            response: self.response,
            score: self.score,
            duration_s: self.duration_s,
        }
    }
}

/// Maps a validated batch to the roster and checks the source may report on each statement's
/// class. `array`: the request body was an array (error paths say `statement[i]`, else
/// `statement`). `put_id`: the `statementId` of a PUT, which the statement's own id (if any) must
/// equal.
pub fn prepare(
    statements: Vec<Statement>,
    array: bool,
    roster: &RosterIndex,
    source: &Source,
    put_id: Option<Uuid>,
) -> Result<Vec<Prepared>, IngestError> {
    let mut out = Vec::with_capacity(statements.len());
    let mut sets = HashMap::new();
    for (index, statement) in statements.into_iter().enumerate() {
        let at = || if array { format!("statement[{index}]") } else { "statement".to_string() };
        let id = match (statement.id(), put_id) {
            (Some(own), Some(put)) if own != put => {
                let message = format!("{}.id: {own} differs from the statementId parameter {put}", at());
                return Err(crate::xapi::XapiError::bad_request(message).into());
            }
            (Some(own), _) => own,
            (None, Some(put)) => put,
            (None, None) => Uuid::new_v4(),
        };
        let related = related_rows(&statement, &mut sets);
        out.push(prepare_one(statement, id, roster, source, &at, related)?);
    }
    Ok(out)
}

/// The side rows of a statement: its related identifiers as an interned set, and its StatementRef
/// target. `sets` holds the sets of the request so far, by their identifiers: statements sharing a
/// set share one value (computed once), and only the first of them registers it.
pub(super) fn related_rows(statement: &Statement, sets: &mut RequestSets) -> NewRelated {
    let ids: Vec<(&'static str, String)> =
        related_ids(statement).into_iter().map(|(kind, id)| (kind.as_str(), id)).collect();
    let (set, register) = match sets.get(&ids) {
        Some(shared) => (Some(shared.clone()), false),
        None => match RelatedSet::new(ids.clone()) {
            None => (None, false),
            Some(set) => {
                let set = Arc::new(set);
                sets.insert(ids, set.clone());
                (Some(set), true)
            }
        },
    };
    let target = match statement.object() {
        StatementObject::StatementRef(id) => Some(id.to_string()),
        _ => None,
    };
    NewRelated { set, register, target }
}

/// The related sets a request (or backfill chunk) has used so far, by their sorted identifiers.
pub(super) type RequestSets = HashMap<Vec<(&'static str, String)>, Arc<RelatedSet>>;

fn prepare_one(
    statement: Statement,
    id: Uuid,
    roster: &RosterIndex,
    source: &Source,
    at: &dyn Fn() -> String,
    related: NewRelated,
) -> Result<Prepared, IngestError> {
    let here = at();
    let fields = learning_fields(&statement);
    let mut unmatched = Vec::new();
    let class_sourced_id = fields.class_ref.as_deref().and_then(|iri| roster.class_sourced_id(iri));
    if source.classes.is_some() && !source.serves_class(class_sourced_id) {
        return Err(match class_sourced_id {
            Some(class) => {
                IngestError::ClassNotServed { at: at(), source_name: source.name.clone(), class: class.into() }
            }
            None => IngestError::NoClass { at: at(), source_name: source.name.clone() },
        });
    }
    let class_id = match (class_sourced_id, &fields.class_ref) {
        (Some(class), _) if roster.has_class(class) => Some(class.to_string()),
        (_, Some(iri)) => {
            unmatched.push(("class", iri.clone()));
            None
        }
        _ => None,
    };
    let voids = statement.voids();
    let item_quiz = fields.item_id.as_deref().map(|item| (item, roster.item_quiz(item)));
    let item_id = match item_quiz {
        Some((item, Some(_))) => Some(item.to_string()),
        Some((item, None)) if voids.is_none() => {
            unmatched.push(("activity", item.to_string()));
            None
        }
        _ => None,
    };
    let event = match roster.match_actor(statement.actor_key()) {
        ActorMatch::Student(student_key) if voids.is_none() => {
            let scored = fields.verb_kind != VerbKind::Other;
            let quiz_id = fields.quiz_ref.clone().or_else(|| item_quiz.and_then(|(_, quiz)| quiz).map(str::to_string));
            Some(EventDraft {
                student_key,
                verb: fields.verb_kind,
                item_id,
                class_id,
                session_id: fields.registration.map(|r| r.to_string()),
                quiz_id,
                correct: fields.success.filter(|_| scored),
                response: fields.response.filter(|_| scored),
                score: fields.score_scaled.filter(|_| scored),
                duration_s: fields.duration_seconds,
            })
        }
        ActorMatch::Student(_) => None,
        ActorMatch::Unmatched(value) => {
            unmatched.push(("actor", value));
            None
        }
    };
    Ok(Prepared {
        actor: statement.actor_key().map_or_else(String::new, |k| k.to_string()),
        object: statement.object().id(),
        registration: statement.registration().map(|r| r.to_string()),
        voids,
        voids_text: voids.map(|v| v.to_string()),
        event,
        unmatched,
        related,
        statement,
        id,
        at: here,
    })
}
