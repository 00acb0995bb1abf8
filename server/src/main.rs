//! `imagegram`: runs the whole API on one machine (`imagegram serve`, the default), and is the
//! command-line client of any Imagegram API (`login`, `upload`, `post`, `feed`, `comment`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use imagegram::app::Settings;
use imagegram::config::{ServeConfig, parse_admin, parse_public_url};

mod admin;
mod client_cli;
mod render;

#[derive(Debug, Parser)]
#[command(name = "imagegram", version, about = "Imagegram image-sharing API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the whole API on this machine with embedded storage (the default).
    Serve(ServeArgs),
    /// Render one image file into its renditions (prints one JSON line; exit 2 if refused).
    Render(render::RenderArgs),
    /// Administration: `imagegram admin create-user NAME` makes (or promotes) an admin.
    Admin(admin::AdminArgs),
    /// Log in to an API (password on standard input) and keep its address and token.
    Login(client_cli::LoginArgs),
    /// Upload a file (resumable: run it again after a kill or a cut); prints the upload id.
    Upload(client_cli::UploadArgs),
    /// Upload a file and post it; prints the post as JSON (`--wait`: once it is ready).
    Post(client_cli::PostArgs),
    /// Print a page of the feed as JSON.
    Feed(client_cli::FeedArgs),
    /// Comment on a post; prints the comment as JSON.
    Comment(client_cli::CommentArgs),
}

#[derive(Debug, Clone, clap::Args)]
struct ServeArgs {
    /// Address of the API.
    #[arg(long, env = "IMAGEGRAM_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Address of the embedded S3 endpoint that presigned URLs point to [default: the API's port + 1].
    #[arg(long, env = "IMAGEGRAM_S3_ADDR")]
    s3_addr: Option<SocketAddr>,
    /// Where the database, keys and objects live.
    #[arg(long, env = "IMAGEGRAM_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The address clients use for the API when a reverse proxy or TLS terminator stands in
    /// front of it (http(s)://host[:port]) [default: the bound address].
    #[arg(long, env = "IMAGEGRAM_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// The address clients use for the object endpoint behind a proxy: presigned part, image and
    /// link URLs are built and signed for it [default: the S3 endpoint's bound address].
    #[arg(long, env = "IMAGEGRAM_S3_PUBLIC_URL", value_parser = parse_public_url)]
    s3_public_url: Option<String>,
    /// How long presigned part URLs live, in seconds (1..604800), so that clients' re-signing
    /// can be tried.
    #[arg(long, env = "IMAGEGRAM_UPLOAD_URL_TTL", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    upload_url_ttl: u64,
    /// Other origins whose pages may call the API and upload to the object endpoint
    /// (comma-separated http(s)://host[:port]) [default: none, the app on this origin only].
    #[arg(long, env = "IMAGEGRAM_CORS_ORIGINS", value_parser = parse_origins, default_value = "")]
    cors_origins: Origins,
    /// Uploads a user may have open at once.
    #[arg(long, env = "IMAGEGRAM_UPLOADS_IN_FLIGHT", default_value_t = 20)]
    uploads_in_flight: usize,
    /// Bytes a user may declare in uploads per day (UTC).
    #[arg(long, env = "IMAGEGRAM_UPLOAD_BYTES_PER_DAY", default_value_t = 10 * 1024 * 1024 * 1024)]
    upload_bytes_per_day: u64,
}

/// `--cors-origins`, parsed (a named type: clap would read a `Vec` as a repeated flag).
#[derive(Debug, Clone, Default)]
struct Origins(Vec<String>);

fn parse_origins(text: &str) -> Result<Origins, String> {
    imagegram::http::cors::parse_origins(text).map(Origins)
}

impl Default for ServeArgs {
    fn default() -> Self {
        // Parsing no arguments applies the defaults and the environment, as `imagegram serve` would.
        ServeCli::parse_from(["imagegram"]).args
    }
}

#[derive(Debug, Parser)]
struct ServeCli {
    #[command(flatten)]
    args: ServeArgs,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let admin = match std::env::var("IMAGEGRAM_ADMIN") {
        Ok(text) => Some(
            parse_admin(&text)
                .ok_or_else(|| anyhow::anyhow!("IMAGEGRAM_ADMIN must be name:password"))?,
        ),
        Err(_) => None,
    };
    let config = ServeConfig {
        addr: args.addr,
        s3_addr: args
            .s3_addr
            .unwrap_or_else(|| ServeConfig::default_s3_addr(args.addr)),
        data_dir: args.data_dir,
        admin,
        public_url: args.public_url,
        s3_public_url: args.s3_public_url,
    };
    let settings = Settings {
        upload_url_ttl: std::time::Duration::from_secs(args.upload_url_ttl),
        cors_origins: args.cors_origins.0,
        uploads_in_flight: args.uploads_in_flight,
        upload_bytes_per_day: args.upload_bytes_per_day,
        ..Settings::default()
    };
    let running = imagegram::embedded::start(&config, settings, shutdown_signal()).await?;
    let app = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", running.addr));
    println!(
        "imagegram listening on http://{} (S3 endpoint {}): open {app} in a browser",
        running.addr, running.s3.endpoint
    );
    Ok(running.wait().await?)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Login(args)) => return client_cli::run(client_cli::login(args)).await,
        Some(Command::Upload(args)) => return client_cli::run(client_cli::upload(args)).await,
        Some(Command::Post(args)) => return client_cli::run(client_cli::post(args)).await,
        Some(Command::Feed(args)) => return client_cli::run(client_cli::feed(args)).await,
        Some(Command::Comment(args)) => return client_cli::run(client_cli::comment(args)).await,
        Some(Command::Serve(args)) => {
            imagegram::telemetry::init();
            serve(args).await
        }
        Some(Command::Render(args)) => {
            imagegram::telemetry::init();
            render::run(args)
        }
        Some(Command::Admin(args)) => {
            imagegram::telemetry::init();
            admin::run(args).await
        }
        None => {
            imagegram::telemetry::init();
            serve(ServeArgs::default()).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:?}");
            ExitCode::FAILURE
        }
    }
}
