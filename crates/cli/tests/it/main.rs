//! Tests of the `healthcode` command, run as a separate process on fresh data directories.

mod commands;
mod demo;
mod evaluate;
mod feeds;
mod follow_up;
mod import;
mod officials;
mod pass;
mod phone;
mod policy;
mod ratings;
mod seed;
mod simulate;
mod trace;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `healthcode ARGS` with a data directory, a clean environment for its configuration, and
/// `stdin` as its standard input.
fn healthcode(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .arg("--data")
        .arg(data_dir)
        .args(args)
        .env_remove("HEALTHCODE_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the healthcode binary starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}
