//! `layerlab`: run shell scripts in a container on top of OCI layer tars, and look inside
//! images.
//!
//! The engine does no I/O; this binary reads the tars, passes their bytes in, and writes what
//! the engine produces. Bad input (a missing file, a malformed tar, an unknown flag) gets one
//! clear line on stderr and exit status 2.

use layerlab::oci;
use layerlab::{Container, Image, Options, Shell};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "\
usage: layerlab run --layer L1.tar [--layer L2.tar ...] [--script FILE | -c 'COMMANDS']
                    [--upper-tar OUT] [--merged-tar OUT] [--events FILE|-]
                    [--redirect-dir] [--metacopy] [--index]
       layerlab inspect --layer L1.tar [--layer L2.tar ...] [--json]
       layerlab help | --help | --version

run      runs a script in a container on top of the layers (bottom first), with cwd / and
         umask 022, line by line as bash runs a script; exits with the last line's status
inspect  prints each layer's DiffID, ChainID, size, and bytes hidden by the layers above";

/// A failure of the tool itself (not of the script): printed as one line, exit status 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

#[derive(Default)]
struct RunArgs {
    layers: Vec<PathBuf>,
    script: Option<PathBuf>,
    command: Option<String>,
    upper_tar: Option<PathBuf>,
    merged_tar: Option<PathBuf>,
    events: Option<String>,
    opts: Options,
    json: bool,
    verbose: bool,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("layerlab: {msg}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode, Fatal> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let sub = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help")) | Some(Short('h')) => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(Long("version")) | Some(Short('V')) => {
            println!("layerlab {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => {
            return Err(Fatal(format!(
                "{}; try 'layerlab help'",
                other.unexpected()
            )))
        }
        None => return Err(Fatal("missing command; try 'layerlab help'".into())),
    };
    match sub.as_str() {
        "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "run" | "inspect" => {
            let mut a = RunArgs::default();
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("layer") | Short('l') => a.layers.push(parser.value()?.into()),
                    Long("script") if sub == "run" => a.script = Some(parser.value()?.into()),
                    Short('c') if sub == "run" => a.command = Some(parser.value()?.string()?),
                    Long("upper-tar") if sub == "run" => a.upper_tar = Some(parser.value()?.into()),
                    Long("merged-tar") if sub == "run" => {
                        a.merged_tar = Some(parser.value()?.into())
                    }
                    Long("events") if sub == "run" => a.events = Some(parser.value()?.string()?),
                    Long("redirect-dir") if sub == "run" => a.opts.redirect_dir = true,
                    Long("metacopy") if sub == "run" => a.opts.metacopy = true,
                    Long("index") if sub == "run" => a.opts.index = true,
                    Long("verbose") | Short('v') if sub == "run" => a.verbose = true,
                    Long("json") if sub == "inspect" => a.json = true,
                    Long("help") | Short('h') => {
                        println!("{USAGE}");
                        return Ok(ExitCode::SUCCESS);
                    }
                    other => {
                        return Err(Fatal(format!(
                            "{} for '{sub}'; try 'layerlab help'",
                            other.unexpected()
                        )))
                    }
                }
            }
            if sub == "run" {
                run(a)
            } else {
                inspect(a)
            }
        }
        other => Err(Fatal(format!(
            "unknown command '{other}'; try 'layerlab help'"
        ))),
    }
}

fn load_image(paths: &[PathBuf]) -> Result<Image, Fatal> {
    let mut layers = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| Fatal(format!("cannot read layer {}: {e}", path.display())))?;
        let layer = oci::import_layer(&bytes)
            .map_err(|e| Fatal(format!("layer {}: {e}", path.display())))?;
        layers.push(Arc::new(layer));
    }
    Ok(Image::new(layers)?)
}

