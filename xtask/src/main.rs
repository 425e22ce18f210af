//! The project's tasks, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `demo`: builds the CLI and shows a container at work: it builds two image layers with
//!   `layerlab run --upper-tar` (the way `docker build` makes a layer per step), then deletes,
//!   changes and replaces files in a container on top of them, printing every event, and finally
//!   inspects the sizes of all three layers.
//! - `setup`: installs what building and testing the web face needs, skipping what is there:
//!   the wasm32 target, the wasm-bindgen CLI and wasm-pack (versions from `wasm-pack.toml`),
//!   the npm packages of `package.json` (binaryen for wasm-opt, playwright-core), and, as root,
//!   Debian's chromium and chromium-driver.
//! - `build`: builds the wasm package for the page with wasm-pack, as `wasm-pack.toml` says,
//!   optimises it with binaryen's wasm-opt, then makes the served page (`site`) and prints the
//!   sizes of what the page fetches (raw and gzip).
//! - `site`: the served page alone, from `www/` as it is (the wasm must be built): `www/` copied
//!   to `target/site/` with every JavaScript module and style sheet minified by esbuild, one
//!   file at a time, then the full page's own modules bundled over their copies (`[site]
//!   bundle` of `wasm-pack.toml`: one `app.js`, and one `lesson-page.js`, the lesson engine it
//!   imports lazily; the embed's modules and `www/`'s layout as they are), the bundles minified
//!   once more by terser, and a zopfli gzip copy beside every text and wasm file. Quick, for
//!   after editing the page's files.
//! - `serve`: setup, build, then serves `target/site/` on http://127.0.0.1:8080 (`--port N` to
//!   change).
//! - `test`: installs what the tests need (skipping what is already there), then runs the format
//!   check, clippy (native and wasm32), every test (including the kernel differential test,
//!   which needs root), the wasm-bindgen tests in Node and headless Chromium, the JavaScript API
//!   tests in `tests/js/` and the browser tests in `e2e/` (when there are any; they find the
//!   served page at `LAYERLAB_URL`), and a short run of each fuzz target.
//!
//! Each step prints what it runs. Nothing here needs network access beyond the package
//! registries; a warm re-run skips every install.

mod precompress;
mod serve;
mod toml;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("setup") => setup(Needs::All),
        Some("build") => setup(Needs::Build).and_then(|()| build()),
        Some("site") => setup(Needs::Build).and_then(|()| site().map(drop)),
        Some("serve") => serve(&args[1..]),
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask demo | setup | build | site | serve [--port N] | test [--quick]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository's root: the parent of the xtask crate's folder. `cargo run` (the `xtask`
/// alias) says where that folder is when it starts the task; the path compiled in is only the
/// fallback, as it names the tree the binary was built in, which an old `xtask/target` copied
/// along with the repository would point back to.
fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// Runs a command in the project root, echoing it first; fails on a non-zero exit.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_env(program, args, &[])
}

fn run_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env("PATH", search_path())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed with {status}",
            args.join(" ")
        ))
    }
}

/// PATH with cargo's bin directory in front, where `cargo install` puts wasm-pack and the
/// wasm-bindgen CLI even when the caller's PATH lacks it.
fn search_path() -> String {
    let cargo_home = std::env::var("CARGO_HOME")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.cargo")))
        .unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{cargo_home}/bin:{path}")
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .env("PATH", search_path())
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Installs Debian packages that are missing, when we may (root); otherwise says what is missing.
fn apt_install(packages: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(bin, _)| !have(bin))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() || !have("apt-get") {
        eprintln!(
            "note: not installing {} (needs root and apt-get); tests that need them skip",
            missing.join(" ")
        );
        return Ok(());
    }
    run_env(
        "apt-get",
        &["update", "-qq"],
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run_env("apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")])
}

/// The first line a program prints for `--version`, or nothing when it cannot run.
fn version_of(program: &str) -> String {
    Command::new(program)
        .arg("--version")
        .env("PATH", search_path())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

/// What a task needs installed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// The wasm toolchain and the npm packages.
    Build,
    /// That, and Chromium with its driver for the browser tests.
    All,
}

fn config() -> Result<toml::Doc, String> {
    toml::Doc::read(&root().join("wasm-pack.toml"))
}

