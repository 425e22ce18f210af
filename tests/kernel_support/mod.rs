//! Support for the differential test against the Linux kernel's overlayfs: random layers and
//! scripts, the kernel oracle (a real overlay mount), the Layer Lab side (the CLI on OCI layer
//! tars), normalised snapshots of both, their comparison, and shrinking of diverging cases.
//!
//! Everything that builds input for Layer Lab is written here with the `tar` crate, never with
//! the project's own exporter, so the engine is not tested against itself.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------------------------
// The model of a case: layers (bottom first) and a script.

/// One entry of a generated layer. Paths are relative, `/`-separated, without a leading `./`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    File {
        mode: u32,
        content: Vec<u8>,
    },
    Dir {
        mode: u32,
        opaque: bool,
    },
    Symlink {
        target: String,
    },
    /// A second name for a regular file of the same layer (`target` is that file's path).
    HardLink {
        target: String,
    },
    Whiteout,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub kind: Kind,
}

/// One layer: entries sorted so that every directory comes before its children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerSpec {
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Bottom layer first, as `layerlab run --layer` takes them.
    pub layers: Vec<LayerSpec>,
    pub script: Vec<String>,
    /// The overlay options: mount options on the kernel side, `--redirect-dir`, `--metacopy`
    /// and `--index` for `layerlab run`.
    pub opts: Options,
}

impl Case {
    pub fn script_text(&self) -> String {
        let mut s = String::new();
        for line in &self.script {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

fn parent_of(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn is_under(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// Sorting by components puts a directory right before its children, whatever bytes names
/// hold; hard links go last, so that their targets exist when they are written.
fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        let link = |e: &Entry| matches!(e.kind, Kind::HardLink { .. });
        link(a)
            .cmp(&link(b))
            .then_with(|| a.path.split('/').cmp(b.path.split('/')))
    });
}

/// What a name is in the merged view of the lower layers (used to aim scripts at lower names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MKind {
    File,
    Dir,
    Symlink,
}

/// The merged view of `layers` (bottom first) by the rules of the semantics table; only names
/// and types, which is all the generators need. The real comparison never trusts this model.
pub fn merged_model(layers: &[LayerSpec]) -> BTreeMap<String, MKind> {
    let mut m: BTreeMap<String, MKind> = BTreeMap::new();
    fn remove_tree(m: &mut BTreeMap<String, MKind>, p: &str) {
        m.retain(|k, _| k != p && !is_under(k, p));
    }
    for layer in layers {
        for e in &layer.entries {
            match &e.kind {
                Kind::Whiteout => remove_tree(&mut m, &e.path),
                Kind::Dir { opaque, .. } => {
                    if *opaque || m.get(&e.path) != Some(&MKind::Dir) {
                        remove_tree(&mut m, &e.path);
                    }
                    m.insert(e.path.clone(), MKind::Dir);
                }
                Kind::File { .. } => {
                    remove_tree(&mut m, &e.path);
                    m.insert(e.path.clone(), MKind::File);
                }
                // A hard link is what its target is: a file or a symlink.
                Kind::HardLink { target } => {
                    let link = layer
                        .entries
                        .iter()
                        .any(|t| t.path == *target && matches!(t.kind, Kind::Symlink { .. }));
                    remove_tree(&mut m, &e.path);
                    let kind = if link { MKind::Symlink } else { MKind::File };
                    m.insert(e.path.clone(), kind);
                }
                Kind::Symlink { .. } => {
                    remove_tree(&mut m, &e.path);
                    m.insert(e.path.clone(), MKind::Symlink);
                }
            }
        }
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Generators.

const NAMES: [&str; 5] = ["a", "b", "c", "d1", "d2"];
/// Names no layer uses, so scripts also create entries that exist nowhere below.
const NEW_NAMES: [&str; 2] = ["e", "f"];
/// Symlink targets: relative and without `..`, so that no link can lead out of the root, even
/// after `mv` puts it at another depth (on the kernel side that would write outside the mount).
const LINK_TARGETS: [&str; 8] = ["a", "b", "c", "d1", "d2", "d1/a", "d2/b", "missing"];
const WORDS: [&str; 5] = ["hi", "new", "x1", "zz", "two words"];

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn chance(rng: &mut fastrand::Rng, p: f32) -> bool {
    rng.f32() < p
}

fn gen_file(rng: &mut fastrand::Rng, layer: usize, path: &str) -> Kind {
    let mode = *pick(rng, &[0o644, 0o644, 0o644, 0o600, 0o755, 0o640]);
    let tag = format!("{}-L{}", path.replace('/', "."), layer + 1);
    let content = match rng.u8(..10) {
        0 => Vec::new(),
        1 => tag.into_bytes(),
        2 => format!("{tag}\nsecond\n").into_bytes(),
        _ => format!("{tag}\n").into_bytes(),
    };
    Kind::File { mode, content }
}

fn gen_dir_entries(
    rng: &mut fastrand::Rng,
    layer: usize,
    dir: &str,
    depth: usize,
    below: &BTreeMap<String, MKind>,
    below_visible: bool,
    out: &mut Vec<Entry>,
) {
    for name in NAMES {
        let path = join(dir, name);
        // Under an opaque directory of this layer nothing below counts.
        let there = below.get(&path).copied().filter(|_| below_visible);
        let p = match (there, depth) {
            (Some(_), _) => 0.6,
            (None, 0) => 0.45,
            (None, _) => 0.3,
        };
        if !chance(rng, p) {
            continue;
        }
        // Whiteouts only above the bottom layer and only where they hide something. A whiteout
        // that hides nothing sits in a directory the kernel sees in one layer only, and such a
        // directory is read with a plain readdir that lists the whiteout (lookup then says
        // ENOENT): a kernel quirk of ill-formed layers that the engine does not model.
        if layer > 0 && there.is_some() && chance(rng, 0.22) {
            out.push(Entry {
                path,
                kind: Kind::Whiteout,
            });
            continue;
        }
        let want_dir = if depth >= 2 {
            chance(rng, 0.1)
        } else if there == Some(MKind::Dir) {
            chance(rng, 0.85)
        } else if name.starts_with('d') {
            chance(rng, 0.8)
        } else {
            chance(rng, 0.1)
        };
        if want_dir {
            let mode = *pick(rng, &[0o755, 0o755, 0o755, 0o700, 0o750, 0o775]);
            let opaque = layer > 0 && chance(rng, 0.18);
            out.push(Entry {
                path: path.clone(),
                kind: Kind::Dir { mode, opaque },
            });
            if depth < 2 {
                let visible = below_visible && !opaque && there == Some(MKind::Dir);
                gen_dir_entries(rng, layer, &path, depth + 1, below, visible, out);
            }
        } else if chance(rng, 0.15) {
            out.push(Entry {
                path,
                kind: Kind::Symlink {
                    target: pick(rng, &LINK_TARGETS).to_string(),
                },
            });
        } else {
            let kind = gen_file(rng, layer, &path);
            out.push(Entry { path, kind });
        }
    }
}

pub fn gen_layers(rng: &mut fastrand::Rng) -> Vec<LayerSpec> {
    let n = rng.usize(1..=4);
    let mut layers: Vec<LayerSpec> = Vec::new();
    for i in 0..n {
        let below = merged_model(&layers);
        let mut entries = Vec::new();
        gen_dir_entries(rng, i, "", 0, &below, true, &mut entries);
        if chance(rng, 0.3) {
            add_hard_link(rng, &mut entries);
        }
        sort_entries(&mut entries);
        layers.push(LayerSpec { entries });
    }
    layers
}

/// A second name for one of the layer's regular files or symlinks (a hard link of a symlink
/// links the symlink itself), in the root or one of its directories.
fn add_hard_link(rng: &mut fastrand::Rng, entries: &mut Vec<Entry>) {
    let files: Vec<String> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::File { .. } | Kind::Symlink { .. }))
        .map(|e| e.path.clone())
        .collect();
    if files.is_empty() {
        return;
    }
    let target = pick(rng, &files).clone();
    let mut dirs: Vec<String> = vec![String::new()];
    dirs.extend(
        entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::Dir { .. }) && e.path.split('/').count() < 3)
            .map(|e| e.path.clone()),
    );
    let dir = pick(rng, &dirs).clone();
    let used: BTreeSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let free: Vec<String> = ["a", "b", "c", "h"]
        .iter()
        .map(|n| join(&dir, n))
        .filter(|p| !used.contains(p.as_str()))
        .collect();
    if free.is_empty() {
        return;
    }
    let path = pick(rng, &free).clone();
    entries.push(Entry {
        path,
        kind: Kind::HardLink { target },
    });
}