fn run(a: RunArgs) -> Result<ExitCode, Fatal> {
    let script = match (&a.script, &a.command) {
        (Some(_), Some(_)) => return Err(Fatal("give either --script or -c, not both".into())),
        (Some(path), None) => {
            let bytes = std::fs::read(path)
                .map_err(|e| Fatal(format!("cannot read script {}: {e}", path.display())))?;
            String::from_utf8(bytes)
                .map_err(|_| Fatal(format!("script {} is not UTF-8 text", path.display())))?
        }
        (None, Some(c)) => c.clone(),
        (None, None) => String::new(),
    };
    // Open every output first, so a bad output path fails before any work is done.
    let upper_out = a.upper_tar.as_ref().map(create).transpose()?;
    let merged_out = a.merged_tar.as_ref().map(create).transpose()?;
    let mut events_out: Option<Box<dyn Write>> = match a.events.as_deref() {
        None => None,
        Some("-") => Some(Box::new(std::io::stdout())),
        Some(path) => Some(Box::new(create(&PathBuf::from(path))?.0)),
    };

    let image = load_image(&a.layers)?;
    let mut container = Container::new(Arc::new(image), a.opts);
    container.set_clock(now());
    let mut shell = Shell::new(container);
    let out = if a.verbose {
        // Each line as `bash -x` shows it, then what it printed, then the sentences of the
        // events it caused, so the effects stand under their cause.
        let mut failed: Option<std::io::Error> = None;
        let out = shell.run_script_each(&script, &mut |line, piece| {
            if let Err(e) = print_line(line, piece) {
                failed.get_or_insert(e);
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        out
    } else {
        let out = shell.run_script(&script);
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&out.stdout)?;
        stdout.flush()?;
        drop(stdout);
        std::io::stderr().write_all(&out.stderr)?;
        out
    };
    if let Some(w) = events_out.as_mut() {
        for e in &out.events {
            serde_json::to_writer(&mut *w, e)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    let container = shell.into_container();
    if let Some((mut f, path)) = upper_out {
        f.write_all(&oci::export_layer(container.upper()))
            .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some((mut f, path)) = merged_out {
        f.write_all(&oci::export_layer(&container.merged_layer()))
            .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(ExitCode::from(out.status.clamp(0, 255) as u8))
}

/// Prints one script line, its output and its events, for `--verbose`.
fn print_line(line: &str, piece: &layerlab::Output) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    for (i, l) in line.lines().enumerate() {
        writeln!(err, "{} {l}", if i == 0 { "+" } else { ">" })?;
    }
    err.flush()?;
    drop(err);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&piece.stdout)?;
    stdout.flush()?;
    drop(stdout);
    let mut err = std::io::stderr().lock();
    err.write_all(&piece.stderr)?;
    for e in &piece.events {
        writeln!(err, "  [{}] {}", e.seq, e.message)?;
    }
    err.flush()
}

fn create(path: &PathBuf) -> Result<(std::fs::File, PathBuf), Fatal> {
    std::fs::File::create(path)
        .map(|f| (f, path.clone()))
        .map_err(|e| Fatal(format!("cannot create {}: {e}", path.display())))
}

fn inspect(a: RunArgs) -> Result<ExitCode, Fatal> {
    let mut diff_ids = Vec::new();
    let mut raw = Vec::new();
    for path in &a.layers {
        let bytes = std::fs::read(path)
            .map_err(|e| Fatal(format!("cannot read layer {}: {e}", path.display())))?;
        // The DiffID is the digest of the uncompressed tar as given, not of a re-export.
        let (layer, diff_id) = oci::import_layer_and_diff_id(&bytes, &oci::ImportLimits::default())
            .map_err(|e| Fatal(format!("layer {}: {e}", path.display())))?;
        diff_ids.push(diff_id);
        raw.push(Arc::new(layer));
    }
    let chain = oci::chain_ids(&diff_ids);
    let container = Container::new(Arc::new(Image::new(raw)?), Options::default());
    let usage = container.usage();
    if a.json {
        let layers: Vec<serde_json::Value> = usage
            .layers
            .iter()
            .take(diff_ids.len())
            .enumerate()
            .map(|(i, u)| {
                serde_json::json!({
                    "index": i,
                    "file": a.layers[i].display().to_string(),
                    "diff_id": diff_ids[i].oci(),
                    "chain_id": chain[i].oci(),
                    "bytes": u.bytes,
                    "entries": u.entries,
                    "hidden_bytes": u.hidden_bytes,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "layers": layers,
            "total_bytes": usage.total_bytes,
            "wasted_bytes": usage.wasted_bytes,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "{:<5} {:<14} {:<14} {:>12} {:>8} {:>12}  FILE",
            "LAYER", "DIFF ID", "CHAIN ID", "BYTES", "ENTRIES", "HIDDEN"
        );
        for (i, u) in usage.layers.iter().take(diff_ids.len()).enumerate() {
            println!(
                "{:<5} {:<14} {:<14} {:>12} {:>8} {:>12}  {}",
                i,
                diff_ids[i].short(),
                chain[i].short(),
                u.bytes,
                u.entries,
                u.hidden_bytes,
                a.layers[i].display()
            );
        }
        println!(
            "total {} bytes in {} layers; {} bytes hidden by upper layers (wasted)",
            usage.total_bytes,
            diff_ids.len(),
            usage.wasted_bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The time new entries get: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
fn now() -> i64 {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return t;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
