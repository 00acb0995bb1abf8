//! A DynamoDB emulator for tests: one moto server per test binary, a fresh table per store.
//!
//! `IMAGEGRAM_MOTO_URL` names a running server. Otherwise the first use starts one on a free port
//! from the moto installation of `IMAGEGRAM_MOTO_BIN`, else `.venv-moto/bin/moto_server` at the
//! workspace root (`.ci/moto.sh` makes it, and is run here when it is missing), else `moto_server`
//! on `PATH`, and the server exits with the binary. Without moto the tests fail with a message
//! saying so: they never skip.
//!
//! The server is moto's own app and request handler, as `moto_server` runs them, with one change:
//! requests are handled one at a time. `moto_server` handles each request on its own thread with no
//! lock, and moto's TransactWriteItems snapshots the whole table, applies the items one by one and
//! restores the snapshot on cancellation, so two transactions at once interleave and one can undo
//! the other's writes (seen as a cancelled comment whose Put stayed). DynamoDB transactions are
//! serializable; a moto given with `IMAGEGRAM_MOTO_URL` must therefore be serialized too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Seek};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use imagegram::adapters::dynamodb::{DynamoStore, create_table};
use imagegram::domain::Id;

/// `moto_server`'s main (moto 5.x `moto/server.py`), serializing requests: `python -c LAUNCHER host port`.
const LAUNCHER: &str = r#"
import logging, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
try:
    from moto.moto_server.werkzeug_app import MotoRequestHandler as handler
except ImportError:  # older moto (5.2.1 has none)
    handler = None
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True, request_handler=handler)
"#;

/// Runs moto in the background and kills it once this process closes the shell's stdin, which the
/// OS does when the test binary exits, however it exits. `$0` is Python, `$1` the launcher.
const WATCHDOG: &str = r#"exec 3<&0
"$0" -c "$1" 127.0.0.1 "$2" </dev/null &
moto=$!
(cat <&3 >/dev/null; kill "$moto" 2>/dev/null) &
wait "$moto""#;

struct Moto {
    url: String,
    /// Holds the watchdog's stdin open for the life of the process.
    _child: Option<Child>,
}

/// Moto handles one request at a time on one core, so tests that need throughput (many rounds of
/// contended transactions) spread their work over a second server.
const SERVERS: usize = 2;
static MOTO: [OnceLock<Result<Moto, String>>; SERVERS] = [OnceLock::new(), OnceLock::new()];

fn moto_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("IMAGEGRAM_MOTO_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!(
                "IMAGEGRAM_MOTO_BIN={} is not a file",
                bin.display()
            ))
        };
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv-moto/bin/moto_server");
    if venv.is_file() {
        return Ok(venv);
    }
    // A fresh machine: install the pinned moto from PyPI (what `.ci/moto.sh` does), so that
    // `cargo test --workspace` alone works. A failed install fails the test below, never skips it.
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/moto.sh");
    let installed = std::process::Command::new("bash").arg(&script).status();
    if installed.is_ok_and(|s| s.success()) && venv.is_file() {
        return Ok(venv);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no moto server: run .ci/moto.sh (installs .venv-moto), or set IMAGEGRAM_MOTO_BIN to a \
             moto_server executable or IMAGEGRAM_MOTO_URL to a running server"
                .to_owned()
        })
}

/// The Python that runs `moto_server`: its `#!` line (a venv's console script), else the `python3`
/// beside it (e.g. a pyenv shim).
fn moto_python(bin: &Path) -> Result<PathBuf, String> {
    let text = std::fs::read(bin).map_err(|e| format!("cannot read {}: {e}", bin.display()))?;
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let shebang = String::from_utf8_lossy(first);
    if let Some(interpreter) = shebang.strip_prefix("#!")
        && interpreter.contains("python")
        && !interpreter.contains(' ')
    {
        return Ok(interpreter.trim().into());
    }
    let beside = bin.with_file_name("python3");
    if beside.is_file() {
        return Ok(beside);
    }
    Err(format!("cannot tell which Python runs {}", bin.display()))
}

fn start_moto() -> Result<Moto, String> {
    if let Ok(url) = std::env::var("IMAGEGRAM_MOTO_URL") {
        return Ok(Moto { url, _child: None });
    }
    let bin = moto_bin()?;
    let python = moto_python(&bin)?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let mut log = tempfile::tempfile().map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .args(["-c", WATCHDOG])
        .arg(&python)
        .arg(LAUNCHER)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = ([127, 0, 0, 1], port).into();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(Moto {
                url: format!("http://127.0.0.1:{port}"),
                _child: Some(child),
            });
        }
        let exited = child.try_wait().map_err(|e| e.to_string())?;
        if exited.is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let mut text = String::new();
            let _ = log.rewind();
            let _ = log.read_to_string(&mut text);
            return Err(format!(
                "moto ({} with {}) did not start listening on port {port} ({exited:?}): {text}",
                python.display(),
                bin.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The URL of this test binary's moto server, started on first use (blocking: from async code
/// call it through `spawn_blocking`, as [`store`] does).
pub fn moto_url() -> String {
    server_url(0)
}

/// The URL of moto server `server % SERVERS` of this test binary, started on first use.
fn server_url(server: usize) -> String {
    match MOTO[server % SERVERS].get_or_init(start_moto) {
        Ok(moto) => moto.url.clone(),
        Err(e) => panic!("the DynamoDB tests need moto: {e}"),
    }
}

/// A store over a new table with a unique name on this binary's moto server.
pub async fn store() -> Arc<DynamoStore> {
    store_on(0).await
}

/// [`store`] on moto server `server` (of two; the same one with `IMAGEGRAM_MOTO_URL`).
pub async fn store_on(server: usize) -> Arc<DynamoStore> {
    let url = tokio::task::spawn_blocking(move || server_url(server))
        .await
        .unwrap();
    let client = DynamoStore::local_client(&url, "AKTEST", "secret-test");
    let table = format!("imagegram-test-{}", Id::generate());
    create_table(&client, &table).await.unwrap();
    Arc::new(DynamoStore::new(client, table))
}