/// Installs what is missing and skips what is present, so that a warm run takes no time.
fn setup(needs: Needs) -> Result<(), String> {
    let cfg = config()?;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    for (tool, krate, program) in [
        ("wasm-bindgen-cli", "wasm-bindgen-cli", "wasm-bindgen"),
        ("wasm-pack", "wasm-pack", "wasm-pack"),
    ] {
        let want = cfg.str("tools", tool)?;
        // `wasm-bindgen 0.2.129` or `wasm-pack 0.15.1`: the second word is the version.
        if version_of(program).split_whitespace().nth(1) != Some(want.as_str()) {
            run("cargo", &["install", "--locked", krate, "--version", &want])?;
        }
    }
    npm_install()?;
    if needs == Needs::All {
        apt_install(&[
            ("chromium", "chromium"),
            ("chromedriver", "chromium-driver"),
        ])?;
    }
    Ok(())
}

/// Runs `npm ci` (or `npm install` without a lock file) when node_modules is missing or older
/// than package.json or package-lock.json; npm records what it installed in
/// node_modules/.package-lock.json.
fn npm_install() -> Result<(), String> {
    let r = root();
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = mtime(&r.join("node_modules/.package-lock.json"));
    let lock = r.join("package-lock.json");
    let fresh = match installed {
        Some(i) => [r.join("package.json"), lock.clone()]
            .iter()
            .all(|p| mtime(p).is_none_or(|m| m <= i)),
        None => false,
    };
    if fresh && r.join("node_modules/.bin/wasm-opt").exists() {
        return Ok(());
    }
    if !have("npm") {
        return Err("npm is missing: install Node.js (Debian: apt-get install nodejs npm)".into());
    }
    if lock.exists() {
        run("npm", &["ci", "--no-audit", "--no-fund"])
    } else {
        run("npm", &["install", "--no-audit", "--no-fund"])
    }
}

/// `wasm-pack build` for one target, as a section of wasm-pack.toml describes it, then
/// wasm-opt. Returns the output directory.
fn wasm_pack_build(section: &str) -> Result<PathBuf, String> {
    let cfg = config()?;
    let target = cfg.str(section, "target")?;
    let out_dir = cfg.str(section, "out-dir")?;
    let out_name = cfg.str(section, "out-name")?;
    let profile: Vec<(String, String)> = cfg
        .keys("profile")
        .into_iter()
        .map(|(k, v)| {
            let var = format!(
                "CARGO_PROFILE_RELEASE_{}",
                k.to_uppercase().replace('-', "_")
            );
            (var, v)
        })
        .collect();
    let env: Vec<(&str, &str)> = profile
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    run_env(
        "wasm-pack",
        &[
            "build",
            "--mode",
            "no-install",
            "--release",
            "--no-pack",
            "--target",
            &target,
            "--out-dir",
            &out_dir,
            "--out-name",
            &out_name,
        ],
        &env,
    )?;
    let dir = root().join(&out_dir);
    let wasm = dir.join(format!("{out_name}_bg.wasm"));
    let wasm = wasm.display().to_string();
    let flags = cfg.list("wasm-opt", "flags")?;
    wasm_opt(Path::new(&wasm), &flags)?;
    Ok(dir)
}

/// Runs binaryen's wasm-opt on `wasm` in place. wasm-opt -Oz takes half a minute on a busy
/// machine, so its output is kept in target/wasm-opt-cache/ under a hash of its input and
/// flags, and a warm build with nothing changed copies it back instead.
fn wasm_opt(wasm: &Path, flags: &[String]) -> Result<(), String> {
    let mut input =
        std::fs::read(wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))?;
    input.extend_from_slice(flags.join(" ").as_bytes());
    let h = fnv1a(&input);
    let cache = root().join("target/wasm-opt-cache");
    let cached = cache.join(format!("{h:016x}.wasm"));
    if cached.exists() {
        eprintln!(
            "xtask: wasm-opt output for this input is cached: {}",
            cached.display()
        );
        return std::fs::copy(&cached, wasm)
            .map(drop)
            .map_err(|e| format!("cannot copy {}: {e}", cached.display()));
    }
    let wasm_s = wasm.display().to_string();
    let mut args: Vec<&str> = vec![&wasm_s];
    args.extend(flags.iter().map(String::as_str));
    args.extend(["-o", &wasm_s]);
    let program = root().join("node_modules/.bin/wasm-opt");
    run(&program.display().to_string(), &args)?;
    // The cache is only a speed-up: failing to fill it is not an error.
    let _ = std::fs::create_dir_all(&cache).and_then(|()| std::fs::copy(wasm, &cached));
    Ok(())
}

