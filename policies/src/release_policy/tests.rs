//! Tests of release policy loading: the shipped default, and one test per validation rule, each
//! checking the message and its `file:line:col`.

use super::*;

/// A small valid policy; tests replace one line of it to break one rule.
const MINIMAL: &str = r#"kind = "release"
privacy_unit = "student"
period = "week"
delta = 1e-10
min_cell = 5

[budget]
period_rho = 0.2
year_rho = 10.6

[domains.grade]
values = ["06", "07"]
fallback = "other"

[domains.rate]
edges = [0.5, 0.9]

[subgroups.sex]
values = ["female", "male"]
fallback = "unknown"

[[tables]]
id = "by_grade"
measure = "count"
dimensions = ["grade", "subgroup"]
contribution_bound = 1
rho = 0.1

[[tables]]
id = "rates"
measure = "count"
per = "rule"
dimensions = ["rate"]
contribution_bound = 1
rho = 0.1
suppress = false
"#;

fn load(text: &str) -> Result<ReleasePolicy, Vec<Diagnostic>> {
    ReleasePolicy::load(&PolicySource { name: "release.toml".into(), text: text.into() })
}

/// Loads `MINIMAL` with `from` replaced by `to`, expecting exactly one error.
fn one_error(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "test setup: {from:?} not in MINIMAL");
    let errs = load(&MINIMAL.replacen(from, to, 1)).expect_err("policy should be refused");
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs[0].to_string()
}

#[test]
fn minimal_policy_loads() {
    let p = load(MINIMAL).unwrap();
    assert_eq!(p.tables().len(), 2);
    assert_eq!(p.period_rule(), &PeriodRule::Week);
    assert_eq!(p.min_cell(), 5);
    assert_eq!(p.nodes_per_student(), 1);
    assert_eq!(p.subgroups()[0].labels(), ["female", "male", "unknown"]);
    assert_eq!(p.domain("rate").unwrap().labels(), ["[-inf,0.5)", "[0.5,0.9)", "[0.9,inf)"]);
    assert!(p.table("by_grade").unwrap().suppress);
    assert!(!p.table("rates").unwrap().suppress);
    assert_eq!(p.table("rates").unwrap().per, Some(PartitionSource::Rule));
    assert!(p.is_attribute("sex") && p.is_attribute("grade") && !p.is_attribute("subgroup"));
    assert_eq!(p.source_name(), "release.toml");
}

#[test]
fn default_policy_loads_and_spends_exactly_its_period_budget() {
    let p = ReleasePolicy::builtin().unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(p.period_rule(), &PeriodRule::Month);
    assert_eq!(p.delta(), 1e-10);
    let total: f64 = p.tables().iter().map(|t| t.rho).sum();
    assert!((total - p.budget().period_rho).abs() < 1e-12, "shares {total}");
    assert!(12.0 * p.budget().period_rho <= p.budget().year_rho * (1.0 + 1e-12));
    assert!(p.budget().year_rho < 2.6 / 4.0, "far below the Census's 2.6");
    let ids: Vec<&str> = p.tables().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "tiers",
            "rule_audit",
            "interventions",
            "mastery",
            "attendance",
            "hist_attendance_rate",
            "hist_absences_14d",
            "hist_focus_mastery"
        ]
    );
    assert_eq!(p.domain("grade").unwrap().labels(), ["06", "07", "08", "other"]);
    assert_eq!(p.domain("absences_14d_bin").unwrap().edges().unwrap().len(), 7);
    assert_eq!(p.hash(), &PolicySource::builtin("release.toml", DEFAULT_RELEASE_POLICY).hash());
}

#[test]
fn unknown_key_names_file_line_col() {
    let err = one_error("min_cell = 5", "min_cell = 5\nmin_size = 3");
    assert!(err.starts_with("release.toml:6:1: unknown field `min_size`"), "{err}");
    let err = one_error("rho = 0.1\n\n[[tables]]", "rho = 0.1\nweight = 2\n\n[[tables]]");
    assert!(err.starts_with("release.toml:28:1: unknown field `weight`"), "{err}");
}

#[test]
fn negative_min_cell_is_located() {
    let err = one_error("min_cell = 5", "min_cell = -1");
    assert!(err.starts_with("release.toml:5:12: "), "{err}");
}

