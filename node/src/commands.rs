//! What each `lantern node ...` command does, as library functions the binary (and tests) call.
//! Every command opens the configuration and the store the same way, fails with one line, and
//! changes nothing when it fails.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::auth::{self, AuthError, LinkTarget, Role};
use crate::clock::{Clock, SystemClock};
use crate::config::{lantern_env, ConfigError, NodeConfig};
use crate::http::{self, AppState, RunningNode};
use crate::store::{DbKey, Store, StoreError, StoreOptions};

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    #[error(transparent)]
    Mail(#[from] crate::alerts::mail::MailError),
    #[error("{0}")]
    Io(String),
}

/// Reads the configuration: `--config FILE`, else `node.toml` here, else defaults; then `LANTERN_*`.
pub fn load_config(path: Option<&Path>) -> Result<NodeConfig, NodeError> {
    Ok(NodeConfig::load(path, &lantern_env())?)
}

/// Opens the node's database as the configuration says (creating and migrating it if needed).
pub fn open_store(config: &NodeConfig) -> Result<Store, NodeError> {
    let env_key = std::env::var("LANTERN_DB_KEY").ok();
    let key = DbKey::from_config(config, env_key.as_deref())?;
    Ok(Store::open(&StoreOptions::from_config(config, key))?)
}

/// Starts a node server in this process: opens the store, bootstraps the first admin account if
/// there is none (the one-time password is returned for printing), binds and serves.
pub async fn start(config: NodeConfig, clock: Arc<dyn Clock>) -> Result<(RunningNode, Option<String>), NodeError> {
    let listen = config.listen;
    let cfg = config.clone();
    let (store, bootstrap) = tokio::task::spawn_blocking(move || -> Result<_, NodeError> {
        let store = open_store(&cfg)?;
        crate::ingest::backfill_related(&store)?; // statements stored before migration 0009
        let pw = auth::bootstrap_admin(&store, clock_now())?;
        Ok((store, pw))
    })
    .await
    .map_err(|e| NodeError::Io(format!("starting the node: {e}")))??;
    let policies = crate::policies::Policies::load(&config.policies).map_err(|e| NodeError::Io(e.to_string()))?;
    let state = AppState::new(config, store, clock, Arc::new(policies));
    let node =
        http::start(state, listen).await.map_err(|e| NodeError::Io(format!("cannot listen on {listen}: {e}")))?;
    Ok((node, bootstrap))
}

fn clock_now() -> chrono::DateTime<chrono::Utc> {
    SystemClock.now()
}

/// `lantern node serve`: runs until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn serve(config: NodeConfig) -> Result<(), NodeError> {
    let (node, bootstrap) = start(config, Arc::new(SystemClock)).await?;
    println!("Lantern node listening on {}", node.url());
    if let Some(pw) = bootstrap {
        println!("First start: created account \"admin\" with one-time password {pw}");
        println!("(it must be changed at first login)");
    }
    // Releases (when `[release] enabled`): the schedule and the outbox sender stop before the store.
    let s = &node.state;
    let releases =
        crate::release::ReleaseBackground::start(&s.config, s.store.clone(), s.policies.clone(), s.clock.clone())
            .map_err(|e| NodeError::Io(e.to_string()))?;
    // Weekly summaries by e-mail (when `[smtp]` is set); a bad password file stops the start here.
    let mailer = crate::alerts::mail::SummaryMailer::start(
        &s.config,
        s.store.clone(),
        s.policies.rules.clone(),
        s.clock.clone(),
    )?;
    let signal = async move {
        shutdown_signal().await;
        if let Some(r) = releases {
            r.stop().await;
        }
        if let Some(m) = mailer {
            m.stop().await;
        }
    };
    node.run_until(signal).await.map_err(|e| NodeError::Io(format!("server error: {e}")))?;
    println!("Lantern node stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `lantern node user add`.
pub fn user_add(
    config: &NodeConfig,
    username: &str,
    role: &str,
    person: Option<&str>,
    password: Option<&str>,
) -> Result<String, NodeError> {
    let role: Role = role.parse().map_err(|e: String| NodeError::Auth(AuthError::Invalid(e)))?;
    let store = open_store(config)?;
    let added = auth::add_user(&store, username, role, password, person, clock_now());
    store.shutdown();
    let added = added?;
    Ok(match added.generated_password {
        Some(pw) => {
            format!("created {role} account \"{username}\"; one-time password: {pw} (must be changed at first login)")
        }
        None => format!("created {role} account \"{username}\""),
    })
}

/// `lantern node user passwd`.
pub fn user_passwd(config: &NodeConfig, username: &str, password: Option<&str>) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let r = auth::set_password(&store, username, password, password.is_none(), clock_now());
    store.shutdown();
    Ok(match r? {
        Some(pw) => {
            format!("password of \"{username}\" reset; one-time password: {pw}; all its sessions were signed out")
        }
        None => format!("password of \"{username}\" changed; all its sessions were signed out"),
    })
}

