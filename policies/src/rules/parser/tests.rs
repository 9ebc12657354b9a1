//! Tests of the condition parser: known trees, located syntax errors, and properties (never
//! panics; print then parse gives the same tree).

use proptest::prelude::*;

use super::*;

/// The tree with every span zeroed, so trees from different texts can be compared.
fn erase(e: &Expr) -> Expr {
    let ident = |i: &Ident| Ident { name: i.name.clone(), span: Span::default() };
    let kind = match &e.kind {
        ExprKind::Or(a, b) => ExprKind::Or(Box::new(erase(a)), Box::new(erase(b))),
        ExprKind::And(a, b) => ExprKind::And(Box::new(erase(a)), Box::new(erase(b))),
        ExprKind::Not(a) => ExprKind::Not(Box::new(erase(a))),
        ExprKind::Compare { subject, op, value, .. } => ExprKind::Compare {
            subject: match subject {
                Subject::Indicator(i) => Subject::Indicator(ident(i)),
                Subject::Count { set, body, .. } => {
                    Subject::Count { set: ident(set), body: Box::new(erase(body)), span: Span::default() }
                }
            },
            op: *op,
            op_span: Span::default(),
            value: *value,
            value_span: Span::default(),
        },
        ExprKind::Flag(i) => ExprKind::Flag(ident(i)),
        ExprKind::Quantified { quantifier, set, body } => {
            ExprKind::Quantified { quantifier: *quantifier, set: ident(set), body: Box::new(erase(body)) }
        }
    };
    Expr { kind, span: Span::default() }
}

fn reprint(text: &str) -> String {
    parse(text).unwrap().to_string()
}

#[test]
fn precedence_not_binds_tighter_than_and_tighter_than_or() {
    assert_eq!(reprint("a or b and not c"), "a or b and not c");
    let e = parse("a or b and not c").unwrap();
    let ExprKind::Or(left, right) = &e.kind else { panic!("expected or at the top: {e:?}") };
    assert!(matches!(left.kind, ExprKind::Flag(_)));
    let ExprKind::And(_, not_c) = &right.kind else { panic!("expected and on the right: {right:?}") };
    assert!(matches!(not_c.kind, ExprKind::Not(_)));
}

#[test]
fn parentheses_are_kept_only_where_needed() {
    assert_eq!(reprint("(a or b) and c"), "(a or b) and c");
    assert_eq!(reprint("((a)) and (b)"), "a and b");
    assert_eq!(reprint("a or (b or c)"), "a or (b or c)");
    assert_eq!(reprint("(a or b) or c"), "a or b or c");
    assert_eq!(reprint("not (a and b)"), "not (a and b)");
    assert_eq!(reprint("not not a"), "not not a");
}

#[test]
fn the_issue_examples_parse() {
    let first = "any(focus_standards, mastery < 0.70 and mastery_evidence >= 3) and absences_14d >= 2";
    assert_eq!(reprint(first), "any(focus_standards, mastery < 0.7 and mastery_evidence >= 3) and absences_14d >= 2");
    let second = "count(focus_standards, mastery < 0.50 and mastery_evidence >= 3) >= 3 \
                  or (consecutive_absences >= 3 and participation_change < 0)";
    assert_eq!(
        reprint(second),
        "count(focus_standards, mastery < 0.5 and mastery_evidence >= 3) >= 3 \
         or consecutive_absences >= 3 and participation_change < 0"
    );
    assert_eq!(reprint("all(focus_standards, mastery >= 0.8)"), "all(focus_standards, mastery >= 0.8)");
    assert_eq!(reprint("chronic_absence == true"), "chronic_absence == true");
    assert_eq!(reprint("participation_change <= -0.2"), "participation_change <= -0.2");
}

#[test]
fn spans_cover_the_source_text() {
    let text = "absences_14d >= 2 and any(focus_standards, mastery < 0.7)";
    let e = parse(text).unwrap();
    assert_eq!((e.span.start, e.span.end), (0, text.len()));
    let ExprKind::And(left, right) = &e.kind else { panic!("{e:?}") };
    assert_eq!(&text[left.span.start..left.span.end], "absences_14d >= 2");
    assert_eq!(&text[right.span.start..right.span.end], "any(focus_standards, mastery < 0.7)");
    let ExprKind::Compare { op_span, value_span, .. } = &left.kind else { panic!("{left:?}") };
    assert_eq!(&text[op_span.start..op_span.end], ">=");
    assert_eq!(&text[value_span.start..value_span.end], "2");
}