#[test]
fn kind_and_privacy_unit() {
    assert_eq!(
        one_error("kind = \"release\"", "kind = \"rules\""),
        "release.toml:1:8: kind must be \"release\" in a release policy, found \"rules\""
    );
    assert_eq!(
        one_error("privacy_unit = \"student\"", "privacy_unit = \"school\""),
        "release.toml:2:16: privacy_unit must be \"student\" (one student and all of their records), found \"school\""
    );
}

#[test]
fn periods() {
    assert_eq!(
        one_error("period = \"week\"", "period = \"fortnight\""),
        "release.toml:3:10: unknown period \"fortnight\" (expected week, month or term)"
    );
    assert_eq!(
        one_error("period = \"week\"", "period = \"term\""),
        "release.toml:3:10: period = \"term\" needs term_starts = [\"MM-DD\", ...]"
    );
    assert_eq!(
        one_error("period = \"week\"", "period = \"month\"\nterm_starts = [\"08-15\"]"),
        "release.toml:4:15: term_starts is only used with period = \"term\""
    );
    assert_eq!(
        one_error("period = \"week\"", "period = \"term\"\nterm_starts = [\"08-15\", \"13-01\"]"),
        "release.toml:4:25: term start \"13-01\": expected MM-DD, e.g. \"08-15\""
    );
    assert_eq!(
        one_error("period = \"week\"", "period = \"term\"\nterm_starts = [\"08-15\", \"01-06\"]"),
        "release.toml:4:15: term_starts must be in calendar order with no repeats"
    );
    let p =
        load(&MINIMAL.replace("period = \"week\"", "period = \"term\"\nterm_starts = [\"01-06\", \"08-15\"]")).unwrap();
    assert_eq!(p.period_rule().max_periods_per_year(), 2);
}

#[test]
fn delta_range() {
    assert_eq!(
        one_error("delta = 1e-10", "delta = 0.01"),
        "release.toml:4:9: delta must be above 0 and at most 1e-6, found 1e-2"
    );
    assert!(one_error("delta = 1e-10", "delta = 0.0").contains("delta must be above 0"));
}

#[test]
fn table_shares_must_fit_the_period_budget() {
    assert_eq!(
        one_error("period_rho = 0.2", "period_rho = 0.15"),
        "release.toml:8:14: the tables' rho shares sum to 0.2, more than budget.period_rho 0.15"
    );
}

#[test]
fn yearly_cap_must_cover_every_period() {
    assert_eq!(
        one_error("year_rho = 10.6", "year_rho = 10.5"),
        "release.toml:9:12: budget.year_rho 10.5 is below 53 weeks × period_rho 0.2 = 10.600000000000001: every \
         period must be spendable in full, so raise year_rho or lower period_rho"
    );
}

#[test]
fn budgets_must_be_positive() {
    assert_eq!(
        one_error("year_rho = 10.6", "year_rho = -1.0"),
        "release.toml:9:12: budget.year_rho must be a finite number above 0, found -1"
    );
    let errs = load(&MINIMAL.replace("period_rho = 0.2", "period_rho = nan")).unwrap_err();
    assert!(errs[0].to_string().contains("budget.period_rho must be a finite number above 0, found NaN"), "{errs:?}");
    assert_eq!(
        one_error("rho = 0.1\nsuppress", "rho = 0.0\nsuppress"),
        "release.toml:35:7: table rates: rho must be a finite number above 0, found 0"
    );
}

#[test]
fn dimensions_need_domains() {
    assert_eq!(
        one_error("dimensions = [\"rate\"]", "dimensions = [\"rate\", \"tier\"]"),
        "release.toml:33:23: table rates: dimension \"tier\" has no domain (declare [domains.tier])"
    );
    assert_eq!(
        one_error("dimensions = [\"rate\"]", "dimensions = [\"rate\", \"rate\"]"),
        "release.toml:33:23: table rates: dimension \"rate\" is listed twice"
    );
    assert_eq!(
        one_error("dimensions = [\"rate\"]", "dimensions = []"),
        "release.toml:33:14: table rates: dimensions must not be empty"
    );
    let no_families = MINIMAL.replace("[subgroups.sex]\nvalues = [\"female\", \"male\"]\nfallback = \"unknown\"\n", "");
    let errs = load(&no_families).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "release.toml:22:24: table by_grade: dimension \"subgroup\" needs at least one [subgroups] family"
    );
}

