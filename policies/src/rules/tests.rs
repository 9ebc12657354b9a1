//! Tests of loading `rules.toml`: the defaults load clean and flag the students they should, and
//! every class of validation error is reported with its exact message and `file:line:col`.

use super::*;

const HEAD: &str = r#"kind = "rules"
focus_standards = ["A", "B", "C"]

[bkt]
prior = 0.3
learn = 0.15
slip = 0.1
guess = 0.25

[[playbooks]]
id = "reteach"
title = "Reteach"
steps = ["Reteach in a small group."]
interventions = ["small_group_reteach"]
responsible = "teacher"
check_in_days = 7
family_description = "Your child is revisiting recent topics in a small group."
"#;

const RULE: &str = r#"
[[rules]]
id = "low-mastery"
version = 1
title = "Low mastery"
reason = "Mastery below 70% on {standards}"
condition = "any(focus_standards, mastery < 0.7)"
tier = 2
color = "amber"
label = "Tier 2"
playbook = "reteach"
expiry_days = 14
"#;

fn source(text: &str) -> PolicySource {
    PolicySource { name: "rules.toml".to_string(), text: text.to_string() }
}

/// All diagnostics for a file, one per line, as `lantern policy check` prints them.
fn diagnostics(text: &str) -> String {
    match load(&source(text)) {
        Ok(_) => panic!("expected errors in:\n{text}"),
        Err(ds) => ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
    }
}

/// The base file with one rule whose keys are replaced: each `key = value` line of `changes`
/// replaces the rule's line for that key, or is added.
fn with_rule(changes: &str) -> String {
    let mut lines: Vec<String> = RULE.lines().map(str::to_string).collect();
    for change in changes.lines().filter(|l| !l.trim().is_empty()) {
        let key = change.split('=').next().unwrap_or("").trim();
        match lines.iter().position(|l| l.split('=').next().map(str::trim) == Some(key)) {
            Some(i) => lines[i] = change.to_string(),
            None => lines.push(change.to_string()),
        }
    }
    format!("{HEAD}{}\n", lines.join("\n"))
}

fn code(s: &str) -> StandardCode {
    StandardCode::parse(&format!("CCSS.MATH.CONTENT.{s}")).unwrap()
}

fn defaults() -> RulesPolicy {
    load(&default_source()).unwrap_or_else(|ds| panic!("defaults must load: {ds:#?}"))
}

fn fired(policy: &RulesPolicy, facts: &FactSheet) -> Vec<String> {
    policy.evaluate(facts).into_iter().map(|e| e.rule_id.to_string()).collect()
}

#[test]
fn defaults_load_clean() {
    let p = defaults();
    let ids: Vec<_> = p.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "reteach-attendance",
            "chronic-absence",
            "severe-chronic-absence",
            "intensive-support",
            "absence-run",
            "participation-drop"
        ]
    );
    assert_eq!(p.focus_standards.fixed_count(), Some(18));
    assert_eq!(p.attendance_bands, AttendanceBands::default());
    assert_eq!(p.bkt, BktParams { prior: 0.3, learn: 0.15, slip: 0.1, guess: 0.25 });
    assert_eq!(p.hash, default_source().hash());
    for r in &p.rules {
        assert!(p.playbook(r.playbook.as_str()).is_some(), "{} names a playbook", r.id);
    }
    assert!(p.playbooks.iter().all(|pb| pb.goal_weeks == DEFAULT_GOAL_WEEKS || pb.id.as_str() == "teacher-check-in"));
}

