//! `imagegram admin create-user` end to end: the built binary on a data dir, then the store.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use imagegram::adapters::sqlite::Sqlite;
use imagegram::domain::Role;
use imagegram::embedded::database_path;
use imagegram::ports::UserStore;

fn create_user(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imagegram"))
        .args(["admin", "create-user", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env_remove("IMAGEGRAM_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("imagegram runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("imagegram exits")
}

#[tokio::test]
async fn creates_then_promotes_an_admin_and_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = create_user(dir.path(), &["root"], "a-long-password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["role"], "admin");
    assert_eq!(line["tier"], "Basic");

    let store = Sqlite::open(&database_path(dir.path())).expect("database");
    let first = store
        .get_user("root")
        .await
        .expect("read")
        .expect("root exists");

    // A second run on the same account resets the password and keeps it an admin.
    let again = create_user(dir.path(), &["root", "--password", "another-password"], "");
    assert!(again.status.success());

    let bad = create_user(dir.path(), &["x"], "a-long-password\n");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("username"));
    let short = create_user(dir.path(), &["someone"], "short\n");
    assert!(!short.status.success());

    let root = store
        .get_user("root")
        .await
        .expect("read")
        .expect("root exists");
    assert_eq!(root.role, Role::Admin);
    assert!(root.password_hash.starts_with("$argon2id$"));
    assert_ne!(root.password_hash, first.password_hash);
    assert!(store.get_user("someone").await.expect("read").is_none());
}
