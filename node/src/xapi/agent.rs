//! Agents and Groups (Part 2 §2.4.2): exactly one inverse functional identifier (IFI) per Agent
//! and identified Group, anonymous Groups with members, and the canonical IFI key the node stores
//! and matches on (`mbox:mailto:x@y`, `account:https://home|name`, ...).

use std::fmt;

use super::datatypes::{canonical_mailto, is_iri, is_mailto_iri, is_sha1_hex, is_uri};
use super::error::XapiError;
use super::json::{expect_array, expect_object, expect_str, fields, quoted, type_name, Json, Properties};
use super::path::Path;

/// An inverse functional identifier as one canonical string:
/// `mbox:mailto:ann@school.example` (domain lower-cased), `mbox_sha1sum:<40 lowercase hex>`,
/// `openid:<uri>` or `account:<homePage>|<name>`. Two Agents are the same Agent exactly when their
/// keys are equal. (`|` cannot occur in an IRI, so the account form splits unambiguously.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfiKey(String);

impl IfiKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `(homePage, name)` of an account IFI; `None` for the other kinds.
    pub fn account(&self) -> Option<(&str, &str)> {
        self.0.strip_prefix("account:")?.split_once('|')
    }

    /// Reads a key back from its string form (e.g. out of a paging cursor), checking it.
    pub fn parse(text: &str) -> Option<IfiKey> {
        let (kind, value) = text.split_once(':')?;
        let ok = match kind {
            "mbox" => is_mailto_iri(value) && canonical_mailto(value) == value,
            "mbox_sha1sum" => is_sha1_hex(value) && !value.bytes().any(|b| b.is_ascii_uppercase()),
            "openid" => is_uri(value),
            "account" => value.split_once('|').is_some_and(|(home, name)| is_iri(home) && !name.is_empty()),
            _ => false,
        };
        ok.then(|| IfiKey(text.to_string()))
    }
}

impl fmt::Display for IfiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a statement is about (or, as its object, who was acted on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Agent(IfiKey),
    /// An identified Group has an `ifi`; an anonymous Group has none and is known by its members.
    Group {
        ifi: Option<IfiKey>,
        members: Vec<IfiKey>,
    },
}

impl Actor {
    /// The IFI of an Agent or identified Group; `None` for an anonymous Group.
    pub fn ifi(&self) -> Option<&IfiKey> {
        match self {
            Actor::Agent(key) => Some(key),
            Actor::Group { ifi, .. } => ifi.as_ref(),
        }
    }

    /// The Group's members (empty for an Agent).
    pub fn members(&self) -> &[IfiKey] {
        match self {
            Actor::Agent(_) => &[],
            Actor::Group { members, .. } => members,
        }
    }
}

/// The IFI properties, in the order they are named in error messages.
pub(crate) const IFI_PROPERTIES: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// Validates an Agent or Group (`objectType` optional, meaning Agent), e.g. `actor`.
pub(crate) fn validate_actor(value: &Json<'_>, path: &Path<'_>) -> Result<Actor, XapiError> {
    let properties = expect_object(value, path, "an Agent or Group")?;
    match value.get("objectType") {
        None => validate_agent_object(properties, path).map(Actor::Agent),
        Some(Json::String(kind)) if kind == "Agent" => validate_agent_object(properties, path).map(Actor::Agent),
        Some(Json::String(kind)) if kind == "Group" => validate_group_object(properties, path),
        Some(other) => Err(bad_object_type(other, path, "\"Agent\" or \"Group\"")),
    }
}

/// Validates a Group (`objectType` must be `"Group"`), e.g. `context.team`.
pub(crate) fn validate_group(value: &Json<'_>, path: &Path<'_>) -> Result<Actor, XapiError> {
    let properties = expect_object(value, path, "a Group")?;
    match value.get("objectType") {
        Some(Json::String(kind)) if kind == "Group" => validate_group_object(properties, path),
        None => Err(XapiError::at(path, "a Group must have objectType \"Group\"")),
        Some(other) => Err(bad_object_type(other, path, "\"Group\"")),
    }
}

/// Validates an Agent (`objectType` absent or `"Agent"`), e.g. a Group member.
pub(crate) fn validate_agent(value: &Json<'_>, path: &Path<'_>) -> Result<IfiKey, XapiError> {
    let properties = expect_object(value, path, "an Agent")?;
    match value.get("objectType") {
        None => validate_agent_object(properties, path),
        Some(Json::String(kind)) if kind == "Agent" => validate_agent_object(properties, path),
        Some(Json::String(kind)) if kind == "Group" => {
            Err(XapiError::at(path, "a Group's members must be Agents, not Groups"))
        }
        Some(other) => Err(bad_object_type(other, path, "\"Agent\"")),
    }
}

pub(crate) fn bad_object_type(found: &Json<'_>, path: &Path<'_>, expected: &str) -> XapiError {
    let path = path.key("objectType");
    match found {
        Json::String(s) => XapiError::at(&path, format!("must be {expected}, found {}", quoted(s))),
        other => XapiError::at(&path, format!("must be {expected}, found {}", type_name(other))),
    }
}