#[test]
fn defaults_flag_the_issue_scenarios() {
    let p = defaults();
    let nobody = FactSheet::new();
    assert!(fired(&p, &nobody).is_empty(), "no data, no flags");

    let reteach = FactSheet::new()
        .with_mastery(&code("6.RP.A.3"), 0.62, 4)
        .with_mastery(&code("6.EE.B.7"), 0.9, 6)
        .with(Indicator::Absences14d, Value::Count(2));
    assert_eq!(fired(&p, &reteach), ["reteach-attendance"]);
    let too_little_evidence =
        FactSheet::new().with_mastery(&code("6.RP.A.3"), 0.62, 2).with(Indicator::Absences14d, Value::Count(2));
    assert!(fired(&p, &too_little_evidence).is_empty(), "2 answers are below min_evidence = 3");

    let moderate = FactSheet::new()
        .with(Indicator::ChronicAbsence, Value::Flag(true))
        .with(Indicator::AttendanceRate, Value::Number(0.85))
        .with(Indicator::DaysEnrolled, Value::Count(40));
    assert_eq!(fired(&p, &moderate), ["chronic-absence"]);
    let severe = moderate.clone().with(Indicator::AttendanceRate, Value::Number(0.75));
    assert_eq!(fired(&p, &severe), ["severe-chronic-absence"]);
    let early = moderate.with(Indicator::DaysEnrolled, Value::Count(10));
    assert!(fired(&p, &early).is_empty(), "not judged in the first four weeks");

    let low_everywhere = FactSheet::new()
        .with_mastery(&code("7.RP.A.2"), 0.4, 5)
        .with_mastery(&code("7.NS.A.1"), 0.3, 5)
        .with_mastery(&code("7.EE.A.1"), 0.45, 5)
        .with(Indicator::Absences14d, Value::Count(0));
    assert_eq!(fired(&p, &low_everywhere), ["intensive-support"]);
    let absent_run = FactSheet::new()
        .with(Indicator::ConsecutiveAbsences, Value::Count(3))
        .with(Indicator::ParticipationChange, Value::Number(-0.1));
    assert_eq!(fired(&p, &absent_run), ["absence-run"]);

    let dropped = FactSheet::new().with(Indicator::ParticipationChange, Value::Number(-0.3));
    assert_eq!(fired(&p, &dropped), ["participation-drop"]);
}

#[test]
fn evidence_is_what_a_teacher_reads() {
    let p = defaults();
    let facts = FactSheet::new()
        .with_mastery(&code("6.RP.A.3"), 0.62, 4)
        .with_mastery(&code("6.NS.A.1"), 0.55, 7)
        .with_mastery(&code("6.EE.B.7"), 0.9, 6)
        .with(Indicator::Absences14d, Value::Count(3));
    let evidence = p.rule("reteach-attendance").and_then(|r| r.evaluate(&facts)).unwrap();
    assert_eq!(evidence.policy_hash, p.hash);
    let mut json = serde_json::to_value(&evidence).unwrap();
    json["policy_hash"] = serde_json::Value::String("<hash of rules.toml>".into());
    insta::assert_json_snapshot!("reteach_evidence", json);
    let back: Evidence = serde_json::from_value(serde_json::to_value(&evidence).unwrap()).unwrap();
    assert_eq!(back, evidence);
}

#[test]
fn evaluation_is_deterministic_whatever_order_the_facts_come_in() {
    let text = with_rule("condition = \"count(focus_standards, mastery < 0.5) >= 2\"")
        .replace("focus_standards = [\"A\", \"B\", \"C\"]", "focus_standards = \"all\"");
    let p = load(&source(&text)).unwrap();
    let forward = FactSheet::new().with_mastery(&StandardCode::parse("Z").unwrap(), 0.2, 4).with_mastery(
        &StandardCode::parse("M").unwrap(),
        0.3,
        4,
    );
    let first = p.evaluate(&forward);
    assert_eq!(first.len(), 1);
    let codes: Vec<_> = first[0].standards.iter().map(|s| s.standard.as_str()).collect();
    assert_eq!(codes, ["M", "Z"], "'all' focus standards are taken in sorted order");
    for _ in 0..5 {
        assert_eq!(p.evaluate(&forward.clone()), first);
    }
}

#[test]
fn pilot_scope_and_enabled_limit_who_is_evaluated() {
    let text = with_rule("scope = { grades = [\"06\"], courses = [\"math-6\"] }");
    let p = load(&source(&text)).unwrap();
    let mut facts = FactSheet::new().with_mastery(&StandardCode::parse("A").unwrap(), 0.5, 3);
    facts.grades.insert(Grade::parse("06").unwrap());
    assert!(p.evaluate(&facts).is_empty(), "not in the course");
    facts.courses.insert("math-6".into());
    assert_eq!(p.evaluate(&facts).len(), 1);
    facts.grades = [Grade::parse("07").unwrap()].into();
    assert!(p.evaluate(&facts).is_empty(), "wrong grade");

    let off = load(&source(&with_rule("enabled = false"))).unwrap();
    let anyone = FactSheet::new().with_mastery(&StandardCode::parse("A").unwrap(), 0.5, 3);
    assert!(off.evaluate(&anyone).is_empty());
}