/// FNV-1a of `bytes`, the key of the build's caches: no dependency, and a cache key needs no
/// cryptography.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The gzip size of a file (gzip -9, as a static server or CDN would send it).
fn gzip_size(path: &Path) -> u64 {
    Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map(|o| o.stdout.len() as u64)
        .unwrap_or(0)
}

fn build() -> Result<(), String> {
    wasm_pack_build("build")?;
    let site = site()?;
    let name = config()?.str("build", "out-name")?;
    let mut raw = 0;
    let mut gz = 0;
    let mut pre = 0;
    for file in [format!("pkg/{name}_bg.wasm"), format!("pkg/{name}.js")] {
        let p = site.join(&file);
        let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let size = len(&p);
        let g = gzip_size(&p);
        let z = len(&site.join(format!("{file}.gz")));
        eprintln!("xtask: {file}: {size} bytes, {g} bytes gzip -9, {z} bytes served (zopfli)");
        raw += size;
        gz += g;
        pre += z;
    }
    eprintln!(
        "xtask: wasm + glue: {raw} bytes, {} KiB gzip -9, {} KiB served (the whole page: node e2e/bench.mjs)",
        gz.div_ceil(1024),
        pre.div_ceil(1024)
    );
    Ok(())
}

/// Makes the served page: `www/` copied to the `[site] out-dir` of wasm-pack.toml, with every
/// `.js` and `.css` file minified by esbuild (npm package, from package.json) one at a time,
/// without bundling. The folder is emptied first, so nothing deleted from `www/` lingers.
/// Returns it.
fn site() -> Result<PathBuf, String> {
    let cfg = config()?;
    let src = root().join(cfg.str("site", "source")?);
    let out = root().join(cfg.str("site", "out-dir")?);
    if !src.join("pkg").is_dir() {
        return Err(format!(
            "{} has no wasm package: run `cargo xtask build` first",
            src.display()
        ));
    }
    match std::fs::remove_dir_all(&out) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot empty {}: {e}", out.display())),
    }
    let mut scripts = Vec::new();
    copy_tree(&src, &out, &mut scripts)?;
    let esbuild = root().join("node_modules/.bin/esbuild");
    let mut args = vec![
        "--minify".to_string(),
        "--charset=utf8".to_string(),
        "--log-level=warning".to_string(),
        format!("--outbase={}", src.display()),
        format!("--outdir={}", out.display()),
    ];
    args.extend(scripts.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    eprintln!(
        "$ {} --minify ... ({} modules and style sheets of {} into {})",
        esbuild.display(),
        scripts.len(),
        src.display(),
        out.display()
    );
    run_node_tool(&esbuild, &args, "esbuild")?;
    bundle(&cfg, &src, &out, &esbuild)?;
    squeeze(&cfg, &out)?;
    let extensions = cfg.list("site", "precompress")?;
    let done = precompress::precompress(&out, &extensions, &root().join("target/gz-cache"))?;
    eprintln!(
        "xtask: {} gzip copies (zopfli; {} from target/gz-cache): {} bytes, {} gzip",
        done.files, done.cached, done.raw, done.gz
    );
    Ok(out)
}

/// Runs a tool from node_modules (esbuild, terser) with `args`, from the repository's root;
/// `what` names the step in the error.
fn run_node_tool<S: AsRef<std::ffi::OsStr>>(
    tool: &Path,
    args: &[S],
    what: &str,
) -> Result<(), String> {
    let status = Command::new(tool)
        .args(args)
        .env("PATH", search_path())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {}: {e}", tool.display()))?;
    if !status.success() {
        return Err(format!("{what} failed with {status}"));
    }
    Ok(())
}