fn validate_agent_object(properties: &Properties<'_>, path: &Path<'_>) -> Result<IfiKey, XapiError> {
    let [_, name, mbox, sha1, openid, account, member] = fields(
        properties,
        path,
        "an Agent",
        ["objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member"],
        6,
    )?;
    if member.is_some() {
        return Err(XapiError::at(path, "an Agent cannot have members (only a Group can)"));
    }
    if let Some(name) = name {
        expect_str(name, &path.key("name"))?;
    }
    match ifi(path, "an Agent", [mbox, sha1, openid, account])? {
        Some(key) => Ok(key),
        None => Err(XapiError::at(path, "an Agent must have exactly one inverse functional identifier, found 0")),
    }
}

fn validate_group_object(properties: &Properties<'_>, path: &Path<'_>) -> Result<Actor, XapiError> {
    let [_, name, member, mbox, sha1, openid, account] = fields(
        properties,
        path,
        "a Group",
        ["objectType", "name", "member", "mbox", "mbox_sha1sum", "openid", "account"],
        7,
    )?;
    if let Some(name) = name {
        expect_str(name, &path.key("name"))?;
    }
    let ifi = ifi(path, "an identified Group", [mbox, sha1, openid, account])?;
    let mut members = Vec::new();
    if let Some(list) = member {
        let member_path = path.key("member");
        let list = expect_array(list, &member_path)?;
        members.reserve(list.len());
        for (i, member) in list.iter().enumerate() {
            members.push(validate_agent(member, &member_path.index(i))?);
        }
    }
    if ifi.is_none() {
        if member.is_none() {
            return Err(XapiError::at(
                path,
                "an anonymous Group (one without an inverse functional identifier) must list its members",
            ));
        }
        if members.is_empty() {
            return Err(XapiError::at(&path.key("member"), "an anonymous Group must have at least one member"));
        }
    }
    Ok(Actor::Group { ifi, members })
}

/// The one IFI among the values of `mbox`, `mbox_sha1sum`, `openid` and `account`, or `None`;
/// more than one is an error. `kind` names the object in the message.
fn ifi(path: &Path<'_>, kind: &str, values: [Option<&Json<'_>>; 4]) -> Result<Option<IfiKey>, XapiError> {
    let present: Vec<usize> = (0..4).filter(|&i| values[i].is_some()).collect();
    let (property, value) = match present.as_slice() {
        [] => return Ok(None),
        [one] => (IFI_PROPERTIES[*one], values[*one]),
        many => {
            let names: Vec<&str> = many.iter().map(|&i| IFI_PROPERTIES[i]).collect();
            return Err(XapiError::at(
                path,
                format!(
                    "{kind} must have exactly one inverse functional identifier, found {} ({})",
                    many.len(),
                    names.join(", ")
                ),
            ));
        }
    };
    let Some(value) = value else {
        return Ok(None);
    };
    let value_path = path.key(property);
    let key = match property {
        "mbox" => {
            let mbox = expect_str(value, &value_path)?;
            if !is_mailto_iri(mbox) {
                return Err(XapiError::at(&value_path, "must be a mailto: IRI such as \"mailto:name@example.com\""));
            }
            format!("mbox:{}", canonical_mailto(mbox))
        }
        "mbox_sha1sum" => {
            let sum = expect_str(value, &value_path)?;
            if !is_sha1_hex(sum) {
                return Err(XapiError::at(&value_path, "must be a SHA-1 sum of 40 hex digits"));
            }
            format!("mbox_sha1sum:{}", sum.to_ascii_lowercase())
        }
        "openid" => {
            let uri = expect_str(value, &value_path)?;
            if !is_uri(uri) {
                return Err(XapiError::at(&value_path, "must be an absolute URI"));
            }
            format!("openid:{uri}")
        }
        _ => account_key(value, &value_path)?,
    };
    Ok(Some(IfiKey(key)))
}