#[test]
fn loading_reports_every_problem_at_once() {
    let text = with_rule(
        "condition = \"any(focus_standards, mastery < 1.5) and absenses_14d >= 2\"\n\
         tier = 4\ncolor = \"orange\"\nplaybook = \"reteech\"\nexpiry_days = 0",
    );
    insta::assert_snapshot!("every_problem_at_once", diagnostics(&text));
}

#[test]
fn error_condition_syntax() {
    insta::assert_snapshot!("condition_syntax", diagnostics(&with_rule("condition = \"absences_14d >= 2 and\"")));
}

#[test]
fn error_unknown_indicator_points_inside_the_string() {
    let text = with_rule("condition = \"any(focus_standards, mastery < 0.70) and absenses_14d >= 2\"");
    let out = diagnostics(&text);
    let line = text.lines().position(|l| l.starts_with("condition")).unwrap() + 1;
    let col = text.lines().nth(line - 1).unwrap().find("absenses").unwrap() + 1;
    assert!(out.starts_with(&format!("rules.toml:{line}:{col}: unknown indicator")), "{out}");
    insta::assert_snapshot!("unknown_indicator", out);
}

#[test]
fn error_location_through_escapes_and_multi_line_strings() {
    let escaped = with_rule(r#"condition = "any(focus_standards, mastery < 0.7) and \u0061bsenses_14d >= 2""#);
    let multi = with_rule("").replace(
        "condition = \"any(focus_standards, mastery < 0.7)\"",
        "condition = \"\"\"\nany(focus_standards, mastery < 0.7)\n  and absenses_14d >= 2\"\"\"",
    );
    insta::assert_snapshot!("location_through_escapes", format!("{}\n{}", diagnostics(&escaped), diagnostics(&multi)));
}

#[test]
fn error_type_checks() {
    let cases = [
        "condition = \"mastery < 0.7\"",
        "condition = \"chronic_absence >= 1\"",
        "condition = \"absences_14d == true\"",
        "condition = \"days_enrolled\"",
        "condition = \"any(focus_standards, any(focus_standards, mastery < 0.5))\"",
        "condition = \"any(standards, mastery < 0.5)\"",
        "condition = \"any(focus_standards, absences_14d >= 2)\"",
    ];
    let out: Vec<String> = cases.iter().map(|c| diagnostics(&with_rule(c))).collect();
    insta::assert_snapshot!("type_checks", out.join("\n"));
}

#[test]
fn error_impossible_thresholds() {
    let cases = [
        "condition = \"any(focus_standards, mastery < 1.5)\"",
        "condition = \"absences_14d >= 15\"",
        "condition = \"tardies_14d >= 2.5\"",
        "condition = \"participation_change < -1.5\"",
        "condition = \"attendance_rate > 1\"",
        "condition = \"consecutive_absences >= 0\"",
        "condition = \"count(focus_standards, mastery < 0.5) >= 4\"",
    ];
    let out: Vec<String> = cases.iter().map(|c| diagnostics(&with_rule(c))).collect();
    insta::assert_snapshot!("impossible_thresholds", out.join("\n"));
}

#[test]
fn error_reason_templates() {
    let cases = [
        "reason = \"{standards} and {absenses_14d}\"",
        "reason = \"late {tardies_14d} times\"",
        "reason = \"a {mastery} b {\"",
        "reason = \"  \"",
    ];
    let out: Vec<String> = cases.iter().map(|c| diagnostics(&with_rule(c))).collect();
    insta::assert_snapshot!("reason_templates", out.join("\n"));
}

#[test]
fn error_rule_fields() {
    let cases = [
        "id = \"Low Mastery\"",
        "version = 0",
        "tier = 0",
        "color = \"blue\"",
        "expiry_days = 400",
        "min_evidence = 0",
        "title = \"\"",
        "scope = { grades = [\"6\"], classes = [\" \"] }",
    ];
    let out: Vec<String> = cases.iter().map(|c| diagnostics(&with_rule(c))).collect();
    insta::assert_snapshot!("rule_fields", out.join("\n"));
}

#[test]
fn error_missing_keys() {
    let text = format!("{HEAD}\n[[rules]]\nid = \"bare\"\ncondition = \"absences_14d >= 2\"\n");
    let no_bkt = "kind = \"rules\"\n";
    insta::assert_snapshot!("missing_keys", format!("{}\n{}", diagnostics(&text), diagnostics(no_bkt)));
}

#[test]
fn error_duplicate_ids() {
    let text = format!("{}{RULE}", with_rule(""));
    let dup_playbook = format!("{}\n[[playbooks]]{}", with_rule(""), HEAD.split_once("[[playbooks]]").unwrap().1);
    insta::assert_snapshot!("duplicate_ids", format!("{}\n{}", diagnostics(&text), diagnostics(&dup_playbook)));
}

#[test]
fn error_playbook_references_and_cycles() {
    let unknown = with_rule("playbook = \"reteech\"");
    let playbook = |id: &str, follows: &str| {
        format!(
            "\n[[playbooks]]\nid = \"{id}\"\ntitle = \"T\"\nsteps = [\"s\"]\ninterventions = [\"mentoring\"]\n\
             responsible = \"counselor\"\ncheck_in_days = 7\nfollows = \"{follows}\"\nfamily_description = \"d\"\n"
        )
    };
    let cycle = format!("{}{}{}{}", with_rule(""), playbook("a", "b"), playbook("b", "c"), playbook("c", "a"));
    let to_self = format!("{}{}", with_rule(""), playbook("selfish", "selfish"));
    let dangling = format!("{}{}", with_rule(""), playbook("a", "nowhere"));
    let out = [unknown, cycle, to_self, dangling].map(|t| diagnostics(&t));
    insta::assert_snapshot!("playbook_references", out.join("\n"));
}

#[test]
fn error_playbook_fields() {
    let bad = HEAD
        .replace("interventions = [\"small_group_reteach\"]", "interventions = [\"small_group_reteech\", \"hugs\"]")
        .replace("responsible = \"teacher\"", "responsible = \"principal\"")
        .replace("check_in_days = 7", "check_in_days = 30\ngoal_weeks = 2")
        .replace("Your child is revisiting", "Tier 2 support: your child is revisiting")
        .replace("steps = [\"Reteach in a small group.\"]", "steps = []");
    insta::assert_snapshot!("playbook_fields", diagnostics(&format!("{bad}{RULE}")));
}

#[test]
fn error_pilot_scope_outside_playbook() {
    let text = with_rule("scope = { grades = [\"06\", \"07\"] }")
        .replace("check_in_days = 7\n", "check_in_days = 7\nscope = { grades = [\"06\"] }\n");
    insta::assert_snapshot!("scope_outside_playbook", diagnostics(&text));
}

#[test]
fn error_settings() {
    let bkt = with_rule("").replace("prior = 0.3", "prior = 1.3").replace("slip = 0.1", "slip = 0.8");
    let bands = format!(
        "{}\n[attendance_bands]\nsatisfactory_from = 0.9\nat_risk_from = 0.95\nmoderate_from = 0.95\n",
        with_rule("")
    );
    let indicators = format!("{}\n[indicators]\naccuracy_recent_items = 0\n", with_rule(""));
    let focus_empty = with_rule("").replace("[\"A\", \"B\", \"C\"]", "[]");
    let focus_word = with_rule("").replace("[\"A\", \"B\", \"C\"]", "\"some\"");
    let focus_dup = with_rule("").replace("[\"A\", \"B\", \"C\"]", "[\"A\", \"B\", \"A\", \"C D\"]");
    let kind = with_rule("").replace("kind = \"rules\"", "kind = \"retention\"");
    let out = [bkt, bands, indicators, focus_empty, focus_word, focus_dup, kind].map(|t| diagnostics(&t));
    insta::assert_snapshot!("settings", out.join("\n"));
}

#[test]
fn error_toml_shape_stops_at_the_first_problem() {
    let syntax = format!("{HEAD}\n[[rules]\n");
    let unknown_key = with_rule("treshold = 3");
    let wrong_type = with_rule("tier = \"two\"");
    let out = [syntax, unknown_key, wrong_type].map(|t| diagnostics(&t));
    insta::assert_snapshot!("toml_shape", out.join("\n"));
}

#[test]
fn the_conditions_in_docs_policies_md_are_valid() {
    let doc = include_str!("../../../docs/POLICIES.md");
    let mut seen = 0;
    for line in doc.lines().map(str::trim).filter(|l| l.starts_with("condition = \"") && !l.ends_with("\"\"\"")) {
        let text = line.trim_start_matches("condition = \"").trim_end_matches('"');
        let expr = parser::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        check::check(&expr, None).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        seen += 1;
    }
    assert!(seen >= 4, "examples found: {seen}");
}