fn random_path(rng: &mut fastrand::Rng) -> String {
    let depth = *pick(rng, &[1, 1, 1, 2, 2, 3]);
    let mut parts = Vec::new();
    for i in 0..depth {
        let last = i + 1 == depth;
        let name = if last && chance(rng, 0.3) {
            pick(rng, &NEW_NAMES)
        } else if last {
            pick(rng, &NAMES)
        } else {
            pick(rng, &["d1", "d2", "d1", "d2", "a"])
        };
        parts.push(*name);
    }
    parts.join("/")
}

/// Mostly names that exist in the lowers (so that copy-ups, whiteouts, opaque directories,
/// EXDEV renames and ENOTEMPTY happen often), sometimes names the script made, sometimes new.
fn pick_path(rng: &mut fastrand::Rng, known: &[String]) -> String {
    if !known.is_empty() && chance(rng, 0.75) {
        pick(rng, known).clone()
    } else {
        random_path(rng)
    }
}

pub fn gen_script(rng: &mut fastrand::Rng, lower: &BTreeMap<String, MKind>) -> Vec<String> {
    let mut known: Vec<String> = lower.keys().cloned().collect();
    let n = rng.usize(3..=15);
    let mut lines = Vec::with_capacity(n);
    let mut prev: Option<String> = None;
    while lines.len() < n {
        // Often the same path as the line before, for sequences such as `rm -rf d; mkdir d`
        // (an opaque directory) or `echo x > a; ln a b`.
        let p = match &prev {
            Some(p) if chance(rng, 0.3) => p.clone(),
            _ => pick_path(rng, &known),
        };
        let q = pick_path(rng, &known);
        let word = pick(rng, &WORDS);
        // The two-word text needs quoting; paths never do.
        let text = if word.contains(' ') {
            format!("'{word}'")
        } else {
            word.to_string()
        };
        let (line, made) = match rng.u32(..100) {
            0..=9 => (format!("echo {text} > {p}"), Some(p.clone())),
            10..=16 => (format!("echo {text} >> {p}"), Some(p.clone())),
            17..=21 => (format!("touch {p}"), Some(p.clone())),
            22..=27 => (format!("mkdir {p}"), Some(p.clone())),
            28..=30 => {
                let child = *pick(rng, &["e", "a", "d1"]);
                let r = join(&p, child);
                (format!("mkdir -p {r}"), Some(r))
            }
            31..=35 => (format!("rm {p}"), None),
            36..=37 => (format!("rm -f {p}"), None),
            38..=44 => {
                // Deleting and making again is what turns a directory opaque; make it common.
                if lines.len() + 2 <= n && chance(rng, 0.4) {
                    lines.push(format!("rm -rf {p}"));
                    let again = match rng.u8(..3) {
                        0 => format!("mkdir -p {p}/e"),
                        1 => format!("echo {text} > {p}"),
                        _ => format!("mkdir {p}"),
                    };
                    (again, Some(p.clone()))
                } else {
                    (format!("rm -rf {p}"), None)
                }
            }
            45..=49 => (format!("rmdir {p}"), None),
            50..=59 => (format!("mv {p} {q}"), Some(q.clone())),
            60..=63 => (format!("cp {p} {q}"), Some(q.clone())),
            64..=66 => (format!("cp -r {p} {q}"), Some(q.clone())),
            67..=69 => (format!("cp -a {p} {q}"), Some(q.clone())),
            70..=73 => (format!("chmod 600 {p}"), None),
            74..=75 => (format!("chmod -R u+x {p}"), None),
            76..=78 => (
                format!("ln -s {} {p}", pick(rng, &LINK_TARGETS)),
                Some(p.clone()),
            ),
            79..=81 => (format!("ln {p} {q}"), Some(q.clone())),
            82..=84 => (format!("truncate -s 3 {p}"), Some(p.clone())),
            85..=89 => (format!("cat {p}"), None),
            90..=93 => {
                if chance(rng, 0.2) {
                    ("ls".to_string(), None)
                } else {
                    (format!("ls {p}"), None)
                }
            }
            94..=96 => {
                if chance(rng, 0.2) {
                    ("ls -a".to_string(), None)
                } else {
                    (format!("ls -a {p}"), None)
                }
            }
            _ => (format!("head -n 1 {p}"), None),
        };
        if let Some(m) = &made {
            if !known.contains(m) {
                known.push(m.clone());
            }
        }
        prev = Some(made.unwrap_or(p));
        lines.push(line);
    }
    lines
}

/// A line the base generator never writes: the commands, flags and redirections people type
/// (echo -e/-n, printf with %s and %d, symbolic and recursive chmod, chown, cp -p, ln -sf,
/// truncate to other sizes, head/tail, 2>&1, 2>, <, $?, ls -R/-1/-l, stat). Output that
/// holds inode numbers or times (ls -l, stat) goes to /dev/null: their status and error
/// messages are still compared.
fn more_line(rng: &mut fastrand::Rng, p: &str, q: &str) -> (String, Option<String>) {
    let word = pick(rng, &WORDS);
    let made = |x: &str| Some(x.to_string());
    match rng.u32(..40) {
        0 => (format!("echo -e '{word}\\tz\\n' > {p}"), made(p)),
        1 => (format!("echo -n {word} >> {p}"), made(p)),
        2 => (format!("printf '%s-%d\\n' {word} 42 > {p}"), made(p)),
        3 => (format!("printf '%d\\n' {word}"), None),
        4 => (format!("printf '%s\\n' a b >> {p}"), made(p)),
        5 => {
            let m = pick(
                rng,
                &["g+w", "o-r", "a=rx", "u=rwx,g=,o=", "+x", "go-w", "u-w"],
            );
            (format!("chmod {m} {p}"), None)
        }
        6 => {
            let m = pick(rng, &["go-rx", "a+w", "u=rw,go=r", "-x"]);
            (format!("chmod -R {m} {p}"), None)
        }
        7 => (format!("chmod 7777 {p} && chmod 0644 {p}"), None),
        8 => (format!("chown 1000:1000 {p}"), None),
        9 => (format!("chown -R 7 {p}"), None),
        10 => (format!("chown 0 {p}"), None),
        11 => (format!("cp -p {p} {q}"), made(q)),
        12 => (format!("cp -a {p} {q}"), made(q)),
        13 => (format!("ln -sf {} {p}", pick(rng, &LINK_TARGETS)), made(p)),
        14 => (format!("ln -f {p} {q}"), made(q)),
        15 => (format!("ln -s {} {p}", pick(rng, &LINK_TARGETS)), made(p)),
        16 => {
            let n = pick(rng, &["0", "10", "+2", "-1", "1K"]);
            (format!("truncate -s {n} {p}"), made(p))
        }
        17 => (format!("truncate -s 5 -c {p}"), None),
        18 => (format!("head -n 2 {p}"), None),
        19 => (format!("head -c 3 {p}"), None),
        20 => (format!("tail -n 1 {p}"), None),
        21 => (format!("tail {p}"), None),
        22 => (format!("cat {p} 2>&1"), None),
        23 => (format!("cat {p} > {q} 2>&1"), made(q)),
        24 => (format!("ls {p} 2> {q}"), made(q)),
        25 => (format!("cat < {p}"), None),
        26 => (format!("cat < {p} > {q}"), made(q)),
        27 => (format!("ls {p} > /dev/null 2>&1; echo $?"), None),
        28 => (format!("rm {p}; echo status $?"), None),
        29 => (format!("cat {p} 2>/dev/null || echo none"), None),
        30 => ("ls -R".to_string(), None),
        31 => (format!("ls -R {p}"), None),
        32 => (format!("ls -1a {p}"), None),
        33 => (format!("ls -l {p} > /dev/null"), None),
        34 => ("ls -lR > /dev/null".to_string(), None),
        35 => (format!("stat {p} > /dev/null"), None),
        36 => (format!("mv {p} {q} && ls {q}"), made(q)),
        37 => (format!("echo {word} > {p} && cat {p}"), made(p)),
        38 => (format!("test -d {p} && echo dir || echo not-dir"), None),
        _ => (format!("wc -c < {p}"), None),
    }
}

