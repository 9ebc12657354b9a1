//! Tokenizer for the rule condition language: turns a condition string into tokens with byte
//! spans, so every later error can point at the exact character.

use std::fmt;

/// A byte range inside a condition (or reason template) string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A problem in a condition or template string, located inside that string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> SyntaxError {
        SyntaxError { span, message: message.into() }
    }
}

/// The six comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Whether `left op right` holds.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The reserved words of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    And,
    Or,
    Not,
    Any,
    All,
    Count,
    True,
    False,
}

impl Keyword {
    pub const ALL: [Keyword; 8] = [
        Keyword::And,
        Keyword::Or,
        Keyword::Not,
        Keyword::Any,
        Keyword::All,
        Keyword::Count,
        Keyword::True,
        Keyword::False,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Keyword::And => "and",
            Keyword::Or => "or",
            Keyword::Not => "not",
            Keyword::Any => "any",
            Keyword::All => "all",
            Keyword::Count => "count",
            Keyword::True => "true",
            Keyword::False => "false",
        }
    }

    pub fn from_word(word: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.word() == word)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident(String),
    Keyword(Keyword),
    Number(f64),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Ident(name) => write!(f, "`{name}`"),
            TokenKind::Keyword(k) => write!(f, "`{}`", k.word()),
            TokenKind::Number(x) => write!(f, "`{x}`"),
            TokenKind::Op(op) => write!(f, "`{op}`"),
            TokenKind::LParen => f.write_str("`(`"),
            TokenKind::RParen => f.write_str("`)`"),
            TokenKind::Comma => f.write_str("`,`"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Splits a condition into tokens; stops at the first character that cannot start a token.
pub fn tokenize(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = |kind: TokenKind| Token { kind, span: Span::new(start, start + 1) };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => tokens.push(single(TokenKind::LParen)),
            b')' => tokens.push(single(TokenKind::RParen)),
            b',' => tokens.push(single(TokenKind::Comma)),
            b'<' | b'>' | b'=' | b'!' => {
                let followed_by_eq = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, followed_by_eq) {
                    (b'<', true) => CmpOp::Le,
                    (b'<', false) => CmpOp::Lt,
                    (b'>', true) => CmpOp::Ge,
                    (b'>', false) => CmpOp::Gt,
                    (b'=', true) => CmpOp::Eq,
                    (b'!', true) => CmpOp::Ne,
                    (b'=', false) => {
                        return Err(SyntaxError::new(Span::new(i, i + 1), "unexpected `=`: write `==` to compare"))
                    }
                    _ => {
                        return Err(SyntaxError::new(Span::new(i, i + 1), "unexpected `!`: write `not` or `!=`"));
                    }
                };
                let len = if followed_by_eq { 2 } else { 1 };
                tokens.push(Token { kind: TokenKind::Op(op), span: Span::new(i, i + len) });
                i += len;
                continue;
            }
            b'&' | b'|' => {
                let len = if bytes.get(i + 1) == Some(&c) { 2 } else { 1 };
                let word = if c == b'&' { "and" } else { "or" };
                let found = &text[i..i + len];
                return Err(SyntaxError::new(Span::new(i, i + len), format!("unexpected `{found}`: write `{word}`")));
            }
            b'-' | b'0'..=b'9' | b'.' => {
                let (token, next) = number(text, i)?;
                tokens.push(token);
                i = next;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let kind = match Keyword::from_word(word) {
                    Some(k) => TokenKind::Keyword(k),
                    None => TokenKind::Ident(word.to_string()),
                };
                tokens.push(Token { kind, span: Span::new(start, i) });
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                let span = Span::new(i, i + ch.len_utf8());
                return Err(SyntaxError::new(span, format!("unexpected character {ch:?}")));
            }
        }
        i += 1;
    }
    Ok(tokens)
}

