//! The project's tasks, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `demo`: builds the CLI and shows a container at work: it builds two image layers with
//!   `layerlab run --upper-tar` (the way `docker build` makes a layer per step), then deletes,
//!   changes and replaces files in a container on top of them, printing every event, and finally
//!   inspects the sizes of all three layers.
//! - `test`: installs what the tests need (skipping what is already there), then runs the format
//!   check, clippy, every test (including the kernel differential test, which needs root), and a
//!   short run of each fuzz target.
//!
//! Each step prints what it runs. Nothing here needs network access beyond the package
//! registries.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask demo | test [--quick]");
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

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
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
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed with {status}", args.join(" ")))
    }
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

/// Installs Debian packages that are missing, when we may (root); otherwise says what is missing.
fn apt_install(packages: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = packages.iter().filter(|(bin, _)| !have(bin)).map(|(_, pkg)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() || !have("apt-get") {
        eprintln!("note: not installing {} (needs root and apt-get); tests that need them skip", missing.join(" "));
        return Ok(());
    }
    run_env("apt-get", &["update", "-qq"], &[("DEBIAN_FRONTEND", "noninteractive")])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run_env("apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")])
}

fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    // Real OCI tools are the oracles of the image-format tests.
    apt_install(&[("umoci", "umoci"), ("skopeo", "skopeo")])?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run("cargo", &["clippy", "--all-targets", "--", "-D", "warnings"])?;
    run("cargo", &["test", "--all-targets"])?;
    run("cargo", &["test", "--doc"])?;
    if !quick {
        fuzz_smoke()?;
    }
    eprintln!("xtask: all tests passed");
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
            &["fuzz", "run", "--sanitizer", "none", target, "--", "-max_total_time=20"],
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
        &["run", "--layer", &base, "-c", "echo 'v1' > /app/main; rm /var/log/boot.log", "--upper-tar", &app],
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
        &["inspect", "--layer", &base, "--layer", &app, "--layer", &upper],
    )?;
    println!("\nThe layer tars are in {}; try `tar tvf {upper}`.", dir.display());
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