/// A script from the base generator with lines from [`more_line`] mixed in.
pub fn gen_script_more(rng: &mut fastrand::Rng, lower: &BTreeMap<String, MKind>) -> Vec<String> {
    let base = gen_script(rng, lower);
    let mut known: Vec<String> = lower.keys().cloned().collect();
    known.extend(NEW_NAMES.iter().map(|n| n.to_string()));
    let mut lines = Vec::new();
    for line in base {
        while chance(rng, 0.5) {
            let p = pick_path(rng, &known);
            let q = pick_path(rng, &known);
            let (l, made) = more_line(rng, &p, &q);
            if let Some(m) = made {
                if !known.contains(&m) {
                    known.push(m);
                }
            }
            lines.push(l);
        }
        lines.push(line);
    }
    lines
}

/// A case whose script mixes in the commands of [`more_line`].
pub fn gen_case_more(rng: &mut fastrand::Rng) -> Case {
    let layers = gen_layers(rng);
    let lower = merged_model(&layers);
    let script = gen_script_more(rng, &lower);
    Case {
        layers,
        script,
        opts: Options::default(),
    }
}

pub fn gen_case(rng: &mut fastrand::Rng) -> Case {
    let layers = gen_layers(rng);
    let lower = merged_model(&layers);
    let script = gen_script(rng, &lower);
    Case {
        layers,
        script,
        opts: Options::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing layers: a directory for the kernel, an OCI layer tar for Layer Lab.

fn cpath(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes()).map_err(|e| format!("{}: {e}", p.display()))
}

fn errno_msg(what: &str, p: &Path) -> String {
    format!(
        "{what} {}: {}",
        p.display(),
        std::io::Error::last_os_error()
    )
}

pub fn set_opaque(p: &Path) -> Result<(), String> {
    let c = cpath(p)?;
    // SAFETY: both strings are NUL-terminated and outlive the call; the value is 1 byte long.
    let r = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            b"y".as_ptr().cast(),
            1,
            0,
        )
    };
    if r != 0 {
        return Err(errno_msg("setxattr", p));
    }
    Ok(())
}

/// An xattr of `p` itself (not of a symlink's target), if set.
pub fn get_xattr(p: &Path, name: &std::ffi::CStr) -> Option<Vec<u8>> {
    let c = cpath(p).ok()?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: the buffer is valid for its whole length.
    let n = unsafe {
        libc::lgetxattr(
            c.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(buf)
}

pub fn is_opaque(p: &Path) -> bool {
    let Ok(c) = cpath(p) else { return false };
    let mut buf = [0u8; 8];
    // SAFETY: the buffer is valid for its whole length.
    let n = unsafe {
        libc::lgetxattr(
            c.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    n == 1 && buf[0] == b'y'
}

fn mknod_whiteout(p: &Path) -> Result<(), String> {
    let c = cpath(p)?;
    // SAFETY: plain syscall on a NUL-terminated path.
    let r = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, 0) };
    if r != 0 {
        return Err(errno_msg("mknod", p));
    }
    Ok(())
}

fn io<T>(what: &str, p: &Path, r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("{what} {}: {e}", p.display()))
}

/// Writes `layer` as an overlayfs lower directory at `root` (which must not exist yet).
pub fn write_layer_dir(layer: &LayerSpec, root: &Path) -> Result<(), String> {
    io("mkdir", root, fs::create_dir(root))?;
    io(
        "chmod",
        root,
        fs::set_permissions(root, fs::Permissions::from_mode(0o755)),
    )?;
    // Directory modes are set last, so that a 0500 directory would not stop its children.
    let mut dir_modes = Vec::new();
    for e in &layer.entries {
        let p = root.join(&e.path);
        match &e.kind {
            Kind::File { mode, content } => {
                io("write", &p, fs::write(&p, content))?;
                io(
                    "chmod",
                    &p,
                    fs::set_permissions(&p, fs::Permissions::from_mode(*mode)),
                )?;
            }
            Kind::Dir { mode, opaque } => {
                io("mkdir", &p, fs::create_dir(&p))?;
                if *opaque {
                    set_opaque(&p)?;
                }
                dir_modes.push((p, *mode));
            }
            Kind::Symlink { target } => io("symlink", &p, std::os::unix::fs::symlink(target, &p))?,
            Kind::HardLink { target } => io("link", &p, fs::hard_link(root.join(target), &p))?,
            Kind::Whiteout => mknod_whiteout(&p)?,
        }
    }
    for (p, mode) in dir_modes {
        io(
            "chmod",
            &p,
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)),
        )?;
    }
    Ok(())
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h.set_size(size);
    h
}

/// The layer as an OCI changeset tar, the way `docker save` writes one: directories end in
/// `/`, whiteouts are empty `.wh.NAME` files, opaque directories hold `.wh..wh..opq`.
pub fn layer_tar(layer: &LayerSpec) -> Result<Vec<u8>, String> {
    let mut b = tar::Builder::new(Vec::new());
    let err = |e: std::io::Error| format!("tar: {e}");
    for e in &layer.entries {
        match &e.kind {
            Kind::File { mode, content } => {
                let mut h = header(tar::EntryType::Regular, *mode, content.len() as u64);
                b.append_data(&mut h, &e.path, content.as_slice())
                    .map_err(err)?;
            }
            Kind::Dir { mode, opaque } => {
                let mut h = header(tar::EntryType::Directory, *mode, 0);
                b.append_data(&mut h, format!("{}/", e.path), std::io::empty())
                    .map_err(err)?;
                if *opaque {
                    let mut h = header(tar::EntryType::Regular, 0o644, 0);
                    b.append_data(&mut h, format!("{}/.wh..wh..opq", e.path), std::io::empty())
                        .map_err(err)?;
                }
            }
            Kind::Symlink { target } => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, &e.path, target).map_err(err)?;
            }
            Kind::HardLink { target } => {
                let mut h = header(tar::EntryType::Link, 0o644, 0);
                b.append_link(&mut h, &e.path, target).map_err(err)?;
            }
            Kind::Whiteout => {
                let name = e.path.rsplit('/').next().unwrap_or(&e.path);
                let wh = join(parent_of(&e.path), &format!(".wh.{name}"));
                let mut h = header(tar::EntryType::Regular, 0o644, 0);
                b.append_data(&mut h, wh, std::io::empty()).map_err(err)?;
            }
        }
    }
    b.into_inner().map_err(err)
}

// ---------------------------------------------------------------------------------------------
// Normalised snapshots.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SNode {
    File {
        mode: u32,
        content: Vec<u8>,
    },
    Dir {
        mode: u32,
        opaque: bool,
    },
    Symlink {
        target: String,
    },
    Whiteout,
    /// Anything else (a device that is not 0/0, a fifo, a tar type we do not expect).
    Other(String),
}

