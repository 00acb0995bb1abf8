//! The command-line client (API.md "The command-line client"): `login`, `upload`, `post`,
//! `feed`, `comment`, thin over `imagegram_client`. Output: JSON (or the upload id) on stdout,
//! a progress bar on a terminal, one-line errors on stderr; exit codes 0 ok, 1 other, 2 usage,
//! 3 auth, 4 refused by the API, 5 network gave up.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use imagegram_client::api::Sort;
use imagegram_client::config::{Dirs, Login};
use imagegram_client::state::StateDir;
use imagegram_client::upload::{Progress, Uploader};
use imagegram_client::{Client, Error, Result};
use serde_json::Value;

/// How long `post --wait` waits for the image to be processed.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// The API's address [default: the one stored by `imagegram login`].
    #[arg(long, env = "IMAGEGRAM_API")]
    api: Option<String>,
    /// Retries of each request or part before giving up (exponential backoff, full jitter).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=20))]
    retries: u32,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Transfer {
    /// Parts sent at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    parallel: u16,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    connection: Connection,
    /// The account; the password is read from standard input (a prompt on a terminal).
    #[arg(long)]
    username: String,
}

#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    transfer: Transfer,
    /// A png, jpeg or bmp file (up to 100 MiB).
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PostArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    transfer: Transfer,
    file: PathBuf,
    #[arg(long, default_value = "")]
    caption: String,
    /// Alternative text for the image.
    #[arg(long, default_value = "")]
    alt: String,
    /// Wait until the image is processed and print the ready post.
    #[arg(long)]
    wait: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Comments,
    New,
}

#[derive(Debug, clap::Args)]
pub struct FeedArgs {
    #[command(flatten)]
    connection: Connection,
    #[arg(long, value_enum, default_value = "comments")]
    sort: SortArg,
    #[arg(long)]
    author: Option<String>,
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    cursor: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CommentArgs {
    #[command(flatten)]
    connection: Connection,
    post_id: String,
    text: String,
}

/// Runs a client command: its output on stdout, or `error: ...` and the exit code.
pub async fn run(command: impl Future<Output = Result<()>>) -> ExitCode {
    match command.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// The API and token: flags and environment first, then the stored login.
fn client(connection: &Connection, dirs: &Dirs) -> Result<Client> {
    let stored = dirs.load_login();
    let api = connection
        .api
        .clone()
        .or_else(|| stored.as_ref().map(|login| login.api.clone()))
        .ok_or_else(|| {
            Error::Auth(
                "no API address: run `imagegram login --api URL`, or set IMAGEGRAM_API".into(),
            )
        })?;
    let token = std::env::var("IMAGEGRAM_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| {
            stored
                .filter(|login| login.api.trim_end_matches('/') == api.trim_end_matches('/'))
                .map(|login| login.token)
        });
    let mut client = Client::new(&api, token)?;
    client.retry.retries = connection.retries;
    Ok(client)
}

fn print_json(value: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|err| Error::Other(err.to_string()))?;
    writeln!(out).map_err(|err| Error::Other(err.to_string()))
}

pub async fn login(args: LoginArgs) -> Result<()> {
    let dirs = Dirs::for_user()?;
    let api = args.connection.api.clone().ok_or_else(|| {
        Error::Other("`imagegram login` needs --api URL (or IMAGEGRAM_API)".into())
    })?;
    let mut client = Client::new(&api, None)?;
    client.retry.retries = args.connection.retries;
    let password = read_password()?;
    let token = client.login(&args.username, &password).await?;
    dirs.save_login(&Login {
        api: client.api().to_string(),
        token: token.access_token,
        username: args.username,
    })
}

fn read_password() -> Result<String> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("password: ").map_err(|err| Error::Other(err.to_string()))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|err| Error::Other(format!("reading the password: {err}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        return Err(Error::Other("no password given on standard input".into()));
    }
    Ok(password)
}

fn uploader(client: &Client, dirs: &Dirs, transfer: &Transfer) -> Uploader {
    Uploader::new(
        client.clone(),
        StateDir::new(dirs.uploads()),
        usize::from(transfer.parallel),
    )
    .with_progress(Arc::new(Bar::new()))
}

pub async fn upload(args: UploadArgs) -> Result<()> {
    let dirs = Dirs::for_user()?;
    let client = client(&args.connection, &dirs)?;
    let uploader = uploader(&client, &dirs, &args.transfer);
    let done = uploader.upload(&args.file).await?;
    println!("{}", done.id);
    uploader.forget(&done.hash);
    Ok(())
}

pub async fn post(args: PostArgs) -> Result<()> {
    let dirs = Dirs::for_user()?;
    let client = client(&args.connection, &dirs)?;
    let uploader = uploader(&client, &dirs, &args.transfer);
    let done = uploader.upload(&args.file).await?;
    // The key is the upload and the words: running the same command again after a kill
    // replays the post the server may already have made, never a second one.
    let key = post_key(&done.id, &args.caption, &args.alt);
    let post = client
        .create_post(&done.id, &args.caption, &args.alt, &key)
        .await?;
    uploader.forget(&done.hash);
    let post = match (args.wait, post.get("id").and_then(Value::as_str)) {
        (true, Some(id)) => client.wait_ready(id, WAIT_LIMIT).await?,
        _ => post,
    };
    print_json(&post)
}

fn post_key(upload_id: &str, caption: &str, alt: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(caption.as_bytes())
        .chain_update([0])
        .chain_update(alt.as_bytes())
        .finalize();
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("post-{upload_id}-{short}")
}

pub async fn feed(args: FeedArgs) -> Result<()> {
    let dirs = Dirs::for_user()?;
    let client = client(&args.connection, &dirs)?;
    let sort = match args.sort {
        SortArg::Comments => Sort::Comments,
        SortArg::New => Sort::New,
    };
    let page = client
        .feed(
            sort,
            args.author.as_deref(),
            args.limit,
            args.cursor.as_deref(),
        )
        .await?;
    print_json(&page)
}

pub async fn comment(args: CommentArgs) -> Result<()> {
    let dirs = Dirs::for_user()?;
    let client = client(&args.connection, &dirs)?;
    let key = ulid::Ulid::new().to_string();
    let comment = client.comment(&args.post_id, &args.text, &key).await?;
    print_json(&comment)
}

/// A progress bar (bytes, rate, ETA) on a terminal's stderr, nothing otherwise.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, stored: u64) {
        self.0.set_length(total);
        self.0.set_position(stored);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn rewind(&self, bytes: u64) {
        self.0.set_position(self.0.position().saturating_sub(bytes));
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
