//! The request-path half of ingest: each validated statement is given its id, matched to the
//! roster (student, item, class, quiz) and checked against the classes its data source may report
//! on, so that the writer job only runs SQL.

use uuid::Uuid;

use super::roster_index::{ActorMatch, RosterIndex};
use super::IngestError;
use crate::events::LearningEvent;
use crate::sources::Source;
use crate::xapi::{learning_fields, Statement, VerbKind};

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
        out.push(prepare_one(statement, id, roster, source, &at)?);
    }
    Ok(out)
}

fn prepare_one(
    statement: Statement,
    id: Uuid,
    roster: &RosterIndex,
    source: &Source,
    at: &dyn Fn() -> String,
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
        statement,
        id,
        at: here,
    })
}
