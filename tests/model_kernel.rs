//! The model of `tests/model.rs` checked against the kernel: random images and operations from
//! the same generators, run on a real overlay mount, where each operation's result (its errno,
//! or what readlink and stat print) and the merged view after each step (types, modes, data,
//! targets, mtimes, which names share an inode, link counts) must be what the model says. The
//! model test holds the engine to the model; this one holds the model to the kernel, so that
//! the model states the kernel's semantics and not the engine's.
//!
//! The operations run in a child process (this test binary again, in `kernel_child`) that
//! chroots into the mount, so that absolute symlink targets resolve inside it as they do in the
//! engine. Mtimes the kernel sets from its clock (creation, writes) read as the model's clock.
//!
//! Needs root and overlayfs; without them it prints `skipping: ...`, unless `CI=true`, where it
//! fails. Cases: `LAYERLAB_MODEL_KERNEL_CASES` (default 150); seed: `PROPTEST_RNG_SEED`;
//! `LAYERLAB_MODEL_KERNEL_SHOW=1` prints what the kernel did in every case.
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

mod model_support;

use layerlab::{FileType, Layer, Node, Options};
use model_support::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const DIR_VAR: &str = "LAYERLAB_MODEL_KERNEL_DIR";

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in a scratch path")
}

fn errno_name() -> String {
    let e = std::io::Error::last_os_error();
    io_errno(&e)
}

fn io_errno(e: &std::io::Error) -> String {
    let n = e.raw_os_error().unwrap_or(0);
    match n {
        libc::ENOENT => "ENOENT",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::EXDEV => "EXDEV",
        libc::ELOOP => "ELOOP",
        libc::EINVAL => "EINVAL",
        libc::EPERM => "EPERM",
        libc::EBUSY => "EBUSY",
        _ => return format!("errno {n}"),
    }
    .to_string()
}

/// 0 is success, anything else sets errno.
fn check(r: libc::c_int) -> Result<(), String> {
    if r == 0 {
        Ok(())
    } else {
        Err(errno_name())
    }
}

fn op_line(op: &Op) -> String {
    match *op {
        Op::Write(p, b, a) => format!("write {p} {b} {}", a as u8),
        Op::Unlink(p) => format!("unlink {p}"),
        Op::Mkdir(p) => format!("mkdir {p}"),
        Op::Rmdir(p) => format!("rmdir {p}"),
        Op::Rename(a, b) => format!("rename {a} {b}"),
        Op::Chmod(p, m) => format!("chmod {p} {m}"),
        Op::Truncate(p, l) => format!("truncate {p} {l}"),
        Op::RemoveTree(p) => format!("rmtree {p}"),
        Op::Symlink(t, p) => format!("symlink {t} {p}"),
        Op::Link(a, b) => format!("link {a} {b}"),
        Op::Utimes(p, f, t) => format!("utimes {p} {} {t}", f as u8),
        Op::Readlink(p) => format!("readlink {p}"),
        Op::Stat(p, f) => format!("stat {p} {}", f as u8),
    }
}

