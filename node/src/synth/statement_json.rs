//! The xAPI 1.0.3 JSON of a synthetic statement, written by hand into a byte buffer because
//! serde_json would dominate the time of writing 10M of them; a test pins it to a serde_json value.

use chrono::{Datelike, NaiveDateTime, Timelike};

use super::model::SIS_HOME_PAGE;
use super::statements::SynthStatement;

const VERB: &str = r#""verb":{"id":"http://adlnet.gov/expapi/verbs/answered","display":{"en-US":"answered"}},"#;
const OBJECT_DEFINITION: &str =
    r#""definition":{"type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice"}}"#;

impl SynthStatement<'_> {
    /// Appends the statement as one line of JSON (no trailing newline).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut uuid_buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        out.extend_from_slice(br#"{"id":""#);
        out.extend_from_slice(self.id.hyphenated().encode_lower(&mut uuid_buf).as_bytes());
        out.extend_from_slice(br#"","actor":{"objectType":"Agent","account":{"homePage":""#);
        out.extend_from_slice(SIS_HOME_PAGE.as_bytes());
        out.extend_from_slice(br#"","name":"#);
        push_string(out, self.student);
        out.extend_from_slice(b"}},");
        out.extend_from_slice(VERB.as_bytes());
        out.extend_from_slice(br#""object":{"objectType":"Activity","id":"#);
        push_string(out, self.item_id);
        out.push(b',');
        out.extend_from_slice(OBJECT_DEFINITION.as_bytes());
        out.extend_from_slice(br#","result":{"success":"#);
        out.extend_from_slice(if self.success { b"true" } else { b"false" });
        out.extend_from_slice(br#","response":""#);
        let mut char_buf = [0u8; 4];
        push_escaped(out, self.response.encode_utf8(&mut char_buf));
        out.extend_from_slice(br#"","duration":"PT"#);
        push_number(out, self.duration_seconds);
        out.extend_from_slice(br#"S"},"context":{"registration":""#);
        out.extend_from_slice(self.registration.hyphenated().encode_lower(&mut uuid_buf).as_bytes());
        out.extend_from_slice(br#"","contextActivities":{"grouping":[{"id":"#);
        push_string(out, self.activity_id);
        out.extend_from_slice(br#"},{"id":""#);
        out.extend_from_slice(SIS_HOME_PAGE.as_bytes());
        out.extend_from_slice(b"/classes/");
        push_escaped(out, self.class_sourced_id);
        out.extend_from_slice(br#""}]}},"timestamp":""#);
        push_timestamp(out, self.timestamp);
        out.extend_from_slice(br#""}"#);
    }

    /// The statement as a JSON string.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(720);
        self.write_json(&mut out);
        // Only whole UTF-8 strings and ASCII were appended.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The statement as a JSON value (same shape as the NDJSON lines).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_json()).unwrap_or(serde_json::Value::Null)
    }
}

fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s);
    out.push(b'"');
}

/// JSON string escaping; the fast path copies strings that need none (all generated ids do).
fn push_escaped(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

fn push_number(out: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_two(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// `YYYY-MM-DDThh:mm:ssZ` (years 0–9999).
fn push_timestamp(out: &mut Vec<u8>, t: NaiveDateTime) {
    let year = t.year().clamp(0, 9999) as u32;
    push_two(out, year / 100);
    push_two(out, year % 100);
    out.push(b'-');
    push_two(out, t.month());
    out.push(b'-');
    push_two(out, t.day());
    out.push(b'T');
    push_two(out, t.hour());
    out.push(b':');
    push_two(out, t.minute());
    out.push(b':');
    push_two(out, t.second());
    out.push(b'Z');
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn statement(class: &'static str) -> SynthStatement<'static> {
        SynthStatement {
            id: Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef),
            student: "5f3a-student",
            item_id: "https://items.lantern.example/item/6.RP.A.1/003",
            activity_id: "https://items.lantern.example/quiz/6.RP.A.1",
            class_sourced_id: class,
            registration: Uuid::from_u128(0xfedc_ba98_7654_4321_8fed_cba9_8765_4321),
            success: false,
            response: 'c',
            duration_seconds: 142,
            timestamp: NaiveDate::from_ymd_opt(2026, 9, 3)
                .and_then(|d| d.and_hms_opt(9, 4, 2))
                .expect("valid test time"),
        }
    }

    #[test]
    fn json_has_the_documented_shape() {
        let value: serde_json::Value =
            serde_json::from_str(&statement("class-1").to_json()).expect("hand-written JSON parses");
        let expected = json!({
            "id": "01234567-89ab-4def-8123-456789abcdef",
            "actor": {"objectType": "Agent", "account": {"homePage": "https://sis.lantern.example", "name": "5f3a-student"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
            "object": {"objectType": "Activity", "id": "https://items.lantern.example/item/6.RP.A.1/003",
                "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "choice"}},
            "result": {"success": false, "response": "c", "duration": "PT142S"},
            "context": {"registration": "fedcba98-7654-4321-8fed-cba987654321",
                "contextActivities": {"grouping": [
                    {"id": "https://items.lantern.example/quiz/6.RP.A.1"},
                    {"id": "https://sis.lantern.example/classes/class-1"}]}},
            "timestamp": "2026-09-03T09:04:02Z"
        });
        assert_eq!(value, expected);
        assert_eq!(statement("class-1").to_value(), expected);
    }

    #[test]
    fn strings_needing_escapes_stay_valid_json() {
        let st = statement("odd\"class\\\n");
        let value: serde_json::Value = serde_json::from_str(&st.to_json()).expect("escaped JSON parses");
        assert_eq!(
            value["context"]["contextActivities"]["grouping"][1]["id"],
            "https://sis.lantern.example/classes/odd\"class\\\n"
        );
    }

    #[test]
    fn numbers_are_written_in_full() {
        let mut out = Vec::new();
        for n in [0, 7, 10, 4_294_967_295] {
            out.clear();
            push_number(&mut out, n);
            assert_eq!(String::from_utf8_lossy(&out), n.to_string());
        }
    }
}