#[test]
fn duplicate_table_ids() {
    assert_eq!(
        one_error("id = \"rates\"", "id = \"by_grade\""),
        "release.toml:30:6: duplicate table id \"by_grade\" (first defined on line 23)"
    );
}

#[test]
fn table_fields() {
    assert!(one_error("measure = \"count\"\nper", "measure = \"sum\"\nper")
        .starts_with("release.toml:31:11: table rates: measure \"sum\" is not supported: OpenDP 0.16"));
    assert_eq!(
        one_error("measure = \"count\"\nper", "measure = \"mean\"\nper"),
        "release.toml:31:11: table rates: unknown measure \"mean\" (expected count)"
    );
    assert_eq!(
        one_error("per = \"rule\"", "per = \"school\""),
        "release.toml:32:7: table rates: unknown per \"school\" (expected rule or standard)"
    );
    assert_eq!(
        one_error("per = \"rule\"", "per = \"rule\"\nmax_per = 0"),
        "release.toml:33:11: table rates: max_per must be at least 1"
    );
    assert_eq!(
        one_error("id = \"by_grade\"", "id = \"by_grade\"\nmax_per = 3"),
        "release.toml:24:11: table by_grade: max_per needs per = \"rule\" or \"standard\""
    );
    assert!(one_error("contribution_bound = 1\nrho = 0.1\nsuppress", "contribution_bound = 2\nrho = 0.1\nsuppress")
        .starts_with("release.toml:34:22: table rates: contribution_bound must be 1"));
    assert_eq!(
        one_error("id = \"rates\"", "id = \"Rates!\""),
        "release.toml:30:6: table id \"Rates!\": use lowercase letters, digits and _ (at most 64, starting with a letter)"
    );
}

#[test]
fn domain_rules() {
    assert_eq!(
        one_error("edges = [0.5, 0.9]", "edges = [0.9, 0.5]"),
        "release.toml:16:9: domain rate: edges must be finite numbers in strictly increasing order"
    );
    assert_eq!(
        one_error("edges = [0.5, 0.9]", "edges = [0.5, 0.9]\nvalues = [\"a\"]"),
        "release.toml:15:1: domain rate: give either values or edges, not both"
    );
    assert_eq!(
        one_error("values = [\"06\", \"07\"]", "values = [\"06\", \"06\"]"),
        "release.toml:12:17: domain grade: value \"06\" is listed twice"
    );
    assert_eq!(
        one_error("fallback = \"other\"", "fallback = \"07\""),
        "release.toml:13:12: domain grade: fallback \"07\" is also a listed value"
    );
    assert_eq!(
        one_error("values = [\"06\", \"07\"]", "values = [\"06\", \"\"]"),
        "release.toml:12:17: domain grade value \"\": labels must be 1 to 64 printable characters"
    );
    assert_eq!(
        one_error("edges = [0.5, 0.9]", "edges = [0.5, 0.9]\nfallback = \"[0.5,0.9)\""),
        "release.toml:17:12: domain rate: fallback \"[0.5,0.9)\" is also a bin label"
    );
    assert_eq!(
        one_error("edges = [0.5, 0.9]", ""),
        "release.toml:15:1: domain rate: needs values = [...] or edges = [...]"
    );
    assert_eq!(
        one_error("[subgroups.sex]", "[subgroups.grade]"),
        "release.toml:18:12: subgroup family \"grade\" has the same name as a domain"
    );
    let errs = load(&MINIMAL.replace("[domains.rate]", "[domains.subgroup]")).unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "release.toml:15:10: domain name \"subgroup\" is reserved: declare subgroup families under [subgroups]"
    );
}

#[test]
fn integer_edges_are_numbers() {
    let p = load(&MINIMAL.replace("edges = [0.5, 0.9]", "edges = [1, 2, 3]")).unwrap();
    assert_eq!(p.domain("rate").unwrap().edges(), Some(&[1.0, 2.0, 3.0][..]));
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = MINIMAL
        .replace("privacy_unit = \"student\"", "privacy_unit = \"class\"")
        .replace("delta = 1e-10", "delta = 0.5")
        .replace("dimensions = [\"rate\"]", "dimensions = [\"rate\", \"score\"]")
        .replace("id = \"rates\"", "id = \"by_grade\"")
        .replace("values = [\"06\", \"07\"]", "values = [\"06\", \"06\"]");
    let errs = load(&text).unwrap_err();
    let report = errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(report);
}
