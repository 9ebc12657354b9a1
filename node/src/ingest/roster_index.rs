//! The roster as the ingest path matches statements against it: students by SIS account, by email
//! and by the SHA-1 of their `mailto:` IRI, classes, and the item bank, held in memory and reloaded only when the roster changed
//! (so the writer never looks anything up, and the request path does it without SQL).

use std::collections::{HashMap, HashSet};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::store::statements::RosterRows;
use crate::xapi::IfiKey;

/// A snapshot of what statements are matched against.
#[derive(Debug, Default)]
pub struct RosterIndex {
    /// The store's roster generation this snapshot was read at.
    pub(super) generation: [i64; 4],
    /// `<homePage>/classes/`: the prefix of class IRIs.
    class_prefix: String,
    home_page: String,
    students_by_sourced_id: HashMap<String, String>,
    /// `mailto:` + lower-cased address → pseudonymous key.
    students_by_mailto: HashMap<String, String>,
    /// Lowercase hex SHA-1 of a student's `mailto:` IRI (an `mbox_sha1sum`) → pseudonymous key.
    students_by_mbox_sha1: HashMap<String, String>,
    classes: HashSet<String>,
    /// item_id → the quiz (activity) it belongs to.
    items: HashMap<String, String>,
}

/// How a statement's actor matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorMatch {
    /// A rostered student: their pseudonymous key.
    Student(String),
    /// Not a rostered student: what to count in `unmatched` (identifiers hashed, see
    /// [`unmatched_actor_value`]).
    Unmatched(String),
}

impl RosterIndex {
    pub fn new(generation: [i64; 4], rows: RosterRows, home_page: &str) -> RosterIndex {
        let home_page = home_page.trim_end_matches('/').to_string();
        let mut students_by_mailto = HashMap::new();
        let mut students_by_mbox_sha1 = HashMap::new();
        let mut students_by_sourced_id = HashMap::with_capacity(rows.students.len());
        for (sourced_id, pkey, email) in rows.students {
            if let Some(email) = email.as_deref().map(str::trim).filter(|e| e.contains('@')) {
                for mailto in mailto_spellings(email) {
                    students_by_mbox_sha1.insert(mbox_sha1sum(&mailto), pkey.clone());
                }
                students_by_mailto.insert(format!("mailto:{}", email.to_lowercase()), pkey.clone());
            }
            students_by_sourced_id.insert(sourced_id, pkey);
        }
        RosterIndex {
            generation,
            class_prefix: format!("{home_page}/classes/"),
            home_page,
            students_by_sourced_id,
            students_by_mailto,
            students_by_mbox_sha1,
            classes: rows.classes.into_iter().collect(),
            items: rows.items.into_iter().collect(),
        }
    }

    /// Matches an actor to a rostered student: an account on the SIS home page whose name is the
    /// student's sourcedId, an `mbox` equal to the student's email (case-insensitively), or an
    /// `mbox_sha1sum` of the student's `mailto:` IRI (as the roster spells the address, with the
    /// domain lower-cased, or all lower-case: a hash cannot be compared case-insensitively).
    pub fn match_actor(&self, key: Option<&IfiKey>) -> ActorMatch {
        let Some(key) = key else {
            return ActorMatch::Unmatched("anonymous group".into());
        };
        let found = if let Some((home, name)) = key.account() {
            (home.trim_end_matches('/') == self.home_page).then(|| self.students_by_sourced_id.get(name)).flatten()
        } else if let Some(mailto) = key.as_str().strip_prefix("mbox:") {
            self.students_by_mailto.get(&mailto.to_lowercase())
        } else if let Some(sum) = key.as_str().strip_prefix("mbox_sha1sum:") {
            self.students_by_mbox_sha1.get(sum)
        } else {
            None
        };
        match found {
            Some(pkey) => ActorMatch::Student(pkey.clone()),
            None => ActorMatch::Unmatched(unmatched_actor_value(key)),
        }
    }

    /// The class sourcedId named by a class IRI (`<homePage>/classes/<sourcedId>`), whether or
    /// not it is rostered; `None` for an IRI outside the SIS home page.
    pub fn class_sourced_id<'a>(&self, class_iri: &'a str) -> Option<&'a str> {
        class_iri.strip_prefix(&self.class_prefix).filter(|id| !id.is_empty() && !id.contains('/'))
    }

    pub fn has_class(&self, sourced_id: &str) -> bool {
        self.classes.contains(sourced_id)
    }

    /// The quiz of an item of the bank; `None` when the activity is not an item.
    pub fn item_quiz(&self, item_id: &str) -> Option<&str> {
        self.items.get(item_id).map(String::as_str)
    }
}

/// The `mailto:` IRIs a tool may have hashed for this roster email: as written, with the domain
/// lower-cased (the canonical form of `mbox`), and all lower-case.
fn mailto_spellings(email: &str) -> Vec<String> {
    let domain_lowered = match email.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
        None => email.to_string(),
    };
    let mut spellings = vec![format!("mailto:{email}"), format!("mailto:{domain_lowered}")];
    spellings.push(format!("mailto:{}", email.to_lowercase()));
    spellings.dedup();
    spellings
}

