//! A statement's `result` (Part 2 §2.4.5): score bounds, success, completion, response and an ISO
//! 8601 duration, read into typed facts the node uses.

use super::error::XapiError;
use super::json::{expect_bool, expect_number, expect_object, expect_str, fields, quoted, validate_extensions, Json};
use super::path::Path;
use super::time::parse_duration_seconds;

/// The typed content of a `result`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultFacts {
    pub success: Option<bool>,
    pub completion: Option<bool>,
    pub response: Option<String>,
    /// In [-1, 1].
    pub score_scaled: Option<f64>,
    /// Between `score_min` and `score_max` where those are given.
    pub score_raw: Option<f64>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    /// The duration in seconds (years and months counted as 365 and 30 days).
    pub duration_seconds: Option<f64>,
}

pub(crate) fn validate_result(value: &Json<'_>, path: &Path<'_>) -> Result<ResultFacts, XapiError> {
    let properties = expect_object(value, path, "a Result")?;
    let [score, success, completion, response, duration, extensions] = fields(
        properties,
        path,
        "a Result",
        ["score", "success", "completion", "response", "duration", "extensions"],
        6,
    )?;
    let mut facts = ResultFacts::default();
    if let Some(score) = score {
        validate_score(score, &path.key("score"), &mut facts)?;
    }
    if let Some(success) = success {
        facts.success = Some(expect_bool(success, &path.key("success"))?);
    }
    if let Some(completion) = completion {
        facts.completion = Some(expect_bool(completion, &path.key("completion"))?);
    }
    if let Some(response) = response {
        facts.response = Some(expect_str(response, &path.key("response"))?.to_string());
    }
    if let Some(duration) = duration {
        let duration_path = path.key("duration");
        let text = expect_str(duration, &duration_path)?;
        let seconds = parse_duration_seconds(text).ok_or_else(|| {
            XapiError::at(
                &duration_path,
                format!("must be an ISO 8601 duration such as \"PT42S\" or \"PT1H30M\", found {}", quoted(text)),
            )
        })?;
        facts.duration_seconds = Some(seconds);
    }
    if let Some(extensions) = extensions {
        validate_extensions(extensions, &path.key("extensions"))?;
    }
    Ok(facts)
}

fn validate_score(value: &Json<'_>, path: &Path<'_>, facts: &mut ResultFacts) -> Result<(), XapiError> {
    let properties = expect_object(value, path, "a Score")?;
    let names = ["scaled", "raw", "min", "max"];
    let values = fields(properties, path, "a Score", names, 4)?;
    let mut numbers = [None; 4];
    for ((name, value), number) in names.iter().zip(values).zip(&mut numbers) {
        if let Some(value) = value {
            *number = Some(expect_number(value, &path.key(name))?);
        }
    }
    [facts.score_scaled, facts.score_raw, facts.score_min, facts.score_max] = numbers;
    if let Some(scaled) = facts.score_scaled {
        if !(-1.0..=1.0).contains(&scaled) {
            return Err(XapiError::at(&path.key("scaled"), format!("must be between -1 and 1, found {scaled}")));
        }
    }
    if let (Some(min), Some(max)) = (facts.score_min, facts.score_max) {
        if min >= max {
            return Err(XapiError::at(path, format!("min ({min}) must be less than max ({max})")));
        }
    }
    if let Some(raw) = facts.score_raw {
        let below = facts.score_min.is_some_and(|min| raw < min);
        let above = facts.score_max.is_some_and(|max| raw > max);
        if below || above {
            let bound = |b: Option<f64>| b.map_or("none".to_string(), |b| b.to_string());
            return Err(XapiError::at(
                &path.key("raw"),
                format!(
                    "must be between min and max, found {raw} (min {}, max {})",
                    bound(facts.score_min),
                    bound(facts.score_max)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::xapi::json::on_tree;
    use serde_json::json;

    fn result(value: serde_json::Value) -> Result<ResultFacts, String> {
        on_tree(&value, |tree| validate_result(tree, &Path::Root("result")).map_err(|e| e.message))
    }

    #[test]
    fn a_full_result_is_read() {
        let facts = result(json!({
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": true, "completion": false, "response": "b", "duration": "PT1M30S",
            "extensions": {"https://lantern.example/ext/hint-used": true}
        }))
        .unwrap();
        assert_eq!(facts.score_scaled, Some(0.5));
        assert_eq!(facts.score_raw, Some(5.0));
        assert_eq!(facts.success, Some(true));
        assert_eq!(facts.completion, Some(false));
        assert_eq!(facts.response.as_deref(), Some("b"));
        assert_eq!(facts.duration_seconds, Some(90.0));
    }

    #[test]
    fn scores_must_respect_their_bounds() {
        let cases = [
            (json!({"score": {"scaled": 1.5}}), "result.score.scaled: must be between -1 and 1, found 1.5"),
            (json!({"score": {"scaled": -1.01}}), "result.score.scaled: must be between -1 and 1, found -1.01"),
            (json!({"score": {"min": 5, "max": 3}}), "result.score: min (5) must be less than max (3)"),
            (json!({"score": {"min": 5, "max": 5}}), "result.score: min (5) must be less than max (5)"),
            (
                json!({"score": {"raw": 11, "min": 0, "max": 10}}),
                "result.score.raw: must be between min and max, found 11 (min 0, max 10)",
            ),
            (
                json!({"score": {"raw": -1, "min": 0}}),
                "result.score.raw: must be between min and max, found -1 (min 0, max none)",
            ),
            (json!({"score": {"scaled": "0.5"}}), "result.score.scaled: must be a number, found a string"),
            (
                json!({"score": {"percent": 50}}),
                "result.score: unknown property \"percent\" (a Score may have: scaled, raw, min, max)",
            ),
        ];
        for (value, message) in cases {
            assert_eq!(result(value).unwrap_err(), message);
        }
        assert!(result(json!({"score": {"scaled": -1, "raw": 0, "min": 0, "max": 1}})).is_ok());
        assert!(result(json!({"score": {"raw": 1000}})).is_ok());
    }

    #[test]
    fn other_result_errors() {
        let cases = [
            (json!({"success": "true"}), "result.success: must be true or false, found a string"),
            (json!({"completion": 1}), "result.completion: must be true or false, found a number"),
            (json!({"response": 2}), "result.response: must be a string, found a number"),
            (json!({"duration": "42 seconds"}), "result.duration: must be an ISO 8601 duration such as \"PT42S\" or \"PT1H30M\", found \"42 seconds\""),
            (json!({"extensions": {"hint": 1}}), "result.extensions: extension key \"hint\" is not an absolute IRI"),
            (json!({"passed": true}), "result: unknown property \"passed\" (a Result may have: score, success, completion, response, duration, extensions)"),
            (json!([]), "result: must be a Result (an object), found an array"),
        ];
        for (value, message) in cases {
            assert_eq!(result(value).unwrap_err(), message);
        }
    }
}
