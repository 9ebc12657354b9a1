//! Summary e-mails over a real SMTP conversation: a tiny server on 127.0.0.1:0 speaking enough of
//! RFC 5321 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) receives what the node sends; a second run
//! sends nothing; a refusing server leaves the week failed (no address in the stored error) and a
//! later run retries it; the retry bound; the dry run; configuration the mailer refuses.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{NaiveTime, Weekday};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::alerts::evaluate::evaluate_student;
use crate::alerts::test_support::*;
use crate::config::smtp::{SendDay, SendTime, SmtpConfig, SmtpSecurity};

/// One message as the server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Accept,
    /// Answers every RCPT with a 550 that quotes the address, as real servers do.
    RejectRecipients,
}

struct SmtpServer {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    async fn start(behaviour: Behaviour) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let got = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(conversation(socket, behaviour, got.clone()));
            }
        });
        SmtpServer { port, received, task }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) {
    w.write_all(format!("{text}\r\n").as_bytes()).await.unwrap();
}

fn angle(arg: &str) -> String {
    arg.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(a, _)| a.to_string()).unwrap_or_default()
}

async fn conversation(socket: tokio::net::TcpStream, behaviour: Behaviour, got: Arc<Mutex<Vec<Received>>>) {
    let (r, mut w) = socket.into_split();
    let mut lines = BufReader::new(r).lines();
    reply(&mut w, "220 mail.test ESMTP ready").await;
    let mut current = Received::default();
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => reply(&mut w, "250-mail.test\r\n250 8BITMIME").await,
            "MAIL" => {
                current = Received { from: angle(&line), ..Received::default() };
                reply(&mut w, "250 2.1.0 OK").await;
            }
            "RCPT" if behaviour == Behaviour::RejectRecipients => {
                reply(&mut w, &format!("550 5.1.1 <{}>: recipient unknown", angle(&line))).await;
            }
            "RCPT" => {
                current.to.push(angle(&line));
                reply(&mut w, "250 2.1.5 OK").await;
            }
            "DATA" => {
                reply(&mut w, "354 end with <CRLF>.<CRLF>").await;
                let mut data = Vec::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 4.5.2).
                    data.push(l.strip_prefix('.').map_or(l.clone(), str::to_string));
                }
                current.data = data.join("\r\n");
                got.lock().unwrap().push(std::mem::take(&mut current));
                reply(&mut w, "250 2.0.0 queued").await;
            }
            "RSET" => {
                current = Received::default();
                reply(&mut w, "250 2.0.0 OK").await;
            }
            "NOOP" => reply(&mut w, "250 2.0.0 OK").await,
            "QUIT" => {
                reply(&mut w, "221 2.0.0 bye").await;
                return;
            }
            _ => reply(&mut w, "502 5.5.2 command not recognised").await,
        }
    }
}

/// Subject (unfolded) and body (quoted-printable decoded) of a received message.
fn parts(m: &Received) -> (String, String) {
    let (head, body) = m.data.split_once("\r\n\r\n").unwrap();
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let subject = head.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap().to_string();
    let body = if head.contains("Content-Transfer-Encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_string()
    };
    (subject, body)
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn smtp(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password_file: None,
        from: "Lincoln Middle School <lantern@lincoln.example>".into(),
        send_day: SendDay::Monday,
        send_time: SendTime(NaiveTime::from_hms_opt(7, 0, 0).unwrap()),
        time_zone: crate::config::smtp::SendZone::Utc,
    }
}

fn schedule() -> Schedule {
    Schedule { day: Weekday::Mon, time: NaiveTime::from_hms_opt(7, 0, 0).unwrap(), zone: super::week::Zone::Utc }
}

/// The alert fixture with a tier-2 flag for S1 raised the day before `t0` (a Monday), and
/// addresses on the roster for the teacher, MTSS and guardian accounts — not for teacher2.
fn setup() -> Fixture {
    let f = fixture();
    seed_answers(&f.store);
    f.store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0() - days(1))).unwrap();
    f.store
        .write_blocking(|c| -> Result<(), StoreError> {
            c.execute_batch(
                "INSERT INTO person (pkey, sourced_id, username, given_name, family_name, email)
                 VALUES ('p_t1', 'tea-1', 'tl', 'Tess', 'Lee', 'tess.lee@lincoln.example'),
                        ('p_m1', 'mtss-1', 'mo', 'Mo', 'Ode', 'mo.ode@lincoln.example'),
                        ('p_g1', 'gua-1', 'gl', 'Grace', 'Lovelace', ' grace@home.example ');
                 UPDATE account SET person_key = 'p_t1' WHERE id = 1;
                 UPDATE account SET person_key = 'p_m1' WHERE id = 2;
                 UPDATE account SET person_key = 'p_g1' WHERE id = 3;",
            )?;
            Ok(())
        })
        .unwrap();
    f
}

