//! Recursive-descent parser for rule conditions, producing a syntax tree with byte spans, and the
//! printer that turns a tree back into condition text (printing then parsing gives the same tree).
//!
//! Grammar (lowest precedence first):
//! ```text
//! condition := or EOF
//! or        := and ("or" and)*
//! and       := not ("and" not)*
//! not       := "not" not | primary
//! primary   := "(" or ")"
//!            | ("any" | "all") "(" IDENT "," or ")"
//!            | "count" "(" IDENT "," or ")" OP literal
//!            | IDENT [OP literal]
//! literal   := NUMBER | "true" | "false"
//! OP        := "<" | "<=" | ">" | ">=" | "==" | "!="
//! ```

use std::fmt;

use super::lexer::{tokenize, CmpOp, Keyword, Span, SyntaxError, Token, TokenKind};

/// Deeper nesting than this is refused, so a hostile policy cannot overflow the stack.
pub const MAX_DEPTH: usize = 32;

/// A name in a condition (an indicator or a set of standards), with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal {
    Number(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

/// What a comparison compares: an indicator, or how many standards of a set satisfy a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Indicator(Ident),
    Count { set: Ident, body: Box<Expr>, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        subject: Subject,
        op: CmpOp,
        op_span: Span,
        value: Literal,
        value_span: Span,
    },
    /// A bare name, meaningful for true/false indicators (`chronic_absence`).
    Flag(Ident),
    Quantified {
        quantifier: Quantifier,
        set: Ident,
        body: Box<Expr>,
    },
}

/// A node of the syntax tree and the span of condition text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// Parses a whole condition.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, pos: 0, end: text.len(), depth: 0 };
    if parser.tokens.is_empty() {
        return Err(SyntaxError::new(Span::new(0, 0), "empty condition"));
    }
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(t) => {
            Err(SyntaxError::new(t.span, format!("expected `and`, `or` or the end of the condition, found {}", t.kind)))
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: usize,
    depth: usize,
}

