//! The command-line client end to end: the real `imagegram` binary against a real server
//! (in process, on loopback), every request through [`Proxy`], which injects the faults.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use imagegram::app::Settings;
use imagegram::config::ServeConfig;
use imagegram::embedded::{self, Running};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::proxy::Proxy;

const ADMIN: (&str, &str) = ("root", "root-password");
const PART: u64 = 8 * 1024 * 1024;

struct World {
    running: Running,
    api: String,
    proxy: Proxy,
    home: tempfile::TempDir,
    _data: tempfile::TempDir,
    http: reqwest::Client,
    token: String,
}

impl World {
    async fn start(settings: Settings) -> World {
        let data = tempfile::tempdir().expect("data dir");
        let config = ServeConfig {
            addr: "127.0.0.1:0".parse().expect("test setup"),
            s3_addr: "127.0.0.1:0".parse().expect("test setup"),
            data_dir: data.path().to_path_buf(),
            admin: Some((ADMIN.0.into(), ADMIN.1.into())),
            public_url: None,
            s3_public_url: None,
        };
        let running = embedded::start(&config, settings, std::future::pending())
            .await
            .expect("server starts");
        let api = format!("http://{}", running.addr);
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("test setup");
        let mut world = World {
            running,
            api,
            proxy: Proxy::start().await,
            home: tempfile::tempdir().expect("home"),
            _data: data,
            http,
            token: String::new(),
        };
        let credentials = json!({"username": "alice", "password": "correct-horse"});
        world
            .call("POST", "/v1/users", None, Some(credentials.clone()))
            .await;
        world.token = world
            .call("POST", "/v1/tokens", None, Some(credentials))
            .await["access_token"]
            .as_str()
            .expect("test setup")
            .to_string();
        world
    }

    /// An API call straight to the server (not through the proxy).
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.http.request(
            method.parse().expect("test setup"),
            format!("{}{path}", self.api),
        );
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API answers");
        let status = response.status();
        let text = response.text().await.expect("test setup");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn user(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, Some(&self.token), body).await
    }

    /// The CLI with the test's home, the API's address and the proxy; logged in as alice.
    fn cli(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_imagegram"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("HTTP_PROXY", &self.proxy.url)
            .env("IMAGEGRAM_API", &self.api)
            .env("IMAGEGRAM_TOKEN", &self.token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> Output {
        let run = self.cli(args).output();
        tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("the CLI finishes")
            .expect("the CLI runs")
    }

    fn states(&self) -> Vec<PathBuf> {
        let dir = self.home.path().join("cache/imagegram/uploads");
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr), "", "nothing on stderr but errors");
    text(&out.stdout)
}

/// A 24-bit BMP of `width` x `height` noise: a valid image of any size, unique per `seed`.
fn noise_bmp(path: &Path, width: u32, height: u32, seed: u64) {
    let row = (width * 3).div_ceil(4) * 4;
    let pixels = row * height;
    let mut bytes = Vec::with_capacity(54 + pixels as usize);
    bytes.extend_from_slice(b"BM");
    bytes.extend_from_slice(&(54 + pixels).to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(&54u32.to_le_bytes());
    bytes.extend_from_slice(&40u32.to_le_bytes());
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&24u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&pixels.to_le_bytes());
    bytes.extend_from_slice(&2835u32.to_le_bytes());
    bytes.extend_from_slice(&2835u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 8]);
    let mut state = seed | 1;
    while bytes.len() < 54 + pixels as usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(54 + pixels as usize);
    std::fs::write(path, bytes).expect("write image");
}