impl SNode {
    pub fn describe(&self) -> String {
        match self {
            SNode::File { mode, content } => {
                format!("file {mode:04o} {:?}", String::from_utf8_lossy(content))
            }
            SNode::Dir { mode, opaque } => {
                format!("dir {mode:04o}{}", if *opaque { " opaque" } else { "" })
            }
            SNode::Symlink { target } => format!("symlink -> {target}"),
            SNode::Whiteout => "whiteout".to_string(),
            SNode::Other(s) => format!("other ({s})"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub nodes: BTreeMap<String, SNode>,
    /// Names that share one inode (groups of two or more, each sorted).
    pub links: BTreeSet<Vec<String>>,
    /// What the non-default mount options leave in the upper layer: `redirect=/old/path` on
    /// directories, `metacopy` on files whose data is still below (their content is left
    /// empty here, since the upper file holds none).
    pub extra: BTreeMap<String, String>,
}

/// Walks a directory tree on disk. `upper` says whether whiteouts and the opaque xattr mean
/// something there (the upper dir) or not (the merged view, where the kernel hides both).
pub fn snapshot_dir(root: &Path, upper: bool) -> Result<Snapshot, String> {
    let mut snap = Snapshot::default();
    let mut inodes: BTreeMap<(u64, u64), Vec<String>> = BTreeMap::new();
    walk(root, "", "", upper, &mut snap, &mut inodes)?;
    for (_, mut names) in inodes {
        if names.len() > 1 {
            names.sort();
            snap.links.insert(names);
        }
    }
    Ok(snap)
}

/// `base` is the lower path that directory `rel` merges with (`""` for the root): its own
/// path, unless it or an ancestor was renamed with a redirect.
fn walk(
    root: &Path,
    rel: &str,
    base: &str,
    upper: bool,
    snap: &mut Snapshot,
    inodes: &mut BTreeMap<(u64, u64), Vec<String>>,
) -> Result<(), String> {
    let dir = root.join(rel);
    let mut names: Vec<String> = Vec::new();
    for ent in io("readdir", &dir, fs::read_dir(&dir))? {
        let ent = io("readdir", &dir, ent)?;
        names.push(ent.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in names {
        let path = join(rel, &name);
        let p = root.join(&path);
        let md = match fs::symlink_metadata(&p) {
            Ok(md) => md,
            // readdir listing a name that lookup cannot find is something to see in a report
            // (the kernel does it for whiteouts in directories it reads as one layer).
            Err(e) => {
                snap.nodes
                    .insert(path, SNode::Other(format!("listed, but lstat: {e}")));
                continue;
            }
        };
        let ft = md.file_type();
        let mode = md.mode() & 0o7777;
        let node = if ft.is_dir() {
            SNode::Dir {
                mode,
                opaque: upper && is_opaque(&p),
            }
        } else if ft.is_file() {
            SNode::File {
                mode,
                content: io("read", &p, fs::read(&p))?,
            }
        } else if ft.is_symlink() {
            SNode::Symlink {
                target: io("readlink", &p, fs::read_link(&p))?
                    .to_string_lossy()
                    .into_owned(),
            }
        } else if ft.is_char_device() && md.rdev() == 0 {
            SNode::Whiteout
        } else {
            SNode::Other(format!("mode {:o} rdev {}", md.mode(), md.rdev()))
        };
        // Regular files and symlinks (`ln symlink x`, GNU ln without -s, links the symlink
        // itself). Not whiteouts: the kernel shares one inode among the whiteouts it makes
        // (they are hard links of each other), which says nothing about the layer's content.
        // Grouped by inode identity alone: nlink is not compared (under index=on the engine's
        // stat says 1 for a copied-up name where the kernel still counts the lower names).
        if ft.is_file() || ft.is_symlink() {
            inodes
                .entry((md.dev(), md.ino()))
                .or_default()
                .push(path.clone());
        }
        let mut node = node;
        let mut child_base = join(base, &name);
        if upper && ft.is_dir() {
            if let Some(r) = get_xattr(&p, c"trusted.overlay.redirect") {
                let r = String::from_utf8_lossy(&r).into_owned();
                // A rename within one directory stores the bare old name, relative to the lower
                // path the parent merges with; across directories the absolute old path.
                // Normalise to the absolute form.
                child_base = match r.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => join(base, &r),
                };
                snap.extra
                    .insert(path.clone(), format!("redirect=/{child_base}"));
            }
        }
        if upper && ft.is_file() && get_xattr(&p, c"trusted.overlay.metacopy").is_some() {
            snap.extra.insert(path.clone(), "metacopy".into());
            if let SNode::File { content, .. } = &mut node {
                content.clear();
            }
        }
        let is_dir = ft.is_dir();
        snap.nodes.insert(path.clone(), node);
        if is_dir {
            walk(root, &path, &child_base, upper, snap, inodes)?;
        }
    }
    Ok(())
}

fn norm_tar_path(raw: &str) -> String {
    let mut s = raw;
    while let Some(r) = s.strip_prefix("./") {
        s = r;
    }
    s.trim_start_matches('/').trim_end_matches('/').to_string()
}

/// Reads a tar (an OCI changeset, or a flat tree) into a snapshot: `.wh.X` is a whiteout at X,
/// `D/.wh..wh..opq` marks D opaque, a hard link entry is a second name of its target.
pub fn snapshot_tar(bytes: &[u8]) -> Result<Snapshot, String> {
    let mut snap = Snapshot::default();
    let mut opaque: Vec<String> = Vec::new();
    // A hard link names the first name of its inode; group every later name under it.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ar = tar::Archive::new(bytes);
    let entries = ar.entries().map_err(|e| format!("tar: {e}"))?;
    for ent in entries {
        let mut ent = ent.map_err(|e| format!("tar entry: {e}"))?;
        let raw = ent
            .path()
            .map_err(|e| format!("tar path: {e}"))?
            .to_string_lossy()
            .into_owned();
        let path = norm_tar_path(&raw);
        if path.is_empty() || path == "." {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let dir = parent_of(&path).to_string();
        if name == ".wh..wh..opq" {
            opaque.push(dir);
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            snap.nodes.insert(join(&dir, hidden), SNode::Whiteout);
            continue;
        }
        let h = ent.header();
        let mode = h.mode().unwrap_or(0) & 0o7777;
        let kind = h.entry_type();
        let link = ent
            .link_name()
            .map_err(|e| format!("tar link name: {e}"))?
            .map(|l| l.to_string_lossy().into_owned());
        let node = match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut content = Vec::new();
                ent.read_to_end(&mut content)
                    .map_err(|e| format!("tar read {path}: {e}"))?;
                SNode::File { mode, content }
            }
            tar::EntryType::Directory => SNode::Dir {
                mode,
                opaque: false,
            },
            tar::EntryType::Symlink => SNode::Symlink {
                target: link.unwrap_or_default(),
            },
            tar::EntryType::Link => {
                let target = norm_tar_path(&link.unwrap_or_default());
                let node = snap
                    .nodes
                    .get(&target)
                    .cloned()
                    .unwrap_or_else(|| SNode::Other(format!("hard link to missing {target}")));
                // Regular files and symlinks, as on the kernel side (see `walk`).
                if matches!(node, SNode::File { .. } | SNode::Symlink { .. }) {
                    groups.entry(target).or_default().push(path.clone());
                }
                node
            }
            tar::EntryType::Char if h.device_major().ok().flatten() == Some(0) => {
                // A kernel-style whiteout inside a tar would be a bug of its own; name it.
                SNode::Other("char device 0/0 in a tar".to_string())
            }
            other => SNode::Other(format!("tar type {other:?}")),
        };
        snap.nodes.insert(path, node);
    }
    for d in opaque {
        match snap.nodes.get_mut(&d) {
            Some(SNode::Dir { opaque, .. }) => *opaque = true,
            _ => {
                snap.nodes.insert(
                    format!("{d}/.wh..wh..opq"),
                    SNode::Other("opaque marker without its directory entry".to_string()),
                );
            }
        }
    }
    for (first, mut rest) in groups {
        rest.push(first);
        rest.sort();
        snap.links.insert(rest);
    }
    Ok(snap)
}

/// Lines that tell how two snapshots differ; empty when they agree.
pub fn diff_snapshots(kernel: &Snapshot, ours: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    let paths: BTreeSet<&String> = kernel.nodes.keys().chain(ours.nodes.keys()).collect();
    for p in paths {
        let k = kernel.nodes.get(p);
        let l = ours.nodes.get(p);
        if k != l {
            let d = |n: Option<&SNode>| n.map(SNode::describe).unwrap_or_else(|| "absent".into());
            out.push(format!("  {p}: kernel {} | layerlab {}", d(k), d(l)));
        }
    }
    let extra: BTreeSet<&String> = kernel.extra.keys().chain(ours.extra.keys()).collect();
    for p in extra {
        let (k, l) = (kernel.extra.get(p), ours.extra.get(p));
        if k != l {
            out.push(format!("  {p}: kernel {k:?} | layerlab {l:?}"));
        }
    }
    if kernel.links != ours.links {
        out.push(format!(
            "  hard-link groups: kernel {:?} | layerlab {:?}",
            kernel.links, ours.links
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running a case on both sides.

#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    /// With bash's script-name prefix replaced by `SCRIPT`.
    pub stderr: String,
    pub merged: Snapshot,
    pub upper: Snapshot,
}

/// Replaces the name bash puts in front of its own messages (`/tmp/../script.sh: line 3:` on
/// the kernel side, `bash: line 3:` or `script.sh: line 3:` from Layer Lab) with `SCRIPT`.
pub fn normalise_stderr(s: &str, script_names: &[&str]) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut l = line.to_string();
        for name in script_names {
            if let Some(rest) = line.strip_prefix(name) {
                if rest.starts_with(": line ") {
                    l = format!("SCRIPT{rest}");
                    break;
                }
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

const PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Seconds either side may take for one script before we call it a hang.
const TIMEOUT_S: &str = "20";

fn mount_overlay(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    merged: &Path,
) -> Result<(), String> {
    mount_overlay_with(lowers, upper, work, merged, Options::default())
}

fn mount_overlay_with(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    merged: &Path,
    opts: Options,
) -> Result<(), String> {
    // lowerdir lists the top layer first.
    let lower: Vec<String> = lowers
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect();
    let mut data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        upper.display(),
        work.display()
    );
    // Spelled out either way, so that a module built with other defaults changes nothing.
    let on = |b: bool| if b { "on" } else { "off" };
    data.push_str(&format!(
        ",redirect_dir={},metacopy={},index={}",
        on(opts.redirect_dir || opts.metacopy),
        on(opts.metacopy),
        on(opts.index)
    ));
    let data = CString::new(data).map_err(|e| e.to_string())?;
    let target = cpath(merged)?;
    // SAFETY: all pointers are NUL-terminated strings that live across the call.
    let r = unsafe {
        libc::mount(
            c"overlay".as_ptr(),
            target.as_ptr(),
            c"overlay".as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if r != 0 {
        return Err(errno_msg("mount overlay on", merged));
    }
    Ok(())
}

fn umount(p: &Path) -> Result<(), String> {
    let c = cpath(p)?;
    // SAFETY: plain syscall on a NUL-terminated path.
    if unsafe { libc::umount2(c.as_ptr(), 0) } == 0 {
        return Ok(());
    }
    let first = errno_msg("umount", p);
    // SAFETY: as above; a lazy unmount so that a busy mount never leaks past the test.
    if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } == 0 {
        return Ok(());
    }
    Err(first)
}

/// Unmounts on drop, so that a failing assertion never leaves a mount behind.
struct MountGuard(Option<PathBuf>);

impl MountGuard {
    fn release(&mut self) -> Result<(), String> {
        match self.0.take() {
            Some(p) => umount(&p),
            None => Ok(()),
        }
    }
}

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

fn remove_tree(p: &Path) {
    if p.exists() {
        let _ = fs::remove_dir_all(p);
    }
}

/// The kernel side: a tmpfs (when it can be mounted) that holds one directory per case.
pub struct Oracle {
    root: PathBuf,
    tmpfs: bool,
    _tmp: tempfile::TempDir,
}

impl Oracle {
    /// Mounts a scratch tmpfs and checks that an overlay mount works, leaving a whiteout.
    pub fn new() -> Result<Oracle, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root, cannot mount overlayfs".to_string());
        }
        let tmp = tempfile::Builder::new()
            .prefix("layerlab-kdiff")
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        let root = tmp.path().to_path_buf();
        let c = cpath(&root)?;
        // SAFETY: NUL-terminated strings that live across the call.
        let tmpfs = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                c.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                c"size=512m,mode=0755".as_ptr().cast(),
            )
        } == 0;
        let oracle = Oracle {
            root,
            tmpfs,
            _tmp: tmp,
        };
        oracle.probe()?;
        Ok(oracle)
    }

    pub fn on_tmpfs(&self) -> bool {
        self.tmpfs
    }

    fn probe(&self) -> Result<(), String> {
        let dir = self.root.join("probe");
        let layer = LayerSpec {
            entries: vec![Entry {
                path: "a".into(),
                kind: Kind::File {
                    mode: 0o644,
                    content: b"a\n".to_vec(),
                },
            }],
        };
        let case = Case {
            layers: vec![layer],
            script: vec!["rm a".into()],
            opts: Options::default(),
        };
        let out = self.run(&dir, &case)?;
        if out.upper.nodes.get("a") != Some(&SNode::Whiteout) {
            return Err(format!(
                "overlay probe: `rm a` left no whiteout (upper: {:?})",
                out.upper
            ));
        }
        Ok(())
    }

    /// A scratch directory for one worker.
    pub fn workspace(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Runs `case` on a real overlay mount in `dir` (created, and removed afterwards).
    pub fn run(&self, dir: &Path, case: &Case) -> Result<Outcome, String> {
        remove_tree(dir);
        io("mkdir", dir, fs::create_dir_all(dir))?;
        let r = run_kernel_in(dir, case);
        remove_tree(dir);
        r
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        if self.tmpfs {
            let _ = umount(&self.root);
        }
    }
}

fn run_kernel_in(dir: &Path, case: &Case) -> Result<Outcome, String> {
    let mut lowers = Vec::new();
    for (i, layer) in case.layers.iter().enumerate() {
        let p = dir.join(format!("L{}", i + 1));
        write_layer_dir(layer, &p)?;
        lowers.push(p);
    }
    let (upper, work, merged) = (dir.join("U"), dir.join("W"), dir.join("M"));
    for p in [&upper, &work, &merged] {
        io("mkdir", p, fs::create_dir(p))?;
        io(
            "chmod",
            p,
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)),
        )?;
    }
    let script = dir.join("script.sh");
    io("write", &script, fs::write(&script, case.script_text()))?;
    mount_overlay_with(&lowers, &upper, &work, &merged, case.opts)?;
    let mut guard = MountGuard(Some(merged.clone()));
    let out = Command::new("timeout")
        .arg(TIMEOUT_S)
        .arg("bash")
        .arg("-c")
        .arg(format!(
            "umask 022; cd {} && bash {}",
            merged.display(),
            script.display()
        ))
        .env_clear()
        .env("PATH", PATH_ENV)
        .env("LC_ALL", "C")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("spawn bash: {e}"))?;
    let merged_snap = snapshot_dir(&merged, false)?;
    guard.release()?;
    let upper_snap = snapshot_dir(&upper, true)?;
    let script_name = script.display().to_string();
    Ok(Outcome {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: normalise_stderr(
            &String::from_utf8_lossy(&out.stderr),
            &[&script_name, "script.sh", "bash"],
        ),
        merged: merged_snap,
        upper: upper_snap,
    })
}

/// The Layer Lab side: `layerlab run` on the layers as OCI tars, in `dir` (created, removed).
pub fn run_layerlab(bin: &Path, dir: &Path, case: &Case) -> Result<Outcome, String> {
    remove_tree(dir);
    io("mkdir", dir, fs::create_dir_all(dir))?;
    let r = run_layerlab_in(bin, dir, case);
    remove_tree(dir);
    r
}

fn run_layerlab_in(bin: &Path, dir: &Path, case: &Case) -> Result<Outcome, String> {
    let mut cmd = Command::new("timeout");
    cmd.arg(TIMEOUT_S).arg(bin).arg("run");
    // metacopy=on turns redirect_dir on in the kernel; say both, as the mount does.
    if case.opts.redirect_dir || case.opts.metacopy {
        cmd.arg("--redirect-dir");
    }
    if case.opts.metacopy {
        cmd.arg("--metacopy");
    }
    if case.opts.index {
        cmd.arg("--index");
    }
    for (i, layer) in case.layers.iter().enumerate() {
        let name = format!("L{}.tar", i + 1);
        let p = dir.join(&name);
        io("write", &p, fs::write(&p, layer_tar(layer)?))?;
        cmd.arg("--layer").arg(&name);
    }
    io(
        "write",
        &dir.join("script.sh"),
        fs::write(dir.join("script.sh"), case.script_text()),
    )?;
    cmd.args([
        "--script",
        "script.sh",
        "--upper-tar",
        "up.tar",
        "--merged-tar",
        "merged.tar",
    ]);
    let out = cmd
        .env_clear()
        .env("PATH", PATH_ENV)
        .env("LC_ALL", "C")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
    let read = |name: &str| -> Result<Snapshot, String> {
        let p = dir.join(name);
        // A missing or unreadable tar is a divergence to report, not a harness failure.
        let broken = |what: String| {
            let mut s = Snapshot::default();
            s.nodes.insert(format!("<{name}>"), SNode::Other(what));
            s
        };
        Ok(match fs::read(&p) {
            Ok(bytes) => {
                snapshot_tar(&bytes).unwrap_or_else(|e| broken(format!("unreadable: {e}")))
            }
            Err(e) => broken(format!("not written: {e}")),
        })
    };
    Ok(Outcome {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: normalise_stderr(
            &String::from_utf8_lossy(&out.stderr),
            &["script.sh", "bash", "layerlab"],
        ),
        merged: read("merged.tar")?,
        upper: read("up.tar")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Comparison, shrinking and the report.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Status,
    Stdout,
    Stderr,
    Upper,
    Merged,
}

/// Which parts differ, each with the lines that show how.
pub fn compare(k: &Outcome, l: &Outcome) -> BTreeMap<Part, Vec<String>> {
    let mut d = BTreeMap::new();
    if k.status != l.status {
        d.insert(
            Part::Status,
            vec![format!("  kernel {} | layerlab {}", k.status, l.status)],
        );
    }
    let text = |a: &str, b: &str| vec![format!("  kernel:   {a:?}"), format!("  layerlab: {b:?}")];
    if k.stdout != l.stdout {
        d.insert(Part::Stdout, text(&k.stdout, &l.stdout));
    }
    if k.stderr != l.stderr {
        d.insert(Part::Stderr, text(&k.stderr, &l.stderr));
    }
    let u = diff_snapshots(&k.upper, &l.upper);
    if !u.is_empty() {
        d.insert(Part::Upper, u);
    }
    let m = diff_snapshots(&k.merged, &l.merged);
    if !m.is_empty() {
        d.insert(Part::Merged, m);
    }
    d
}

/// `compare`, less what an OCI tar cannot carry: with redirect_dir or metacopy on, the upper
/// layer holds redirect and metacopy xattrs that a layer tar has no words for, so there only
/// the merged view, the output and the status are compared.
pub fn compare_case(case: &Case, k: &Outcome, l: &Outcome) -> BTreeMap<Part, Vec<String>> {
    let mut d = compare(k, l);
    if case.opts.redirect_dir || case.opts.metacopy {
        d.remove(&Part::Upper);
    }
    d
}

/// Runs both sides of a case.
pub struct Runner<'a> {
    pub oracle: &'a Oracle,
    pub bin: PathBuf,
    pub kdir: PathBuf,
    pub ldir: PathBuf,
}

impl Runner<'_> {
    pub fn both(&self, case: &Case) -> Result<(Outcome, Outcome), String> {
        let k = self.oracle.run(&self.kdir, case)?;
        let l = run_layerlab(&self.bin, &self.ldir, case)?;
        Ok((k, l))
    }

    /// Parts that differ for `case`.
    pub fn diverges(&self, case: &Case) -> Result<BTreeMap<Part, Vec<String>>, String> {
        let (k, l) = self.both(case)?;
        Ok(compare_case(case, &k, &l))
    }

    /// Makes `case` smaller while one of the parts that first differed still differs.
    pub fn shrink(&self, case: &Case, parts: &BTreeSet<Part>, budget: usize) -> Case {
        shrink_by(case, budget, |c| match self.diverges(c) {
            Ok(d) => d.keys().any(|p| parts.contains(p)),
            Err(_) => false,
        })
    }
}

/// True when the layers stay inside the generator's domain: whiteouts and opaque directories
/// only above the bottom layer, and every whiteout hides something below it (not under an
/// opaque directory of its own layer). Outside it the kernel lists stray whiteouts in readdir
/// (see `gen_dir_entries`), which would make the shrinker wander off to that quirk.
pub fn well_formed(layers: &[LayerSpec]) -> bool {
    for (i, l) in layers.iter().enumerate() {
        let below = merged_model(&layers[..i]);
        let opaque: Vec<&str> = l
            .entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::Dir { opaque: true, .. }))
            .map(|e| e.path.as_str())
            .collect();
        if i == 0 && !opaque.is_empty() {
            return false;
        }
        for e in &l.entries {
            if e.kind == Kind::Whiteout
                && (i == 0
                    || !below.contains_key(&e.path)
                    || opaque.iter().any(|d| is_under(&e.path, d)))
            {
                return false;
            }
        }
    }
    true
}

