//! `lantern demo`: a live system on synthetic data with no setup — a district aggregator and three
//! school nodes on loopback ports, each with a generated school imported (roster, item bank, attendance, outcomes) and an
//! account for every role linked to real rostered people; printed with their passwords. Runs until
//! Ctrl-C (or `--seconds`).

mod traffic;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use lantern_aggregator::config::NodeEntry;
use lantern_aggregator::{AggregatorConfig, RunningAggregator};
use lantern_node::auth::{self, LinkTarget, Role};
use lantern_node::clock::SystemClock;
use lantern_node::commands;
use lantern_node::config::{NodeConfig, ReleaseConfig};
use lantern_node::http::RunningNode;
use lantern_node::imports::{run_import, ImportInput};
use lantern_node::release::ReleaseBackground;
use lantern_node::synth::{self, SynthParams, SyntheticSchool};
use lantern_policies::keys;

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Keep the data here (default: a temporary directory removed at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Port of the first node; the others use the next ports (0 = any free ports).
    #[arg(long, default_value_t = 7070)]
    pub port: u16,
    /// Students per school.
    #[arg(long, default_value_t = 150)]
    pub students: usize,
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

/// The demo district's schools: (id, name, seed).
pub const SCHOOLS: &[(&str, &str, u64)] = &[
    ("lincoln-middle", "Lincoln Middle School", 1),
    ("roosevelt-middle", "Roosevelt Middle School", 2),
    ("jefferson-middle", "Jefferson Middle School", 3),
];

/// School days simulated before today: the synthetic year starts on the first Monday of September.
fn days_so_far() -> u32 {
    let start = synth::first_monday_of_september(2026);
    let today = chrono::Utc::now().date_naive();
    let weeks = (today - start).num_days().max(7) / 7;
    u32::try_from(weeks * 5).unwrap_or(60).clamp(5, 170)
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    rt.block_on(run_async(args))
}

/// A running demo: the district aggregator, its school nodes (name, server, release sender) and the
/// data directory.
pub struct Demo {
    pub aggregator: RunningAggregator,
    /// The analysts' bearer token for the aggregator (also accepted by its `/login`).
    pub analyst_token: String,
    pub nodes: Vec<(String, RunningNode)>,
    releases: Vec<ReleaseBackground>,
    live: Vec<traffic::LiveTraffic>,
    pub root: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Demo {
    /// Stops every server gracefully (the temporary data directory goes with `self`).
    pub async fn stop(self) -> anyhow::Result<()> {
        for l in self.live {
            l.stop().await;
        }
        for r in self.releases {
            r.stop().await;
        }
        for (_, node) in self.nodes {
            node.stop().await.context("stopping a demo node")?;
        }
        self.aggregator.stop().await.context("stopping the demo aggregator")?;
        Ok(())
    }
}

async fn run_async(args: DemoArgs) -> anyhow::Result<()> {
    let seconds = args.seconds;
    let demo = start(args).await?;
    println!("Lantern demo is running. Data: {}", demo.root.display());
    println!();
    println!("  District aggregator        {}   (analyst token: {})", demo.aggregator.url(), demo.analyst_token);
    for (name, node) in &demo.nodes {
        println!("  {:<26} {}", name, node.url());
    }
    println!();
    println!("  Logins on every school (username / password):");
    for (u, role, pw) in DEMO_ACCOUNTS {
        println!("    {:<10} {:<18} {}", u, role.title(), pw);
    }
    println!();
    println!("Press Ctrl-C to stop.");
    match seconds {
        Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
        None => commands::shutdown_signal().await,
    }
    demo.stop().await
}

/// Prepares and starts the demo's school nodes.
pub async fn start(args: DemoArgs) -> anyhow::Result<Demo> {
    let (root, temp) = match &args.data_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("lantern-demo-")
                .tempdir()
                .context("creating a temporary data directory")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let days = days_so_far();
    let port_at = |i: usize| if args.port == 0 { 0 } else { args.port + i as u16 };

    // Keys: one signing key per school; the district's age identity from the first key set.
    let mut key_files = Vec::new();
    for (id, _, _) in SCHOOLS {
        let dir = root.join("keys").join(id);
        let files = if dir.join(keys::NODE_SIGNING_KEY_FILE).exists() {
            keys::KeyFiles {
                node_signing_key: dir.join(keys::NODE_SIGNING_KEY_FILE),
                node_public_key: dir.join(keys::NODE_PUBLIC_KEY_FILE),
                aggregator_identity: dir.join(keys::AGGREGATOR_IDENTITY_FILE),
                aggregator_recipient: dir.join(keys::AGGREGATOR_RECIPIENT_FILE),
            }
        } else {
            keys::generate(&dir).context("generating demo keys")?
        };
        key_files.push(files);
    }
    let district = &key_files[0];
    let agg_config = AggregatorConfig {
        district_name: "Lantern Demo District".into(),
        data_dir: root.join("aggregator"),
        listen: SocketAddr::from(([127, 0, 0, 1], port_at(SCHOOLS.len()))),
        identity_file: district.aggregator_identity.clone(),
        nodes: SCHOOLS
            .iter()
            .zip(&key_files)
            .map(|((id, name, _), k)| NodeEntry {
                id: (*id).into(),
                name: Some((*name).into()),
                public_key: None,
                public_key_file: Some(k.node_public_key.clone()),
            })
            .collect(),
        ..Default::default()
    };
    let aggregator = match lantern_aggregator::start(agg_config.clone()).await {
        Ok(a) => a,
        Err(_) if args.port != 0 => {
            let cfg = AggregatorConfig { listen: SocketAddr::from(([127, 0, 0, 1], 0)), ..agg_config };
            lantern_aggregator::start(cfg).await?
        }
        Err(e) => return Err(e.into()),
    };
    let analyst_token = match &aggregator.new_analyst_token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(root.join("aggregator").join("analyst-token"))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "(see the aggregator's analyst-token file)".into()),
    };

    let mut nodes: Vec<(String, RunningNode)> = Vec::new();
    let mut releases = Vec::new();
    let mut live = Vec::new();
    for (i, (id, name, seed)) in SCHOOLS.iter().enumerate() {
        let port = port_at(i);
        let config = NodeConfig {
            school_id: (*id).into(),
            school_name: (*name).into(),
            data_dir: root.join(id),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            release: ReleaseConfig {
                enabled: true,
                aggregator_url: Some(aggregator.url()),
                aggregator_recipient_file: Some(district.aggregator_recipient.clone()),
                signing_key_file: Some(key_files[i].node_signing_key.clone()),
                check_interval_seconds: 60,
                retry_max_seconds: 10,
            },
            ..NodeConfig::default()
        };
        let params = SynthParams {
            students: args.students,
            days,
            seed: *seed,
            school_id: (*id).into(),
            school_name: (*name).into(),
            items_per_day: 8,
            ..Default::default()
        };
        eprintln!("demo: preparing {name} ({} students, {days} school days)", args.students);
        let cfg = config.clone();
        let synth_dir = root.join(format!("{id}-synth"));
        let sim_params = params.clone();
        let (school, cred) = tokio::task::spawn_blocking(move || prepare_node(&cfg, &params, &synth_dir))
            .await
            .context("preparing a demo node")??;
        let node = match commands::start(config.clone(), Arc::new(SystemClock)).await {
            Ok((n, _)) => n,
            Err(_) if port != 0 => {
                // The port is taken: any free port will do for a demo.
                let cfg = NodeConfig { listen: SocketAddr::from(([127, 0, 0, 1], 0)), ..config.clone() };
                commands::start(cfg, Arc::new(SystemClock)).await?.0
            }
            Err(e) => return Err(e.into()),
        };
        // The quiz tool: history first (only into a fresh database), then live classes.
        if let Some(cred) = cred {
            let sent = traffic::replay_history(&node.url(), &cred, &school).await?;
            eprintln!("demo: {name}: {sent} statements of the year so far sent through /xapi/statements");
            live.push(traffic::LiveTraffic::start(node.url(), cred, &school, sim_params.seed));
        }
        // Each school seals the last ended month's release and delivers it to the district.
        let st = &node.state;
        if let Some(bg) = ReleaseBackground::start(&st.config, st.store.clone(), st.policies.clone(), st.clock.clone())?
        {
            releases.push(bg);
        }
        nodes.push(((*name).to_string(), node));
    }
    Ok(Demo { aggregator, analyst_token, nodes, releases, live, root, _temp: temp })
}

