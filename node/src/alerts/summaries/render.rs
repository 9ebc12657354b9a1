//! Markdown for the weekly summaries: one template per audience with `{placeholders}`, filled
//! with lines built from the summary. Families' template has no place for a tier, colour or label.

use super::{FamilySummary, MtssSummary, TeacherSummary};

const TEACHER_TEMPLATE: &str = "# Weekly class summary\n\n\
Week of {from} to {to}.\n\n\
{classes}";

const TEACHER_CLASS_TEMPLATE: &str = "## {title}\n\n\
{students} students.\n\n\
### Progress on focus standards\n\n\
{standards}\n\
### New flags this week\n\n\
{flags}\n\
### Misconceptions to reteach\n\n\
{reteach}\n";

const MTSS_TEMPLATE: &str = "# Weekly early-warning summary\n\n\
Week of {from} to {to}.\n\n\
## Tiers\n\n\
| | tier 1 | tier 2 | tier 3 |\n|---|---|---|---|\n\
| flags now open | {live1} | {live2} | {live3} |\n\
| raised this week | {new1} | {new2} | {new3} |\n\n\
Changes this week: {transitions}.\n\n\
## Overdue progress checks\n\n\
{overdue}\n\
## Intervention outcomes this week\n\n\
{outcomes}\n";

const FAMILY_TEMPLATE: &str = "# {name}'s week\n\n\
Week of {from} to {to}.\n\n\
- At school {present} of {days} school days.\n\
- Answered {answered} practice and quiz questions, {correct} of them correctly.\n\n\
## How the school is helping\n\n\
{supports}\n\
## Next steps\n\n\
{next_steps}\n\
Questions? Reply to your child's teacher. If you disagree with a support, you can ask the school to look at it again from your Lantern page.\n";

fn fill(template: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(template.to_string(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
}

fn day(ts: &str) -> String {
    ts.chars().take(10).collect()
}

fn bullets(lines: Vec<String>, none: &str) -> String {
    if lines.is_empty() {
        format!("{none}\n")
    } else {
        lines.into_iter().map(|l| format!("- {l}\n")).collect()
    }
}

pub fn teacher_markdown(s: &TeacherSummary) -> String {
    let classes: String = s
        .classes
        .iter()
        .map(|c| {
            let standards = bullets(
                c.standards
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: average mastery {:.0}% over {} students; {} below 70%",
                            p.standard,
                            p.mean_mastery * 100.0,
                            p.assessed,
                            p.below
                        )
                    })
                    .collect(),
                "No answers on focus standards yet.",
            );
            let flags = bullets(
                c.new_flags
                    .iter()
                    .map(|f| {
                        format!(
                            "{} — {} ({}): {}",
                            f.student_name.as_deref().unwrap_or(&f.student_key),
                            f.label,
                            f.color,
                            f.reason
                        )
                    })
                    .collect(),
                "None.",
            );
            let reteach = bullets(
                c.reteach.iter().map(|m| format!("{} ({} wrong answers)", m.misconception, m.count)).collect(),
                "No common wrong answers this week.",
            );
            fill(
                TEACHER_CLASS_TEMPLATE,
                &[
                    ("title", c.title.clone().unwrap_or_else(|| c.class_id.clone())),
                    ("students", c.students.to_string()),
                    ("standards", standards),
                    ("flags", flags),
                    ("reteach", reteach),
                ],
            )
        })
        .collect();
    fill(TEACHER_TEMPLATE, &[("from", day(&s.week.from)), ("to", day(&s.week.to)), ("classes", classes)])
}

pub fn mtss_markdown(s: &MtssSummary) -> String {
    let transitions = if s.transitions.is_empty() {
        "none".to_string()
    } else {
        s.transitions.iter().map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect::<Vec<_>>().join(", ")
    };
    let overdue = bullets(
        s.overdue_checks
            .iter()
            .map(|o| {
                format!(
                    "{} — {} (intervention {}), check due {}",
                    o.student_name.as_deref().unwrap_or(&o.student_key),
                    o.kind.replace('_', " "),
                    o.intervention_id,
                    o.due
                )
            })
            .collect(),
        "None: every active intervention is up to date.",
    );
    let outcomes = bullets(
        s.outcomes.iter().map(|(k, n)| format!("{}: {n}", k.replace('_', " "))).collect(),
        "No interventions closed this week.",
    );
    fill(
        MTSS_TEMPLATE,
        &[
            ("from", day(&s.week.from)),
            ("to", day(&s.week.to)),
            ("live1", s.live_by_tier[0].to_string()),
            ("live2", s.live_by_tier[1].to_string()),
            ("live3", s.live_by_tier[2].to_string()),
            ("new1", s.raised_by_tier[0].to_string()),
            ("new2", s.raised_by_tier[1].to_string()),
            ("new3", s.raised_by_tier[2].to_string()),
            ("transitions", transitions),
            ("overdue", overdue),
            ("outcomes", outcomes),
        ],
    )
}

pub fn family_markdown(s: &FamilySummary) -> String {
    fill(
        FAMILY_TEMPLATE,
        &[
            ("name", s.name.clone().unwrap_or_else(|| "Your child".into())),
            ("from", day(&s.week.from)),
            ("to", day(&s.week.to)),
            ("present", s.days_present.to_string()),
            ("days", (s.days_present + s.days_absent).to_string()),
            ("answered", s.questions_answered.to_string()),
            ("correct", s.questions_correct.to_string()),
            (
                "supports",
                bullets(s.supports.clone(), "Nothing extra right now: your child is following the regular class."),
            ),
            ("next_steps", bullets(s.next_steps.clone(), "None set this week.")),
        ],
    )
}