/// Smaller variants of a case, the most promising first: fewer script lines, fewer layers,
/// fewer layer entries, opaque directories made plain. Only well-formed ones.
fn candidates(c: &Case) -> Vec<Case> {
    let mut out = raw_candidates(c);
    for n in &mut out {
        repair(&mut n.layers);
    }
    out.retain(|n| n != c && well_formed(&n.layers));
    out
}

/// Drops what a smaller case left ill-formed: whiteouts that no longer hide anything (their
/// target went with a removed entry or layer) and opaque flags in the bottom layer.
fn repair(layers: &mut [LayerSpec]) {
    if let Some(bottom) = layers.first_mut() {
        strip_bottom(bottom);
    }
    for i in 1..layers.len() {
        let below = merged_model(&layers[..i]);
        let l = &mut layers[i];
        let opaque: Vec<String> = l
            .entries
            .iter()
            .filter(|e| matches!(e.kind, Kind::Dir { opaque: true, .. }))
            .map(|e| e.path.clone())
            .collect();
        l.entries.retain(|e| {
            e.kind != Kind::Whiteout
                || (below.contains_key(&e.path) && !opaque.iter().any(|d| is_under(&e.path, d)))
        });
    }
}

fn raw_candidates(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for i in 0..c.script.len() {
        if c.script.len() > 1 {
            let mut n = c.clone();
            n.script.remove(i);
            out.push(n);
        }
    }
    for i in 0..c.layers.len() {
        if c.layers.len() > 1 {
            let mut n = c.clone();
            n.layers.remove(i);
            // Keep inside the generator's domain: no whiteouts or opaque dirs in the bottom.
            strip_bottom(&mut n.layers[0]);
            out.push(n);
        }
    }
    for (li, layer) in c.layers.iter().enumerate() {
        for e in &layer.entries {
            let mut n = c.clone();
            remove_entry(&mut n.layers[li], &e.path);
            out.push(n);
        }
    }
    for (li, layer) in c.layers.iter().enumerate() {
        for (ei, e) in layer.entries.iter().enumerate() {
            if let Kind::Dir { opaque: true, mode } = e.kind {
                let mut n = c.clone();
                n.layers[li].entries[ei].kind = Kind::Dir {
                    mode,
                    opaque: false,
                };
                out.push(n);
            }
        }
    }
    out
}

