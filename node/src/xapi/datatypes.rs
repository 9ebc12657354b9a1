//! The string formats xAPI restricts values to: IRIs and IRLs, `mailto:` IRIs, SHA-1 hex sums,
//! UUIDs in standard form and statement versions. Best-effort, fast, byte-level checks, as Part 2
//! §2.2 allows ("the LRS MAY use best-effort validation for IRL and IRI formats").

use uuid::Uuid;

/// An absolute IRI (RFC 3987): a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), a colon
/// and a non-empty rest without spaces, control characters or the characters IRIs never contain
/// (`<>"{}|\^` and backtick); `%` must start a two-digit hex escape.
pub(crate) fn is_iri(text: &str) -> bool {
    let Some(colon) = text.bytes().position(|b| b == b':') else {
        return false;
    };
    let (scheme, rest) = (&text[..colon], &text[colon + 1..]);
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = matches!(scheme_bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    // Fast path: plain printable ASCII with no `%`, the common case, checked by table.
    scheme_ok && !rest.is_empty() && (rest.bytes().all(|b| PLAIN_IRI_BYTE[usize::from(b)]) || is_iri_body(rest))
}

/// Printable ASCII an IRI may contain as is (not `%`, which starts an escape, nor non-ASCII).
const PLAIN_IRI_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b < 0x7f {
        table[b] = !matches!(b as u8, b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`' | b'%');
        b += 1;
    }
    table
};

fn is_iri_body(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
            }
            0x00..=0x20 | 0x7f | b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`' => return false,
            0x80..=0xff => {
                // Non-ASCII is allowed in IRIs, except Unicode spaces and controls; `i` is on a
                // character boundary because everything before it was ASCII or checked here.
                let Some(c) = rest[i..].chars().next() else {
                    return false;
                };
                if c.is_whitespace() || c.is_control() {
                    return false;
                }
                i += c.len_utf8();
            }
            _ => i += 1,
        }
    }
    true
}

/// A URI: an IRI restricted to ASCII (the type of `openid`).
pub(crate) fn is_uri(text: &str) -> bool {
    text.is_ascii() && is_iri(text)
}

/// A `mailto:` IRI with one address `local@domain`, both parts non-empty.
pub(crate) fn is_mailto_iri(text: &str) -> bool {
    let Some(address) = text.strip_prefix("mailto:") else {
        return false;
    };
    match address.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && is_iri(text),
        None => false,
    }
}

/// The `mailto:` IRI with its domain lower-cased: the domain part of an address is case
/// insensitive (Part 2 §2.4.2.3), so this is the form used as a key and for comparison.
pub(crate) fn canonical_mailto(text: &str) -> String {
    match text.rsplit_once('@') {
        Some((head, domain)) => format!("{head}@{}", domain.to_ascii_lowercase()),
        None => text.to_string(),
    }
}

/// 40 hex digits (a SHA-1 sum), either case.
pub(crate) fn is_sha1_hex(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A UUID in the standard 8-4-4-4-12 hex form (other forms the `uuid` crate accepts, such as
/// braces, URNs or no hyphens, are not the standard string form and are rejected).
pub(crate) fn parse_uuid(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let shape_ok = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    if shape_ok {
        Uuid::parse_str(text).ok()
    } else {
        None
    }
}

/// A statement version the LRS accepts: `1.0.N`, optionally with a Semantic Versioning 1.0.0
/// pre-release suffix (`1.0.0-beta`).
pub(crate) fn is_accepted_version(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("1.0.") else {
        return false;
    };
    let (patch, pre_release) = match rest.split_once('-') {
        Some((patch, pre)) => (patch, Some(pre)),
        None => (rest, None),
    };
    let patch_ok = !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit());
    let pre_ok =
        pre_release.is_none_or(|pre| !pre.is_empty() && pre.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    patch_ok && pre_ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn iris_need_a_scheme_and_no_spaces() {
        for good in [
            "http://adlnet.gov/expapi/verbs/answered",
            "https://items.lantern.example/item/6.RP.A.1/003",
            "urn:uuid:9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
            "http://example.com/فعل/خواندن",
            "http://example.com/a%20b?x=1#frag",
            "tag:example.com,2026:x",
        ] {
            assert!(is_iri(good), "{good}");
        }
        for bad in [
            "",
            "answered",
            "/relative/path",
            ":no-scheme",
            "1http://x",
            "http:",
            "http://exa mple.com",
            "http://example.com/<x>",
            "http://example.com/a%2",
            "http://example.com/\u{00a0}x",
            "http://example.com/ü x",
            "http://example.com/a|b",
        ] {
            assert!(!is_iri(bad), "{bad:?}");
        }
    }

    #[test]
    fn openid_must_be_ascii() {
        assert!(is_uri("http://toby.openid.example.org/"));
        assert!(!is_uri("http://tõby.openid.example.org/"));
    }

    #[test]
    fn mailto_needs_an_address() {
        assert!(is_mailto_iri("mailto:xapi@adlnet.gov"));
        assert!(!is_mailto_iri("xapi@adlnet.gov"));
        assert!(!is_mailto_iri("mailto:"));
        assert!(!is_mailto_iri("mailto:@adlnet.gov"));
        assert!(!is_mailto_iri("mailto:xapi@"));
        assert!(!is_mailto_iri("mailto:x api@adlnet.gov"));
        assert_eq!(canonical_mailto("mailto:Ann.Lee@Example.COM"), "mailto:Ann.Lee@example.com");
    }

    #[test]
    fn uuids_must_be_in_standard_form() {
        assert!(parse_uuid("e05aa883-acaf-40ad-bf54-02c8ce485fb0").is_some());
        assert!(parse_uuid("E05AA883-ACAF-40AD-BF54-02C8CE485FB0").is_some());
        assert!(parse_uuid("e05aa883acaf40adbf5402c8ce485fb0").is_none());
        assert!(parse_uuid("{e05aa883-acaf-40ad-bf54-02c8ce485fb0}").is_none());
        assert!(parse_uuid("MA97B177-9383-4934-8543-0F91A7A02836").is_none());
        assert!(parse_uuid("AA97B177-9383-4934-8543-0F91A7A028368").is_none());
    }

    #[test]
    fn versions_must_be_1_0_x() {
        for good in ["1.0.0", "1.0.3", "1.0.12", "1.0.0-rc1"] {
            assert!(is_accepted_version(good), "{good}");
        }
        for bad in ["1.0", "1.1.0", "0.95", "2.0.0", "1.0.", "1.0.x", "1.0.0-", "1.0.0-a.b"] {
            assert!(!is_accepted_version(bad), "{bad}");
        }
    }

    #[test]
    fn sha1_is_forty_hex_digits() {
        assert!(is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee9"));
        assert!(is_sha1_hex("EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"));
        assert!(!is_sha1_hex("ebd31e95054c018b10727ccffd2ef2ec3a016ee"));
        assert!(!is_sha1_hex("gbd31e95054c018b10727ccffd2ef2ec3a016ee9"));
    }
}