/// The xAPI `mbox_sha1sum` of a `mailto:` IRI: the lowercase hex SHA-1 of its text (Part 2
/// §2.4.2.3). SHA-1 is what the spec defines for this identifier; it is a lookup key here, not a
/// security measure (anyone holding the address can compute it).
pub fn mbox_sha1sum(mailto: &str) -> String {
    hex::encode(Sha1::digest(mailto.as_bytes()))
}

/// What `unmatched` records for an actor that matched no student: never a raw identifier. Email
/// addresses, account names and OpenIDs are replaced by the hex SHA-256 of the identifier (an
/// admin can hash a candidate to find it); an account keeps its home page, so a wrong
/// `xapi.account_home_page` shows; `mbox_sha1sum` is already a hash.
pub fn unmatched_actor_value(key: &IfiKey) -> String {
    let hash = |text: &str| hex::encode(Sha256::digest(text.as_bytes()));
    let text = key.as_str();
    if let Some((home, name)) = key.account() {
        format!("account {home} sha256:{}", hash(name))
    } else if let Some(mailto) = text.strip_prefix("mbox:") {
        format!("mbox sha256:{}", hash(&mailto.to_lowercase()))
    } else if let Some(openid) = text.strip_prefix("openid:") {
        format!("openid sha256:{}", hash(openid))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn index() -> RosterIndex {
        let rows = RosterRows {
            students: vec![
                ("stu-1".into(), "pk1".into(), Some("Ann.Lee@School.example".into())),
                ("stu-2".into(), "pk2".into(), None),
            ],
            classes: vec!["cls-6a".into()],
            items: vec![("https://items.example/item/1".into(), "https://items.example/quiz/1".into())],
        };
        RosterIndex::new([1, 2, 3, 4], rows, "https://sis.lantern.example/")
    }

    #[test]
    fn actors_match_by_account_or_email() {
        let ix = index();
        let key = |s: &str| IfiKey::parse(s).unwrap();
        assert_eq!(
            ix.match_actor(Some(&key("account:https://sis.lantern.example|stu-2"))),
            ActorMatch::Student("pk2".into())
        );
        assert_eq!(ix.match_actor(Some(&key("mbox:mailto:ann.lee@school.example"))), ActorMatch::Student("pk1".into()));
        let other_home = ix.match_actor(Some(&key("account:https://lms.example|stu-2")));
        let ActorMatch::Unmatched(value) = other_home else { panic!("must not match another home page") };
        assert!(value.starts_with("account https://lms.example sha256:") && !value.contains("stu-2"), "{value}");
        let ActorMatch::Unmatched(value) = ix.match_actor(Some(&key("mbox:mailto:bob@school.example"))) else {
            panic!("unknown email")
        };
        assert_eq!(value, format!("mbox sha256:{}", hex::encode(Sha256::digest(b"mailto:bob@school.example"))));
        assert!(!value.contains("bob"));
        assert_eq!(ix.match_actor(None), ActorMatch::Unmatched("anonymous group".into()));
    }

    #[test]
    fn actors_match_by_mbox_sha1sum_of_the_roster_email() {
        let ix = index();
        // `printf %s mailto:test@beta.projecttincan.com | sha1sum`
        assert_eq!(mbox_sha1sum("mailto:test@beta.projecttincan.com"), "dc39c1c5d822bcb2fdd67fd89ba184b5681a8082");
        let key = |mailto: &str| IfiKey::parse(&format!("mbox_sha1sum:{}", mbox_sha1sum(mailto))).unwrap();
        for spelling in
            ["mailto:Ann.Lee@School.example", "mailto:Ann.Lee@school.example", "mailto:ann.lee@school.example"]
        {
            assert_eq!(ix.match_actor(Some(&key(spelling))), ActorMatch::Student("pk1".into()), "{spelling}");
        }
        let unknown = key("mailto:bob@school.example");
        assert_eq!(ix.match_actor(Some(&unknown)), ActorMatch::Unmatched(unknown.to_string()));
        assert_eq!(
            ix.match_actor(Some(&key("ann.lee@school.example"))),
            ActorMatch::Unmatched(key("ann.lee@school.example").to_string()),
            "the hash covers the mailto: scheme"
        );
    }

    #[test]
    fn classes_and_items() {
        let ix = index();
        assert_eq!(ix.class_sourced_id("https://sis.lantern.example/classes/cls-6a"), Some("cls-6a"));
        assert_eq!(ix.class_sourced_id("https://sis.lantern.example/classes/"), None);
        assert_eq!(ix.class_sourced_id("https://other.example/classes/cls-6a"), None);
        assert!(ix.has_class("cls-6a") && !ix.has_class("cls-9z"));
        assert_eq!(ix.item_quiz("https://items.example/item/1"), Some("https://items.example/quiz/1"));
        assert_eq!(ix.item_quiz("https://items.example/item/2"), None);
    }
}