fn strip_bottom(layer: &mut LayerSpec) {
    let whiteouts: Vec<String> = layer
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Whiteout)
        .map(|e| e.path.clone())
        .collect();
    for w in whiteouts {
        remove_entry(layer, &w);
    }
    for e in &mut layer.entries {
        if let Kind::Dir { opaque, .. } = &mut e.kind {
            *opaque = false;
        }
    }
}

/// Removes an entry, everything under it, and hard links to anything removed.
fn remove_entry(layer: &mut LayerSpec, path: &str) {
    let gone = |p: &str| p == path || is_under(p, path);
    layer.entries.retain(|e| !gone(&e.path));
    layer.entries.retain(|e| match &e.kind {
        Kind::HardLink { target } => !gone(target),
        _ => true,
    });
}

pub fn describe_layers(layers: &[LayerSpec]) -> String {
    let mut s = String::new();
    for (i, l) in layers.iter().enumerate() {
        let _ = writeln!(
            s,
            "  layer {} ({}):",
            i + 1,
            if i == 0 { "bottom" } else { "above" }
        );
        if l.entries.is_empty() {
            let _ = writeln!(s, "    (empty)");
        }
        for e in &l.entries {
            let d = match &e.kind {
                Kind::File { mode, content } => {
                    format!("file {mode:04o} {:?}", String::from_utf8_lossy(content))
                }
                Kind::Dir { mode, opaque } => {
                    format!("dir {mode:04o}{}", if *opaque { " opaque" } else { "" })
                }
                Kind::Symlink { target } => format!("symlink -> {target}"),
                Kind::HardLink { target } => format!("hard link to {target}"),
                Kind::Whiteout => "whiteout".to_string(),
            };
            let _ = writeln!(s, "    {}: {d}", e.path);
        }
    }
    s
}