/// The kernel's side of one operation, inside the chroot: `ok`, `ok OUTPUT` or the errno.
fn kernel_op(line: &str) -> String {
    let w: Vec<&str> = line.split(' ').collect();
    let n = |i: usize| -> u64 { w[i].parse().expect("a number in an op line") };
    let path = |i: usize| PathBuf::from(PATHS[n(i) as usize]);
    let c = |i: usize| cpath(&path(i));
    // SAFETY (every block below): plain system calls on NUL-terminated paths that live
    // across the call.
    let r: Result<Option<String>, String> = match w[0] {
        "write" => {
            let mut o = fs::OpenOptions::new();
            o.write(true).create(true);
            if n(3) == 1 {
                o.append(true);
            } else {
                o.truncate(true);
            }
            o.open(path(1))
                .and_then(|mut f| f.write_all(&[n(2) as u8]))
                .map(|_| None)
                .map_err(|e| io_errno(&e))
        }
        "unlink" => check(unsafe { libc::unlink(c(1).as_ptr()) }).map(|_| None),
        "mkdir" => check(unsafe { libc::mkdir(c(1).as_ptr(), 0o755) }).map(|_| None),
        "rmdir" => check(unsafe { libc::rmdir(c(1).as_ptr()) }).map(|_| None),
        "rename" => check(unsafe { libc::rename(c(1).as_ptr(), c(2).as_ptr()) }).map(|_| None),
        "chmod" => check(unsafe { libc::chmod(c(1).as_ptr(), n(2) as libc::mode_t) }).map(|_| None),
        "truncate" => {
            check(unsafe { libc::truncate(c(1).as_ptr(), n(2) as libc::off_t) }).map(|_| None)
        }
        // Like `rm -rf`, which works from directory handles: the parent is resolved once, so
        // removing a symlink on the way there cannot cut the path to what is left.
        "rmtree" => {
            let p = path(1);
            let parent = p.parent().unwrap_or(Path::new("/"));
            let name = p.file_name().expect("a name");
            fs::canonicalize(parent)
                .map_err(|e| io_errno(&e))
                .and_then(|d| remove_tree(&d.join(name)))
                .map(|_| None)
        }
        "symlink" => {
            let t = CString::new(TARGETS[n(1) as usize]).expect("target");
            check(unsafe { libc::symlink(t.as_ptr(), c(2).as_ptr()) }).map(|_| None)
        }
        "link" => check(unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                c(1).as_ptr(),
                libc::AT_FDCWD,
                c(2).as_ptr(),
                0,
            )
        })
        .map(|_| None),
        "utimes" => {
            let t = libc::timespec {
                tv_sec: n(3) as libc::time_t,
                tv_nsec: 0,
            };
            let flags = if n(2) == 1 {
                0
            } else {
                libc::AT_SYMLINK_NOFOLLOW
            };
            check(unsafe { libc::utimensat(libc::AT_FDCWD, c(1).as_ptr(), [t, t].as_ptr(), flags) })
                .map(|_| None)
        }
        "readlink" => fs::read_link(path(1))
            .map(|t| Some(t.to_string_lossy().into_owned()))
            .map_err(|e| io_errno(&e)),
        "stat" => {
            let p = path(1);
            let md = if n(2) == 1 {
                fs::metadata(&p)
            } else {
                fs::symlink_metadata(&p)
            };
            md.map(|m| {
                let (t, target) = if m.file_type().is_symlink() {
                    let t = fs::read_link(&p).map(|t| t.to_string_lossy().into_owned());
                    (FileType::Symlink, t.ok())
                } else if m.is_dir() {
                    (FileType::Dir, None)
                } else {
                    (FileType::File, None)
                };
                Some(describe(
                    t,
                    m.permissions().mode() & 0o7777,
                    target.as_deref(),
                ))
            })
            .map_err(|e| io_errno(&e))
        }
        other => panic!("unknown op line {other}"),
    };
    match r {
        Ok(None) => "ok".into(),
        Ok(Some(s)) => format!("ok {s}"),
        Err(e) => e,
    }
}

