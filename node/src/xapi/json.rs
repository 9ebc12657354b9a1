//! Typed access to `serde_json::Value`s with errors that name the path: the small vocabulary every
//! validator in this module is written in (strings, IRIs, UUIDs, language maps, extensions).

use serde_json::{Map, Value};
use uuid::Uuid;

use super::datatypes::{is_iri, parse_uuid};
use super::error::XapiError;
use super::language_tag::is_language_tag;
use super::path::Path;

pub(crate) type Object = Map<String, Value>;

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

pub(crate) fn expect_object<'v>(
    value: &'v Value,
    path: &Path<'_>,
    what: &str,
) -> Result<&'v Object, XapiError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(XapiError::at(path, format!("must be {what} (an object), found {}", type_name(other)))),
    }
}

pub(crate) fn expect_object_mut<'v>(
    value: &'v mut Value,
    path: &Path<'_>,
    what: &str,
) -> Result<&'v mut Object, XapiError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(XapiError::at(path, format!("must be {what} (an object), found {}", type_name(other)))),
    }
}

pub(crate) fn expect_array<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v Vec<Value>, XapiError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(XapiError::at(path, format!("must be an array, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_str<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v str, XapiError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(XapiError::at(path, format!("must be a string, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_bool(value: &Value, path: &Path<'_>) -> Result<bool, XapiError> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(XapiError::at(path, format!("must be true or false, found {}", type_name(other)))),
    }
}

pub(crate) fn expect_number(value: &Value, path: &Path<'_>) -> Result<f64, XapiError> {
    match value.as_f64() {
        Some(n) if value.is_number() => Ok(n),
        _ => Err(XapiError::at(path, format!("must be a number, found {}", type_name(value)))),
    }
}

pub(crate) fn expect_iri<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v str, XapiError> {
    let text = expect_str(value, path)?;
    if is_iri(text) {
        Ok(text)
    } else {
        Err(XapiError::at(path, format!("must be an absolute IRI with a scheme, found {}", quoted(text))))
    }
}

pub(crate) fn expect_uuid(value: &Value, path: &Path<'_>) -> Result<Uuid, XapiError> {
    let text = expect_str(value, path)?;
    parse_uuid(text).ok_or_else(|| {
        XapiError::at(path, format!("must be a UUID in standard form (8-4-4-4-12 hex digits), found {}", quoted(text)))
    })
}

/// The error for a property the specification does not allow in this object.
pub(crate) fn unknown_property(path: &Path<'_>, key: &str, what: &str, allowed: &[&str]) -> XapiError {
    XapiError::at(
        path,
        format!("unknown property {} ({what} may have: {})", quoted(key), allowed.join(", ")),
    )
}

/// A language map: keys are RFC 5646 tags, values strings.
pub(crate) fn validate_language_map(value: &Value, path: &Path<'_>) -> Result<(), XapiError> {
    let map = expect_object(value, path, "a language map")?;
    for (tag, text) in map {
        if !is_language_tag(tag) {
            return Err(XapiError::at(path, format!("{} is not an RFC 5646 language tag", quoted(tag))));
        }
        expect_str(text, &path.key(tag))?;
    }
    Ok(())
}

/// An extensions map: keys are IRIs; values are anything, null included (the LRS must not reject
/// a statement because of extension values).
pub(crate) fn validate_extensions(value: &Value, path: &Path<'_>) -> Result<(), XapiError> {
    let map = expect_object(value, path, "an extensions map")?;
    for key in map.keys() {
        if !is_iri(key) {
            return Err(XapiError::at(path, format!("extension key {} is not an absolute IRI", quoted(key))));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_cuts_long_values() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let long = "x".repeat(100);
        let q = quoted(&long);
        assert!(q.ends_with('…'));
        assert_eq!(q.chars().filter(|c| *c == 'x').count(), 60);
    }

    #[test]
    fn numbers_are_not_strings_and_strings_are_not_numbers() {
        let p = Path::Root("x");
        assert_eq!(expect_number(&json!(1.5), &p), Ok(1.5));
        assert_eq!(
            expect_number(&json!("1.5"), &p).unwrap_err().message,
            "x: must be a number, found a string"
        );
        assert_eq!(expect_bool(&json!("true"), &p).unwrap_err().message, "x: must be true or false, found a string");
        assert_eq!(expect_str(&Value::Null, &p).unwrap_err().message, "x: must be a string, found null");
    }

    #[test]
    fn language_maps_check_tags_and_values() {
        let p = Path::Root("display");
        assert!(validate_language_map(&json!({"en-US": "answered", "es": "respondió"}), &p).is_ok());
        assert_eq!(
            validate_language_map(&json!({"en_US": "answered"}), &p).unwrap_err().message,
            "display: \"en_US\" is not an RFC 5646 language tag"
        );
        assert_eq!(
            validate_language_map(&json!({"en": 3}), &p).unwrap_err().message,
            "display.en: must be a string, found a number"
        );
    }

    #[test]
    fn extension_values_may_be_anything_but_keys_are_iris() {
        let p = Path::Root("extensions");
        assert!(validate_extensions(&json!({"http://x.example/e": null}), &p).is_ok());
        assert_eq!(
            validate_extensions(&json!({"height": 3}), &p).unwrap_err().message,
            "extensions: extension key \"height\" is not an absolute IRI"
        );
    }
}
