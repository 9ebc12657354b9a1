//! A borrowed JSON tree and typed access to it with errors that name the path: the vocabulary
//! every validator in this module is written in. The tree borrows strings from the request body
//! and keeps objects as vectors in document order, so parsing allocates little (validation speed
//! is dominated by JSON parsing) and repeated properties can be rejected.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use uuid::Uuid;

use super::datatypes::{is_iri, parse_uuid};
use super::error::XapiError;
use super::language_tag::is_language_tag;
use super::path::Path;

/// A parsed JSON value borrowing from its source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Properties in document order, duplicates kept (validators reject them).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

pub(crate) type Properties<'a> = [(Cow<'a, str>, Json<'a>)];

impl<'a> Json<'a> {
    /// Parses JSON text (serde_json's parser, with its nesting limit).
    pub(crate) fn parse(text: &'a str) -> Result<Json<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A property of an object (the first, if repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(properties) => properties.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A borrowed tree of a `serde_json::Value`.
    pub(crate) fn from_value(value: &'a serde_json::Value) -> Json<'a> {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Json::String(Cow::Borrowed(s)),
            Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Object(map) => {
                Json::Object(map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from_value(v))).collect())
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut properties = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(Key(key)) = map.next_key()? {
            properties.push((key, map.next_value()?));
        }
        Ok(Json::Object(properties))
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

pub(crate) fn type_name(value: &Json<'_>) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A value quoted for an error message, cut short so a huge value cannot flood the response.
pub(crate) fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    match text.char_indices().nth(MAX_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
    }
}

pub(crate) fn expect_object<'v, 'a>(
    value: &'v Json<'a>,
    path: &Path<'_>,
    what: &str,
) -> Result<&'v Properties<'a>, XapiError> {
    match value {
        Json::Object(properties) => Ok(properties),
        other => Err(XapiError::at(path, format!("must be {what} (an object), found {}", type_name(other)))),
    }
}

/// The properties an object may have, by name: `names[..listed]` are the allowed ones (listed in
/// the message for an unknown property); `names[listed..]` are known but forbidden here, returned
/// so the caller can explain why. A property given twice is an error (Part 2 §2.2: "A Statement
/// MUST use each property no more than one time").
pub(crate) fn fields<'v, 'a, const N: usize>(
    properties: &'v Properties<'a>,
    path: &Path<'_>,
    what: &str,
    names: [&str; N],
    listed: usize,
) -> Result<[Option<&'v Json<'a>>; N], XapiError> {
    let mut found = [None; N];
    for (key, value) in properties {
        match names.iter().position(|name| name == key) {
            Some(i) if found[i].is_some() => {
                return Err(XapiError::at(path, format!("property {} is given more than once", quoted(key))))
            }
            Some(i) => found[i] = Some(value),
            None => {
                return Err(XapiError::at(
                    path,
                    format!("unknown property {} ({what} may have: {})", quoted(key), names[..listed].join(", ")),
                ))
            }
        }
    }
    Ok(found)
}

pub(crate) fn expect_array<'v, 'a>(value: &'v Json<'a>, path: &Path<'_>) -> Result<&'v [Json<'a>], XapiError> {
    match value {
        Json::Array(items) => Ok(items),
        other => Err(XapiError::at(path, format!("must be an array, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_str<'v>(value: &'v Json<'_>, path: &Path<'_>) -> Result<&'v str, XapiError> {
    match value {
        Json::String(s) => Ok(s),
        other => Err(XapiError::at(path, format!("must be a string, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_bool(value: &Json<'_>, path: &Path<'_>) -> Result<bool, XapiError> {
    match value {
        Json::Bool(b) => Ok(*b),
        other => Err(XapiError::at(path, format!("must be true or false, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_number(value: &Json<'_>, path: &Path<'_>) -> Result<f64, XapiError> {
    match value {
        Json::Number(n) => Ok(*n),
        other => Err(XapiError::at(path, format!("must be a number, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_iri<'v>(value: &'v Json<'_>, path: &Path<'_>) -> Result<&'v str, XapiError> {
    let text = expect_str(value, path)?;
    if is_iri(text) {
        Ok(text)
    } else {
        Err(XapiError::at(path, format!("must be an absolute IRI with a scheme, found {}", quoted(text))))
    }
}

pub(crate) fn expect_uuid(value: &Json<'_>, path: &Path<'_>) -> Result<Uuid, XapiError> {
    let text = expect_str(value, path)?;
    parse_uuid(text).ok_or_else(|| {
        XapiError::at(path, format!("must be a UUID in standard form (8-4-4-4-12 hex digits), found {}", quoted(text)))
    })
}

/// A language map: keys are RFC 5646 tags, values strings.
pub(crate) fn validate_language_map(value: &Json<'_>, path: &Path<'_>) -> Result<(), XapiError> {
    for (tag, text) in expect_object(value, path, "a language map")? {
        if !is_language_tag(tag) {
            return Err(XapiError::at(path, format!("{} is not an RFC 5646 language tag", quoted(tag))));
        }
        expect_str(text, &path.key(tag))?;
    }
    Ok(())
}

/// An extensions map: keys are IRIs; values are anything, null included (the LRS must not reject
/// a statement because of extension values).
pub(crate) fn validate_extensions(value: &Json<'_>, path: &Path<'_>) -> Result<(), XapiError> {
    for (key, _) in expect_object(value, path, "an extensions map")? {
        if !is_iri(key) {
            return Err(XapiError::at(path, format!("extension key {} is not an absolute IRI", quoted(key))));
        }
    }
    Ok(())
}

/// Runs `check` on the borrowed tree of a `serde_json::Value` (tests write inputs with `json!`).
#[cfg(test)]
pub(crate) fn on_tree<R>(value: &serde_json::Value, check: impl FnOnce(&Json<'_>) -> R) -> R {
    check(&Json::from_value(value))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_tree_borrows_plain_strings_and_keeps_order_and_duplicates() {
        let text = r#"{"b": "plain", "a": "esc\"aped", "b": [1, 2.5, null, true]}"#;
        let Json::Object(properties) = Json::parse(text).unwrap() else {
            panic!("an object");
        };
        let keys: Vec<&str> = properties.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert!(matches!(&properties[0].1, Json::String(Cow::Borrowed("plain"))));
        assert!(matches!(&properties[1].1, Json::String(Cow::Owned(s)) if s == "esc\"aped"));
        assert_eq!(
            properties[2].1,
            Json::Array(vec![Json::Number(1.0), Json::Number(2.5), Json::Null, Json::Bool(true)])
        );
        assert_eq!(Json::from_value(&json!({"x": [1, "y"]})), Json::parse(r#"{"x": [1, "y"]}"#).unwrap());
    }

    #[test]
    fn fields_reject_unknown_and_repeated_properties() {
        let p = Path::Root("verb");
        let parse = |text: &'static str| Json::parse(text).unwrap();
        let verb = parse(r#"{"id": "http://x.example/v"}"#);
        let [id, display] =
            fields(expect_object(&verb, &p, "a Verb").unwrap(), &p, "a Verb", ["id", "display"], 2).unwrap();
        assert_eq!(id.and_then(Json::as_str), Some("http://x.example/v"));
        assert!(display.is_none());

        let twice = parse(r#"{"id": "http://x.example/v", "id": "http://x.example/w"}"#);
        let error =
            fields(expect_object(&twice, &p, "a Verb").unwrap(), &p, "a Verb", ["id", "display"], 2).unwrap_err();
        assert_eq!(error.message, "verb: property \"id\" is given more than once");

        let unknown = parse(r#"{"name": 1}"#);
        let error = fields(expect_object(&unknown, &p, "a Verb").unwrap(), &p, "a Verb", ["id", "display", "name"], 2);
        assert!(error.is_ok(), "known-but-forbidden names are returned to the caller");
        let error =
            fields(expect_object(&unknown, &p, "a Verb").unwrap(), &p, "a Verb", ["id", "display"], 2).unwrap_err();
        assert_eq!(error.message, "verb: unknown property \"name\" (a Verb may have: id, display)");
    }

    #[test]
    fn quoting_cuts_long_values() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let q = quoted(&"x".repeat(100));
        assert!(q.ends_with('…'));
        assert_eq!(q.chars().filter(|c| *c == 'x').count(), 60);
    }

    #[test]
    fn numbers_are_not_strings_and_strings_are_not_numbers() {
        let p = Path::Root("x");
        on_tree(&json!(1.5), |v| assert_eq!(expect_number(v, &p), Ok(1.5)));
        on_tree(&json!("1.5"), |v| {
            assert_eq!(expect_number(v, &p).unwrap_err().message, "x: must be a number, found a string")
        });
        on_tree(&json!("true"), |v| {
            assert_eq!(expect_bool(v, &p).unwrap_err().message, "x: must be true or false, found a string")
        });
        on_tree(&json!(null), |v| {
            assert_eq!(expect_str(v, &p).unwrap_err().message, "x: must be a string, found null")
        });
    }

    #[test]
    fn language_maps_check_tags_and_values() {
        let p = Path::Root("display");
        on_tree(&json!({"en-US": "answered", "es": "respondió"}), |v| assert!(validate_language_map(v, &p).is_ok()));
        on_tree(&json!({"en_US": "answered"}), |v| {
            assert_eq!(
                validate_language_map(v, &p).unwrap_err().message,
                "display: \"en_US\" is not an RFC 5646 language tag"
            )
        });
        on_tree(&json!({"en": 3}), |v| {
            assert_eq!(
                validate_language_map(v, &p).unwrap_err().message,
                "display.en: must be a string, found a number"
            )
        });
    }

    #[test]
    fn extension_values_may_be_anything_but_keys_are_iris() {
        let p = Path::Root("extensions");
        on_tree(&json!({"http://x.example/e": null}), |v| assert!(validate_extensions(v, &p).is_ok()));
        on_tree(&json!({"height": 3}), |v| {
            assert_eq!(
                validate_extensions(v, &p).unwrap_err().message,
                "extensions: extension key \"height\" is not an absolute IRI"
            )
        });
    }
}