/// Writes the synthetic school, imports it and creates the linked demo accounts and the quiz tool's
/// data source (its credentials are returned when the source was created now, i.e. on a fresh
/// database). Idempotent: a kept data dir is reused (re-imports change nothing).
fn prepare_node(
    config: &NodeConfig,
    params: &SynthParams,
    synth_dir: &Path,
) -> anyhow::Result<(SyntheticSchool, Option<lantern_node::sources::NewCredentials>)> {
    if !synth_dir.exists() {
        synth::write_school(params, synth_dir).context("writing the synthetic school")?;
    }
    let school = synth::generate(params);
    let store = commands::open_store(config)?;
    let now = chrono::Utc::now();
    let opts = Default::default();
    let files = [
        (ImportInput::OneRoster, synth_dir.join("oneroster")),
        (ImportInput::Items, synth_dir.join("items.csv")),
        (ImportInput::Attendance, synth_dir.join("attendance.csv")),
        (ImportInput::Outcomes, synth_dir.join("outcomes.csv")),
    ];
    for (kind, path) in files {
        run_import(&store, kind, &path, &opts, now).with_context(|| format!("importing {}", path.display()))?;
    }
    let people = demo_people(&school);
    for (u, role, pw) in DEMO_ACCOUNTS {
        let person = people.iter().find(|(r, _)| r == role).map(|(_, p)| p.as_str());
        match auth::add_user(&store, u, *role, Some(pw), person, now) {
            Ok(_) | Err(auth::AuthError::DuplicateUser(_)) => {}
            Err(e) => return Err(e).with_context(|| format!("creating demo account {u}")),
        }
    }
    // The guardian account also sees its child by an explicit link (as a school would add one).
    if let Some((_, child)) = people.iter().find(|(r, _)| *r == Role::Student) {
        let _ = auth::link(&store, "guardian", LinkTarget::Student(child.clone()), now);
    }
    let cred = match lantern_node::sources::create(&store, "demo-quiz-tool", None, now) {
        Ok(c) => Some(c),
        Err(lantern_node::sources::SourceError::Duplicate(_)) => None,
        Err(e) => return Err(e).context("creating the demo data source"),
    };
    store.shutdown();
    Ok((school, cred))
}

/// Rostered people the demo accounts stand for: the first teacher, a student of theirs, and that
/// student's first guardian.
fn demo_people(school: &SyntheticSchool) -> Vec<(Role, String)> {
    let mut out = Vec::new();
    let Some(teacher) = school.teachers.first() else { return out };
    out.push((Role::Teacher, teacher.person.sourced_id.clone()));
    let student = teacher.classes.first().and_then(|c| school.students.iter().find(|s| s.class == *c));
    if let Some(s) = student {
        out.push((Role::Student, s.person.sourced_id.clone()));
        if let Some(g) = s.guardians.first().and_then(|g| school.guardians.get(*g)) {
            out.push((Role::Guardian, g.person.sourced_id.clone()));
        }
    }
    out
}
