//! The `layerlab` binary as a user meets it: good runs, and bad input that gets one clear line
//! on stderr and exit status 2.
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn layerlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerlab"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .expect("run layerlab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fails_with_one_line(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(
        err.starts_with("layerlab: ") && err.contains(needle),
        "{err:?} should mention {needle:?}"
    );
}

fn entries(tar: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(tar);
    a.entries()
        .expect("tar")
        .map(|e| {
            let e = e.expect("entry");
            let kind = if e.header().entry_type().is_dir() {
                "d"
            } else {
                "f"
            };
            format!("{kind} {}", e.path().expect("path").display())
        })
        .collect()
}

#[test]
fn run_writes_the_upper_layer_with_whiteouts_and_opaque_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.tar");
    let upper = dir.path().join("upper.tar");
    let b = base.to_str().unwrap();
    let out = layerlab(&[
        "run",
        "-c",
        "mkdir -p /d/sub; echo x > /d/sub/f; echo y > /g",
        "--upper-tar",
        b,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = layerlab(&[
        "run",
        "--layer",
        b,
        "-c",
        "rm -rf /d; mkdir /d; rm /g",
        "--upper-tar",
        upper.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tar = std::fs::read(&upper).unwrap();
    assert_eq!(entries(&tar), ["d d/", "f d/.wh..wh..opq", "f .wh.g"]);
}

#[test]
fn the_exit_status_is_the_last_lines_and_output_goes_to_the_right_stream() {
    let out = layerlab(&[
        "run",
        "-c",
        "echo out; ls /missing\necho still running\nfalse",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "out\nstill running\n");
    assert_eq!(
        text(&out.stderr),
        "ls: cannot access '/missing': No such file or directory\n"
    );
}

#[test]
fn events_are_json_lines_with_kind_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let out = layerlab(&[
        "run",
        "-c",
        "mkdir /a; touch /a/f",
        "--events",
        events.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines[0]["kind"], "mkdir");
    assert_eq!(lines[0]["seq"], 1);
    assert!(lines
        .iter()
        .any(|e| e["kind"] == "create" && e["path"] == "/a/f"));
    assert!(lines
        .iter()
        .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));
}

#[test]
fn a_missing_layer_file_is_one_line_and_status_2() {
    fails_with_one_line(
        &layerlab(&["run", "--layer", "/nonexistent.tar", "-c", "true"]),
        "/nonexistent.tar",
    );
}

#[test]
fn a_malformed_tar_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tar");
    std::fs::write(&bad, b"this is not a tar archive at all, just some words").unwrap();
    fails_with_one_line(
        &layerlab(&["run", "--layer", bad.to_str().unwrap()]),
        "bad.tar",
    );
    let gz = dir.path().join("bad.tar.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    fails_with_one_line(
        &layerlab(&["inspect", "--layer", gz.to_str().unwrap()]),
        "bad.tar.gz",
    );
}

#[test]
fn unknown_flags_commands_and_missing_values_are_one_line_and_status_2() {
    fails_with_one_line(&layerlab(&["run", "--frobnicate"]), "frobnicate");
    fails_with_one_line(&layerlab(&["dance"]), "dance");
    fails_with_one_line(&layerlab(&["run", "--layer"]), "layer");
    fails_with_one_line(&layerlab(&[]), "missing command");
    fails_with_one_line(
        &layerlab(&["run", "-c", "true", "--script", "x.sh"]),
        "not both",
    );
    fails_with_one_line(
        &layerlab(&["run", "--upper-tar", "/nonexistent-dir/out.tar"]),
        "out.tar",
    );
}

#[test]
fn inspect_reports_diff_ids_and_wasted_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.tar");
    let b = dir.path().join("b.tar");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert!(
        layerlab(&["run", "-c", "echo 0123456789 > /big", "--upper-tar", a])
            .status
            .success()
    );
    assert!(
        layerlab(&["run", "--layer", a, "-c", "rm /big", "--upper-tar", b])
            .status
            .success()
    );
    let out = layerlab(&["inspect", "--layer", a, "--layer", b, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["total_bytes"], 11);
    assert_eq!(doc["wasted_bytes"], 11);
    let tar = std::fs::read(a).unwrap();
    assert_eq!(
        doc["layers"][0]["diff_id"],
        layerlab::oci::diff_id(&tar).oci()
    );
    assert_eq!(doc["layers"][0]["chain_id"], doc["layers"][0]["diff_id"]);
}

#[test]
fn verbose_shows_each_line_then_its_output_and_events() {
    let out = layerlab(&["run", "-c", "echo hi > /f\nrm /nope\nmkdir /d", "--verbose"]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "+ echo hi > /f");
    assert!(lines[1].starts_with("  [1] create: /f"), "{err}");
    assert!(
        lines[2].starts_with("  [2] write: 3 B written to /f"),
        "{err}"
    );
    assert_eq!(lines[3], "+ rm /nope");
    assert_eq!(
        lines[4],
        "rm: cannot remove '/nope': No such file or directory"
    );
    assert_eq!(lines[5], "+ mkdir /d");
    assert!(lines[6].starts_with("  [3] mkdir: directory /d"), "{err}");
}
