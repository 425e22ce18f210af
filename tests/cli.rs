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
fn a_file_of_random_bytes_gets_a_printable_message() {
    // What `head -c 1000 /dev/urandom > junk.tar` gives: the tar reader's message used to quote
    // the header's raw bytes, control characters and invalid UTF-8 included.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar");
    let mut x: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..1000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&junk, &bytes).unwrap();
    let out = layerlab(&["run", "--layer", junk.to_str().unwrap(), "-c", "true"]);
    fails_with_one_line(&out, "junk.tar");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.trim_end()
            .chars()
            .all(|c| c == ' ' || c.is_ascii_graphic()),
        "{err:?}"
    );
    assert!(err.contains("not a readable layer tar"), "{err:?}");
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

/// `layerlab` with arguments that need not be UTF-8.
fn layerlab_os(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerlab"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .expect("run layerlab")
}

/// Names in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A tar with one entry of `kind` named `name`, written with raw headers.
fn raw_tar(name: &[u8], kind: tar::EntryType) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(0);
    h.set_cksum();
    let mut tar = h.as_bytes().to_vec();
    tar.extend_from_slice(&[0; 1024]);
    tar
}

#[test]
fn bad_layer_files_of_every_kind_are_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let at = |n: &str| dir.path().join(n);
    let mut garbage = Vec::new();
    let mut x: u32 = 7;
    for _ in 0..3000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        garbage.push((x >> 16) as u8);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &garbage).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.tar", vec![]),
        ("garbage.tar", garbage.clone()),
        ("garbage.tar.gz", gz.finish().unwrap()),
        (
            "cut.tar",
            raw_tar(b"a", tar::EntryType::Regular)[..700].to_vec(),
        ),
        ("zstd-header.tar.zst", vec![0x28, 0xb5, 0x2f, 0xfd, 0x00]),
        ("device.tar", raw_tar(b"dev/null", tar::EntryType::Char)),
        ("fifo.tar", raw_tar(b"pipe", tar::EntryType::Fifo)),
        (
            "climb.tar",
            raw_tar(b"../../etc/passwd", tar::EntryType::Regular),
        ),
        // A name with a newline still gives one line (the newline is escaped).
        ("newline.tar", raw_tar(b"a\nb", tar::EntryType::Fifo)),
        (
            "garbage-name.tar",
            raw_tar(&garbage[..99], tar::EntryType::Regular),
        ),
    ];
    for (name, bytes) in &cases {
        std::fs::write(at(name), bytes).unwrap();
        for sub in ["run", "inspect"] {
            let out = layerlab(&[sub, "--layer", at(name).to_str().unwrap()]);
            fails_with_one_line(&out, name);
        }
    }
    let err = text(&layerlab(&["run", "--layer", at("newline.tar").to_str().unwrap()]).stderr);
    assert!(err.contains("a\\nb"), "{err}");
    // A directory, and a file that is not there.
    fails_with_one_line(
        &layerlab(&["run", "--layer", dir.path().to_str().unwrap()]),
        "directory",
    );
    fails_with_one_line(
        &layerlab(&["inspect", "--layer", at("nope.tar").to_str().unwrap()]),
        "nope.tar",
    );
}