/// Lexes `-?digits(.digits)?` starting at `start`; returns the token and the offset after it.
fn number(text: &str, start: usize) -> Result<(Token, usize), SyntaxError> {
    let bytes = text.as_bytes();
    let mut i = start;
    if bytes[i] == b'-' {
        i += 1;
    }
    let digits_from = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_from {
        let span = Span::new(start, (i + 1).min(text.len()).max(start + 1));
        return Err(SyntaxError::new(span, "a number must start with a digit, e.g. `0.5` or `-0.2`"));
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        let fraction_from = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == fraction_from {
            return Err(SyntaxError::new(Span::new(start, i), "a number needs digits after the `.`, e.g. `0.5`"));
        }
    }
    if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' || bytes[i] == b'%') {
        let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
        let hint = if ch == '%' { ": write shares as 0..1, e.g. `0.70` for 70%" } else { "" };
        return Err(SyntaxError::new(
            Span::new(i, i + ch.len_utf8()),
            format!("unexpected {ch:?} after a number{hint}"),
        ));
    }
    let literal = &text[start..i];
    // Digits with an optional fraction always parse; a failure would be a bug in the loop above.
    let value: f64 = literal
        .parse()
        .map_err(|_| SyntaxError::new(Span::new(start, i), format!("cannot read number `{literal}`")))?;
    Ok((Token { kind: TokenKind::Number(value), span: Span::new(start, i) }, i))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens_with_spans() {
        let tokens = tokenize("any(focus_standards, mastery < 0.70) and absences_14d >= 2").unwrap();
        let summary: Vec<_> = tokens.iter().map(|t| (t.kind.to_string(), t.span.start, t.span.end)).collect();
        assert_eq!(
            summary,
            [
                ("`any`".to_string(), 0, 3),
                ("`(`".into(), 3, 4),
                ("`focus_standards`".into(), 4, 19),
                ("`,`".into(), 19, 20),
                ("`mastery`".into(), 21, 28),
                ("`<`".into(), 29, 30),
                ("`0.7`".into(), 31, 35),
                ("`)`".into(), 35, 36),
                ("`and`".into(), 37, 40),
                ("`absences_14d`".into(), 41, 53),
                ("`>=`".into(), 54, 56),
                ("`2`".into(), 57, 58),
            ]
        );
    }

    #[test]
    fn all_operators_and_negative_numbers() {
        assert_eq!(
            kinds("< <= > >= == != -0.25 10"),
            [
                TokenKind::Op(CmpOp::Lt),
                TokenKind::Op(CmpOp::Le),
                TokenKind::Op(CmpOp::Gt),
                TokenKind::Op(CmpOp::Ge),
                TokenKind::Op(CmpOp::Eq),
                TokenKind::Op(CmpOp::Ne),
                TokenKind::Number(-0.25),
                TokenKind::Number(10.0),
            ]
        );
    }

    #[test]
    fn keywords_are_not_identifiers() {
        assert_eq!(
            kinds("not true false count"),
            [
                TokenKind::Keyword(Keyword::Not),
                TokenKind::Keyword(Keyword::True),
                TokenKind::Keyword(Keyword::False),
                TokenKind::Keyword(Keyword::Count),
            ]
        );
        assert_eq!(kinds("android"), [TokenKind::Ident("android".into())]);
    }

    #[test]
    fn lexical_errors_point_at_the_character() {
        let cases = [
            ("a = 1", 2, "unexpected `=`: write `==` to compare"),
            ("!a", 0, "unexpected `!`: write `not` or `!=`"),
            ("a && b", 2, "unexpected `&&`: write `and`"),
            ("a || b", 2, "unexpected `||`: write `or`"),
            ("mastery < 70%", 12, "unexpected '%' after a number: write shares as 0..1, e.g. `0.70` for 70%"),
            ("x < .5", 4, "a number must start with a digit, e.g. `0.5` or `-0.2`"),
            ("x < 5.", 4, "a number needs digits after the `.`, e.g. `0.5`"),
            ("x < 3d", 5, "unexpected 'd' after a number"),
            ("x ≥ 3", 2, "unexpected character '≥'"),
        ];
        for (text, at, message) in cases {
            let err = tokenize(text).unwrap_err();
            assert_eq!((err.span.start, err.message.as_str()), (at, message), "{text}");
        }
    }
}