#[test]
fn syntax_errors_say_what_was_expected_and_where() {
    let cases = [
        ("", 0, "empty condition"),
        ("   ", 0, "empty condition"),
        ("mastery <", 9, "expected a number, `true` or `false` after `<`, found the end of the condition"),
        ("absences_14d >= two", 16, "expected a number, `true` or `false` after `>=`, found `two`"),
        ("a and", 5, "expected an indicator, `not`, `any(`, `all(`, `count(` or `(`, found the end of the condition"),
        ("a b", 2, "expected `and`, `or` or the end of the condition, found `b`"),
        ("(a or b", 7, "expected `)`, found the end of the condition"),
        ("a)", 1, "expected `and`, `or` or the end of the condition, found `)`"),
        ("any focus_standards", 4, "expected `(` after `any`, found `focus_standards`"),
        ("any(0.5, a)", 4, "expected a set of standards such as `focus_standards`, found `0.5`"),
        ("all(focus_standards a)", 20, "expected `,` after the set of standards in `all(`, found `a`"),
        ("any(focus_standards, a", 22, "expected `)` to close `any(`, found the end of the condition"),
        (
            "count(focus_standards, a) and b",
            26,
            "expected a comparison (`<`, `<=`, `>`, `>=`, `==` or `!=`) after `count(...)`, found `and`",
        ),
        ("true", 0, "`true` can only follow a comparison, e.g. `chronic_absence == true`"),
        ("3 < absences_14d", 0, "a number can only follow a comparison, e.g. `absences_14d >= 2`"),
        ("a < 1 < 2", 6, "expected `and`, `or` or the end of the condition, found `<`"),
        (", a", 0, "expected an indicator, `not`, `any(`, `all(`, `count(` or `(`, found `,`"),
    ];
    for (text, at, message) in cases {
        let err = parse(text).unwrap_err();
        assert_eq!((err.span.start, err.message.as_str()), (at, message), "condition {text:?}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = parse(&deep).unwrap_err();
    assert_eq!(err.message, format!("condition nests deeper than {MAX_DEPTH} levels"));
    let nots = format!("{}a", "not ".repeat(10_000));
    assert!(parse(&nots).is_err());
    let fine = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&fine).is_ok());
}

fn ident() -> impl Strategy<Value = Ident> {
    "[a-z_][a-z0-9_]{0,10}"
        .prop_filter("keywords are not names", |s| Keyword::from_word(s).is_none())
        .prop_map(|name| Ident { name, span: Span::default() })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(Literal::Number),
        (-1000i32..1000).prop_map(|n| Literal::Number(f64::from(n) / 100.0)),
        any::<bool>().prop_map(Literal::Bool),
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![Just(CmpOp::Lt), Just(CmpOp::Le), Just(CmpOp::Gt), Just(CmpOp::Ge), Just(CmpOp::Eq), Just(CmpOp::Ne)]
}

fn node(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        ident().prop_map(|i| node(ExprKind::Flag(i))),
        (ident(), op(), literal()).prop_map(|(i, op, value)| node(ExprKind::Compare {
            subject: Subject::Indicator(i),
            op,
            op_span: Span::default(),
            value,
            value_span: Span::default(),
        })),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| node(ExprKind::Or(Box::new(a), Box::new(b)))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| node(ExprKind::And(Box::new(a), Box::new(b)))),
            inner.clone().prop_map(|a| node(ExprKind::Not(Box::new(a)))),
            (any::<bool>(), ident(), inner.clone()).prop_map(|(any, set, body)| node(ExprKind::Quantified {
                quantifier: if any { Quantifier::Any } else { Quantifier::All },
                set,
                body: Box::new(body),
            })),
            (ident(), inner, op(), literal()).prop_map(|(set, body, op, value)| node(ExprKind::Compare {
                subject: Subject::Count { set, body: Box::new(body), span: Span::default() },
                op,
                op_span: Span::default(),
                value,
                value_span: Span::default(),
            })),
        ]
    })
}

const ALPHABET: &[&str] = &[
    "a",
    "mastery",
    "any",
    "all",
    "count",
    "not",
    "and",
    "or",
    "true",
    "false",
    "(",
    ")",
    ",",
    "<",
    "<=",
    ">=",
    "==",
    "!=",
    "0.5",
    "-1",
    "3",
    " ",
    "focus_standards",
    "=",
    "!",
    ".",
    "&",
    "é",
];

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC{0,80}") {
        let _ = parse(&text);
    }

    #[test]
    fn parser_never_panics_on_token_soup(parts in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40)) {
        let text = parts.join(" ");
        let _ = parse(&text);
        let glued = parts.concat();
        if let Err(e) = parse(&glued) {
            prop_assert!(e.span.start <= glued.len() && e.span.end <= glued.len());
            prop_assert!(glued.is_char_boundary(e.span.start));
        }
    }

    #[test]
    fn printing_then_parsing_gives_the_same_tree(tree in expr()) {
        let printed = tree.to_string();
        let reparsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed:?}: {e:?}")))?;
        prop_assert_eq!(erase(&reparsed), erase(&tree), "printed as {:?}", printed);
        prop_assert_eq!(reparsed.to_string(), printed);
    }
}