/// `rm -rf` without following symlinks.
fn remove_tree(p: &Path) -> Result<(), String> {
    let md = fs::symlink_metadata(p).map_err(|e| io_errno(&e))?;
    if md.is_dir() {
        let mut names: Vec<PathBuf> = fs::read_dir(p)
            .map_err(|e| io_errno(&e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for n in names {
            remove_tree(&n)?;
        }
        fs::remove_dir(p).map_err(|e| io_errno(&e))
    } else {
        fs::remove_file(p).map_err(|e| io_errno(&e))
    }
}

/// One line per name of the view: path, kind, mode, mtime, inode, link count, and the data
/// (hex) or target.
fn snapshot(out: &mut String) {
    let mut stack = vec![PathBuf::from("/")];
    let mut lines = Vec::new();
    while let Some(dir) = stack.pop() {
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("readdir in the view")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for p in std::iter::once(dir.clone())
            .filter(|d| d == Path::new("/"))
            .chain(names)
        {
            // The kernel lists a whiteout that hides nothing in a directory of one layer,
            // then cannot look it up (see tests/kernel_diff.rs); it is no name of the view.
            let Ok(m) = fs::symlink_metadata(&p) else {
                continue;
            };
            let (kind, body) = if m.file_type().is_symlink() {
                let t = fs::read_link(&p).expect("readlink");
                ("l", t.to_string_lossy().into_owned())
            } else if m.is_dir() {
                if p != dir {
                    stack.push(p.clone());
                }
                ("d", String::new())
            } else {
                let data = fs::read(&p).expect("read");
                ("f", data.iter().map(|b| format!("{b:02x}")).collect())
            };
            lines.push(format!(
                "{}\t{kind}\t{}\t{}\t{}\t{}\t{body}",
                p.display(),
                m.permissions().mode() & 0o7777,
                m.mtime(),
                m.ino(),
                m.nlink()
            ));
        }
    }
    lines.sort();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
}

/// The child's side: in the case directory the parent names, chroot into the mount, run the
/// operations, and write each result and the view after it to `out`.
#[test]
fn kernel_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let ops = fs::read_to_string(dir.join("ops")).expect("ops");
    let mut out = fs::File::create(dir.join("out")).expect("out");
    let m = cpath(&dir.join("M"));
    // SAFETY: plain system calls; this process does nothing else afterwards.
    unsafe {
        libc::umask(0o022);
        assert_eq!(libc::chroot(m.as_ptr()), 0, "chroot: {}", errno_name());
        assert_eq!(libc::chdir(c"/".as_ptr()), 0, "chdir");
    }
    let mut s = String::new();
    for line in ops.lines() {
        s.push_str(&format!("= {line}: {}\n", kernel_op(line)));
        snapshot(&mut s);
    }
    out.write_all(s.as_bytes()).expect("write out");
}

/// Writes an engine layer as a lower directory: hard links as hard links, whiteouts as 0/0
/// character devices, opaque directories with their xattr, mtimes as the layer has them.
fn write_layer(l: &Layer, root: &Path) -> Result<(), String> {
    fs::create_dir_all(root).map_err(|e| e.to_string())?;
    fs::set_permissions(root, fs::Permissions::from_mode(l.root.meta.mode))
        .map_err(|e| e.to_string())?;
    let mut first: BTreeMap<u64, PathBuf> = BTreeMap::new();
    for (path, node) in l.walk() {
        let p = root.join(path.relative());
        let c = cpath(&p);
        // SAFETY (each block): plain system calls on NUL-terminated paths.
        match node {
            Node::Dir(d) => {
                fs::create_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                fs::set_permissions(&p, fs::Permissions::from_mode(d.meta.mode))
                    .map_err(|e| e.to_string())?;
                if d.opaque {
                    check(unsafe {
                        libc::setxattr(
                            c.as_ptr(),
                            c"trusted.overlay.opaque".as_ptr(),
                            b"y".as_ptr().cast(),
                            1,
                            0,
                        )
                    })?;
                }
            }
            Node::Whiteout => check(unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) })?,
            Node::File(ino) | Node::Symlink(ino) => {
                if let Some(f) = first.get(ino) {
                    check(unsafe {
                        libc::linkat(
                            libc::AT_FDCWD,
                            cpath(f).as_ptr(),
                            libc::AT_FDCWD,
                            c.as_ptr(),
                            0,
                        )
                    })?;
                    continue;
                }
                let i = &l.inodes[ino];
                match &i.target {
                    Some(t) if matches!(node, Node::Symlink(_)) => {
                        std::os::unix::fs::symlink(t, &p).map_err(|e| e.to_string())?
                    }
                    _ => {
                        fs::write(&p, i.data.bytes()).map_err(|e| e.to_string())?;
                        fs::set_permissions(&p, fs::Permissions::from_mode(i.meta.mode))
                            .map_err(|e| e.to_string())?;
                    }
                }
                let t = libc::timespec {
                    tv_sec: i.meta.mtime as libc::time_t,
                    tv_nsec: 0,
                };
                check(unsafe {
                    libc::utimensat(
                        libc::AT_FDCWD,
                        c.as_ptr(),
                        [t, t].as_ptr(),
                        libc::AT_SYMLINK_NOFOLLOW,
                    )
                })?;
                first.insert(*ino, p);
            }
        }
    }
    Ok(())
}

