//! What each `lantern node ...` command does, as library functions the binary (and tests) call.
//! Every command opens the configuration and the store the same way, fails with one line, and
//! changes nothing when it fails.

use std::path::Path;
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
        crate::ingest::backfill_related(&store)?; // statements stored before migration 0008
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
    let signal = async move {
        shutdown_signal().await;
        if let Some(r) = releases {
            r.stop().await;
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

/// `lantern node rebuild`: recomputes every indicator from stored events and attendance, in one
/// transaction (with a progress bar on a terminal).
pub fn rebuild(config: &NodeConfig) -> Result<String, NodeError> {
    let policies = crate::policies::Policies::load(&config.policies).map_err(|e| NodeError::Io(e.to_string()))?;
    let bkt = policies.rules.bkt;
    let store = open_store(config)?;
    let r = store.write_blocking(move |c| crate::indicators::rebuild(c, &bkt, true));
    // Then every student's flags, from the rebuilt indicators (in chunks: the writer stays responsive).
    let flags = r.as_ref().ok().map(|_| evaluate_everyone(&store, &policies));
    store.shutdown();
    let r = r?;
    let flags = flags.transpose()?.unwrap_or(0);
    Ok(format!(
        "rebuilt indicators from {} events in {:.1} s: {} students ({} reordered), {} mastery rows, {} items, {} sessions, {} attendance summaries; {flags} alert updates",
        r.events,
        r.millis as f64 / 1000.0,
        r.students,
        r.students_reordered,
        r.mastery_rows,
        r.items,
        r.sessions,
        r.attendance_students
    ))
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