pub fn describe_outcome(o: &Outcome) -> String {
    let mut s = format!(
        "    status {}\n    stdout {:?}\n    stderr {:?}\n    upper:\n",
        o.status, o.stdout, o.stderr
    );
    for (p, n) in &o.upper.nodes {
        let _ = writeln!(s, "      {p}: {}", n.describe());
    }
    s
}

/// The readable report of one (shrunk) divergence.
pub fn report(
    case: &Case,
    k: &Outcome,
    l: &Outcome,
    diffs: &BTreeMap<Part, Vec<String>>,
) -> String {
    let mut s = String::new();
    if case.opts != Options::default() {
        let _ = writeln!(s, "options: {:?}", case.opts);
    }
    let _ = writeln!(s, "layers (bottom first):");
    s.push_str(&describe_layers(&case.layers));
    let _ = writeln!(s, "script:");
    for line in &case.script {
        let _ = writeln!(s, "  {line}");
    }
    for (part, lines) in diffs {
        let _ = writeln!(s, "{part:?} differs:");
        for line in lines {
            let _ = writeln!(s, "{line}");
        }
    }
    let _ = writeln!(s, "kernel:\n{}", describe_outcome(k));
    let _ = writeln!(s, "layerlab:\n{}", describe_outcome(l));
    s
}

// ---------------------------------------------------------------------------------------------
// A second, lower-level differential that needs neither the shell nor the CLI: single system
// calls on the kernel's merged mount against the engine's API on the same layers. Ops are
// script lines in a tiny syntax (`write a hi`, `rename a b`, ...), so the shrinker is shared.

use layerlab::{Blob, Container, Dir, FileInode, Image, Layer, Meta, Node, Options, VPath};
use std::sync::Arc;

pub fn gen_ops(
    rng: &mut fastrand::Rng,
    lower: &BTreeMap<String, MKind>,
    max_ops: usize,
) -> Vec<String> {
    let mut known: Vec<String> = lower.keys().cloned().collect();
    let n = rng.usize(2..=max_ops.max(2));
    let mut ops = Vec::new();
    let mut prev: Option<String> = None;
    while ops.len() < n {
        let p = match &prev {
            Some(p) if chance(rng, 0.3) => p.clone(),
            _ => pick_path(rng, &known),
        };
        let q = pick_path(rng, &known);
        let (op, made) = match rng.u32(..100) {
            0..=11 => (
                format!("write {p} {}", pick(rng, &["hi", "x1"])),
                Some(p.clone()),
            ),
            12..=19 => (format!("append {p} zz"), Some(p.clone())),
            20..=25 => (format!("truncate {p}"), None),
            26..=37 => (format!("mkdir {p}"), Some(p.clone())),
            38..=49 => (format!("unlink {p}"), None),
            50..=61 => (format!("rmdir {p}"), None),
            62..=75 => (format!("rename {p} {q}"), Some(q.clone())),
            76..=83 => (format!("link {p} {q}"), Some(q.clone())),
            84..=89 => (
                format!("symlink {} {p}", pick(rng, &LINK_TARGETS)),
                Some(p.clone()),
            ),
            90..=94 => (format!("chmod {p}"), None),
            95..=97 => (format!("touch {p}"), None),
            _ => (format!("otrunc {p}"), None),
        };
        if let Some(m) = &made {
            if !known.contains(m) {
                known.push(m.clone());
            }
        }
        prev = Some(made.unwrap_or(p));
        ops.push(op);
    }
    ops
}

fn errno_name(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOENT) => "ENOENT".into(),
        Some(libc::EEXIST) => "EEXIST".into(),
        Some(libc::ENOTDIR) => "ENOTDIR".into(),
        Some(libc::EISDIR) => "EISDIR".into(),
        Some(libc::ENOTEMPTY) => "ENOTEMPTY".into(),
        Some(libc::EXDEV) => "EXDEV".into(),
        Some(libc::ELOOP) => "ELOOP".into(),
        Some(libc::EINVAL) => "EINVAL".into(),
        Some(libc::EPERM) => "EPERM".into(),
        Some(libc::EBUSY) => "EBUSY".into(),
        Some(n) => format!("errno {n}"),
        None => e.to_string(),
    }
}

fn kernel_op(m: &Path, op: &str) -> String {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let w: Vec<&str> = op.split(' ').collect();
    let at = |i: usize| m.join(w.get(i).copied().unwrap_or(""));
    let r: std::io::Result<()> = match w[0] {
        "write" | "append" => fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(w[0] == "write")
            .append(w[0] == "append")
            .mode(0o644)
            .open(at(1))
            .and_then(|mut f| f.write_all(w[2].as_bytes())),
        "truncate" => fs::OpenOptions::new()
            .write(true)
            .open(at(1))
            .and_then(|f| f.set_len(3)),
        "mkdir" => fs::DirBuilder::new().mode(0o755).create(at(1)),
        "unlink" => fs::remove_file(at(1)),
        "rmdir" => fs::remove_dir(at(1)),
        "rename" => fs::rename(at(1), at(2)),
        "link" => fs::hard_link(at(1), at(2)),
        "symlink" => std::os::unix::fs::symlink(w[1], at(2)),
        "chmod" => fs::set_permissions(at(1), fs::Permissions::from_mode(0o600)),
        // utimes(2) copies up like chmod; the time itself is not compared.
        "touch" => fs::File::options()
            .read(true)
            .open(at(1))
            .and_then(|f| f.set_modified(std::time::UNIX_EPOCH)),
        // O_TRUNC copies up even when nothing is written.
        "otrunc" => fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(at(1))
            .map(drop),
        _ => Ok(()),
    };
    match r {
        Ok(()) => "ok".into(),
        Err(e) => errno_name(&e),
    }
}

/// The kernel side of the syscall differential: one result per op, then both snapshots; the
/// results go in `stdout`, one per line.
pub fn run_kernel_ops(
    oracle: &Oracle,
    dir: &Path,
    case: &Case,
    opts: Options,
) -> Result<Outcome, String> {
    remove_tree(dir);
    io("mkdir", dir, fs::create_dir_all(dir))?;
    let r = (|| {
        let mut lowers = Vec::new();
        for (i, layer) in case.layers.iter().enumerate() {
            let p = dir.join(format!("L{}", i + 1));
            write_layer_dir(layer, &p)?;
            lowers.push(p);
        }
        let (upper, work, merged) = (dir.join("U"), dir.join("W"), dir.join("M"));
        for p in [&upper, &work, &merged] {
            io("mkdir", p, fs::create_dir(p))?;
            io(
                "chmod",
                p,
                fs::set_permissions(p, fs::Permissions::from_mode(0o755)),
            )?;
        }
        mount_overlay_with(&lowers, &upper, &work, &merged, opts)?;
        let mut guard = MountGuard(Some(merged.clone()));
        let mut results = String::new();
        for op in &case.script {
            let _ = writeln!(results, "{op}: {}", kernel_op(&merged, op));
        }
        let merged_snap = snapshot_dir(&merged, false)?;
        guard.release()?;
        Ok(Outcome {
            status: 0,
            stdout: results,
            stderr: String::new(),
            merged: merged_snap,
            upper: snapshot_dir(&upper, true)?,
        })
    })();
    let _ = oracle;
    remove_tree(dir);
    r
}

fn vp(rel: &str) -> Result<VPath, String> {
    VPath::parse(&format!("/{rel}")).map_err(|e| e.to_string())
}

