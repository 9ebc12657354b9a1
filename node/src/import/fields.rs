//! Parsers for single field values (dates, instants, booleans, lists, enumerations, numbers).
//! Each returns the typed value or the reason it is wrong, worded for an error message.

use chrono::{DateTime, NaiveDate, Utc};

/// `YYYY-MM-DD`, a real calendar date.
pub(crate) fn date(text: &str) -> Result<NaiveDate, String> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("invalid date \"{text}\" (expected YYYY-MM-DD)"))
}

/// An ISO 8601 instant such as `2026-08-20T12:00:00.000Z` (any offset, converted to UTC); a
/// bare date is taken as midnight UTC, as some exports write one.
pub(crate) fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = date(text) {
        if let Some(midnight) = day.and_hms_opt(0, 0, 0) {
            return Ok(midnight.and_utc());
        }
    }
    Err(format!("invalid date-time \"{text}\" (expected ISO 8601 like 2026-08-20T12:00:00.000Z)"))
}

/// `true` or `false` (any letter case).
pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("expected true or false, found \"{text}\""))
    }
}

/// A comma-separated list inside one field; items trimmed, empty items skipped.
pub(crate) fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

/// One of `allowed` exactly as spelled, or an `ext:` extension value (OneRoster allows
/// extending vocabularies that way).
pub(crate) fn vocabulary(text: &str, what: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&text) || (text.starts_with("ext:") && text.len() > 4) {
        Ok(text.to_owned())
    } else {
        Err(format!("unknown {what} \"{text}\" (expected {} or ext:...)", allowed.join(", ")))
    }
}

/// A four-digit year.
pub(crate) fn year(text: &str) -> Result<i32, String> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| format!("invalid year \"{text}\" (expected YYYY)"))
    } else {
        Err(format!("invalid year \"{text}\" (expected YYYY)"))
    }
}

/// A finite decimal number.
pub(crate) fn number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("invalid number \"{text}\"")),
    }
}

/// A sourcedId or similar identifier: no control characters.
pub(crate) fn identifier(text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        Err(format!("identifier \"{}\" contains control characters", text.escape_debug()))
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_and_zero_padded() {
        assert_eq!(date("2026-09-03").map(|d| d.to_string()), Ok("2026-09-03".into()));
        assert_eq!(date("2026-02-30"), Err("invalid date \"2026-02-30\" (expected YYYY-MM-DD)".into()));
        assert!(date("2026-9-3").is_err());
        assert!(date("03/09/2026").is_err());
    }

    #[test]
    fn instants_accept_rfc3339_and_bare_dates() {
        let at = instant("2026-08-20T12:00:00.000Z").expect("valid");
        assert_eq!(at.to_rfc3339(), "2026-08-20T12:00:00+00:00");
        let shifted = instant("2026-08-20T14:00:00+02:00").expect("valid");
        assert_eq!(shifted, at);
        assert_eq!(instant("2026-08-20").expect("valid").to_rfc3339(), "2026-08-20T00:00:00+00:00");
        assert!(instant("yesterday").is_err());
    }

    #[test]
    fn booleans_lists_vocabularies_years_numbers() {
        assert_eq!(boolean("TRUE"), Ok(true));
        assert_eq!(boolean("yes"), Err("expected true or false, found \"yes\"".into()));
        assert_eq!(list(" 06, 07 ,,08"), ["06", "07", "08"]);
        assert!(list("").is_empty());
        assert_eq!(vocabulary("ext:campus", "org type", &["school"]), Ok("ext:campus".into()));
        assert_eq!(
            vocabulary("skool", "org type", &["school", "district"]),
            Err("unknown org type \"skool\" (expected school, district or ext:...)".into())
        );
        assert_eq!(year("2026"), Ok(2026));
        assert!(year("26").is_err());
        assert_eq!(number("2.5"), Ok(2.5));
        assert!(number("NaN").is_err());
        assert!(identifier("a\u{7}b").is_err());
    }
}
