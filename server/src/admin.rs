//! `imagegram admin ...`: administration from the command line, on the data dir of a one-machine
//! install or on the DynamoDB table of an AWS stack (`--table`, with the ambient AWS credentials).

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use imagegram::adapters::dynamodb::DynamoStore;
use imagegram::adapters::sqlite::Sqlite;
use imagegram::app::accounts::ensure_admin_in;
use imagegram::embedded::database_path;

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Create an admin account, or promote an existing account and reset its password.
    CreateUser(CreateUserArgs),
}

#[derive(Debug, clap::Args)]
struct CreateUserArgs {
    /// The admin's username (3..32 of a-z, 0-9, _).
    username: String,
    /// The password; when not given, it is read from the first line of stdin.
    #[arg(long, env = "IMAGEGRAM_ADMIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The data dir of a one-machine install (the server may be running).
    #[arg(long, env = "IMAGEGRAM_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Use this DynamoDB table (an AWS stack's `TableName` output) instead of the data dir.
    /// Credentials, region and `AWS_ENDPOINT_URL` come from the usual AWS environment.
    #[arg(long)]
    table: Option<String>,
}

fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let AdminCommand::CreateUser(args) = args.command;
    let password = match args.password {
        Some(p) => p,
        None => password_from_stdin()?,
    };
    let user = match &args.table {
        Some(table) => {
            let sdk = imagegram::aws::sdk_config().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
            ensure_admin_in(&store, &store, &args.username, &password).await
        }
        None => {
            std::fs::create_dir_all(&args.data_dir)?;
            let store = Sqlite::open(&database_path(&args.data_dir))?;
            ensure_admin_in(&store, &store, &args.username, &password).await
        }
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}",
        serde_json::json!({"username": user.username.as_str(), "tier": user.tier, "role": user.role.as_str()})
    );
    Ok(())
}