/// The layers as engine layers, built through the public types (no tar reader involved).
pub fn engine_image(layers: &[LayerSpec]) -> Result<Image, String> {
    let mut out = Vec::new();
    for spec in layers {
        let mut l = Layer::new();
        let mut inos = BTreeMap::new();
        for e in &spec.entries {
            let node = match &e.kind {
                Kind::File { mode, content } => {
                    let ino = l.add_inode(FileInode::new(
                        Meta::new(*mode, 0),
                        Blob::new(content.clone()),
                    ));
                    inos.insert(e.path.clone(), Node::File(ino));
                    Node::File(ino)
                }
                Kind::Dir { mode, opaque } => Node::Dir(Dir {
                    opaque: *opaque,
                    ..Dir::new(Meta::new(*mode, 0))
                }),
                Kind::Symlink { target } => {
                    let node = l.add_symlink(Meta::new(0o777, 0), target.clone());
                    inos.insert(e.path.clone(), node.clone());
                    node
                }
                Kind::HardLink { target } => match inos.get(target) {
                    Some(node) => node.clone(),
                    None => return Err(format!("hard link {} to missing {target}", e.path)),
                },
                Kind::Whiteout => Node::Whiteout,
            };
            let path = vp(&e.path)?;
            let parent = path.parent().ok_or("entry at the root")?;
            let name = path.name().ok_or("entry without a name")?.to_string();
            l.dir_mut(&parent)
                .ok_or_else(|| format!("parent of {} missing", e.path))?
                .children
                .insert(name, node);
        }
        l.recount_links();
        out.push(Arc::new(l));
    }
    Image::new(out).map_err(|e| e.to_string())
}

fn engine_op(c: &mut Container, op: &str) -> String {
    let w: Vec<&str> = op.split(' ').collect();
    let root = VPath::root();
    let arg = |i: usize| w.get(i).copied().unwrap_or("");
    let r: layerlab::Result<()> = (|| {
        match w[0] {
            "write" | "append" => {
                let p = c.resolve(&root, arg(1), true)?;
                c.write_file(&p, arg(2).as_bytes(), w[0] == "append")?;
            }
            "truncate" => {
                let p = c.resolve(&root, arg(1), true)?;
                c.truncate(&p, 3)?;
            }
            "mkdir" => {
                let p = c.resolve(&root, arg(1), false)?;
                c.mkdir(&p, 0o755)?;
            }
            "unlink" => {
                let p = c.resolve(&root, arg(1), false)?;
                c.unlink(&p)?;
            }
            "rmdir" => {
                let p = c.resolve(&root, arg(1), false)?;
                c.rmdir(&p)?;
            }
            "rename" => {
                let p = c.resolve(&root, arg(1), false)?;
                let q = c.resolve(&root, arg(2), false)?;
                c.rename(&p, &q)?;
            }
            "link" => {
                // linkat(2) looks the old name up completely before it looks at the new one.
                let p = c.resolve(&root, arg(1), false)?;
                if !c.exists(&p) {
                    return Err(layerlab::Error::new(
                        layerlab::ErrorKind::NotFound,
                        "link",
                        p.as_str(),
                    ));
                }
                let q = c.resolve(&root, arg(2), false)?;
                c.link(&p, &q)?;
            }
            "symlink" => {
                let p = c.resolve(&root, arg(2), false)?;
                c.symlink(arg(1), &p)?;
            }
            "chmod" => {
                let p = c.resolve(&root, arg(1), true)?;
                c.chmod(&p, 0o600)?;
            }
            "touch" => {
                let p = c.resolve(&root, arg(1), true)?;
                c.utimes(&p, 0)?;
            }
            "otrunc" => {
                let p = c.resolve(&root, arg(1), true)?;
                let flags = layerlab::container::OpenFlags {
                    write: true,
                    truncate: true,
                    ..Default::default()
                };
                c.open(&p, flags, 0o644)?;
            }
            _ => {}
        }
        Ok(())
    })();
    match r {
        Ok(()) => "ok".into(),
        Err(e) => e.kind().errno().to_string(),
    }
}

fn snapshot_layer(l: &Layer) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut groups: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (path, node) in l.walk() {
        let rel = path.as_str().trim_start_matches('/').to_string();
        if rel.is_empty() {
            continue;
        }
        let n = match node {
            Node::Dir(d) => {
                if let Some(r) = &d.redirect {
                    snap.extra
                        .insert(rel.clone(), format!("redirect={}", r.as_str()));
                }
                SNode::Dir {
                    mode: d.meta.mode,
                    opaque: d.opaque,
                }
            }
            Node::File(ino) => match l.inodes.get(ino) {
                Some(i) => {
                    groups.entry(*ino).or_default().push(rel.clone());
                    if i.metacopy {
                        snap.extra.insert(rel.clone(), "metacopy".into());
                    }
                    SNode::File {
                        mode: i.meta.mode,
                        content: if i.metacopy {
                            Vec::new()
                        } else {
                            i.data.bytes().to_vec()
                        },
                    }
                }
                None => SNode::Other("file without inode".into()),
            },
            Node::Symlink(ino) => {
                groups.entry(*ino).or_default().push(rel.clone());
                SNode::Symlink {
                    target: l.target(*ino).unwrap_or_default().to_string(),
                }
            }
            Node::Whiteout => SNode::Whiteout,
        };
        snap.nodes.insert(rel, n);
    }
    for (_, mut names) in groups {
        if names.len() > 1 {
            names.sort();
            snap.links.insert(names);
        }
    }
    snap
}

fn snapshot_engine_merged(c: &Container) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut groups: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut stack = vec![VPath::root()];
    while let Some(dir) = stack.pop() {
        let Ok(children) = c.readdir(&dir) else {
            continue;
        };
        for (name, _) in children {
            let Ok(path) = dir.join(name) else { continue };
            let rel = path.as_str().trim_start_matches('/').to_string();
            let node = match c.stat(&path) {
                Ok(st) => match st.file_type {
                    layerlab::FileType::Dir => {
                        stack.push(path.clone());
                        SNode::Dir {
                            mode: st.mode,
                            opaque: false,
                        }
                    }
                    layerlab::FileType::File => {
                        groups.entry(st.ino).or_default().push(rel.clone());
                        SNode::File {
                            mode: st.mode,
                            content: c
                                .read(&path)
                                .map(|b| b.bytes().to_vec())
                                .unwrap_or_default(),
                        }
                    }
                    layerlab::FileType::Symlink => {
                        groups.entry(st.ino).or_default().push(rel.clone());
                        SNode::Symlink {
                            target: st.target.clone().unwrap_or_default(),
                        }
                    }
                    layerlab::FileType::Whiteout => SNode::Whiteout,
                },
                Err(e) => SNode::Other(format!("stat: {e}")),
            };
            snap.nodes.insert(rel, node);
        }
    }
    for (_, mut names) in groups {
        if names.len() > 1 {
            names.sort();
            snap.links.insert(names);
        }
    }
    snap
}

/// The engine side of the syscall differential.
/// `via_tars`: the layers go in through the project's OCI importer (from tars written here)
/// and the upper layer comes out through its exporter (read back by `snapshot_tar`), as the
/// CLI does; otherwise both sides use the engine's types directly.
pub fn run_engine_ops(case: &Case, opts: Options, via_tars: bool) -> Result<Outcome, String> {
    let image = if via_tars {
        let mut layers = Vec::new();
        for l in &case.layers {
            let tar = layer_tar(l)?;
            let layer = layerlab::oci::import_layer(&tar).map_err(|e| format!("import: {e}"))?;
            layers.push(Arc::new(layer));
        }
        Image::new(layers).map_err(|e| e.to_string())?
    } else {
        engine_image(&case.layers)?
    };
    let mut c = Container::new(Arc::new(image), opts);
    let mut results = String::new();
    for op in &case.script {
        let _ = writeln!(results, "{op}: {}", engine_op(&mut c, op));
    }
    let upper = if via_tars {
        snapshot_tar(&layerlab::oci::export_layer(c.upper()))?
    } else {
        snapshot_layer(c.upper())
    };
    Ok(Outcome {
        status: 0,
        stdout: results,
        stderr: String::new(),
        merged: snapshot_engine_merged(&c),
        upper,
    })
}

/// Makes `case` smaller while `still` holds, trying at most `budget` candidates.
pub fn shrink_by(case: &Case, budget: usize, mut still: impl FnMut(&Case) -> bool) -> Case {
    let mut best = case.clone();
    let mut tries = 0usize;
    loop {
        let mut progress = false;
        for cand in candidates(&best) {
            if tries >= budget {
                return best;
            }
            tries += 1;
            if still(&cand) {
                best = cand;
                progress = true;
                break;
            }
        }
        if !progress {
            return best;
        }
    }
}