async fn send(f: &Fixture, mailer: &Mailer, week: MailWeek, max: Option<u32>) -> MailReport {
    send_week(&f.store, Arc::new(policy()), "Lincoln Middle School", mailer, week, t0(), max).await.unwrap()
}

fn mail_rows(f: &Fixture) -> Vec<String> {
    dump(&f.store, "summary_mail")
}

/// (status, attempts, last error) of every `summary_mail` row.
fn statuses(f: &Fixture) -> Vec<(String, i64, Option<String>)> {
    f.store
        .read_blocking(|c| -> Result<_, StoreError> {
            let mut st = c.prepare("SELECT status, attempts, last_error FROM summary_mail ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[tokio::test]
async fn each_account_gets_its_summary_once() {
    let f = tokio::task::spawn_blocking(setup).await.unwrap();
    let server = SmtpServer::start(Behaviour::Accept).await;
    let mailer = Mailer::from_config(&smtp(server.port)).unwrap();
    let week = MailWeek::latest(schedule(), t0());
    assert_eq!(week.to_string(), "2026-10-05");
    let log_before = count(&f.store, "access_log");

    let r = send(&f, &mailer, week, Some(MAX_ATTEMPTS)).await;
    assert_eq!((r.sent, r.failed, r.without_address, r.nothing_to_summarise), (3, 0, 1, 0), "{r}");
    let got = server.received();
    assert_eq!(got.len(), 3);
    for m in &got {
        assert_eq!(m.from, "lantern@lincoln.example");
    }
    let by_rcpt = |addr: &str| got.iter().find(|m| m.to == [addr.to_string()]).unwrap_or_else(|| panic!("{addr}"));

    let (subject, body) = parts(by_rcpt("tess.lee@lincoln.example"));
    assert_eq!(subject, "Weekly class summary, Lincoln Middle School, 2026-09-28 to 2026-10-05");
    assert!(body.contains("# Weekly class summary") && body.contains("## Math 6A"), "{body}");
    assert!(body.contains("Ada Lovelace — Tier 2: targeted support (amber)"), "the new flag: {body}");
    assert!(body.contains("ratio-as-difference"), "{body}");
    let headers = m_headers(by_rcpt("tess.lee@lincoln.example"));
    assert!(headers.contains("Content-Type: text/plain; charset=utf-8"), "{headers}");
    assert!(headers.contains("Message-ID: <") && headers.contains("@lincoln.example>"), "{headers}");

    let (subject, body) = parts(by_rcpt("mo.ode@lincoln.example"));
    assert!(subject.starts_with("Weekly early-warning summary"), "{subject}");
    assert!(body.contains("| raised this week | 0 | 1 | 0 |"), "{body}");

    let (subject, body) = parts(by_rcpt("grace@home.example"));
    assert_eq!(subject, "Your child's week at Lincoln Middle School, 2026-09-28 to 2026-10-05");
    assert!(
        body.contains("# Ada Lovelace's week") && body.contains("Answered 3 practice and quiz questions"),
        "{body}"
    );
    for word in ["tier", "amber", "risk", "flag"] {
        assert!(!body.to_lowercase().contains(word), "{word} in the family summary: {body}");
    }

    // Recorded as sent, and the reads in the access log (teacher: the flagged student; family: the child).
    assert_eq!(statuses(&f), vec![("sent".to_string(), 1, None); 3]);
    let rows = mail_rows(&f);
    assert_eq!(count(&f.store, "access_log"), log_before + 2);

    // A second run (a restart, or the CLI) sends nothing.
    let again = send(&f, &mailer, week, None).await;
    assert_eq!((again.sent, again.already_sent), (0, 3), "{again}");
    assert_eq!(server.received().len(), 3);
    assert_eq!(mail_rows(&f), rows);
}

fn m_headers(m: &Received) -> String {
    m.data.split_once("\r\n\r\n").unwrap().0.to_string()
}

#[tokio::test]
async fn a_refusing_server_leaves_the_week_to_retry_within_a_bound() {
    let f = tokio::task::spawn_blocking(setup).await.unwrap();
    let week = MailWeek::latest(schedule(), t0());
    let refusing = SmtpServer::start(Behaviour::RejectRecipients).await;
    let mailer = Mailer::from_config(&smtp(refusing.port)).unwrap();
    let log_before = count(&f.store, "access_log");

    let r = send(&f, &mailer, week, Some(2)).await;
    assert_eq!((r.sent, r.failed), (0, 3), "{r}");
    assert!(refusing.received().is_empty());
    let refused = ("failed".to_string(), 1, Some("refused by the mail server (SMTP 550)".to_string()));
    assert_eq!(statuses(&f), vec![refused; 3], "not marked sent");
    let rows = mail_rows(&f);
    assert!(rows.iter().all(|r| !r.contains('@')), "no address is stored: {rows:?}");
    assert_eq!(count(&f.store, "access_log"), log_before, "nothing was read by anyone");

    // The next tick retries; past the bound the task gives up (the CLI, unbounded, still tries).
    assert_eq!(send(&f, &mailer, week, Some(2)).await.failed, 3);
    let r = send(&f, &mailer, week, Some(2)).await;
    assert_eq!((r.failed, r.gave_up), (0, 3), "{r}");
    assert!(r.to_string().contains("3 given up after 10 failed attempts"), "{r}");

    // A server that is down: the connection fails, recorded the same way.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = Mailer::from_config(&smtp(port)).unwrap();
    assert_eq!(send(&f, &down, week, None).await.failed, 3);
    let unreachable = ("failed".to_string(), 3, Some("could not talk to the mail server".to_string()));
    assert_eq!(statuses(&f), vec![unreachable; 3]);

    // Once the server takes mail again, the operator's run sends the week.
    let good = SmtpServer::start(Behaviour::Accept).await;
    let mailer = Mailer::from_config(&smtp(good.port)).unwrap();
    let r = send(&f, &mailer, week, None).await;
    assert_eq!((r.sent, r.failed), (3, 0), "{r}");
    assert_eq!(good.received().len(), 3);
    assert_eq!(statuses(&f), vec![("sent".to_string(), 4, None); 3]);
}

#[tokio::test]
async fn dry_run_lists_and_changes_nothing() {
    let f = tokio::task::spawn_blocking(setup).await.unwrap();
    let week = MailWeek::latest(schedule(), t0());
    let r = preview_week(&f.store, Arc::new(policy()), "Lincoln Middle School", week).await.unwrap();
    assert_eq!(r.would_send.len(), 3, "{r}");
    let text = r.to_string();
    assert!(text.contains("would send: family summary to account \"guardian\""), "{text}");
    assert!(text.contains("skipped 1 account(s) without an e-mail address"), "{text}");
    assert!(!text.contains('@'), "no addresses: {text}");
    assert!(mail_rows(&f).is_empty());
}

#[test]
fn the_mailer_refuses_bad_configuration() {
    let mut c = smtp(2525);
    c.username = Some("lantern".into());
    c.password_file = Some(PathBuf::from("/nonexistent/smtp-password"));
    let err = Mailer::from_config(&c).err().unwrap().to_string();
    assert!(err.starts_with("smtp.password_file: cannot read /nonexistent/smtp-password:"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("pw");
    std::fs::write(&empty, "\n").unwrap();
    c.password_file = Some(empty);
    let err = Mailer::from_config(&c).err().unwrap().to_string();
    assert!(err.contains("is empty"), "{err}");
    let mut c = smtp(25);
    c.host = "mail.example.org".into();
    let err = Mailer::from_config(&c).err().unwrap().to_string();
    assert!(err.starts_with("smtp.security: \"none\""), "{err}");
}

#[tokio::test]
async fn the_serve_task_sends_inside_the_window_only() {
    let f = tokio::task::spawn_blocking(setup).await.unwrap();
    let server = SmtpServer::start(Behaviour::Accept).await;
    let start = |at| {
        SummaryMailer::start_with(
            Mailer::from_config(&smtp(server.port)).unwrap(),
            schedule(),
            "Lincoln Middle School".into(),
            f.store.clone(),
            Arc::new(policy()),
            Arc::new(crate::clock::FixedClock::new(at)),
            Duration::from_millis(20),
        )
    };
    // Two days after the send time: a stale week is left to the operator.
    let late = start(t0() + days(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    late.stop().await;
    assert!(server.received().is_empty() && mail_rows(&f).is_empty());
    // An hour after it: sent once, however many ticks pass.
    let task = start(t0());
    for _ in 0..100 {
        if server.received().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    task.stop().await;
    assert_eq!(server.received().len(), 3);
    assert_eq!(statuses(&f), vec![("sent".to_string(), 1, None); 3]);
}