/// Waits until the proxy has passed `bytes` of bodies, then SIGKILLs the CLI.
async fn kill_after(proxy: &Proxy, mut child: Child, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.body_bytes.load(std::sync::atomic::Ordering::SeqCst) < bytes {
        assert!(Instant::now() < deadline, "the upload never got that far");
        assert!(
            child.try_wait().expect("test setup").is_none(),
            "the CLI ended before the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("killed");
    // The proxy records the killed run's cut requests as their connections close.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn upload_state(world: &World, id: &str) -> Value {
    world.user("GET", &format!("/v1/uploads/{id}"), None).await
}

async fn open_upload_id(world: &World) -> String {
    let open = world
        .user("GET", "/v1/uploads?status=uploading", None)
        .await;
    let items = open["items"].as_array().expect("test setup");
    assert_eq!(items.len(), 1, "{open}");
    items[0]["id"].as_str().expect("test setup").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_upload_survives_resets_byte_identical() {
    let world = World::start(Settings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bmp");
    noise_bmp(&file, 4096, 4096, 7);
    let original = std::fs::read(&file).unwrap();
    assert!(original.len() > 50_000_000);

    // 30% of part requests are reset halfway through their body.
    *world.proxy.faults.reset_every.lock().unwrap() = [2, 5, 8].into();
    let out = world
        .run(&["upload", "--retries", "10", file.to_str().unwrap()])
        .await;
    let id = ok(&out);

    let puts = world.proxy.part_puts();
    let sent: u64 = puts.iter().map(|p| p.body_bytes).sum();
    let ratio = sent as f64 / original.len() as f64;
    let cut = puts.iter().filter(|p| p.cut).count();
    eprintln!(
        "50 MB with 30% of part requests reset: {} part requests, {cut} cut, {sent} body bytes = {ratio:.3}x the file",
        puts.len()
    );
    assert!(cut >= 2, "the faults happened");
    assert!(ratio <= 1.5, "bytes sent / file size = {ratio}");
    // Every request went through the proxy: the API calls too (HTTP_PROXY is honoured).
    let seen = world.proxy.seen();
    assert!(
        seen.iter()
            .any(|s| s.method == "POST" && s.target == "/v1/uploads")
    );
    assert!(seen.iter().any(|s| s.target.ends_with("/complete")));
    assert_eq!(upload_state(&world, &id).await["status"], "uploaded");
    assert!(world.states().is_empty(), "no state left once done");

    // The stored original, through the link a Premium tier grants, is the file byte for byte.
    let image = world
        .user(
            "POST",
            "/v1/images",
            Some(json!({"upload_id": id, "title": "big"})),
        )
        .await;
    let admin = world
        .call(
            "POST",
            "/v1/tokens",
            None,
            Some(json!({"username": ADMIN.0, "password": ADMIN.1})),
        )
        .await;
    let admin = admin["access_token"].as_str().unwrap();
    world
        .call(
            "PATCH",
            "/v1/admin/users/alice",
            Some(admin),
            Some(json!({"tier": "Premium"})),
        )
        .await;
    let path = format!("/v1/images/{}", image["id"].as_str().unwrap());
    let mut image = world.user("GET", &path, None).await;
    for _ in 0..300 {
        if image["status"] != "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        image = world.user("GET", &path, None).await;
    }
    assert_eq!(image["status"], "ready", "{image}");
    let link = image["original_url"]
        .as_str()
        .expect("Premium has the original");
    let stored = world
        .http
        .get(link)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        stored == original,
        "the stored original differs from the file"
    );
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_at_half_resumes_without_sending_a_stored_part_again() {
    let world = World::start(Settings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.bmp");
    noise_bmp(&file, 4096, 4096, 11);
    let size = std::fs::metadata(&file).unwrap().len();

    *world.proxy.faults.bandwidth.lock().unwrap() = Some(12_000_000);
    let args = ["upload", "--parallel", "2", file.to_str().unwrap()];
    kill_after(&world.proxy, world.cli(&args).spawn().unwrap(), size / 2).await;
    let passed = world
        .proxy
        .body_bytes
        .load(std::sync::atomic::Ordering::SeqCst);
    let id = open_upload_id(&world).await;
    let before = upload_state(&world, &id).await;
    let stored: Vec<u64> = before["parts_received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert!(
        !stored.is_empty(),
        "some parts were stored before the kill: {before}"
    );
    assert_eq!(world.states().len(), 1, "the kill left the state");

    world.proxy.clear();
    *world.proxy.faults.bandwidth.lock().unwrap() = None;
    let again = world.run(&args).await;
    assert_eq!(ok(&again), id, "the same upload was continued");
    let resent: Vec<u32> = world
        .proxy
        .part_puts()
        .iter()
        .filter_map(|p| p.part())
        .collect();
    let parts = size.div_ceil(PART);
    let mut expected: Vec<u32> = (1..=parts as u32)
        .filter(|n| !stored.contains(&u64::from(*n)))
        .collect();
    assert!(
        resent.iter().all(|n| !stored.contains(&u64::from(*n))),
        "no stored part is sent again: {resent:?}, stored {stored:?}"
    );
    let mut sorted = resent.clone();
    sorted.sort_unstable();
    sorted.dedup();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "every missing part, and only those");
    let stored_bytes = stored.len() as u64 * PART;
    eprintln!(
        "kill at {passed} of {size} bytes: {} parts stored, rerun sent parts {resent:?}; \
         stored bytes sent again: 0; in-flight bytes discarded by the kill: {}",
        stored.len(),
        passed.saturating_sub(stored_bytes)
    );
    assert_eq!(upload_state(&world, &id).await["status"], "uploaded");
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_or_a_gone_upload_starts_a_new_upload() {
    let world = World::start(Settings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.bmp");
    noise_bmp(&file, 2048, 2048, 3);
    let args = ["upload", "--parallel", "1", file.to_str().unwrap()];

    *world.proxy.faults.bandwidth.lock().unwrap() = Some(8_000_000);
    kill_after(
        &world.proxy,
        world.cli(&args).spawn().unwrap(),
        PART + (1 << 20),
    )
    .await;
    let first = open_upload_id(&world).await;

    // Changed since: another hash, so another upload (the first stays open until it expires).
    noise_bmp(&file, 2048, 2048, 4);
    *world.proxy.faults.bandwidth.lock().unwrap() = None;
    let second = ok(&world.run(&args).await);
    assert_ne!(second, first);

    // Killed again, then the upload is aborted by someone else: the rerun starts over.
    noise_bmp(&file, 2048, 2048, 5);
    *world.proxy.faults.bandwidth.lock().unwrap() = Some(8_000_000);
    let before = world
        .proxy
        .body_bytes
        .load(std::sync::atomic::Ordering::SeqCst);
    let at = before + PART + (1 << 20);
    kill_after(&world.proxy, world.cli(&args).spawn().unwrap(), at).await;
    let open = world
        .user("GET", "/v1/uploads?status=uploading", None)
        .await;
    let third = open["items"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(third, first);
    world
        .http
        .delete(format!("{}/v1/uploads/{third}", world.api))
        .bearer_auth(&world.token)
        .send()
        .await
        .unwrap();
    *world.proxy.faults.bandwidth.lock().unwrap() = None;
    let fourth = ok(&world.run(&args).await);
    assert_ne!(fourth, third);
    assert_eq!(upload_state(&world, &fourth).await["status"], "uploaded");
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_outage_is_ridden_out() {
    let world = World::start(Settings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.bmp");
    noise_bmp(&file, 2048, 2048, 13);
    *world.proxy.faults.bandwidth.lock().unwrap() = Some(8_000_000);
    let child = world
        .cli(&[
            "upload",
            "--parallel",
            "2",
            "--retries",
            "10",
            file.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while world
        .proxy
        .body_bytes
        .load(std::sync::atomic::Ordering::SeqCst)
        < 4_000_000
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Every connection, open or new, is reset for 1.5 s.
    *world.proxy.faults.outage_until.lock().unwrap() =
        Some(Instant::now() + Duration::from_millis(1500));
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the upload finishes")
        .unwrap();
    let id = ok(&out);
    assert!(
        world.proxy.part_puts().iter().any(|p| p.cut),
        "the outage cut a part"
    );
    assert_eq!(upload_state(&world, &id).await["status"], "uploaded");
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_pauses_the_parts_for_its_retry_after() {
    let world = World::start(Settings::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.bmp");
    noise_bmp(&file, 2048, 2048, 17);
    *world.proxy.faults.refuse_puts.lock().unwrap() = 2;
    let started = Instant::now();
    let out = world
        .run(&["upload", "--parallel", "2", file.to_str().unwrap()])
        .await;
    let id = ok(&out);
    let puts = world.proxy.part_puts();
    assert_eq!(puts.iter().filter(|p| p.refused).count(), 2);
    assert_eq!(
        puts.iter().filter(|p| !p.refused).count(),
        2,
        "each part once more"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(upload_state(&world, &id).await["status"], "uploaded");
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_part_urls_are_re_signed() {
    let settings = Settings {
        upload_url_ttl: Duration::from_secs(1),
        ..Settings::default()
    };
    let world = World::start(settings).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photo.bmp");
    noise_bmp(&file, 2048, 2048, 9);
    *world.proxy.faults.bandwidth.lock().unwrap() = Some(6_000_000);
    let out = world
        .run(&["upload", "--parallel", "1", file.to_str().unwrap()])
        .await;
    let id = ok(&out);
    let resigns = world
        .proxy
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.target.ends_with("/parts"))
        .count();
    assert!(
        resigns >= 1,
        "parts 2 and 3 start after their first URLs expired"
    );
    assert_eq!(upload_state(&world, &id).await["status"], "uploaded");
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_post_feed_and_comment_as_a_user_would() {
    let world = World::start(Settings::default()).await;
    let image = test_support::testdata().join("valid/jpeg_baseline.jpg");
    let image = image.to_str().unwrap();

    let mut login = world.cli(&["login", "--api", &world.api, "--username", "alice"]);
    login
        .env_remove("IMAGEGRAM_TOKEN")
        .env_remove("IMAGEGRAM_API")
        .stdin(Stdio::piped());
    let mut child = login.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct-horse\n")
        .await
        .unwrap();
    ok(&child.wait_with_output().await.unwrap());
    let stored = world.home.path().join("config/imagegram/login.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stored).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // From here on the stored login alone (no IMAGEGRAM_TOKEN, no IMAGEGRAM_API).
    let as_logged_in = |args: &[&str]| {
        let mut command = world.cli(args);
        command
            .env_remove("IMAGEGRAM_TOKEN")
            .env_remove("IMAGEGRAM_API");
        command
    };
    let post = as_logged_in(&[
        "post",
        image,
        "--caption",
        "hello",
        "--alt",
        "a test",
        "--wait",
    ])
    .output()
    .await
    .unwrap();
    let post: Value = serde_json::from_str(&ok(&post)).expect("the post as JSON");
    assert_eq!(post["status"], "ready");
    assert_eq!(post["caption"], "hello");
    assert_eq!(post["alt_text"], "a test");
    assert_eq!(post["image"]["width"], 600);
    let post_id = post["id"].as_str().unwrap();

    let comment = as_logged_in(&["comment", post_id, "nice!"])
        .output()
        .await
        .unwrap();
    let comment: Value = serde_json::from_str(&ok(&comment)).unwrap();
    assert_eq!(comment["text"], "nice!");
    let feed = as_logged_in(&["feed", "--sort", "new", "--limit", "5"])
        .output()
        .await
        .unwrap();
    let feed: Value = serde_json::from_str(&ok(&feed)).unwrap();
    assert_eq!(feed["items"][0]["id"], post_id);
    assert_eq!(feed["items"][0]["comment_count"], 1);

    // Exit codes: 3 auth, 4 refused, 2 usage; one line on stderr.
    let mut bad = world.cli(&["feed"]);
    bad.env("IMAGEGRAM_TOKEN", "not-a-token");
    let bad = bad.output().await.unwrap();
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).starts_with("error: "));
    assert_eq!(text(&bad.stderr).lines().count(), 1);
    let refused = world
        .run(&["comment", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "hi"])
        .await;
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused.stderr));
    let usage = world.run(&["feed", "--sort", "sideways"]).await;
    assert_eq!(usage.status.code(), Some(2));
    let not_an_image = world.run(&["upload", "Cargo.toml"]).await;
    assert_eq!(
        not_an_image.status.code(),
        Some(4),
        "{}",
        text(&not_an_image.stderr)
    );
    drop(world.running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_being_down_ends_with_exit_5_in_bounded_time() {
    let world = World::start(Settings::default()).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let image = test_support::testdata().join("valid/jpeg_baseline.jpg");
    for args in [
        vec!["feed", "--retries", "3"],
        vec!["upload", "--retries", "3", image.to_str().unwrap()],
    ] {
        let mut command = world.cli(&args);
        command.env("IMAGEGRAM_API", &api);
        let started = Instant::now();
        let out = command.output().await.unwrap();
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).starts_with("error: network"),
            "{}",
            text(&out.stderr)
        );
        // 3 retries: at most 0.25 + 0.5 + 1 s of backoff, plus the attempts.
        assert!(took < Duration::from_secs(10), "gave up after {took:?}");
    }
    drop(world.running);
}