/// `lantern node user link`.
pub fn user_link(config: &NodeConfig, username: &str, target: LinkTarget) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let what = match &target {
        LinkTarget::Student(s) => format!("student {s}"),
        LinkTarget::Class(c) => format!("class {c}"),
    };
    let r = auth::link(&store, username, target, clock_now());
    store.shutdown();
    Ok(if r? {
        format!("linked \"{username}\" to {what}")
    } else {
        format!("\"{username}\" was already linked to {what}")
    })
}

/// `lantern node audit verify`: Ok(report line) when intact, Err naming the first broken entry.
pub fn audit_verify(config: &NodeConfig) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let r = crate::audit::verify(&store);
    store.shutdown();
    let r = r?;
    if r.ok {
        Ok(format!("access log intact: {} entries, head {}", r.entries, r.last_hash))
    } else {
        Err(NodeError::Io(format!(
            "access log TAMPERED: {} ({} entries checked)",
            r.problem.unwrap_or_default(),
            r.entries
        )))
    }
}

/// `lantern node import KIND PATH`.
pub fn import(config: &NodeConfig, input: crate::imports::ImportInput, path: &Path) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let opts = crate::import::ImportOptions { progress: crate::import::Progress::terminal_bar(), ..Default::default() };
    let r = crate::imports::run_import(&store, input, path, &opts, clock_now());
    store.shutdown();
    match r {
        Ok(report) => Ok(crate::imports::render_report(&report)),
        Err(e) => Err(NodeError::Import(e)),
    }
}

/// `lantern node source add NAME [--classes ...]`: the credentials are printed once.
pub fn source_add(config: &NodeConfig, name: &str, classes: Option<Vec<String>>) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let r = crate::sources::create(&store, name, classes, clock_now());
    store.shutdown();
    let c = r?;
    Ok(format!(
        "created data source \"{}\"\n  xAPI endpoint: <node url>/xapi/\n  Basic auth username (key): {}\n  Basic auth password (secret): {}\nThe secret is shown only now; store it in the tool's settings.",
        c.name, c.key, c.secret
    ))
}

/// `lantern node source revoke NAME`.
pub fn source_revoke(config: &NodeConfig, name: &str) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let r = crate::sources::revoke(&store, name, clock_now());
    store.shutdown();
    r?;
    Ok(format!("revoked data source \"{name}\"; its requests are now refused"))
}