#[test]
fn options_given_twice_and_outputs_that_collide_are_refused() {
    fails_with_one_line(
        &layerlab(&["run", "-c", "ls", "-c", "pwd"]),
        "-c is given twice",
    );
    fails_with_one_line(
        &layerlab(&["run", "--script", "a", "--script", "b"]),
        "--script is given twice",
    );
    fails_with_one_line(
        &layerlab(&["run", "--upper-tar", "a", "--upper-tar", "b"]),
        "--upper-tar is given twice",
    );
    fails_with_one_line(
        &layerlab(&["run", "--events", "-", "--events", "e"]),
        "--events is given twice",
    );
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.tar");
    let same = same.to_str().unwrap();
    fails_with_one_line(
        &layerlab(&["run", "--upper-tar", same, "--merged-tar", same]),
        "name the same file",
    );
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_failed_run_leaves_no_output_files_behind() {
    let dir = tempfile::tempdir().unwrap();
    let upper = dir.path().join("upper.tar");
    let merged = dir.path().join("merged.tar");
    let events = dir.path().join("events.jsonl");
    let out = layerlab(&[
        "run",
        "--layer",
        "/nonexistent.tar",
        "-c",
        "echo x > /f",
        "--upper-tar",
        upper.to_str().unwrap(),
        "--merged-tar",
        merged.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    fails_with_one_line(&out, "nonexistent.tar");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
    // A write that fails (a full device) is one line too, and the other outputs stay unwritten.
    let out = layerlab(&[
        "run",
        "-c",
        "echo x > /f",
        "--upper-tar",
        upper.to_str().unwrap(),
        "--events",
        "/dev/full",
    ]);
    fails_with_one_line(&out, "/dev/full");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
    // An existing output is replaced only by a complete one.
    std::fs::write(&upper, b"old").unwrap();
    let out = layerlab(&[
        "run",
        "--layer",
        "/nonexistent.tar",
        "--upper-tar",
        upper.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&upper).unwrap(), b"old");
}

#[test]
fn an_output_that_names_an_input_layer_is_written_after_the_layer_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.tar");
    let l = layer.to_str().unwrap();
    assert!(layerlab(&["run", "-c", "echo a > /a", "--upper-tar", l])
        .status
        .success());
    let out = layerlab(&["run", "--layer", l, "-c", "echo b > /b", "--merged-tar", l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(entries(&std::fs::read(&layer).unwrap()), ["f a", "f b"]);
    // Through a symlink, the file it points to is replaced and the link stays a link.
    let link = dir.path().join("link.tar");
    std::os::unix::fs::symlink(&layer, &link).unwrap();
    let out = layerlab(&[
        "run",
        "--layer",
        l,
        "-c",
        "echo c > /c",
        "--merged-tar",
        link.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        entries(&std::fs::read(&layer).unwrap()),
        ["f a", "f b", "f c"]
    );
    assert_eq!(listing(dir.path()), ["layer.tar", "link.tar"]);
}

#[test]
fn outputs_to_devices_are_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let out = layerlab(&["run", "-c", "echo x > /f", "--upper-tar", "/dev/stdout"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(entries(&out.stdout), ["f f"]);
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn non_utf8_arguments_are_paths_where_paths_are_expected() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join(OsStr::from_bytes(b"ev\xff.jsonl"));
    let out = layerlab_os(&[
        OsStr::new("run"),
        OsStr::new("-c"),
        OsStr::new("touch /f"),
        OsStr::new("--events"),
        events.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&events)
        .unwrap()
        .contains("\"create\""));
    let out = layerlab_os(&[
        OsStr::new("run"),
        OsStr::new("-c"),
        OsStr::from_bytes(b"echo \xff"),
    ]);
    fails_with_one_line(&out, "not UTF-8");
    let missing = dir.path().join(OsStr::from_bytes(b"no\xfe.tar"));
    let out = layerlab_os(&[
        OsStr::new("run"),
        OsStr::new("--layer"),
        missing.as_os_str(),
    ]);
    fails_with_one_line(&out, "cannot read layer");
}

#[test]
fn zstd_layers_run() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("l.tar");
    let t = tar.to_str().unwrap();
    assert!(layerlab(&["run", "-c", "echo zstd > /z", "--upper-tar", t])
        .status
        .success());
    let zst = dir.path().join("l.tar.zst");
    match Command::new("zstd")
        .args(["-q", "-o"])
        .arg(&zst)
        .arg(&tar)
        .status()
    {
        Ok(s) => assert!(s.success()),
        Err(_) => {
            eprintln!("skipping: zstd is not installed (apt-get install zstd)");
            return;
        }
    }
    let out = layerlab(&["run", "--layer", zst.to_str().unwrap(), "-c", "cat /z"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "zstd\n");
    // The DiffID is the uncompressed tar's.
    let out = layerlab(&["inspect", "--json", "--layer", zst.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["layers"][0]["diff_id"],
        layerlab::oci::diff_id(&std::fs::read(&tar).unwrap()).oci()
    );
}

#[test]
fn a_message_about_a_very_long_name_keeps_its_reason() {
    // A tar entry whose name runs to 100 000 bytes: the one line is cut in the middle, so the
    // reason at its end is still there.
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, "a".repeat(100_000), std::io::empty())
        .unwrap();
    let path = dir.path().join("long.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let out = layerlab(&["inspect", "--layer", path.to_str().unwrap()]);
    fails_with_one_line(&out, "aaaa...aaaa");
    let err = text(&out.stderr);
    assert!(err.len() < 1000, "{} bytes", err.len());
    assert!(
        err.trim_end()
            .ends_with("the path is longer than 4096 bytes"),
        "{err:?}"
    );
}
