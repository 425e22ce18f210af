//! `layerlab`: run shell scripts in a container on top of OCI layer tars, and look inside
//! images.
//!
//! The engine does no I/O; this binary reads the tars, passes their bytes in, and writes what
//! the engine produces. Bad input (a missing file, a malformed tar, an unknown flag) gets one
//! clear line on stderr and exit status 2.

use layerlab::oci;
use layerlab::{Container, Image, Options, Shell};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
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
    events: Option<PathBuf>,
    opts: Options,
    json: bool,
    verbose: bool,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("layerlab: {}", one_line(&msg));
            ExitCode::from(2)
        }
    }
}

/// `msg` on one line: control characters (a newline in a file name inside a tar, say) are
/// written as escapes, and a message that runs on for pages loses its middle, so that its
/// end (what went wrong, after a path that may be very long) is still there.
fn one_line(msg: &str) -> String {
    const HEAD: usize = 400;
    const TAIL: usize = 400;
    let escape = |cs: &[char]| {
        let mut out = String::new();
        for &c in cs {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out
    };
    let chars: Vec<char> = msg.chars().collect();
    if chars.len() <= HEAD + TAIL + 3 {
        return escape(&chars);
    }
    let (head, rest) = chars.split_at(HEAD);
    let tail = rest.get(rest.len() - TAIL..).unwrap_or(rest);
    format!("{}...{}", escape(head), escape(tail))
}

/// Sets an option that takes a value once; giving it twice is an error, not a silent override.
fn once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), Fatal> {
    if slot.is_some() {
        return Err(Fatal(format!("{name} is given twice; give it once")));
    }
    *slot = Some(value);
    Ok(())
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
                    Long("script") if sub == "run" => {
                        once(&mut a.script, "--script", parser.value()?.into())?
                    }
                    Short('c') if sub == "run" => {
                        let commands = parser.value()?.into_string().map_err(|_| {
                            Fatal("the commands given with -c are not UTF-8 text".into())
                        })?;
                        once(&mut a.command, "-c", commands)?
                    }
                    Long("upper-tar") if sub == "run" => {
                        once(&mut a.upper_tar, "--upper-tar", parser.value()?.into())?
                    }
                    Long("merged-tar") if sub == "run" => {
                        once(&mut a.merged_tar, "--merged-tar", parser.value()?.into())?
                    }
                    Long("events") if sub == "run" => {
                        once(&mut a.events, "--events", parser.value()?.into())?
                    }
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

/// Reads a layer file, refusing one larger than the import's byte limit before reading it.
fn read_layer(path: &Path) -> Result<Vec<u8>, Fatal> {
    let cannot = |e: std::io::Error| Fatal(format!("cannot read layer {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return Err(Fatal(format!(
            "cannot read layer {}: it is a directory, not a tar file",
            path.display()
        )));
    }
    let max = oci::ImportLimits::default().max_bytes;
    if meta.len() > max {
        return Err(Fatal(format!(
            "layer {}: the file is {} bytes, more than the import limit of {max} bytes",
            path.display(),
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    // A pipe or device has no length to check: read one byte past the limit at most.
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max + 1), &mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(Fatal(format!(
            "layer {}: more than the import limit of {max} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

fn load_image(paths: &[PathBuf]) -> Result<Image, Fatal> {
    let mut layers = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = read_layer(path)?;
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
    let outputs = [
        ("--upper-tar", &a.upper_tar),
        ("--merged-tar", &a.merged_tar),
        ("--events", &a.events),
    ];
    for (i, (name, path)) in outputs.iter().enumerate() {
        let Some(path) = path else { continue };
        for (other, p) in &outputs[..i] {
            if p.as_ref() == Some(path) && path.as_os_str() != "-" {
                return Err(Fatal(format!(
                    "{other} and {name} name the same file {}; give each its own",
                    path.display()
                )));
            }
        }
    }
    // Open every output first, so a bad output path fails before any work is done. Each is
    // written to a temporary file beside it and renamed into place only when everything
    // succeeded: a failure leaves no partial file, and an output that names an input layer
    // does not destroy it before it is read.
    let mut upper_out = a.upper_tar.as_deref().map(Output::create).transpose()?;
    let mut merged_out = a.merged_tar.as_deref().map(Output::create).transpose()?;
    let mut events_out = match a.events.as_deref() {
        None => None,
        Some(p) if p.as_os_str() == "-" => None,
        Some(path) => Some(Output::create(path)?),
    };
    let events_to_stdout = a.events.as_deref().is_some_and(|p| p.as_os_str() == "-");

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
        stdout
            .write_all(&out.stdout)
            .and_then(|()| stdout.flush())
            .map_err(|e| Fatal(format!("cannot write to stdout: {e}")))?;
        drop(stdout);
        std::io::stderr()
            .write_all(&out.stderr)
            .map_err(|e| Fatal(format!("cannot write to stderr: {e}")))?;
        out
    };
    let mut lines = Vec::new();
    for e in &out.events {
        serde_json::to_writer(&mut lines, e)?;
        lines.push(b'\n');
    }
    if events_to_stdout {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&lines)
            .and_then(|()| stdout.flush())
            .map_err(|e| Fatal(format!("cannot write events to stdout: {e}")))?;
    }
    if let Some(o) = events_out.as_mut() {
        o.write(&lines)?;
    }
    let container = shell.into_container();
    if let Some(o) = upper_out.as_mut() {
        o.write(&oci::export_layer(container.upper()))?;
    }
    if let Some(o) = merged_out.as_mut() {
        o.write(&oci::export_layer(&container.merged_layer()))?;
    }
    // Only now, with every output written, do they take their names.
    for o in [upper_out, merged_out, events_out].into_iter().flatten() {
        o.finish()?;
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
        writeln!(err, "  [{}] {}", e.seq, e.message())?;
    }
    err.flush()
}

/// An output file. A regular file (or a new one) is written under a temporary name in the same
/// directory and renamed over `path` by [`Output::finish`]; dropped before that, the temporary
/// file is removed and `path` is untouched. Anything else (`/dev/stdout`, a pipe) is written
/// in place, since renaming over it would replace the device.
struct Output {
    file: std::fs::File,
    path: PathBuf,
    /// The temporary name, for a regular file.
    temp: Option<PathBuf>,
}

impl Output {
    fn create(path: &Path) -> Result<Output, Fatal> {
        let cannot = |e: std::io::Error| Fatal(format!("cannot create {}: {e}", path.display()));
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(Fatal(format!(
                    "cannot create {}: it is a directory",
                    path.display()
                )))
            }
            Ok(m) if !m.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(cannot)?;
                return Ok(Output {
                    file,
                    path: path.to_path_buf(),
                    temp: None,
                });
            }
            // Through a symlink, replace the file it points to, not the link.
            Ok(_) => {
                if let Ok(real) = std::fs::canonicalize(path) {
                    return Output::create_beside(&real, path);
                }
            }
            Err(_) => {}
        }
        Output::create_beside(path, path)
    }

    /// Opens a temporary file beside `target`, to be renamed over it; `shown` names it in
    /// messages.
    fn create_beside(target: &Path, shown: &Path) -> Result<Output, Fatal> {
        let cannot = |e: std::io::Error| Fatal(format!("cannot create {}: {e}", shown.display()));
        let path = target;
        let Some(name) = path.file_name() else {
            return Err(Fatal(format!(
                "cannot create {:?}: it names no file",
                shown.display().to_string()
            )));
        };
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".layerlab-{}.tmp", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(cannot)?;
        Ok(Output {
            file,
            path: path.to_path_buf(),
            temp: Some(temp),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Fatal> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| Fatal(format!("cannot write {}: {e}", self.path.display())))
    }

    fn finish(mut self) -> Result<(), Fatal> {
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let done = self
            .file
            .sync_all()
            .and_then(|()| std::fs::rename(&temp, &self.path));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&temp);
            return Err(Fatal(format!("cannot write {}: {e}", self.path.display())));
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let _ = std::fs::remove_file(temp);
        }
    }
}

fn inspect(a: RunArgs) -> Result<ExitCode, Fatal> {
    let mut diff_ids = Vec::new();
    let mut raw = Vec::new();
    for path in &a.layers {
        let bytes = read_layer(path)?;
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