/// Bundles the page's own modules (`[site] bundle` of wasm-pack.toml) over their one-file
/// minified copies in `out`: each entry with esbuild `--bundle --format=esm`, on its own, with
/// the other entries left as imports, so the modules the page needs before it is usable arrive
/// as one gzip stream instead of ten, and each lazily imported entry (the lesson engine,
/// `lesson-page.js`) is one file too. No code-splitting chunk: a chunk of what the entries share
/// would be one more file before the page is usable, and its own gzip stream (about 0.9 KB more
/// than one file); the lazy entry carries its own copy of the few small modules it shares with
/// `app.js` instead, which the modules allow because they hold no state. wasm-bindgen's glue is
/// bundled into `app.js` too (the page passes `init` the wasm's URL, which the glue would
/// otherwise take from its own place); `pkg/` keeps its copy for the embed. The `[site]
/// bundle-page` then preloads what the main bundle imports (nothing left today) instead of the
/// modules that are now inside it.
/// Every other module (the embed's) keeps its one-file copy, so the embed, and `www/` served as
/// it is, work unchanged.
fn bundle(cfg: &toml::Doc, src: &Path, out: &Path, esbuild: &Path) -> Result<(), String> {
    let entries = cfg.list("site", "bundle")?;
    let Some(main) = entries.first() else {
        return Ok(());
    };
    let page = cfg.str("site", "bundle-page")?;
    for entry in &entries {
        let mut args = vec![
            "--bundle".to_string(),
            "--format=esm".to_string(),
            "--minify".to_string(),
            "--charset=utf8".to_string(),
            "--log-level=warning".to_string(),
            "--allow-overwrite".to_string(),
        ];
        args.extend(
            entries
                .iter()
                .filter(|e| *e != entry)
                .map(|e| format!("--external:./{e}")),
        );
        args.push(format!("--outbase={}", src.display()));
        args.push(format!("--outdir={}", out.display()));
        args.push(src.join(entry).display().to_string());
        eprintln!("$ {} --bundle ... {entry}", esbuild.display());
        run_node_tool(esbuild, &args, "esbuild --bundle")?;
    }
    // What the main entry imports statically: esbuild writes those imports first.
    let bundled = std::fs::read_to_string(out.join(main))
        .map_err(|e| format!("cannot read the bundle {main}: {e}"))?;
    let imports = static_imports(&bundled);
    // The page's preloads of single modules give way to the bundle's imports.
    let page_path = out.join(&page);
    let html = std::fs::read_to_string(&page_path)
        .map_err(|e| format!("cannot read {}: {e}", page_path.display()))?;
    let mut kept = String::new();
    let mut preloaded = false;
    for line in html.split_inclusive('\n') {
        let Some(href) = line
            .trim()
            .strip_prefix("<link rel=\"modulepreload\" href=\"")
            .and_then(|l| l.strip_suffix("\">"))
        else {
            kept.push_str(line);
            continue;
        };
        if !preloaded {
            // The bundle's imports take the place of the first preload, in the bundle's order.
            for i in &imports {
                kept.push_str(&format!("<link rel=\"modulepreload\" href=\"{i}\">\n"));
            }
            preloaded = true;
        }
        if !src.join(href).is_file() {
            return Err(format!(
                "{page} preloads {href}, which is not in {}",
                src.display()
            ));
        }
    }
    std::fs::write(&page_path, kept)
        .map_err(|e| format!("cannot write {}: {e}", page_path.display()))
}

/// Minifies the bundles (`[site] bundle`) once more with terser (npm package, from
/// package.json), in place, with `[site] terser` flags: its compressor, run over esbuild's
/// output, folds what esbuild leaves (about 2 % of app.js after gzip; BENCHMARKS.md,
/// "Precompressed"). Runs after `bundle` has read the main bundle's imports. Its outputs are
/// kept in target/terser-cache/ under a hash of the input and flags.
fn squeeze(cfg: &toml::Doc, out: &Path) -> Result<(), String> {
    let terser = root().join("node_modules/.bin/terser");
    let flags = cfg.list("site", "terser")?;
    let cache = root().join("target/terser-cache");
    for entry in cfg.list("site", "bundle")? {
        let path = out.join(&entry);
        let mut key =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        key.extend_from_slice(flags.join(" ").as_bytes());
        let cached = cache.join(format!("{:016x}.js", fnv1a(&key)));
        // terser takes seconds; a warm build with the same bundle copies its earlier output.
        if std::fs::copy(&cached, &path).is_ok() {
            continue;
        }
        let file = path.display().to_string();
        let mut args: Vec<&str> = vec![&file];
        args.extend(flags.iter().map(String::as_str));
        args.extend(["-o", &file]);
        eprintln!(
            "$ {} {entry} {} -o {entry}",
            terser.display(),
            flags.join(" ")
        );
        run_node_tool(&terser, &args, "terser")?;
        // The cache is only a speed-up: failing to fill it is not an error.
        let _ = std::fs::create_dir_all(&cache).and_then(|()| std::fs::copy(&path, &cached));
    }
    Ok(())
}

