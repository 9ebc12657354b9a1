//! ISO 8601 timestamps and durations as xAPI uses them (Part 2 §4.5, §4.6): timestamps must carry a
//! time zone and are returned in UTC; durations use the `PnYnMnDTnHnMnS` / `PnW` format.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};

/// Parses an ISO 8601 combined date and time in extended format with a time zone:
/// `YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm|±hhmm|±hh)`. RFC 3339 timestamps are the common case.
/// A `-00:00` offset is rejected: ISO 8601 has no negative zero, RFC 3339 uses it for "unknown".
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<u32> {
        let slice = b.get(from..from + len)?;
        slice.iter().try_fold(0u32, |acc, d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
    };
    let year = digits(0, 4)?;
    let month = digits(5, 2)?;
    let day = digits(8, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let hour = digits(11, 2)?;
    let minute = digits(14, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b':') {
        second = digits(i + 1, 2)?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            let kept = (i - start).min(9);
            if kept == 0 {
                return None;
            }
            nanos *= 10u32.pow(9 - kept as u32);
        }
    }
    let offset_seconds = match (b.get(i), &b[i.min(b.len())..]) {
        (Some(b'Z'), rest) if rest.len() == 1 => 0,
        (Some(sign @ (b'+' | b'-')), rest) => {
            let (h, m) = match rest.len() {
                3 => (digits(i + 1, 2)?, 0),
                5 => (digits(i + 1, 2)?, digits(i + 3, 2)?),
                6 if rest[3] == b':' => (digits(i + 1, 2)?, digits(i + 4, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 || (*sign == b'-' && h == 0 && m == 0) {
                return None;
            }
            let magnitude = i32::try_from(h * 3600 + m * 60).ok()?;
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    // A leap second (:60) is represented by chrono as :59 plus a second of nanoseconds.
    let (second, nanos) = if second == 60 { (59, nanos + 1_000_000_000) } else { (second, nanos) };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    offset.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc))
}

/// The form in which the LRS returns timestamps: RFC 3339 in UTC, with as many fractional digits
/// as needed (0, 3, 6 or 9) so no precision is lost.
pub(crate) fn format_timestamp(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// True when `text`, which parsed to `time`, is already exactly what [`format_timestamp`] returns
/// (so the statement need not be rewritten).
pub(crate) fn is_canonical_timestamp(text: &str, time: &DateTime<Utc>) -> bool {
    let nanos = time.timestamp_subsec_nanos();
    let digits = match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    let bytes = text.as_bytes();
    let expected_len = if digits == 0 { 20 } else { 21 + digits };
    bytes.len() == expected_len
        && bytes[expected_len - 1] == b'Z'
        && bytes[16] == b':'
        && (digits == 0 || bytes[19] == b'.')
}

/// Parses an ISO 8601 duration (`P3Y1M29DT4H35M59.14S`, `PT42S`, `P4W`) into seconds. Years and
/// months have no fixed length; they count as 365 and 30 days, which is good enough for the only
/// use of this number (time on task). A decimal fraction is allowed on the last component only.
pub(crate) fn parse_duration_seconds(text: &str) -> Option<f64> {
    let body = text.strip_prefix('P')?;
    if body.is_empty() {
        return None;
    }
    if let Some(weeks) = body.strip_suffix('W') {
        return parse_component(weeks).map(|(w, _)| w * 7.0 * 86_400.0);
    }
    let (date_part, time_part) = match body.split_once('T') {
        Some((_, "")) => return None,
        Some((date, time)) => (date, Some(time)),
        None => (body, None),
    };
    let mut seconds = 0.0;
    let mut saw_fraction = false;
    // Adds the components of one part (date or time) in designator order; returns how many.
    let mut add = |part: &str, designators: &[(u8, f64)]| -> Option<usize> {
        let mut rest = part;
        let mut next_designator = 0;
        let mut count = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
            let designator = rest.as_bytes()[end];
            let position = designators[next_designator..].iter().position(|(d, _)| *d == designator)?;
            let (value, fractional) = parse_component(&rest[..end])?;
            if saw_fraction {
                return None;
            }
            saw_fraction = fractional;
            seconds += value * designators[next_designator + position].1;
            next_designator += position + 1;
            count += 1;
            rest = &rest[end + 1..];
        }
        Some(count)
    };
    let mut components = add(date_part, &[(b'Y', 365.0 * 86_400.0), (b'M', 30.0 * 86_400.0), (b'D', 86_400.0)])?;
    if let Some(time) = time_part {
        let time_components = add(time, &[(b'H', 3600.0), (b'M', 60.0), (b'S', 1.0)])?;
        if time_components == 0 {
            return None;
        }
        components += time_components;
    }
    (components > 0).then_some(seconds)
}

/// One number of a duration: digits with an optional `.`/`,` fraction. Returns the value and
/// whether it had a fraction.
fn parse_component(text: &str) -> Option<(f64, bool)> {
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let normalised = match fraction {
        Some(f) => format!("{whole}.{f}"),
        None => whole.to_string(),
    };
    normalised.parse().ok().map(|v| (v, fraction.is_some()))
}

/// A duration as compared between statements: a string, with seconds beyond 0.01 precision
/// dropped (Part 2 §4.6: "any precision beyond 0.01 second precision SHOULD* NOT be included").
pub(crate) fn duration_for_comparison(text: &str) -> String {
    let Some(body) = text.strip_suffix('S') else {
        return text.to_string();
    };
    let number_start = body.rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).map_or(0, |i| i + 1);
    match body[number_start..].find(['.', ',']) {
        Some(dot) if body.len() - (number_start + dot + 1) > 2 => {
            format!("{}S", &body[..number_start + dot + 3])
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        parse_timestamp(text).map(|t| format_timestamp(&t)).unwrap_or_else(|| "invalid".into())
    }

    #[test]
    fn timestamps_with_a_zone_are_read_and_returned_in_utc() {
        assert_eq!(utc("2026-09-03T09:14:22Z"), "2026-09-03T09:14:22Z");
        assert_eq!(utc("2013-05-18T05:32:34.804+00:00"), "2013-05-18T05:32:34.804Z");
        assert_eq!(utc("2015-11-18T12:17:00+02:00"), "2015-11-18T10:17:00Z");
        assert_eq!(utc("2015-11-18T12:17:00.1234567891-0530"), "2015-11-18T17:47:00.123456789Z");
        assert_eq!(utc("2015-11-18T12:17-05"), "2015-11-18T17:17:00Z");
        assert_eq!(utc("2016-12-31T23:59:60Z"), "2016-12-31T23:59:60Z");
    }

    #[test]
    fn canonical_timestamps_are_recognised() {
        let canonical = |text: &str| is_canonical_timestamp(text, &parse_timestamp(text).unwrap());
        for text in [
            "2026-09-03T09:14:22Z",
            "2026-09-03T09:14:22.120Z",
            "2026-09-03T09:14:22.000001Z",
            "2026-09-03T09:14:22.123456789Z",
        ] {
            assert!(canonical(text), "{text}");
            assert_eq!(format_timestamp(&parse_timestamp(text).unwrap()), text);
        }
        for text in [
            "2026-09-03T09:14:22.000Z",
            "2026-09-03T09:14:22.1Z",
            "2026-09-03T09:14:22,120Z",
            "2026-09-03T09:14Z",
            "2026-09-03T09:14:22+00:00",
        ] {
            assert!(!canonical(text), "{text}");
        }
    }

    #[test]
    fn timestamps_without_a_zone_or_malformed_are_rejected() {
        for bad in [
            "2026-09-03T09:14:22",
            "2026-09-03 09:14:22Z",
            "2026-09-03",
            "01/011/2015",
            "2026-13-03T09:14:22Z",
            "2026-02-30T09:14:22Z",
            "2026-09-03T24:14:22Z",
            "2026-09-03T09:14:22.Z",
            "2026-09-03T09:14:22-00:00",
            "2026-09-03T09:14:22+24:00",
            "2026-09-03T09:14:22Zjunk",
            "2026-09-03T09:14:22+0:00",
            "",
        ] {
            assert_eq!(utc(bad), "invalid", "{bad}");
        }
    }

    #[test]
    fn durations_parse_to_seconds() {
        assert_eq!(parse_duration_seconds("PT42S"), Some(42.0));
        assert_eq!(parse_duration_seconds("PT4H35M59.14S"), Some(16559.14));
        assert_eq!(parse_duration_seconds("PT1H0M0S"), Some(3600.0));
        assert_eq!(parse_duration_seconds("P1DT1S"), Some(86_401.0));
        assert_eq!(parse_duration_seconds("P4W"), Some(4.0 * 7.0 * 86_400.0));
        assert_eq!(parse_duration_seconds("PT0,5S"), Some(0.5));
        assert_eq!(parse_duration_seconds("P3Y"), Some(3.0 * 365.0 * 86_400.0));
        assert!(parse_duration_seconds("P3Y1M29DT4H35M59.14S").is_some());
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in [
            "",
            "P",
            "PT",
            "42S",
            "PT42",
            "P16559.14S",
            "P4W1D",
            "PT1.5H30M",
            "PT1S2M",
            "P1M1Y",
            "PT-1S",
            "P0001-02-03T04:05:06",
            "PT1H1H",
            "pt42s",
            "PT.5S",
        ] {
            assert_eq!(parse_duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_compare_to_the_hundredth_of_a_second() {
        assert_eq!(duration_for_comparison("PT1.2345S"), "PT1.23S");
        assert_eq!(duration_for_comparison("PT1.23S"), "PT1.23S");
        assert_eq!(duration_for_comparison("PT1M1.999S"), "PT1M1.99S");
        assert_eq!(duration_for_comparison("PT42S"), "PT42S");
        assert_eq!(duration_for_comparison("P1D"), "P1D");
    }
}