fn mount(dir: &Path, n: usize, top_mode: u32, opts: Options) -> Result<(), String> {
    let lower: Vec<String> = (0..n)
        .rev()
        .map(|i| dir.join(format!("L{i}")).display().to_string())
        .collect();
    for d in ["U", "W", "M"] {
        fs::create_dir(dir.join(d)).map_err(|e| e.to_string())?;
    }
    fs::set_permissions(dir.join("U"), fs::Permissions::from_mode(top_mode))
        .map_err(|e| e.to_string())?;
    let on = |b: bool| if b { "on" } else { "off" };
    let data = format!(
        "lowerdir={},upperdir={},workdir={},redirect_dir={},metacopy={},index={}",
        lower.join(":"),
        dir.join("U").display(),
        dir.join("W").display(),
        on(opts.redirect_dir),
        on(opts.metacopy),
        on(opts.index)
    );
    let data = CString::new(data).map_err(|e| e.to_string())?;
    // SAFETY: NUL-terminated strings that live across the call.
    check(unsafe {
        libc::mount(
            c"overlay".as_ptr(),
            cpath(&dir.join("M")).as_ptr(),
            c"overlay".as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    })
}

fn umount(p: &Path) {
    // SAFETY: a NUL-terminated path.
    unsafe { libc::umount2(cpath(p).as_ptr(), libc::MNT_DETACH) };
}

/// The model's view in the snapshot's form, mtimes, inodes and link counts included; inode
/// numbers are replaced by the first name of their group.
fn model_lines(m: &Model) -> String {
    let view = m.view();
    let nlinks = m.nlinks();
    let mut group_of: BTreeMap<&str, &str> = BTreeMap::new();
    for g in &view.links {
        for n in g {
            group_of.insert(n, &g[0]);
        }
    }
    let mut out = String::new();
    for (p, v) in &view.entries {
        let (kind, mode, mtime, body) = match v {
            V::Dir(mode) => ("d", *mode, None, String::new()),
            V::File(d, mode, t) => (
                "f",
                *mode,
                Some(*t),
                d.iter().map(|b| format!("{b:02x}")).collect(),
            ),
            V::Symlink(t, mtime) => ("l", 0o777, Some(*mtime), t.clone()),
        };
        let ino = group_of.get(p.as_str()).copied().unwrap_or(p);
        let (mtime, ino, nlink) = match mtime {
            Some(t) => (t.to_string(), ino.to_string(), nlinks[p].to_string()),
            None => ("-".into(), "-".into(), "-".into()),
        };
        out.push_str(&format!(
            "{p}\t{kind}\t{mode}\t{mtime}\t{ino}\t{nlink}\t{body}\n"
        ));
    }
    out
}

/// The kernel's snapshot in the same form: directories' times, inodes and counts left out,
/// clock times read as the model's clock, inode numbers replaced by the first name with each.
fn kernel_lines(snap: &str) -> String {
    let rows: Vec<Vec<&str>> = snap.lines().map(|l| l.split('\t').collect()).collect();
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &rows {
        if r[1] != "d" {
            first.entry(r[4]).or_insert(r[0]);
        }
    }
    let mut out = String::new();
    for r in &rows {
        let (mtime, ino, nlink) = if r[1] == "d" {
            ("-".to_string(), "-", "-")
        } else {
            let t: i64 = r[3].parse().unwrap_or(-1);
            let t = if t > 1_000_000 { CLOCK } else { t };
            (t.to_string(), first[r[4]], r[5])
        };
        out.push_str(&format!(
            "{}\t{}\t{}\t{mtime}\t{ino}\t{nlink}\t{}\n",
            r[0], r[1], r[2], r[6]
        ));
    }
    out
}

/// True when a layer has a whiteout below an opaque directory of its own: it hides nothing,
/// and the kernel lists it in readdir, then cannot look it up (tests/kernel_diff.rs leaves
/// such layers out too). OCI semantics, which the model states, simply ignore it.
fn whiteout_hiding_nothing(layers: &[Layer]) -> bool {
    layers.iter().any(|l| {
        let walk = l.walk();
        walk.iter().any(|(p, n)| {
            matches!(n, Node::Whiteout)
                && walk.iter().any(|(q, m)| {
                    matches!(m, Node::Dir(d) if d.opaque) && p.starts_with(q) && p != q
                })
        })
    })
}

fn run_case(
    scratch: &Path,
    specs: &[Spec],
    opts: Options,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut layers = Vec::new();
    for spec in specs {
        let below = Model::flatten(&layers, opts);
        layers.push(build_layer(spec, &below));
    }
    if whiteout_hiding_nothing(&layers) {
        return Err(TestCaseError::reject("a whiteout that hides nothing"));
    }
    run_layers(scratch, &layers, opts, ops).map_err(TestCaseError::fail)
}

fn run_layers(scratch: &Path, layers: &[Layer], opts: Options, ops: &[Op]) -> Result<(), String> {
    let dir = scratch.join("case");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for (i, l) in layers.iter().enumerate() {
        write_layer(l, &dir.join(format!("L{i}")))?;
    }
    let top_mode = layers.last().map_or(0o755, |l| l.root.meta.mode);
    mount(&dir, layers.len(), top_mode, opts)?;
    let ops_text: String = ops.iter().map(|o| op_line(o) + "\n").collect();
    fs::write(dir.join("ops"), &ops_text).map_err(|e| e.to_string())?;
    let child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["--exact", "kernel_child", "--test-threads=1", "-q"])
        .env(DIR_VAR, &dir)
        .output();
    umount(&dir.join("M"));
    let child = child.map_err(|e| e.to_string())?;
    let out = fs::read_to_string(dir.join("out")).map_err(|e| {
        format!(
            "no output from the child ({e}): {}",
            String::from_utf8_lossy(&child.stdout)
        )
    })?;
    let _ = fs::remove_dir_all(&dir);
    if std::env::var_os("LAYERLAB_MODEL_KERNEL_SHOW").is_some() {
        println!("--- {opts:?}\n{out}");
    }
    let mut model = Model::flatten(layers, opts);
    let mut steps = out.split("= ").skip(1);
    for (i, op) in ops.iter().enumerate() {
        let step = steps.next().ok_or("the child stopped early")?;
        let (head, snap) = step.split_once('\n').unwrap_or((step, ""));
        let expected = match model.apply(op) {
            Ok(None) => "ok".to_string(),
            Ok(Some(s)) => format!("ok {s}"),
            Err(e) => e.to_string(),
        };
        let want = format!("{}: {expected}", op_line(op));
        if head != want {
            return Err(format!("step {i}: kernel `{head}`, model `{want}`"));
        }
        let (k, m) = (kernel_lines(snap), model_lines(&model));
        if k != m {
            return Err(format!(
                "view after step {i} ({}):\nkernel:\n{k}model:\n{m}",
                op_line(op)
            ));
        }
    }
    Ok(())
}

#[test]
fn the_model_matches_the_kernel() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the_model_matches_the_kernel: overlayfs is needed on CI, but not root");
        }
        println!("skipping: the_model_matches_the_kernel: not root, cannot mount overlayfs");
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("layerlab-model-kernel")
        .tempdir()
        .expect("tempdir");
    // On the file system of the temporary directory, not on a tmpfs: truncate(2) to the same
    // size marks a file modified on ext4 (as under Docker's overlay2) but not on tmpfs, and
    // the model says what ext4 does.
    let scratch = tmp.path().to_path_buf();
    let cases = std::env::var("LAYERLAB_MODEL_KERNEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        max_global_rejects: 100_000,
        ..Config::default()
    };
    let r = TestRunner::new(config).run(&case(), |(specs, opts, ops)| {
        run_case(&scratch, &specs, opts, &ops)
    });
    if let Err(e) = r {
        panic!("{e}");
    }
}