fn account_key(value: &Json<'_>, path: &Path<'_>) -> Result<String, XapiError> {
    let properties = expect_object(value, path, "an account")?;
    let [home_page, name] = fields(properties, path, "an account", ["homePage", "name"], 2)?;
    let home_page = match home_page {
        Some(home) => {
            let home_path = path.key("homePage");
            let home = expect_str(home, &home_path)?;
            if !is_iri(home) {
                return Err(XapiError::at(&home_path, format!("must be an IRL with a scheme, found {}", quoted(home))));
            }
            home
        }
        None => return Err(XapiError::at(path, "an account must have a homePage")),
    };
    let name = match name {
        Some(name) => {
            let text = expect_str(name, &path.key("name"))?;
            if text.is_empty() {
                return Err(XapiError::at(&path.key("name"), "must not be empty"));
            }
            text
        }
        None => return Err(XapiError::at(path, "an account must have a name")),
    };
    Ok(format!("account:{home_page}|{name}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::xapi::json::on_tree;
    use serde_json::json;

    fn actor(value: serde_json::Value) -> Result<Actor, String> {
        on_tree(&value, |tree| validate_actor(tree, &Path::Root("actor")).map_err(|e| e.message))
    }

    #[test]
    fn each_ifi_kind_gives_its_canonical_key() {
        let key = |v| actor(v).unwrap().ifi().unwrap().to_string();
        assert_eq!(key(json!({"mbox": "mailto:Ann@School.Example"})), "mbox:mailto:Ann@school.example");
        assert_eq!(
            key(json!({"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"})),
            "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
        );
        assert_eq!(key(json!({"openid": "http://toby.openid.example.org/"})), "openid:http://toby.openid.example.org/");
        let account =
            key(json!({"objectType": "Agent", "account": {"homePage": "https://sis.example", "name": "s-1"}}));
        assert_eq!(account, "account:https://sis.example|s-1");
        assert_eq!(IfiKey::parse(&account).unwrap().account(), Some(("https://sis.example", "s-1")));
    }

    #[test]
    fn ifi_keys_parse_only_canonical_forms() {
        assert!(IfiKey::parse("mbox:mailto:a@b.example").is_some());
        assert!(IfiKey::parse("mbox:mailto:a@B.example").is_none());
        assert!(IfiKey::parse("mbox_sha1sum:EBD31E95054C018B10727CCFFD2EF2EC3A016EE9").is_none());
        assert!(IfiKey::parse("account:https://h.example|").is_none());
        assert!(IfiKey::parse("phone:123").is_none());
    }

    #[test]
    fn agents_need_exactly_one_ifi() {
        assert_eq!(
            actor(json!({"name": "Ann"})).unwrap_err(),
            "actor: an Agent must have exactly one inverse functional identifier, found 0"
        );
        assert_eq!(
            actor(json!({"mbox": "mailto:a@b.example", "account": {"homePage": "https://h.example", "name": "a"}}))
                .unwrap_err(),
            "actor: an Agent must have exactly one inverse functional identifier, found 2 (mbox, account)"
        );
    }

    #[test]
    fn groups_are_identified_or_anonymous() {
        let identified = actor(json!({"objectType": "Group", "mbox": "mailto:team@b.example"})).unwrap();
        assert_eq!(identified.ifi().unwrap().as_str(), "mbox:mailto:team@b.example");
        let anonymous = actor(json!({"objectType": "Group", "member": [{"mbox": "mailto:a@b.example"}]})).unwrap();
        assert_eq!(anonymous.ifi(), None);
        assert_eq!(anonymous.members().len(), 1);

        assert_eq!(
            actor(json!({"objectType": "Group", "name": "x"})).unwrap_err(),
            "actor: an anonymous Group (one without an inverse functional identifier) must list its members"
        );
        assert_eq!(
            actor(json!({"objectType": "Group", "member": []})).unwrap_err(),
            "actor.member: an anonymous Group must have at least one member"
        );
        assert_eq!(
            actor(json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@b.example"}]}))
                .unwrap_err(),
            "actor.member[0]: a Group's members must be Agents, not Groups"
        );
        assert_eq!(
            actor(json!({"objectType": "Group", "openid": "http://x.example/", "mbox": "mailto:g@b.example"}))
                .unwrap_err(),
            "actor: an identified Group must have exactly one inverse functional identifier, found 2 (mbox, openid)"
        );
    }

    #[test]
    fn malformed_identifiers_are_rejected_without_echoing_them() {
        let err = actor(json!({"mbox": "ann@school.example"})).unwrap_err();
        assert_eq!(err, "actor.mbox: must be a mailto: IRI such as \"mailto:name@example.com\"");
        assert!(!err.contains("ann@"));
        assert_eq!(
            actor(json!({"mbox_sha1sum": "abc"})).unwrap_err(),
            "actor.mbox_sha1sum: must be a SHA-1 sum of 40 hex digits"
        );
        assert_eq!(actor(json!({"openid": "toby"})).unwrap_err(), "actor.openid: must be an absolute URI");
        assert_eq!(
            actor(json!({"account": {"homePage": "sis.example", "name": "a"}})).unwrap_err(),
            "actor.account.homePage: must be an IRL with a scheme, found \"sis.example\""
        );
        assert_eq!(
            actor(json!({"account": {"name": "a"}})).unwrap_err(),
            "actor.account: an account must have a homePage"
        );
        assert_eq!(
            actor(json!({"account": {"homePage": "https://h.example", "name": "a", "id": 1}})).unwrap_err(),
            "actor.account: unknown property \"id\" (an account may have: homePage, name)"
        );
        assert_eq!(
            actor(json!({"objectType": "agent", "mbox": "mailto:a@b.example"})).unwrap_err(),
            "actor.objectType: must be \"Agent\" or \"Group\", found \"agent\""
        );
        assert_eq!(
            actor(json!({"mbox": "mailto:a@b.example", "member": []})).unwrap_err(),
            "actor: an Agent cannot have members (only a Group can)"
        );
        assert_eq!(
            actor(json!({"mbox": "mailto:a@b.example", "name": null})).unwrap_err(),
            "actor.name: must be a string, found null"
        );
    }
}