const EXPECT_OPERAND: &str = "an indicator, `not`, `any(`, `all(`, `count(` or `(`";

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_keyword(&self, k: Keyword) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Keyword(kw), .. }) if *kw == k)
    }

    /// An error about the next token (or the end of the text) not being what was expected.
    fn unexpected(&self, expected: &str) -> SyntaxError {
        match self.peek() {
            Some(t) => SyntaxError::new(t.span, format!("expected {expected}, found {}", t.kind)),
            None => SyntaxError::new(
                Span::new(self.end, self.end),
                format!("expected {expected}, found the end of the condition"),
            ),
        }
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str) -> Result<Span, SyntaxError> {
        match self.peek() {
            Some(t) if &t.kind == kind => {
                let span = t.span;
                self.pos += 1;
                Ok(span)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    fn enter(&mut self, at: Span) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::new(at, format!("condition nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.and()?;
        while self.at_keyword(Keyword::Or) {
            self.pos += 1;
            let right = self.and()?;
            let span = left.span.to(right.span);
            left = Expr { kind: ExprKind::Or(Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        while self.at_keyword(Keyword::And) {
            self.pos += 1;
            let right = self.not()?;
            let span = left.span.to(right.span);
            left = Expr { kind: ExprKind::And(Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.at_keyword(Keyword::Not) {
            let not_span = self.next().map(|t| t.span).unwrap_or_default();
            self.enter(not_span)?;
            let inner = self.not()?;
            self.depth -= 1;
            let span = not_span.to(inner.span);
            return Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected(EXPECT_OPERAND));
        };
        match token.kind {
            TokenKind::LParen => {
                self.pos += 1;
                self.enter(token.span)?;
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.expect(&TokenKind::RParen, "`)`")?;
                Ok(Expr { kind: inner.kind, span: token.span.to(close) })
            }
            TokenKind::Keyword(k @ (Keyword::Any | Keyword::All | Keyword::Count)) => {
                self.pos += 1;
                let (set, body, close) = self.set_and_body(k, token.span)?;
                let span = token.span.to(close);
                match k {
                    Keyword::Count => {
                        let subject = Subject::Count { set, body: Box::new(body), span };
                        self.comparison(subject, span)
                    }
                    _ => {
                        let quantifier = if k == Keyword::Any { Quantifier::Any } else { Quantifier::All };
                        Ok(Expr { kind: ExprKind::Quantified { quantifier, set, body: Box::new(body) }, span })
                    }
                }
            }
            TokenKind::Ident(name) => {
                self.pos += 1;
                let ident = Ident { name, span: token.span };
                if matches!(self.peek(), Some(Token { kind: TokenKind::Op(_), .. })) {
                    self.comparison(Subject::Indicator(ident), token.span)
                } else {
                    Ok(Expr { kind: ExprKind::Flag(ident), span: token.span })
                }
            }
            TokenKind::Keyword(Keyword::True | Keyword::False) => Err(SyntaxError::new(
                token.span,
                format!("{} can only follow a comparison, e.g. `chronic_absence == true`", token.kind),
            )),
            TokenKind::Number(_) => {
                Err(SyntaxError::new(token.span, "a number can only follow a comparison, e.g. `absences_14d >= 2`"))
            }
            _ => Err(self.unexpected(EXPECT_OPERAND)),
        }
    }

    /// After `any`/`all`/`count`: `( IDENT , condition )`. Returns the set, body and `)` span.
    fn set_and_body(&mut self, k: Keyword, at: Span) -> Result<(Ident, Expr, Span), SyntaxError> {
        let word = k.word();
        self.expect(&TokenKind::LParen, &format!("`(` after `{word}`"))?;
        let set = match self.next() {
            Some(Token { kind: TokenKind::Ident(name), span }) => Ident { name, span },
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a set of standards such as `focus_standards`"));
            }
        };
        self.expect(&TokenKind::Comma, &format!("`,` after the set of standards in `{word}(`"))?;
        self.enter(at)?;
        let body = self.or()?;
        self.depth -= 1;
        let close = self.expect(&TokenKind::RParen, &format!("`)` to close `{word}(`"))?;
        Ok((set, body, close))
    }

    fn comparison(&mut self, subject: Subject, subject_span: Span) -> Result<Expr, SyntaxError> {
        let (op, op_span) = match self.peek() {
            Some(Token { kind: TokenKind::Op(op), span }) => (*op, *span),
            _ => return Err(self.unexpected("a comparison (`<`, `<=`, `>`, `>=`, `==` or `!=`) after `count(...)`")),
        };
        self.pos += 1;
        let (value, value_span) = match self.peek() {
            Some(Token { kind: TokenKind::Number(x), span }) => (Literal::Number(*x), *span),
            Some(Token { kind: TokenKind::Keyword(Keyword::True), span }) => (Literal::Bool(true), *span),
            Some(Token { kind: TokenKind::Keyword(Keyword::False), span }) => (Literal::Bool(false), *span),
            _ => return Err(self.unexpected(&format!("a number, `true` or `false` after `{op}`"))),
        };
        self.pos += 1;
        let span = subject_span.to(value_span);
        Ok(Expr { kind: ExprKind::Compare { subject, op, op_span, value, value_span }, span })
    }
}

/// Binding strength, used by the printer to decide where parentheses are needed.
fn precedence(kind: &ExprKind) -> u8 {
    match kind {
        ExprKind::Or(..) => 1,
        ExprKind::And(..) => 2,
        ExprKind::Not(..) => 3,
        _ => 4,
    }
}

/// Writes `e`, in parentheses when it binds more loosely than `min`.
fn write_at(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(&e.kind) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // f64's Display never uses exponents and round-trips exactly.
            Literal::Number(x) => write!(f, "{x}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // Left-associative: a right child of the same strength needs parentheses.
            ExprKind::Or(a, b) => {
                write_at(f, a, 1)?;
                f.write_str(" or ")?;
                write_at(f, b, 2)
            }
            ExprKind::And(a, b) => {
                write_at(f, a, 2)?;
                f.write_str(" and ")?;
                write_at(f, b, 3)
            }
            ExprKind::Not(a) => {
                f.write_str("not ")?;
                write_at(f, a, 3)
            }
            ExprKind::Compare { subject, op, value, .. } => match subject {
                Subject::Indicator(ident) => write!(f, "{} {op} {value}", ident.name),
                Subject::Count { set, body, .. } => write!(f, "count({}, {body}) {op} {value}", set.name),
            },
            ExprKind::Flag(ident) => f.write_str(&ident.name),
            ExprKind::Quantified { quantifier, set, body } => {
                let word = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                write!(f, "{word}({}, {body})", set.name)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
