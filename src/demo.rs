//! `lantern demo`: a live system on synthetic data with no setup — school nodes on loopback ports
//! with an account for every role, printed with their passwords. Runs until Ctrl-C.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use lantern_node::auth::{self, Role};
use lantern_node::clock::SystemClock;
use lantern_node::commands;
use lantern_node::config::NodeConfig;

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Keep the data here (default: a temporary directory removed at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Port of the first node (0 = any free port).
    #[arg(long, default_value_t = 7070)]
    pub port: u16,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS")]
    pub seconds: Option<u64>,
}

/// Demo accounts: (username, role, password). The passwords are printed; this is demo data only.
pub const DEMO_ACCOUNTS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, "demo-admin-pass"),
    ("teacher", Role::Teacher, "demo-teacher-pass"),
    ("mtss", Role::Mtss, "demo-mtss-pass"),
    ("student", Role::Student, "demo-student-pass"),
    ("guardian", Role::Guardian, "demo-guardian-pass"),
    ("privacy", Role::PrivacyOfficer, "demo-privacy-pass"),
];

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    rt.block_on(run_async(args))
}

async fn run_async(args: DemoArgs) -> anyhow::Result<()> {
    let (root, _temp) = match &args.data_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("lantern-demo-")
                .tempdir()
                .context("creating a temporary data directory")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let config = NodeConfig {
        school_id: "lincoln-middle".into(),
        school_name: "Lincoln Middle School".into(),
        data_dir: root.join("lincoln-middle"),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
        ..NodeConfig::default()
    };
    let store_cfg = config.clone();
    tokio::task::spawn_blocking(move || prepare_node(&store_cfg)).await.context("preparing the demo node")??;
    let (node, _) = match commands::start(config.clone(), Arc::new(SystemClock)).await {
        Ok(n) => n,
        Err(_) if args.port != 0 => {
            // The default port is taken: any free port will do for a demo.
            let cfg = NodeConfig { listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)), ..config.clone() };
            commands::start(cfg, Arc::new(SystemClock)).await?
        }
        Err(e) => return Err(e.into()),
    };
    println!("Lantern demo is running. Data: {}", root.display());
    println!();
    println!("  {}  {}", config.school_name, node.url());
    println!();
    println!("  Logins (username / password):");
    for (u, role, pw) in DEMO_ACCOUNTS {
        println!("    {:<10} {:<18} {}", u, role.title(), pw);
    }
    println!();
    println!("Press Ctrl-C to stop.");
    let until = async {
        match args.seconds {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => commands::shutdown_signal().await,
        }
    };
    node.run_until(until).await.context("running the demo node")?;
    Ok(())
}

/// Creates the demo accounts (idempotent: a kept data dir is reused).
fn prepare_node(config: &NodeConfig) -> anyhow::Result<()> {
    let store = commands::open_store(config)?;
    let now = chrono::Utc::now();
    for (u, role, pw) in DEMO_ACCOUNTS {
        match auth::add_user(&store, u, *role, Some(pw), None, now) {
            Ok(_) | Err(auth::AuthError::DuplicateUser(_)) => {}
            Err(e) => return Err(e).with_context(|| format!("creating demo account {u}")),
        }
    }
    store.shutdown();
    Ok(())
}