/// The specifiers of the static imports at the start of an esbuild-minified module
/// (`import{a as b}from"./x.js";import c from"./pkg/layerlab.js";...`), in order.
fn static_imports(module: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = module;
    while let Some(stmt) = rest.strip_prefix("import") {
        let Some(end) = stmt.find(';') else { break };
        let (head, tail) = stmt.split_at(end);
        let Some(spec) = head
            .rsplit_once('"')
            .and_then(|(before, _)| before.rsplit_once('"'))
            .map(|(_, s)| s)
        else {
            break;
        };
        found.push(spec.trim_start_matches("./").to_string());
        rest = &tail[1..];
    }
    found
}

/// Copies `from` into `to` recursively, except `.js` and `.css` files, which it lists in
/// `scripts` for esbuild to write there.
fn copy_tree(from: &Path, to: &Path, scripts: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut files = Vec::new();
    files_under(from, &mut files)?;
    for path in files {
        if path.extension().is_some_and(|e| e == "js" || e == "css") {
            scripts.push(path);
            continue;
        }
        let dest = to.join(path.strip_prefix(from).unwrap_or(&path));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::copy(&path, &dest)
            .map_err(|e| format!("cannot copy {} to {}: {e}", path.display(), dest.display()))?;
    }
    Ok(())
}

/// Adds every file under `dir` (recursively; folders themselves left out) to `out`.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if kind.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn serve(args: &[String]) -> Result<(), String> {
    let port = match args.iter().position(|a| a == "--port") {
        Some(i) => args
            .get(i + 1)
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or("--port needs a number")?,
        None => 8080,
    };
    setup(Needs::Build)?;
    build()?;
    serve::serve(&root().join(config()?.str("site", "out-dir")?), port)
}

fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    setup(Needs::All)?;
    // Real OCI tools are the oracles of the image-format tests.
    apt_install(&[("umoci", "umoci"), ("skopeo", "skopeo"), ("zstd", "zstd")])?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        "cargo",
        &["clippy", "--all-targets", "--", "-D", "warnings"],
    )?;
    run(
        "cargo",
        &[
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "--lib",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run("cargo", &["test", "--all-targets"])?;
    run("cargo", &["test", "--doc"])?;
    wasm_tests()?;
    if !quick {
        fuzz_smoke()?;
    }
    eprintln!("xtask: all tests passed");
    Ok(())
}

/// The wasm-bindgen tests of the API boundary (tests/wasm.rs) in Node and in headless Chromium,
/// then the JavaScript API tests on the package built for Node, then the browser tests.
fn wasm_tests() -> Result<(), String> {
    let cfg = config()?;
    // wasm-pack builds every target for wasm32: the native test files compile to nothing
    // there (`#![cfg(not(target_arch = "wasm32"))]`), and the CLI is left out with its feature.
    let only = ["--no-default-features"];
    if cfg.str("test", "node")? == "true" {
        let mut a = vec!["test", "--mode", "no-install", "--node"];
        a.extend(only);
        run("wasm-pack", &a)?;
    }
    let driver = cfg.str("test", "chromedriver")?;
    for browser in cfg.list("test", "browsers")? {
        if browser != "chrome" {
            return Err(format!(
                "wasm-pack.toml: browser {browser:?} is not supported (only chrome)"
            ));
        }
        if !Path::new(&driver).exists() {
            eprintln!("note: {driver} is missing (it needs root to install); skipping Chromium");
            continue;
        }
        let mut a = vec!["test", "--mode", "no-install", "--headless", "--chrome"];
        a.extend(["--chromedriver", driver.as_str()]);
        a.extend(only);
        // The tests need no browser-only APIs, so they are not marked run_in_browser; this
        // makes the runner use the browser anyway.
        run_env("wasm-pack", &a, &[("WASM_BINDGEN_USE_BROWSER", "1")])?;
    }
    wasm_pack_build("build.node")?;
    run("node", &["--test", "tests/js/"])?;
    if root().join("e2e").is_dir() {
        // The page's end-to-end tests drive the built page (the minified site), served here on
        // a free port whose address they find in LAYERLAB_URL.
        build()?;
        let listener = serve::bind(0)?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let www = root().join(config()?.str("site", "out-dir")?);
        std::thread::spawn(move || serve::serve_on(listener, &www));
        let url = format!("http://127.0.0.1:{port}/");
        run_env(
            "node",
            &["--test", "e2e/"],
            &[("LAYERLAB_URL", url.as_str())],
        )?;
    }
    Ok(())
}

/// Runs each fuzz target briefly, when cargo-fuzz is installed or can be.
fn fuzz_smoke() -> Result<(), String> {
    if !root().join("fuzz/Cargo.toml").exists() {
        return Ok(());
    }
    if !have("cargo-fuzz") {
        run("cargo", &["install", "--locked", "cargo-fuzz"])?;
    }
    for target in ["shell", "tar_import"] {
        run_env(
            "cargo",
            &[
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                target,
                "--",
                "-max_total_time=20",
            ],
            &[("RUSTC_BOOTSTRAP", "1")],
        )?;
    }
    Ok(())
}

fn demo() -> Result<(), String> {
    run("cargo", &["build", "--quiet", "--bin", "layerlab"])?;
    let bin = root().join("target/debug/layerlab");
    let dir = root().join("target/demo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = |name: &str| dir.join(name).display().to_string();
    let layerlab = |title: &str, args: &[&str]| -> Result<(), String> {
        println!("\n### {title}");
        let status = Command::new(&bin)
            .args(args)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .status()
            .map_err(|e| format!("cannot start layerlab: {e}"))?;
        // A script's own failing lines are part of the demo; only the tool's errors stop it.
        if status.code() == Some(2) {
            return Err(format!("layerlab {} failed", args.join(" ")));
        }
        Ok(())
    };
    let base = path("base.tar");
    let app = path("app.tar");
    let upper = path("container.tar");
    layerlab(
        "Layer 0 (like `FROM`): a base filesystem, written as an OCI layer tar",
        &[
            "run",
            "-c",
            "mkdir -p /etc /app/config /var/log; echo '127.0.0.1 localhost' > /etc/hosts; \
             printf 'debug=false\\nport=80\\n' > /app/config/app.conf; echo 'big log line' > /var/log/boot.log",
            "--upper-tar",
            &base,
        ],
    )?;
    layerlab(
        "Layer 1 (like `RUN`): changes on top of layer 0 become a second layer",
        &[
            "run",
            "--layer",
            &base,
            "-c",
            "echo 'v1' > /app/main; rm /var/log/boot.log",
            "--upper-tar",
            &app,
        ],
    )?;
    layerlab(
        "A container on top: every copy-up, whiteout and opaque directory, as events",
        &[
            "run",
            "--layer",
            &base,
            "--layer",
            &app,
            "--verbose",
            "--script",
            &write_script(&dir)?,
            "--upper-tar",
            &upper,
        ],
    )?;
    layerlab(
        "Sizes: deleting files never made the image smaller",
        &[
            "inspect", "--layer", &base, "--layer", &app, "--layer", &upper,
        ],
    )?;
    println!(
        "\nThe layer tars are in {}; try `tar tvf {upper}`.",
        dir.display()
    );
    Ok(())
}

fn write_script(dir: &Path) -> Result<String, String> {
    let script = "\
# Reading never copies anything up.
cat /etc/hosts
# Appending to a file from the image copies it up first.
echo '10.0.0.2 db' >> /etc/hosts
# Deleting a file from the image leaves a whiteout; the image does not shrink.
rm /app/main
# Replacing a directory: its new self is opaque, hiding the image's old contents.
rm -rf /app/config
mkdir /app/config
ls -a /app/config
# Renaming a directory the image has fails with EXDEV; mv copies it instead.
mv /var/log /var/oldlog
ls /var
";
    let path = dir.join("script.sh");
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}
