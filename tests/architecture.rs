//! Architecture invariants that can be checked by reading the source tree (see ARCHITECTURE.md).
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Architecture Invariant: only `src/wasm.rs` touches JavaScript; the engine modules never
/// name the wasm-only crates.
#[test]
fn only_the_wasm_module_names_the_javascript_crates() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    assert!(files.len() > 10, "the source tree was found");
    let mut offenders = Vec::new();
    for file in files {
        if file.ends_with("src/wasm.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for name in [
            "wasm_bindgen",
            "js_sys",
            "web_sys",
            "serde_wasm_bindgen",
            "console_error_panic_hook",
        ] {
            if text.contains(name) {
                offenders.push(format!("{} names {name}", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// `wasm-pack test` builds every test file for wasm32, where the native ones (processes, files,
/// proptest) cannot compile: each test file says which side it is for.
#[test]
fn every_test_file_names_its_target() {
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    for file in files
        .iter()
        .filter(|f| f.parent() == Some(&root().join("tests")))
    {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let native = text.contains("#![cfg(not(target_arch = \"wasm32\"))]");
        let wasm = text.contains("#![cfg(target_arch = \"wasm32\")]");
        assert!(
            native || wasm,
            "{} needs #![cfg(not(target_arch = \"wasm32\"))] (or the wasm32 one)",
            file.display()
        );
    }
}

/// The `[section]` each line of Cargo.toml belongs to, with the line.
fn sections(toml: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t.to_string();
        } else if !t.is_empty() && !t.starts_with('#') {
            out.push((section.clone(), t.to_string()));
        }
    }
    out
}

/// Architecture Invariant: the wasm-only crates are target-specific dependencies, so native
/// builds never compile them; wasm-bindgen is pinned to the CLI's exact version.
#[test]
fn the_javascript_crates_are_wasm32_only_dependencies() {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let wasm_deps = "[target.'cfg(target_arch = \"wasm32\")'.dependencies]";
    let wasm_dev = "[target.'cfg(target_arch = \"wasm32\")'.dev-dependencies]";
    let lines = sections(&toml);
    for krate in [
        "wasm-bindgen",
        "js-sys",
        "web-sys",
        "serde-wasm-bindgen",
        "console_error_panic_hook",
        "wasm-bindgen-test",
    ] {
        let places: Vec<&String> = lines
            .iter()
            .filter(|(_, l)| l.split(['=', ' ']).next() == Some(krate))
            .map(|(s, _)| s)
            .collect();
        assert!(!places.is_empty(), "{krate} is a dependency");
        let want = if krate == "wasm-bindgen-test" {
            wasm_dev
        } else {
            wasm_deps
        };
        assert!(
            places.iter().all(|s| *s == want),
            "{krate} appears under {places:?}, not only {want}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|(s, l)| s == wasm_deps && l == "wasm-bindgen = \"=0.2.129\""),
        "wasm-bindgen is pinned to the CLI's version"
    );
    let config = std::fs::read_to_string(root().join("wasm-pack.toml")).expect("wasm-pack.toml");
    assert!(
        config.contains("wasm-bindgen-cli = \"0.2.129\""),
        "the build installs the same CLI version"
    );
    assert!(
        config.starts_with("# wasm-pack itself does not read this file"),
        "wasm-pack.toml says first who reads it"
    );
}

/// The README's JavaScript example is a test file that `cargo xtask test` runs, byte for byte,
/// so it cannot rot.
#[test]
fn the_readme_example_is_the_javascript_test() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let test = std::fs::read_to_string(root().join("tests/js/readme.test.mjs")).expect("the test");
    let start = readme
        .find("```js\n// tests/js/readme.test.mjs")
        .expect("the README shows tests/js/readme.test.mjs");
    let body = &readme[start + "```js\n".len()..];
    let end = body.find("```").expect("the block ends");
    assert_eq!(
        &body[..end],
        test,
        "README.md and tests/js/readme.test.mjs differ"
    );
}
