//! The command line. Operators script these names and flags: keep them stable.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub const DEFAULT_CONFIG: &str = "kotapintar.toml";

#[derive(Debug, Parser)]
#[command(
    name = "kotapintar",
    version,
    about = "The smart-city platform for Indonesian regency and city governments"
)]
pub struct Cli {
    /// Address to listen on [env: KOTAPINTAR_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB [env: KOTAPINTAR_DATABASE_URL]
    /// [default: sqlite://DATA_DIR/kotapintar.db]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory for uploads and the search index [env: KOTAPINTAR_DATA_DIR] [default: data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Configuration file, read if it exists [env: KOTAPINTAR_CONFIG]
    #[arg(long, global = true, value_name = "FILE", env = "KOTAPINTAR_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform (the database must exist: see `migrate` and `demo`)
    Serve,
    /// Create the database if needed and apply pending migrations
    Migrate,
    /// Create the database if needed, load the Badung demo data, and serve
    Demo,
    /// Manage staff accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Administrative areas (wilayah)
    #[command(subcommand)]
    Areas(AreasCommand),
    /// The audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Integration clients: the units' own applications
    #[command(subcommand)]
    Client(ClientCommand),
    /// Bulk import from a unit's earlier application (CSV with a header row, or JSON)
    #[command(subcommand)]
    Import(ImportCommand),
    /// The search index (each node keeps its own, derived from the database)
    #[command(subcommand)]
    Search(SearchCommand),
    /// The routing suggestions' model
    #[command(subcommand)]
    Routing(RoutingCommand),
    /// Take a message from outside (run by the mail server, see docs/channels.md)
    #[command(subcommand)]
    Intake(IntakeCommand),
    /// Write a consistent copy of the database and the uploads to a directory
    Backup {
        /// Target directory (created; must be empty or absent)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; prints a generated password unless --password-stdin is given
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// admin, unit_admin, officer, editor, verifier or leader
        #[arg(long)]
        role: String,
        /// The unit's code (required for unit_admin, officer and editor)
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (generated and printed unless --password-stdin), unlock the
    /// account and end its sessions
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions
    Disable { username: String },
}

#[derive(Debug, Subcommand)]
pub enum AreasCommand {
    /// Import the regency's kecamatan and desa/kelurahan from idn-area-data CSV files
    Import {
        /// Directory with provinces.csv, regencies.csv, districts.csv, villages.csv
        /// [default: the copy built into this program]
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Regency or city code [default: the configured `regency`]
        #[arg(long)]
        regency: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoutingCommand {
    /// Train on the dispatched requests older than N days and test on the newer ones (a
    /// split by time, never at random); prints top-1 and top-3 accuracy, the majority-class
    /// baseline and the confusion between units
    Evaluate {
        /// The newest N days are the test set
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
    },
    /// Train the model now on the whole dispatched history and store it (what the nightly
    /// job does)
    Train,
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Build this node's search index from scratch from the database (safe while serving
    /// only on a node whose server is stopped: the index directory has one writer)
    Rebuild {
        /// Run by a server for its own index (see `kotapintar_search::sync::Builder`): report
        /// as JSON on standard output, stop when standard input closes
        #[arg(long, hide = true)]
        child: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain with the audit key (KOTAPINTAR_AUDIT_KEY, KOTAPINTAR_AUDIT_KEY_FILE
    /// or DATA_DIR/audit.key); says which key and since which entry; exits with status 1 if
    /// any entry was edited or deleted, or the key is wrong
    Verify {
        /// An entry as recorded outside the database, `ENTRY:HASH` (the weekly summary prints
        /// the head this way): it must still be there with that hash
        #[arg(long, value_name = "ENTRY:HASH")]
        recorded_head: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a unit's application; prints its token once
    Create {
        #[arg(long)]
        name: String,
        /// The unit's code
        #[arg(long)]
        unit: String,
        /// Space- or comma-separated: requests:read requests:write content:write events:read open311:write
        #[arg(long)]
        scopes: String,
        /// Calls allowed per minute
        #[arg(long, default_value_t = 600)]
        rate_limit: i32,
    },
    /// Issue a new token (printed once); the old one stops working at once
    Rotate { id: i64 },
    /// Revoke a client for good
    Revoke { id: i64 },
    /// List the clients
    List,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Historical requests of one unit; idempotent by the column `source_id`
    Requests {
        /// The unit's code
        #[arg(long)]
        unit: String,
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Check every row and report, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Services (the columns of the service form); idempotent by `code`
    Services {
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// Read one RFC 5322 email on standard input (a Postfix or Exim pipe): a first message
    /// files a request, a reply to a notice goes onto its request's thread. Exit status 0:
    /// taken; 65: refused (the MTA returns it with the reason); 75: not now (the MTA retries)
    Email,
}
