//! Maps a byte offset inside a TOML string's value back to the byte offset in the file, through
//! quotes, escapes and multi-line forms, so errors inside a condition point at `file:line:col`.

use std::ops::Range;

/// For one string value: where each byte of the decoded value sits in the file.
#[derive(Debug, Clone)]
pub struct StringOffsets {
    /// `file_offset[i]` is the file offset of decoded byte `i`; one extra entry for the end.
    file_offset: Vec<usize>,
}

impl StringOffsets {
    /// `span` is the string's span in `file_text` (quotes included, as `toml::Spanned` gives it);
    /// `value` is the decoded string. If the raw text does not decode to `value` (it always should),
    /// every offset falls back to the start of the string, which is still the right line.
    pub fn new(file_text: &str, span: Range<usize>, value: &str) -> StringOffsets {
        match map_string(file_text, span.clone(), value) {
            Some(file_offset) => StringOffsets { file_offset },
            None => StringOffsets { file_offset: vec![span.start; value.len() + 1] },
        }
    }

    /// The file offset of decoded byte `offset` (clamped to the end of the value).
    pub fn file_offset(&self, offset: usize) -> usize {
        let last = self.file_offset.len().saturating_sub(1);
        self.file_offset.get(offset.min(last)).copied().unwrap_or(0)
    }
}

fn map_string(file_text: &str, span: Range<usize>, value: &str) -> Option<Vec<usize>> {
    let raw = file_text.get(span.clone())?;
    let (delimiter, basic) = if raw.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if raw.starts_with("'''") {
        ("'''", false)
    } else if raw.starts_with('"') {
        ("\"", true)
    } else if raw.starts_with('\'') {
        ("'", false)
    } else {
        return None;
    };
    let multi_line = delimiter.len() == 3;
    let mut body_start = span.start + delimiter.len();
    let body_end = span.end.checked_sub(delimiter.len())?;
    if multi_line {
        // TOML drops a newline directly after the opening delimiter.
        let rest = file_text.get(body_start..body_end)?;
        if rest.starts_with("\r\n") {
            body_start += 2;
        } else if rest.starts_with('\n') {
            body_start += 1;
        }
    }
    let body = file_text.get(body_start..body_end)?;
    let mut decoded = String::with_capacity(body.len());
    let mut offsets = Vec::with_capacity(body.len() + 1);
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = body_start + i;
        if !(basic && c == '\\') {
            push(&mut decoded, &mut offsets, c, at);
            continue;
        }
        let (_, escape) = chars.next()?;
        let ch = match escape {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' | 'x' => {
                let len = match escape {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let mut hex = String::new();
                for _ in 0..len {
                    hex.push(chars.next()?.1);
                }
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            c if multi_line && (c == ' ' || c == '\t' || c == '\r' || c == '\n') => {
                // A line-ending backslash: it and all whitespace up to the next text vanish.
                while let Some(&(_, w)) = chars.peek() {
                    if w == ' ' || w == '\t' || w == '\r' || w == '\n' {
                        chars.next();
                    } else {
                        break;
                    }
                }
                continue;
            }
            _ => return None,
        };
        push(&mut decoded, &mut offsets, ch, at);
    }
    offsets.push(body_end);
    (decoded == value).then_some(offsets)
}

fn push(decoded: &mut String, offsets: &mut Vec<usize>, c: char, at: usize) {
    decoded.push(c);
    offsets.extend(std::iter::repeat_n(at, c.len_utf8()));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct One {
        s: toml::Spanned<String>,
    }

    /// The file text at the mapped position of `needle` inside the decoded value.
    fn locate(file: &str, needle: &str) -> String {
        let one: One = toml::from_str(file).unwrap();
        let value = one.s.get_ref();
        let offsets = StringOffsets::new(file, one.s.span(), value);
        let at = offsets.file_offset(value.find(needle).unwrap());
        file[at..].chars().take(needle.chars().count()).collect()
    }

    #[test]
    fn basic_string() {
        assert_eq!(locate("s = \"mastery < 0.7 and absenses\"\n", "absenses"), "absenses");
    }

    #[test]
    fn basic_string_with_escapes() {
        assert_eq!(locate("s = \"say \\\"hi\\\" \\u00e9 then absenses\"\n", "absenses"), "absenses");
        assert_eq!(locate("s = \"\\u00e9x\"\n", "x"), "x");
    }

    #[test]
    fn literal_strings() {
        assert_eq!(locate("s = 'a \\ b absenses'\n", "absenses"), "absenses");
        assert_eq!(locate("s = '''\nline one\nline two absenses'''\n", "absenses"), "absenses");
    }

    #[test]
    fn multi_line_basic_with_line_ending_backslash() {
        let file = "s = \"\"\"\nany(focus_standards, \\\n      mastery < 0.7) and absenses\"\"\"\n";
        assert_eq!(locate(file, "absenses"), "absenses");
        assert_eq!(locate(file, "mastery"), "mastery");
    }

    #[test]
    fn end_of_value_maps_to_the_closing_quote() {
        let file = "s = \"a and\"\n";
        let one: One = toml::from_str(file).unwrap();
        let offsets = StringOffsets::new(file, one.s.span(), one.s.get_ref());
        assert_eq!(&file[offsets.file_offset(5)..], "\"\n");
        assert_eq!(offsets.file_offset(999), offsets.file_offset(5));
    }

    #[test]
    fn mismatch_falls_back_to_the_string_start() {
        let offsets = StringOffsets::new("s = \"abc\"", 4..9, "different");
        assert_eq!(offsets.file_offset(3), 4);
    }
}