/// `lantern node source list`.
pub fn source_list(config: &NodeConfig) -> Result<String, NodeError> {
    let store = open_store(config)?;
    let r = crate::sources::list(&store);
    store.shutdown();
    let rows = r?;
    if rows.is_empty() {
        return Ok("no data sources".into());
    }
    Ok(rows
        .iter()
        .map(|s| {
            let classes = s.classes.as_ref().map_or("all classes".to_string(), |c| c.join(","));
            let state = s.revoked_at.as_ref().map_or("active".to_string(), |t| format!("revoked {t}"));
            format!("{}\t{}\t{}\t{}", s.name, s.key, classes, state)
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Options of `lantern node rebuild`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebuildArgs {
    /// Also fit BKT parameters per standard by EM and report them (`--fit-bkt`).
    pub fit_bkt: bool,
    /// Write the fitted parameters as a rules-policy snippet to this file (`--fit-bkt-out`;
    /// implies `fit_bkt`).
    pub fit_bkt_out: Option<PathBuf>,
}

/// `lantern node rebuild`: recomputes every indicator from stored events and attendance, in one
/// transaction (with a progress bar on a terminal); then, if asked, fits BKT parameters per
/// standard from the answers the rebuild read, outside the transaction. Fitting only reports: the
/// policy in force is never changed by it.
pub fn rebuild(config: &NodeConfig, args: &RebuildArgs) -> Result<String, NodeError> {
    let policies = crate::policies::Policies::load(&config.policies).map_err(|e| NodeError::Io(e.to_string()))?;
    if let Some(out) = &args.fit_bkt_out {
        // Refuse a path that cannot be written before rebuilding anything.
        check_output_path(out)?;
    }
    let fit = args.fit_bkt || args.fit_bkt_out.is_some();
    let bkt = policies.rules.bkt_model();
    let store = open_store(config)?;
    let r = store.write_blocking(move |c| {
        if fit {
            crate::indicators::rebuild_collecting_answers(c, &bkt, true)
        } else {
            Ok((crate::indicators::rebuild(c, &bkt, true)?, Default::default()))
        }
    });
    // Then every student's flags, from the rebuilt indicators (in chunks: the writer stays responsive).
    let flags = r.as_ref().ok().map(|_| evaluate_everyone(&store, &policies));
    store.shutdown();
    let (r, answers) = r?;
    let flags = flags.transpose()?.unwrap_or(0);
    let mut out = format!(
        "rebuilt indicators from {} events in {:.1} s: {} students ({} reordered), {} mastery rows, {} items, {} sessions, {} attendance summaries; {flags} alert updates",
        r.events,
        r.millis as f64 / 1000.0,
        r.students,
        r.students_reordered,
        r.mastery_rows,
        r.items,
        r.sessions,
        r.attendance_students
    );
    if fit {
        out.push_str("\n\n");
        out.push_str(&fit_bkt(&policies.rules, &answers, args.fit_bkt_out.as_deref())?);
    }
    Ok(out)
}

/// Fits every standard's BKT parameters (a bar on a terminal), returns the report table, and
/// writes the policy snippet if asked.
fn fit_bkt(
    rules: &lantern_policies::rules::RulesPolicy,
    answers: &crate::indicators::bkt_fit::AnswersByStandard,
    out: Option<&Path>,
) -> Result<String, NodeError> {
    use crate::indicators::bkt_fit::{self, FitOptions, FitOutcome};
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let opts = FitOptions::default();
    let model = rules.bkt_model();
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(answers.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template("fitting BKT {bar:40} {pos}/{len} standards") {
        bar.set_style(style);
    }
    let fits: Vec<_> = answers
        .iter()
        .map(|(standard, a)| {
            let f = bkt_fit::fit_standard(standard, a, &model, &opts);
            bar.inc(1);
            f
        })
        .collect();
    bar.finish_and_clear();
    let fitted = fits.iter().filter(|f| matches!(f.outcome, FitOutcome::Fitted(_))).count();
    let total_answers: usize = answers.values().map(|a| a.answers()).sum();
    let mut report = format!(
        "BKT parameters fitted by EM for {fitted} of {} standards from {total_answers} answers in {:.1} s (starting from the rules policy's values):\n{}",
        fits.len(),
        started.elapsed().as_secs_f64(),
        bkt_fit::table(&fits, &opts)
    );
    match out {
        Some(path) => {
            let origin = format!(
                "From {total_answers} answers on {} standards; starting values from rules policy {}.",
                fits.len(),
                rules.hash
            );
            std::fs::write(path, bkt_fit::policy_snippet(&fits, &opts, &origin))
                .map_err(|e| NodeError::Io(format!("{}: cannot write the fitted parameters: {e}", path.display())))?;
            report.push_str(&format!(
                "\nwrote {fitted} [bkt.standards] tables to {}: review them, then put them in the rules policy to use them (the policy in force is unchanged)",
                path.display()
            ));
        }
        None => report
            .push_str("\nthe policy in force is unchanged; --fit-bkt-out FILE writes these as a rules-policy snippet"),
    }
    Ok(report)
}

/// The snippet's file must be creatable: its directory exists and it is not a directory itself.
fn check_output_path(path: &Path) -> Result<(), NodeError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(NodeError::Io(format!("{}: no such directory {}", path.display(), dir.display())));
    }
    if path.is_dir() {
        return Err(NodeError::Io(format!("{}: is a directory, not a file", path.display())));
    }
    Ok(())
}

/// Re-evaluates every rostered student's flags; returns the number of flag changes.
fn evaluate_everyone(store: &Store, policies: &crate::policies::Policies) -> Result<usize, NodeError> {
    let students = store.read_blocking(crate::store::alerts::reads::rostered_students)?;
    let mut changes = 0;
    for chunk in students.chunks(100) {
        let (chunk, rules, now) = (chunk.to_vec(), policies.rules.clone(), clock_now());
        changes += store
            .write_blocking(move |c| crate::alerts::evaluator::evaluate_students(c, &rules, &chunk, now))
            .map_err(|e| NodeError::Io(format!("evaluating flags: {e}")))?
            .len();
    }
    Ok(changes)
}

/// `lantern node summaries send [--week DATE] [--dry-run]`: e-mails the weekly summaries of the
/// latest week (or of the week named by its send day) that were not sent yet, now; with `dry_run`,
/// lists what would be sent and changes nothing. Needs `[smtp]`; fails (with the counts) when a
/// message could not be sent.
pub async fn summaries_send(
    config: &NodeConfig,
    week: Option<chrono::NaiveDate>,
    dry_run: bool,
) -> Result<String, NodeError> {
    use crate::alerts::mail::{preview_week, send_week, MailWeek, Mailer, Schedule};
    let smtp = config.smtp.as_ref().ok_or_else(|| {
        NodeError::Io("node.toml has no [smtp] section: summaries are not e-mailed (docs/OPERATIONS.md)".into())
    })?;
    let (schedule, now) = (Schedule::of(smtp), clock_now());
    let week = match week {
        None => MailWeek::latest(schedule, now),
        Some(date) => MailWeek::named(schedule, date, now).map_err(NodeError::Io)?,
    };
    let mailer = if dry_run { None } else { Some(Mailer::from_config(smtp)?) };
    let policies = crate::policies::Policies::load(&config.policies).map_err(|e| NodeError::Io(e.to_string()))?;
    let cfg = config.clone();
    let store = tokio::task::spawn_blocking(move || open_store(&cfg))
        .await
        .map_err(|e| NodeError::Io(format!("opening the database: {e}")))??;
    let (rules, school) = (policies.rules.clone(), config.school_name.as_str());
    let report = match &mailer {
        None => preview_week(&store, rules, school, week).await,
        Some(m) => send_week(&store, rules, school, m, week, now, None).await,
    };
    let closing = store.clone();
    let _ = tokio::task::spawn_blocking(move || closing.shutdown()).await;
    let report = report?;
    // A failed message is not bad input, but scripts must see it: exit non-zero with the counts.
    if report.failed > 0 {
        return Err(NodeError::Io(report.to_string()));
    }
    Ok(report.to_string())
}
