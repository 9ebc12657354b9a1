//! What the `related_activities` and `related_agents` filters (Part 3 §2.1.3) match in a statement
//! beyond its own actor, object and authority: context activities, Group members, instructor,
//! team, and the same inside a SubStatement. The store keeps these identifiers beside the
//! statement so that filtered queries never parse stored JSON.

use std::collections::BTreeSet;

use super::agent::Actor;
use super::context::ContextFacts;
use super::statement::{Statement, StatementObject};

/// Which filter a related identifier serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelatedKind {
    /// A context activity, or the object or a context activity of a SubStatement:
    /// `activity` with `related_activities=true`.
    Activity,
    /// A member of the actor or object Group: `agent` matches it with or without `related_agents`
    /// ("Groups that have members which match the specified Agent ... are considered a match").
    Member,
    /// Instructor, team (and their members), and the actor, object, instructor and team of a
    /// SubStatement (with their members): `agent` with `related_agents=true`.
    Agent,
}

impl RelatedKind {
    /// The name the store records (`activity`, `member`, `agent`).
    pub fn as_str(self) -> &'static str {
        match self {
            RelatedKind::Activity => "activity",
            RelatedKind::Member => "member",
            RelatedKind::Agent => "agent",
        }
    }
}

/// The identifiers (activity ids, canonical IFI keys) a statement relates to beyond its own
/// columns, sorted and without repeats. Left out because the statement's columns hold them: the
/// object's activity id (for activities), the actor's and object's IFI keys (for agents), and the
/// authority, which is always the data source the statement came from. Empty for a statement
/// with no context activities, no Groups and no SubStatement.
pub fn related_ids(statement: &Statement) -> Vec<(RelatedKind, String)> {
    let core = statement.core();
    let object_activity = core.object.activity_id();
    let own_agents: Vec<&str> = core
        .actor
        .ifi()
        .into_iter()
        .chain(match &core.object {
            StatementObject::Actor(actor) => actor.ifi(),
            _ => None,
        })
        .map(|key| key.as_str())
        .collect();
    let mut out = BTreeSet::new();
    let mut push = |kind: RelatedKind, id: &str| {
        let own = match kind {
            RelatedKind::Activity => object_activity == Some(id),
            RelatedKind::Member | RelatedKind::Agent => own_agents.contains(&id),
        };
        if !own {
            out.insert((kind, id.to_string()));
        }
    };
    for member in core.actor.members() {
        push(RelatedKind::Member, member.as_str());
    }
    if let StatementObject::Actor(actor) = &core.object {
        for member in actor.members() {
            push(RelatedKind::Member, member.as_str());
        }
    }
    context_ids(&core.context, &mut push);
    if let StatementObject::SubStatement(sub) = &core.object {
        actor_ids(&sub.actor, &mut push);
        match &sub.object {
            StatementObject::Activity(id) => push(RelatedKind::Activity, id),
            StatementObject::Actor(actor) => actor_ids(actor, &mut push),
            // A SubStatement cannot nest another; a StatementRef inside one does not target.
            StatementObject::StatementRef(_) | StatementObject::SubStatement(_) => {}
        }
        context_ids(&sub.context, &mut push);
    }
    out.into_iter().collect()
}

/// An Agent's or Group's identifier and its members, as `Agent` entries.
fn actor_ids(actor: &Actor, push: &mut impl FnMut(RelatedKind, &str)) {
    for key in actor.ifi().into_iter().chain(actor.members()) {
        push(RelatedKind::Agent, key.as_str());
    }
}

fn context_ids(context: &ContextFacts, push: &mut impl FnMut(RelatedKind, &str)) {
    for id in context.activities.all() {
        push(RelatedKind::Activity, id);
    }
    for actor in context.instructor.iter().chain(&context.team) {
        actor_ids(actor, push);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use serde_json::json;

    use super::RelatedKind::{Activity, Agent, Member};
    use super::*;
    use crate::xapi::parse_statements;

    fn related(value: serde_json::Value) -> Vec<(RelatedKind, String)> {
        let statement = parse_statements(value.to_string().as_bytes()).unwrap().remove(0);
        related_ids(&statement)
    }

    fn entry(kind: RelatedKind, id: &str) -> (RelatedKind, String) {
        (kind, id.to_string())
    }

    #[test]
    fn a_plain_statement_relates_to_nothing_beyond_its_columns() {
        let plain = json!({"actor": {"mbox": "mailto:a@school.example"}, "verb": {"id": "http://x.example/v"},
                           "object": {"id": "http://x.example/item"},
                           "context": {"contextActivities": {"parent": [{"id": "http://x.example/item"}]}}});
        assert!(related(plain).is_empty(), "the object itself is not repeated as a context activity");
    }

    #[test]
    fn context_groups_and_sub_statements_are_covered() {
        let ids = related(json!({
            "actor": {"objectType": "Group", "member": [{"mbox": "mailto:s1@school.example"}, {"mbox": "mailto:s2@school.example"}]},
            "verb": {"id": "http://example.com/observed"},
            "object": {"objectType": "SubStatement",
                       "actor": {"objectType": "Group", "mbox": "mailto:team@school.example", "member": [{"mbox": "mailto:s3@school.example"}]},
                       "verb": {"id": "http://example.com/solved"},
                       "object": {"id": "http://example.com/puzzle"},
                       "context": {"instructor": {"openid": "http://id.example/coach"},
                                   "contextActivities": {"parent": [{"id": "http://example.com/unit"}]}}},
            "context": {"instructor": {"mbox": "mailto:head@school.example"},
                        "team": {"objectType": "Group", "account": {"homePage": "https://sis.example", "name": "t-1"}},
                        "contextActivities": {"category": {"id": "http://example.com/profile"},
                                              "grouping": [{"id": "http://example.com/unit"}],
                                              "other": [{"id": "http://example.com/other"}]}}
        }));
        assert_eq!(
            ids,
            [
                entry(Activity, "http://example.com/other"),
                entry(Activity, "http://example.com/profile"),
                entry(Activity, "http://example.com/puzzle"),
                entry(Activity, "http://example.com/unit"),
                entry(Member, "mbox:mailto:s1@school.example"),
                entry(Member, "mbox:mailto:s2@school.example"),
                entry(Agent, "account:https://sis.example|t-1"),
                entry(Agent, "mbox:mailto:head@school.example"),
                entry(Agent, "mbox:mailto:s3@school.example"),
                entry(Agent, "mbox:mailto:team@school.example"),
                entry(Agent, "openid:http://id.example/coach"),
            ]
        );
    }

    #[test]
    fn object_group_members_match_the_agent_filter_and_sub_statement_objects_the_related_one() {
        let ids = related(json!({
            "actor": {"mbox": "mailto:t@school.example"},
            "verb": {"id": "http://example.com/grouped"},
            "object": {"objectType": "Group", "member": [{"mbox": "mailto:t@school.example"}, {"mbox": "mailto:s@school.example"}]}
        }));
        assert_eq!(ids, [entry(Member, "mbox:mailto:s@school.example")], "the actor is already a column");
        let ids = related(json!({
            "actor": {"mbox": "mailto:t@school.example"},
            "verb": {"id": "http://example.com/said"},
            "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:t@school.example"},
                       "verb": {"id": "http://example.com/helped"}, "object": {"objectType": "Agent", "mbox": "mailto:s@school.example"}}
        }));
        assert_eq!(ids, [entry(Agent, "mbox:mailto:s@school.example")]);
    }
}
