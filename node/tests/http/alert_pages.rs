//! The pages people act on, over real HTTP with browser sessions: a teacher accepts changed next
//! steps through the student page's form and the student sees them on /me/progress; another
//! class's teacher and a form without its CSRF token are refused and change nothing; a guardian
//! files an appeal through /family and follows its state; the weekly summary page.

use serde_json::json;

use crate::alerts_fixture::{dump, evaluate, seed, FOCUS, S1, S2};
use crate::support::TestNode;

/// A browser session: its cookie header and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn login(n: &TestNode, username: &str) -> Browser {
    let (cookie, csrf) = n.browser_login(username).await;
    Browser { cookie, csrf }
}

async fn get(n: &TestNode, b: &Browser, path: &str) -> (u16, String) {
    let r = n.client.get(n.url(path)).header("cookie", &b.cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form (fields in order, repeats allowed); returns status, Location and body.
async fn post(n: &TestNode, b: &Browser, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let r = n.client.post(n.url(path)).header("cookie", &b.cookie).form(fields).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The page's own content (the shared stylesheet names CSS classes such as `.flag`).
fn main_of(html: &str) -> String {
    let start = html.find("<main>").unwrap();
    let end = html.find("</main>").unwrap();
    html[start..end].to_lowercase()
}

fn changed_step<'a>(csrf: &'a str, note: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("keep_0", "1"),
        ("kind_0", "practice"),
        ("standard_0", FOCUS),
        ("misconception_0", "ratio-as-difference"),
        ("item_0", "q6"),
        ("item_0", "q1"),
        ("note_0", note),
        ("action", "changed"),
    ]
}

#[tokio::test]
async fn a_teacher_accepts_changed_next_steps_and_the_student_sees_them() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let teacher = login(&n, "teacher").await;

    let (st, html) = get(&n, &teacher, &format!("/students/{S1}")).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Ada Lovelace") && html.contains("Mastery on focus standards") && html.contains(FOCUS),
        "{html}"
    );
    assert!(html.contains("No answers yet on: "), "unassessed focus standards on one line: {html}");
    assert!(html.contains("below 70%: reteach"), "the band is named, not only coloured: {html}");
    assert!(html.contains(r#"<span class="flag amber">Tier 2: targeted support</span>"#), "{html}");
    assert!(html.contains(r#"name="item_0" value="q6" checked"#), "the suggested item, ticked: {html}");
    assert!(html.contains(r#"name="item_0" value="q1">"#), "another bank item to pick: {html}");
    assert!(html.contains(&format!(r#"name="_csrf" value="{}""#, teacher.csrf)), "{html}");

    let log_before = n.count("access_log");
    let (st, location, _) =
        post(&n, &teacher, &format!("/students/{S1}/next-steps"), &changed_step(&teacher.csrf, "Try q1 again first"))
            .await;
    assert_eq!((st, location.as_str()), (303, "/students/p_s1#next-steps"));
    assert_eq!(n.count("access_log"), log_before + 1, "the change is logged");
    let rows = dump(&n, "next_step");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains(r#"Text("[\"q6\",\"q1\"]")"#) && rows[0].contains("Try q1 again first"), "{rows:?}");

    let (_, html) = get(&n, &teacher, &format!("/students/{S1}")).await;
    assert!(html.contains("changed by staff") && html.contains("q6: Ratio 6, q1: Ratio 1"), "{html}");

    // The student reads them in plain words: no tiers, flags or scores.
    let student = login(&n, "student").await;
    let (st, html) = get(&n, &student, "/me/progress").await;
    assert_eq!(st, 200, "{html}");
    let main = main_of(&html);
    assert!(main.contains(&format!("practice questions on {}", FOCUS.to_lowercase())), "{main}");
    assert!(main.contains("ratio 6, ratio 1"), "the items the teacher picked: {main}");
    assert!(!main.contains("try q1 again first"), "notes are for staff (a suggestion's note quotes mastery): {main}");
    assert!(main.contains("this one needs more practice"), "{main}");
    for word in ["tier", "flag", "amber", "risk", "%"] {
        assert!(!main.contains(word), "{word} on the student's page: {main}");
    }
    // A guardian is sent to the family page.
    let guardian = login(&n, "guardian").await;
    let r = n.client.get(n.url("/me/progress")).header("cookie", &guardian.cookie).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/family"));

    // "Accept as suggested" takes the current suggestion as it is.
    let (st, _, _) = post(
        &n,
        &teacher,
        &format!("/students/{S1}/next-steps"),
        &[("_csrf", &teacher.csrf), ("action", "as_suggested")],
    )
    .await;
    assert_eq!(st, 303);
    let (_, mine) = get(&n, &student, "/me/progress").await;
    assert!(main_of(&mine).contains("ratio 6") && !main_of(&mine).contains("ratio 1"), "as suggested: {mine}");
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let teacher = login(&n, "teacher").await;
    let other = login(&n, "teacher2").await;
    let path = format!("/students/{S1}/next-steps");

    // Another class's teacher: 403 for the page and the form.
    let (st, _) = get(&n, &other, &format!("/students/{S1}")).await;
    assert_eq!(st, 403);
    let log_before = n.count("access_log");
    let (st, _, _) = post(&n, &other, &path, &changed_step(&other.csrf, "mine now")).await;
    assert_eq!(st, 403);
    assert!(dump(&n, "next_step").is_empty());
    assert_eq!(n.count("access_log"), log_before, "nothing read, nothing logged");

    // The right teacher without the CSRF token, or with another session's: refused.
    let mut no_csrf = changed_step(&teacher.csrf, "x");
    no_csrf.remove(0);
    let (st, _, _) = post(&n, &teacher, &path, &no_csrf).await;
    assert_eq!(st, 403);
    let (st, _, _) = post(&n, &teacher, &path, &changed_step(&other.csrf, "x")).await;
    assert_eq!(st, 403);
    assert!(dump(&n, "next_step").is_empty());

    // A bad form: the page again with the reason, 422, nothing accepted.
    let mut bad = changed_step(&teacher.csrf, "x");
    bad[2] = ("kind_0", "homework");
    let (st, _, html) = post(&n, &teacher, &path, &bad).await;
    assert_eq!(st, 422);
    assert!(html.contains("kind_0: &quot;homework&quot; is not practice, enrichment or tutoring"), "{html}");
    let mut unknown_item = changed_step(&teacher.csrf, "x");
    unknown_item[5] = ("item_0", "no-such-item");
    let (st, _, html) = post(&n, &teacher, &path, &unknown_item).await;
    assert_eq!(st, 422);
    assert!(html.contains("no item &quot;no-such-item&quot; in the bank"), "{html}");
    assert!(dump(&n, "next_step").is_empty());

    let (st, _) = get(&n, &teacher, "/students/no-such-student").await;
    assert_eq!(st, 404);
}

/// Wrong answers and absences that raise the tier-2 flag for stu-2 (class-2: not the
/// guardian's child), as the fixture does for stu-1.
async fn struggling_second_student(n: &TestNode) {
    n.store
        .write(move |c| -> Result<(), lantern_node::store::StoreError> {
            for seq in 6..=8 {
                let (at, item) = ("2026-09-11T10:00:00.000Z", format!("q{}", seq - 5));
                c.execute(
                    "INSERT INTO statement (seq, id, stored, timestamp, source_id, actor, verb, object, json)
                     VALUES (?1, ?2, ?3, ?3, 1, 'mbox:bob', 'answered', ?4, '{}')",
                    rusqlite::params![seq, format!("00000000-0000-4000-8000-00000000010{seq}"), at, item],
                )?;
                c.execute(
                    "INSERT INTO learning_event (seq, student_key, at, verb, item_id, class_id, correct, response)
                     VALUES (?1, 'p_s2', ?2, 'answered', ?3, 'class-2', 0, 'B')",
                    rusqlite::params![seq, at, item],
                )?;
            }
            for day in ["2026-09-08", "2026-09-10"] {
                c.execute("INSERT INTO attendance (pkey, date, status) VALUES ('p_s2', ?1, 'absent')", [day])?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_guardian_appeals_through_the_family_page_and_sees_the_answer() {
    let n = TestNode::start().await;
    seed(&n).await;
    struggling_second_student(&n).await;
    evaluate(&n, S1).await;
    evaluate(&n, S2).await;
    assert_eq!(n.count("flag"), 2, "a flag for each child");
    let guardian = login(&n, "guardian").await;

    let (st, html) = get(&n, &guardian, "/family").await;
    assert_eq!(st, 200, "{html}");
    let main = main_of(&html);
    assert!(main.contains("ada lovelace") && main.contains("your child is working in a small group"), "{main}");
    assert!(html.contains(r#"name="target" value="flag:1""#), "{html}");
    for word in ["tier", "amber", "risk", "flag "] {
        assert!(!main.contains(word), "{word} on the family page: {main}");
    }
    assert!(!main.contains("bob"), "only linked children");

    let text = "He was ill that week; we sent a note.";
    let (st, location, _) =
        post(&n, &guardian, "/family/appeals", &[("_csrf", &guardian.csrf), ("target", "flag:1"), ("text", text)])
            .await;
    assert_eq!((st, location.as_str()), (303, "/family#child-p_s1"));
    assert_eq!(n.count("appeal"), 1);
    let (_, html) = get(&n, &guardian, "/family").await;
    assert!(html.contains("waiting for the school") && html.contains(text), "{html}");

    // A second one on the same support, one without CSRF, one about another child: refused.
    let before = dump(&n, "appeal");
    let (st, _, html) =
        post(&n, &guardian, "/family/appeals", &[("_csrf", &guardian.csrf), ("target", "flag:1"), ("text", "again")])
            .await;
    assert_eq!(st, 409);
    assert!(html.contains("this flag already has an open appeal"), "{html}");
    let (st, _, _) = post(&n, &guardian, "/family/appeals", &[("target", "flag:1"), ("text", "x")]).await;
    assert_eq!(st, 403);
    let (st, _, _) =
        post(&n, &guardian, "/family/appeals", &[("_csrf", &guardian.csrf), ("target", "flag:2"), ("text", "x")]).await;
    assert_eq!(st, 403, "not their child");
    assert_eq!(dump(&n, "appeal"), before);

    // MTSS answers; the family sees it.
    let mtss = n.token("mtss").await;
    let r = n
        .client
        .post(n.url("/api/v1/appeals/1/answer"))
        .bearer_auth(&mtss)
        .json(&json!({"decision": "upheld", "answer": "We keep the group for two more weeks."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, html) = get(&n, &guardian, "/family").await;
    assert!(html.contains("answered: the school kept it as it is"), "{html}");
    assert!(html.contains("We keep the group for two more weeks."), "{html}");

    // A student is sent to their own page.
    let student = login(&n, "student").await;
    let r = n.client.get(n.url("/family")).header("cookie", &student.cookie).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/me/progress"));
}

#[tokio::test]
async fn the_summary_page_links_students_and_the_download() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    n.clock.advance(chrono::Duration::minutes(1)); // the flag was raised within the week
    let teacher = login(&n, "teacher").await;
    let (st, html) = get(&n, &teacher, "/summaries").await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Math 6A") && html.contains("ratio-as-difference"), "{html}");
    assert!(
        html.contains(r#"href="/api/v1/summaries/teacher?format=md""#) && html.contains("Download (Markdown)"),
        "{html}"
    );
    assert!(html.contains(r#"href="/students/p_s1""#), "{html}");
    let (st, home) = get(&n, &teacher, "/home").await;
    assert_eq!(st, 200);
    assert!(home.contains(r#"href="/summaries""#), "{home}");

    let mtss = login(&n, "mtss").await;
    let (_, html) = get(&n, &mtss, "/summaries").await;
    assert!(
        html.contains("Overdue progress checks") && html.contains(r#"href="/api/v1/summaries/mtss?format=md""#),
        "{html}"
    );
    assert!(!html.contains("Progress on focus standards"), "no class until one is picked");
    let (_, html) = get(&n, &mtss, "/summaries?class=class-1").await;
    assert!(html.contains(r#"href="/api/v1/summaries/teacher?format=md&amp;class=class-1""#), "{html}");
    let (st, _) = get(&n, &mtss, "/summaries?klass=1").await;
    assert_eq!(st, 400);
    let (st, _) = get(&n, &teacher, "/summaries?class=class-2").await;
    assert_eq!(st, 403, "another teacher's class");

    let guardian = login(&n, "guardian").await;
    let (_, home) = get(&n, &guardian, "/home").await;
    assert!(home.contains(r#"href="/family""#), "{home}");
    let student = login(&n, "student").await;
    let (_, home) = get(&n, &student, "/home").await;
    assert!(home.contains(r#"href="/me/progress""#), "{home}");
}
