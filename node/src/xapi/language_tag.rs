//! RFC 5646 language tags, checked for well-formedness: the sequence of subtag kinds and lengths
//! (language, extlang, script, region, variant, extension, private use) that Part 2 §2.2 requires
//! the LRS to validate for language map keys and `context.language`.

/// The irregular grandfathered tags; the regular ones (`zh-min-nan`, `art-lojban`, ...) already
/// match the `langtag` production.
const IRREGULAR: [&str; 17] = [
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
];

fn alpha(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alphanum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_region(s: &str) -> bool {
    alpha(s, 2, 2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
}

fn is_variant(s: &str) -> bool {
    alphanum(s, 5, 8) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit() && alphanum(s, 4, 4))
}

fn is_singleton(s: &str) -> bool {
    s.len() == 1 && alphanum(s, 1, 1) && !s.eq_ignore_ascii_case("x")
}

/// True when `tag` is a well-formed RFC 5646 language tag (case-insensitive).
pub(crate) fn is_language_tag(tag: &str) -> bool {
    if IRREGULAR.iter().any(|g| g.eq_ignore_ascii_case(tag)) {
        return true;
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    let mut rest = &subtags[..];
    // privateuse = "x" 1*("-" (1*8alphanum)), alone or at the end of a langtag.
    let private_use = |rest: &[&str]| rest.len() >= 2 && rest[1..].iter().all(|s| alphanum(s, 1, 8));
    if rest[0].eq_ignore_ascii_case("x") {
        return private_use(rest);
    }

    let language = rest[0];
    if !alpha(language, 2, 8) {
        return false;
    }
    rest = &rest[1..];
    if language.len() <= 3 {
        let mut extlangs = 0;
        while extlangs < 3 && rest.first().is_some_and(|s| alpha(s, 3, 3)) {
            rest = &rest[1..];
            extlangs += 1;
        }
    }
    if rest.first().is_some_and(|s| alpha(s, 4, 4)) {
        rest = &rest[1..];
    }
    if rest.first().is_some_and(|s| is_region(s)) {
        rest = &rest[1..];
    }
    while rest.first().is_some_and(|s| is_variant(s)) {
        rest = &rest[1..];
    }
    while rest.first().is_some_and(|s| is_singleton(s)) {
        let values = rest[1..].iter().take_while(|s| alphanum(s, 2, 8)).count();
        if values == 0 {
            return false;
        }
        rest = &rest[1 + values..];
    }
    match rest.first() {
        None => true,
        Some(s) if s.eq_ignore_ascii_case("x") => private_use(rest),
        Some(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn well_formed_tags_pass() {
        for tag in [
            "en",
            "en-US",
            "es-419",
            "zh-Hant-TW",
            "sr-Latn-RS",
            "de-CH-1901",
            "sl-rozaj-biske",
            "zh-yue-HK",
            "tlh",
            "en-a-bbb-x-a-ccc",
            "x-whatever",
            "qaa-Qaaa-QM-x-southern",
            "i-klingon",
            "en-GB-oed",
            "zh-min-nan",
            "art-lojban",
            "EN-us",
            "hy-Latn-IT-arevela",
            "de-1996",
        ] {
            assert!(is_language_tag(tag), "{tag}");
        }
    }

    #[test]
    fn malformed_tags_fail() {
        for tag in [
            "",
            "e",
            "en_US",
            "en-",
            "-en",
            "en--US",
            "english-language-x",
            "en-US-",
            "a-DE",
            "ar-a-aaa-b-bbb-a",
            "en-a",
            "x",
            "x-",
            "x-toolongsubtag",
            "en-US-x",
            "123",
            "en-1",
            "de-419-DE",
            "en-US-u",
        ] {
            assert!(!is_language_tag(tag), "{tag:?}");
        }
    }
}
