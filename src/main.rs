//! The `lantern` binary: parses the command line and calls into the crates. Every failure exits
//! non-zero with one line on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lantern_node::auth::LinkTarget;
use lantern_node::commands as node;

// mimalloc rather than the system allocator: ingest allocates many small, short-lived values
// (parsed statements, events) across threads, where glibc's malloc spends its time consolidating.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "lantern",
    version,
    about = "Real-time student performance tracking that keeps student data in the school"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A live system on synthetic data: school nodes with simulated classes. Prints URLs and logins.
    Demo(lantern::demo::DemoArgs),
    /// Write a deterministic synthetic school: OneRoster CSV, items, attendance, xAPI statements, outcomes.
    Synth {
        #[arg(long, default_value_t = 400)]
        students: usize,
        /// School days to simulate from the first Monday of September 2026.
        #[arg(long, default_value_t = 60)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The school's sourcedId.
        #[arg(long, default_value = "school-1")]
        school_id: String,
        #[arg(long, default_value = "Lincoln Middle School")]
        school_name: String,
        /// Answered items per student per school day.
        #[arg(long, default_value_t = 30)]
        items_per_day: u32,
        /// Logits by which items under-measure one subgroup (for testing bias audits; 0 = none).
        #[arg(long, default_value_t = 0.0)]
        bias: f64,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Validate policy files; every problem is printed as file:line:col: message.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Make a node signing key and an aggregator age identity (with their public halves) in DIR.
    Keygen {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Benchmarks against real servers on loopback; prints one JSON object of figures.
    Bench {
        #[command(subcommand)]
        command: lantern::bench::BenchCommand,
    },
    /// The district aggregator.
    Aggregator {
        /// Configuration file (default: ./aggregator.toml if present, else built-in defaults).
        #[arg(long, global = true, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: AggregatorCommand,
    },
    /// The school node.
    Node {
        /// Configuration file (default: ./node.toml if present, else built-in defaults).
        #[arg(long, global = true, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: NodeCommand,
    },
}

#[derive(Subcommand)]
enum AggregatorCommand {
    /// Run the aggregator's HTTP server until SIGTERM or Ctrl-C.
    Serve,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Check policy files (rules, release, retention: chosen by each file's `kind`).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Run the node's HTTP server until SIGTERM or Ctrl-C.
    Serve,
    /// Accounts, roles and links.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The hash-chained access log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Recompute all indicators from stored events and attendance.
    Rebuild {
        /// Also fit BKT parameters per standard by EM (Baum-Welch) and print them; the policy in
        /// force is not changed.
        #[arg(long)]
        fit_bkt: bool,
        /// Write the fitted parameters as `[bkt.standards."CODE"]` tables for the rules policy, to
        /// review and paste in (implies --fit-bkt).
        #[arg(long, value_name = "FILE")]
        fit_bkt_out: Option<PathBuf>,
    },
    /// Import rosters, the item bank, attendance or later outcomes (all or nothing).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Build, seal and queue the DP release of the last ended period (`node serve` delivers it).
    Release {
        /// Print what would be released (tables, cells, ρ) and spend nothing.
        #[arg(long)]
        dry_run: bool,
        /// Release the period running today (counting today's enrollment) instead of the last ended one.
        #[arg(long)]
        current: bool,
        /// Queue every sealed release again, same bytes (after the aggregator lost some); spends nothing.
        #[arg(long, conflicts_with_all = ["dry_run", "current"])]
        resend: bool,
    },
    /// xAPI data sources (quiz and LMS tools) and their credentials.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Weekly summaries (teacher, MTSS, family) by e-mail; needs an [smtp] section.
    Summaries {
        #[command(subcommand)]
        command: SummariesCommand,
    },
}

#[derive(Subcommand)]
enum SummariesCommand {
    /// Send the week's summaries not sent yet, now (a running `node serve` sends them on schedule).
    Send {
        /// The week, named by its send day (e.g. a Monday); default: the latest week.
        #[arg(long, value_name = "YYYY-MM-DD")]
        week: Option<chrono::NaiveDate>,
        /// List what would be sent (kind, account, subject) and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A OneRoster 1.1/1.2 CSV export: a directory or a .zip (bulk or delta).
    Oneroster { path: PathBuf },
    /// The item bank CSV (items, standards, keys, distractor misconceptions).
    Items { file: PathBuf },
    /// Attendance CSV.
    Attendance { file: PathBuf },
    /// Later outcomes CSV (end-of-term or state assessment results).
    Outcomes { file: PathBuf },
}

#[derive(Subcommand)]
enum SourceCommand {
    /// Create credentials for a tool; the secret is printed once.
    Add {
        name: String,
        /// Limit the source to these class sourcedIds (comma-separated).
        #[arg(long, value_delimiter = ',')]
        classes: Option<Vec<String>>,
    },
    /// List data sources.
    List,
    /// Revoke a source's credentials.
    Revoke { name: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a one-time password is generated and printed.
    Add {
        username: String,
        /// teacher, mtss, student, guardian, admin or privacy_officer
        #[arg(long)]
        role: String,
        /// OneRoster sourcedId of the rostered person this account belongs to.
        #[arg(long, value_name = "SOURCED_ID")]
        person: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a password (from stdin) or reset it to a printed one-time password; signs out all sessions.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Link a guardian/student account to a student, or a teacher account to a class.
    Link {
        username: String,
        #[arg(long, value_name = "SOURCED_ID", conflicts_with = "class", required_unless_present = "class")]
        student: Option<String>,
        #[arg(long, value_name = "SOURCED_ID")]
        class: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the access log's hash chain end to end; exits non-zero if it was tampered with.
    Verify,
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(!pw.is_empty(), "no password on standard input");
    Ok(pw)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => lantern::demo::run(args),
        Command::Synth { students, days, seed, school_id, school_name, items_per_day, bias, out } => {
            let params = lantern_node::synth::SynthParams {
                students,
                days,
                seed,
                school_id,
                school_name,
                items_per_day,
                bias,
                ..Default::default()
            };
            let summary = lantern_node::synth::write_school(&params, &out)?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::Policy { command: PolicyCommand::Check { files } } => {
            let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            let (ok, problems) = lantern_policies::check::check_files(&paths);
            for c in &ok {
                println!("{}: ok ({} policy, sha256 {})", c.file, c.kind, c.hash);
            }
            for d in &problems {
                println!("{d}");
            }
            anyhow::ensure!(problems.is_empty(), "{} problem(s) in {} file(s)", problems.len(), files.len() - ok.len());
            Ok(())
        }
        Command::Bench { command } => lantern::bench::run(command),
        Command::Keygen { out } => {
            let files = lantern_policies::keys::generate(&out)?;
            println!("{}", serde_json::to_string_pretty(&files)?);
            Ok(())
        }
        Command::Aggregator { config, command: AggregatorCommand::Serve } => {
            let cfg =
                lantern_aggregator::AggregatorConfig::load(config.as_deref(), &lantern_node::config::lantern_env())?;
            runtime()?.block_on(async {
                let agg = lantern_aggregator::start(cfg).await?;
                println!("Lantern aggregator listening on {}", agg.url());
                if let Some(token) = &agg.new_analyst_token {
                    println!("First start: created the analyst token {token}");
                    println!("(kept in the analyst_token_file; sign in at {}/login)", agg.url());
                }
                agg.run_until(node::shutdown_signal()).await.context("aggregator server")?;
                println!("Lantern aggregator stopped");
                anyhow::Ok(())
            })
        }
        Command::Node { config, command } => {
            let cfg = node::load_config(config.as_deref())?;
            match command {
                NodeCommand::Serve => runtime()?.block_on(node::serve(cfg))?,
                NodeCommand::User { command } => {
                    let msg = match command {
                        UserCommand::Add { username, role, person, password_stdin } => {
                            let pw = password_stdin.then(read_password_stdin).transpose()?;
                            node::user_add(&cfg, &username, &role, person.as_deref(), pw.as_deref())?
                        }
                        UserCommand::Passwd { username, password_stdin } => {
                            let pw = password_stdin.then(read_password_stdin).transpose()?;
                            node::user_passwd(&cfg, &username, pw.as_deref())?
                        }
                        UserCommand::Link { username, student, class } => {
                            let target = match (student, class) {
                                (Some(s), _) => LinkTarget::Student(s),
                                (None, Some(c)) => LinkTarget::Class(c),
                                (None, None) => anyhow::bail!("give --student or --class"),
                            };
                            node::user_link(&cfg, &username, target)?
                        }
                    };
                    println!("{msg}");
                }
                NodeCommand::Audit { command: AuditCommand::Verify } => println!("{}", node::audit_verify(&cfg)?),
                NodeCommand::Rebuild { fit_bkt, fit_bkt_out } => {
                    println!("{}", node::rebuild(&cfg, &node::RebuildArgs { fit_bkt, fit_bkt_out })?)
                }
                NodeCommand::Import { command } => {
                    use lantern_node::imports::ImportInput as I;
                    let (kind, path) = match command {
                        ImportCommand::Oneroster { path } => (I::OneRoster, path),
                        ImportCommand::Items { file } => (I::Items, file),
                        ImportCommand::Attendance { file } => (I::Attendance, file),
                        ImportCommand::Outcomes { file } => (I::Outcomes, file),
                    };
                    println!("{}", node::import(&cfg, kind, &path)?);
                }
                NodeCommand::Release { dry_run, current, resend } => {
                    let store = node::open_store(&cfg)?;
                    let r = if resend {
                        lantern_node::release::resend_command(&store)
                    } else {
                        lantern_node::release::release_command(&cfg, &store, dry_run, current)
                    };
                    store.shutdown();
                    println!("{}", r?);
                }
                NodeCommand::Summaries { command: SummariesCommand::Send { week, dry_run } } => {
                    println!("{}", runtime()?.block_on(node::summaries_send(&cfg, week, dry_run))?);
                }
                NodeCommand::Source { command } => {
                    let msg = match command {
                        SourceCommand::Add { name, classes } => node::source_add(&cfg, &name, classes)?,
                        SourceCommand::List => node::source_list(&cfg)?,
                        SourceCommand::Revoke { name } => node::source_revoke(&cfg, &name)?,
                    };
                    println!("{msg}");
                }
            }
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    lantern::init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line of reason; an import's list of problems follows on its own lines.
            eprintln!("lantern: {e:#}");
            ExitCode::FAILURE
        }
    }
}
