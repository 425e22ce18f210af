//! OCI layer tars: one test per rule of the import and export, then interop with umoci and a
//! property test. Test tars are made with the `tar` crate's `Builder` (or raw headers where a
//! hostile archive needs bytes the builder refuses to write), never with our exporter.
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

use expect_test::{expect, Expect};
use layerlab::layer::{Blob, Dir, FileInode, Layer, Meta, Node};
use layerlab::oci::{
    chain_ids, diff_id, export_layer, import_layer, import_layer_and_diff_id, import_layer_with,
    ImportLimits,
};
use layerlab::union::{MDir, MNode};
use layerlab::{ErrorKind, Image, VPath};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use tar::{EntryType, Header};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Builds test tars entry by entry.
struct Tar(tar::Builder<Vec<u8>>);

impl Tar {
    fn new() -> Tar {
        Tar(tar::Builder::new(Vec::new()))
    }

    fn header(kind: EntryType, mode: u32, size: u64) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h
    }

    fn file(mut self, path: &str, mode: u32, data: &[u8]) -> Tar {
        let mut h = Tar::header(EntryType::Regular, mode, data.len() as u64);
        self.0.append_data(&mut h, path, data).unwrap();
        self
    }

    fn owned_file(mut self, path: &str, mode: u32, uid: u64, gid: u64, mtime: u64) -> Tar {
        let mut h = Tar::header(EntryType::Regular, mode, 1);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(mtime);
        self.0.append_data(&mut h, path, &b"x"[..]).unwrap();
        self
    }

    fn dir(mut self, path: &str, mode: u32) -> Tar {
        let mut h = Tar::header(EntryType::Directory, mode, 0);
        self.0.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    fn symlink(mut self, path: &str, target: &str) -> Tar {
        let mut h = Tar::header(EntryType::Symlink, 0o777, 0);
        self.0.append_link(&mut h, path, target).unwrap();
        self
    }

    fn link(mut self, path: &str, target: &str) -> Tar {
        let mut h = Tar::header(EntryType::Link, 0o644, 0);
        self.0.append_link(&mut h, path, target).unwrap();
        self
    }

    fn whiteout(self, path: &str) -> Tar {
        self.file(path, 0o644, b"")
    }

    /// An entry whose name bytes go into the header untouched (the builder refuses `..`).
    fn raw(mut self, name: &[u8], kind: EntryType, data: &[u8]) -> Tar {
        let mut h = Tar::header(kind, 0o644, data.len() as u64);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }

    /// A PAX extended header with `records` for the next entry.
    fn pax(mut self, records: &[(&str, &[u8])]) -> Tar {
        let mut data = Vec::new();
        for (key, value) in records {
            let body_len = 1 + key.len() + 1 + value.len() + 1;
            let mut len = body_len + 1;
            while len.to_string().len() + body_len != len {
                len = len.to_string().len() + body_len;
            }
            write!(data, "{len} {key}=").unwrap();
            data.extend_from_slice(value);
            data.push(b'\n');
        }
        let mut h = Tar::header(EntryType::XHeader, 0o644, data.len() as u64);
        self.0
            .append_data(&mut h, "PaxHeaders/x", &data[..])
            .unwrap();
        self
    }

    fn build(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }
}

/// One line per entry in tree order: the layer as a table that `expect!` can hold.
fn render(layer: &Layer) -> String {
    let mut out = String::new();
    let mut inos = BTreeMap::new();
    let root = &layer.root;
    out.push_str(&format!("/ {}{}\n", meta(&root.meta), flags(root)));
    // An inode's number in this rendering (in order of first sight) and its link tag.
    let mut inode_of = |ino: &_| {
        let n = inos.len() + 1;
        let n = *inos.entry(*ino).or_insert(n);
        let inode = &layer.inodes[ino];
        let tag = if inode.nlink > 1 {
            format!(" inode#{n} nlink={}", inode.nlink)
        } else {
            String::new()
        };
        (inode, tag)
    };
    for (path, node) in layer.walk() {
        let line = match node {
            Node::Dir(d) => format!("{path}/ {}{}", meta(&d.meta), flags(d)),
            Node::File(ino) => {
                let (inode, links) = inode_of(ino);
                format!(
                    "{path} {} {:?}{links}",
                    meta(&inode.meta),
                    String::from_utf8_lossy(inode.data.bytes())
                )
            }
            Node::Symlink(ino) => {
                let (inode, links) = inode_of(ino);
                format!(
                    "{path} -> {} {}{links}",
                    inode.target.as_deref().unwrap_or(""),
                    meta(&inode.meta)
                )
            }
            Node::Whiteout => format!("{path} (whiteout)"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn meta(m: &Meta) -> String {
    format!("{:04o} {}:{} t={}", m.mode, m.uid, m.gid, m.mtime)
}

fn flags(d: &Dir) -> String {
    let mut s = String::new();
    if d.opaque {
        s.push_str(" opaque");
    }
    if d.implicit {
        s.push_str(" implicit");
    }
    s
}

fn check(tar: &[u8], expect: Expect) {
    let layer = import_layer(tar).unwrap_or_else(|e| panic!("import failed: {e}"));
    expect.assert_eq(&render(&layer));
}

/// Imports `tar` expecting a format error; returns "path: detail" for the snapshot.
fn format_error(tar: &[u8]) -> String {
    let e = import_layer(tar).expect_err("the import should fail");
    assert_eq!(e.kind(), ErrorKind::Format, "{e}");
    e.to_string()
}

/// The visible tree of an image as lines, for comparing merged views.
fn merged(image: &Image) -> String {
    fn go(image: &Image, d: &MDir, at: &str, out: &mut String) {
        for (name, node) in &d.children {
            let path = format!("{at}/{name}");
            match node {
                MNode::Dir(sub) => {
                    out.push_str(&format!("{path}/\n"));
                    go(image, sub, &path, out);
                }
                MNode::File { layer, ino } => {
                    let i = image.inode(*layer, *ino).unwrap();
                    out.push_str(&format!(
                        "{path} {:?}\n",
                        String::from_utf8_lossy(i.data.bytes())
                    ));
                }
                MNode::Symlink { layer, ino } => {
                    let i = image.inode(*layer, *ino).unwrap();
                    out.push_str(&format!("{path} -> {}\n", i.target.as_deref().unwrap()))
                }
            }
        }
    }
    let mut out = String::new();
    go(image, image.root(), "", &mut out);
    out
}

fn image(layers: &[&[u8]]) -> Image {
    Image::new(
        layers
            .iter()
            .map(|t| Arc::new(import_layer(t).unwrap()))
            .collect(),
    )
    .unwrap()
}

/// A layer in canonical form: inodes numbered in tree order, directories explicit, inodes
/// carrying their data (no metacopy), root metadata default. What export then import keeps.
fn canonical(layer: &Layer) -> Layer {
    fn go(src: &Layer, d: &Dir, out: &mut Layer, map: &mut BTreeMap<u64, u64>) -> Dir {
        let mut nd = Dir {
            meta: d.meta,
            opaque: d.opaque,
            redirect: None,
            children: Default::default(),
            implicit: false,
        };
        for (name, node) in &d.children {
            let n = match node {
                Node::Dir(sub) => Node::Dir(go(src, sub, out, map)),
                Node::File(ino) | Node::Symlink(ino) => {
                    let new = match map.get(ino) {
                        Some(n) => *n,
                        None => {
                            let mut inode = src.inodes[ino].clone();
                            inode.metacopy = false;
                            let n = out.add_inode(inode);
                            map.insert(*ino, n);
                            n
                        }
                    };
                    match node {
                        Node::File(_) => Node::File(new),
                        _ => Node::Symlink(new),
                    }
                }
                other => other.clone(),
            };
            nd.children.insert(name.clone(), n);
        }
        nd
    }
    let mut out = Layer::new();
    let mut root = go(layer, &layer.root, &mut out, &mut BTreeMap::new());
    root.meta = Meta::default();
    out.root = root;
    out.recount_links();
    out
}

fn file(layer: &mut Layer, mode: u32, data: &str) -> Node {
    Node::File(layer.add_inode(FileInode::new(
        Meta::new(mode, 1_600_000_000),
        Blob::new(data.as_bytes().to_vec()),
    )))
}

fn dir(children: Vec<(&str, Node)>) -> Dir {
    let mut d = Dir::new(Meta::new(0o755, 1_600_000_000));
    d.children = children
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    d
}

/// A layer with a bit of everything.
fn sample_layer() -> Layer {
    let mut l = Layer::new();
    let hosts = file(&mut l, 0o644, "127.0.0.1 localhost\n");
    let Node::File(hosts_ino) = hosts else {
        unreachable!()
    };
    let motd = file(&mut l, 0o600, "hello\n");
    let mut opaque = dir(vec![("fresh", file(&mut l, 0o644, "new\n"))]);
    opaque.opaque = true;
    let mut implicit = dir(vec![("gone", Node::Whiteout)]);
    implicit.implicit = true;
    let long = "n".repeat(120);
    let deep = dir(vec![(long.as_str(), file(&mut l, 0o644, "long\n"))]);
    l.root.children = [
        (
            "etc",
            Node::Dir(dir(vec![
                ("hosts", hosts),
                ("hosts.link", Node::File(hosts_ino)),
                ("motd", motd),
                ("passwd", Node::Whiteout),
            ])),
        ),
        ("opaque", Node::Dir(opaque)),
        ("implicit", Node::Dir(implicit)),
        ("deep", Node::Dir(deep)),
        (
            "link",
            l.add_symlink(Meta::new(0o777, 5), "./etc/../etc/hosts".to_string()),
        ),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_string(), c))
    .collect();
    l.recount_links();
    l
}

// ---------------------------------------------------------------------------------------------
// Import: entries and metadata

#[test]
fn files_dirs_and_symlinks_import_with_mode_owner_and_time() {
    let tar = Tar::new()
        .dir("etc/", 0o755)
        .file("etc/hosts", 0o100644, b"127.0.0.1\n")
        .owned_file("etc/shadow", 0o104640, 0, 42, 12345)
        .owned_file("etc/big-ids", 0o644, 4_000_000_000, 70_000, 1)
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /etc/ 0755 0:0 t=1700000000
            /etc/big-ids 0644 4000000000:70000 t=1 "x"
            /etc/hosts 0644 0:0 t=1700000000 "127.0.0.1\n"
            /etc/localtime -> /usr/share/zoneinfo/UTC 0777 0:0 t=1700000000
            /etc/shadow 4640 0:42 t=12345 "x"
        "#]],
    );
}

#[test]
fn leading_slash_and_dot_slash_are_stripped_and_dot_is_the_root() {
    let tar = Tar::new()
        .raw(b"./", EntryType::Directory, b"")
        .raw(b"/abs", EntryType::Regular, b"a")
        .raw(b"./rel/./x", EntryType::Regular, b"b")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0644 0:0 t=1700000000
            /abs 0644 0:0 t=1700000000 "a"
            /rel/ 0755 0:0 t=0 implicit
            /rel/x 0644 0:0 t=1700000000 "b"
        "#]],
    );
}

#[test]
fn missing_parents_are_implicit_until_an_explicit_entry_gives_their_metadata() {
    let tar = Tar::new()
        .file("a/b/c", 0o644, b"c")
        .dir("a/b/", 0o700)
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /a/ 0755 0:0 t=0 implicit
            /a/b/ 0700 0:0 t=1700000000
            /a/b/c 0644 0:0 t=1700000000 "c"
        "#]],
    );
}

#[test]
fn old_style_directories_are_regular_entries_with_a_trailing_slash() {
    let tar = Tar::new()
        .raw(b"old/", EntryType::Regular, b"")
        .raw(b"old/f", EntryType::Regular, b"f")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /old/ 0644 0:0 t=1700000000
            /old/f 0644 0:0 t=1700000000 "f"
        "#]],
    );
}

#[test]
fn dot_dot_components_and_nul_bytes_are_format_errors_naming_the_path() {
    let escape = Tar::new()
        .raw(b"a/../../etc/passwd", EntryType::Regular, b"x")
        .build();
    expect!["import a/../../etc/passwd: the path has a .. component, which would reach outside the layer"]
        .assert_eq(&format_error(&escape));
    let link_escape = Tar::new()
        .file("a", 0o644, b"x")
        .link("b", "d/../../a")
        .build();
    expect![
        "import b: the hard link target has a .. component, which would reach outside the layer"
    ]
    .assert_eq(&format_error(&link_escape));
    let newline = Tar::new()
        .pax(&[("path", b"a\nb")])
        .file("placeholder", 0o644, b"x")
        .build();
    expect!["import placeholder: a PAX record of this entry cannot be read (values holding a newline are not supported)"].assert_eq(&format_error(&newline));
    let nul = Tar::new()
        .pax(&[("path", b"a\0b")])
        .file("placeholder", 0o644, b"x")
        .build();
    expect!["import a\0b: the path holds a NUL byte"].assert_eq(&format_error(&nul));
}

#[test]
fn duplicate_paths_are_format_errors() {
    let tar = Tar::new()
        .file("a", 0o644, b"1")
        .raw(b"./a", EntryType::Regular, b"2")
        .build();
    expect!["import ./a: duplicate path: the tar has more than one entry for it"]
        .assert_eq(&format_error(&tar));
    let dirs = Tar::new().dir("d/", 0o755).dir("./d", 0o700).build();
    assert_eq!(
        import_layer(&dirs).unwrap_err().detail(),
        Some("duplicate path: the tar has more than one entry for it")
    );
}

#[test]
fn invalid_names_are_format_errors() {
    for (name, want) in [
        (".wh.a/b", "import .wh.a/b: \".wh.a\": names beginning with .wh. are reserved for whiteouts in OCI layer tars"),
        ("d/.wh.", "import d/.wh.: \"\": \"\" is not a valid file name"),
        ("d/.wh..wh.plnk", "import d/.wh..wh.plnk: \".wh.plnk\": names beginning with .wh. are reserved for whiteouts in OCI layer tars"),
    ] {
        let tar = Tar::new().raw(name.as_bytes(), EntryType::Regular, b"").build();
        assert_eq!(format_error(&tar), want);
    }
    let long = format!("d/{}", "n".repeat(256));
    let tar = Tar::new().file(&long, 0o644, b"").build();
    assert!(format_error(&tar).contains("File name too long"));
    let bytes = Tar::new().raw(b"caf\xe9", EntryType::Regular, b"").build();
    expect!["import caf\u{FFFD}: the path is not valid UTF-8"].assert_eq(&format_error(&bytes));
}

#[test]
fn device_nodes_and_fifos_are_format_errors_naming_path_and_type() {
    for (kind, want) in [
        (
            EntryType::Char,
            "import dev/null: character device entries cannot be represented in a layer",
        ),
        (
            EntryType::Block,
            "import dev/null: block device entries cannot be represented in a layer",
        ),
        (
            EntryType::Fifo,
            "import dev/null: FIFO (named pipe) entries cannot be represented in a layer",
        ),
    ] {
        let tar = Tar::new().raw(b"dev/null", kind, b"").build();
        assert_eq!(format_error(&tar), want);
    }
}

#[test]
fn long_names_and_link_targets_import_through_gnu_and_pax_extensions() {
    let long_dir = "d".repeat(150);
    let long_file = format!("{long_dir}/{}", "f".repeat(150));
    let long_target = format!("/{}", "t".repeat(300));
    let tar = Tar::new()
        .file(&long_file, 0o644, b"gnu")
        .symlink("s", &long_target)
        .pax(&[("path", b"pax-name-\xc3\xa9"), ("mtime", b"-86400.5")])
        .file("placeholder", 0o644, b"pax")
        .link("hl", &long_file)
        .build();
    let layer = import_layer(&tar).unwrap();
    let f = VPath::parse(&format!("/{long_file}")).unwrap();
    let Some(Node::File(ino)) = layer.get(&f) else {
        panic!("no long file")
    };
    assert_eq!(layer.inodes[ino].nlink, 2);
    let Some(Node::Symlink(s)) = layer.get(&VPath::parse("/s").unwrap()) else {
        panic!("no symlink")
    };
    assert_eq!(layer.target(*s), Some(long_target.as_str()));
    let Some(Node::File(pax)) = layer.get(&VPath::parse("/pax-name-é").unwrap()) else {
        panic!("no PAX-named file")
    };
    assert_eq!(layer.inodes[pax].meta.mtime, -86401);
}

// ---------------------------------------------------------------------------------------------
// Import: whiteouts and opaque directories

#[test]
fn whiteout_files_become_whiteout_nodes() {
    let tar = Tar::new()
        .dir("etc/", 0o755)
        .whiteout("etc/.wh.passwd")
        .whiteout(".wh.tmp")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /etc/ 0755 0:0 t=1700000000
            /etc/passwd (whiteout)
            /tmp (whiteout)
        "#]],
    );
}

#[test]
fn whiteouts_act_only_on_lower_layers() {
    let lower = Tar::new()
        .file("a", 0o644, b"lower")
        .dir("d/", 0o755)
        .file("d/old", 0o644, b"old")
        .build();
    // The same layer both writes `a` and `d/new` and whites them out: its own entries stay.
    let upper = Tar::new()
        .whiteout(".wh.a")
        .file("a", 0o644, b"upper")
        .dir("d/", 0o755)
        .file("d/new", 0o644, b"new")
        .whiteout(".wh.d")
        .build();
    expect![[r#"
        /a "upper"
        /d/
        /d/new "new"
    "#]]
    .assert_eq(&merged(&image(&[&lower, &upper])));
}

#[test]
fn opaque_marker_makes_its_directory_opaque() {
    let tar = Tar::new()
        .dir("d/", 0o750)
        .whiteout("d/.wh..wh..opq")
        .whiteout(".wh..wh..opq")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 opaque implicit
            /d/ 0750 0:0 t=1700000000 opaque
        "#]],
    );
}

#[test]
fn opaque_marker_after_its_siblings_still_hides_only_lower_entries() {
    let lower = Tar::new()
        .dir("d/", 0o755)
        .file("d/old", 0o644, b"old")
        .build();
    let upper = Tar::new()
        .dir("d/", 0o755)
        .file("d/keep", 0o644, b"keep")
        .whiteout("d/.wh..wh..opq")
        .build();
    check(
        &upper,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /d/ 0755 0:0 t=1700000000 opaque
            /d/keep 0644 0:0 t=1700000000 "keep"
        "#]],
    );
    expect![[r#"
        /d/
        /d/keep "keep"
    "#]]
    .assert_eq(&merged(&image(&[&lower, &upper])));
}

#[test]
fn opaque_marker_before_its_directory_entry_keeps_the_entry_metadata() {
    let tar = Tar::new()
        .whiteout("d/.wh..wh..opq")
        .dir("d/", 0o700)
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /d/ 0700 0:0 t=1700000000 opaque
        "#]],
    );
}

#[test]
fn whiteout_under_a_path_that_is_a_file_is_ignored() {
    for tar in [
        Tar::new()
            .file("a", 0o644, b"f")
            .whiteout("a/.wh.b")
            .whiteout("a/.wh..wh..opq")
            .build(),
        Tar::new()
            .whiteout("a/.wh.b")
            .whiteout("a/.wh..wh..opq")
            .file("a", 0o644, b"f")
            .build(),
    ] {
        check(
            &tar,
            expect![[r#"
                / 0755 0:0 t=0 implicit
                /a 0644 0:0 t=1700000000 "f"
            "#]],
        );
    }
}

#[test]
fn whiteout_under_a_lower_file_is_ignored_by_the_merge() {
    let lower = Tar::new().file("a", 0o644, b"lower file").build();
    let upper = Tar::new().whiteout("a/.wh.b").build();
    expect![[r#"
        /a "lower file"
    "#]]
    .assert_eq(&merged(&image(&[&lower, &upper])));
}

#[test]
fn whiteout_of_a_name_deletes_it_whatever_order_its_markers_come_in() {
    for tar in [
        Tar::new().whiteout(".wh.a").whiteout("a/.wh.b").build(),
        Tar::new().whiteout("a/.wh.b").whiteout(".wh.a").build(),
    ] {
        check(
            &tar,
            expect![[r#"
                / 0755 0:0 t=0 implicit
                /a (whiteout)
            "#]],
        );
    }
}

#[test]
fn whiteout_and_a_new_directory_of_the_same_name_make_an_opaque_directory() {
    let lower = Tar::new()
        .dir("d/", 0o755)
        .file("d/old", 0o644, b"old")
        .build();
    for upper in [
        Tar::new()
            .whiteout(".wh.d")
            .file("d/new", 0o644, b"new")
            .build(),
        Tar::new()
            .file("d/new", 0o644, b"new")
            .whiteout(".wh.d")
            .build(),
    ] {
        check(
            &upper,
            expect![[r#"
                / 0755 0:0 t=0 implicit
                /d/ 0755 0:0 t=0 opaque implicit
                /d/new 0644 0:0 t=1700000000 "new"
            "#]],
        );
        expect![[r#"
            /d/
            /d/new "new"
        "#]]
        .assert_eq(&merged(&image(&[&lower, &upper])));
    }
    // With an explicit directory entry the directory keeps that entry's metadata.
    for upper in [
        Tar::new().whiteout(".wh.d").dir("d/", 0o700).build(),
        Tar::new().dir("d/", 0o700).whiteout(".wh.d").build(),
    ] {
        check(
            &upper,
            expect![[r#"
                / 0755 0:0 t=0 implicit
                /d/ 0700 0:0 t=1700000000 opaque
            "#]],
        );
    }
}

#[test]
fn entries_under_a_file_or_symlink_are_format_errors() {
    let tar = Tar::new()
        .file("a", 0o644, b"f")
        .file("a/b", 0o644, b"x")
        .build();
    expect!["import a/b: a is not a directory in this layer, so nothing can lie under it"]
        .assert_eq(&format_error(&tar));
    let tar = Tar::new()
        .symlink("l", "/etc")
        .file("l/passwd", 0o644, b"x")
        .build();
    expect!["import l/passwd: l is not a directory in this layer, so nothing can lie under it"]
        .assert_eq(&format_error(&tar));
    let tar = Tar::new()
        .file("a/b", 0o644, b"x")
        .file("a", 0o644, b"f")
        .build();
    expect!["import a: earlier entries lie under this path, so it cannot also be a non-directory"]
        .assert_eq(&format_error(&tar));
}

// ---------------------------------------------------------------------------------------------
// Import: hard links

#[test]
fn hard_links_share_the_inode_of_their_earlier_target() {
    let tar = Tar::new()
        .file("bin/true", 0o755, b"ELF")
        .link("bin/false", "bin/true")
        .link("usr/bin/true", "./bin/true")
        .build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /bin/ 0755 0:0 t=0 implicit
            /bin/false 0755 0:0 t=1700000000 "ELF" inode#1 nlink=3
            /bin/true 0755 0:0 t=1700000000 "ELF" inode#1 nlink=3
            /usr/ 0755 0:0 t=0 implicit
            /usr/bin/ 0755 0:0 t=0 implicit
            /usr/bin/true 0755 0:0 t=1700000000 "ELF" inode#1 nlink=3
        "#]],
    );
}

/// A hard link entry whose target is a symlink links the symlink itself (extracting the tar
/// calls link(2), which does not follow it): one symlink inode with two names.
#[test]
fn a_hard_link_to_a_symlink_imports_as_a_second_name_of_the_symlink() {
    let tar = Tar::new().symlink("s", "target").link("h", "s").build();
    check(
        &tar,
        expect![[r#"
            / 0755 0:0 t=0 implicit
            /h -> target 0777 0:0 t=1700000000 inode#1 nlink=2
            /s -> target 0777 0:0 t=1700000000 inode#1 nlink=2
        "#]],
    );
    let layer = import_layer(&tar).unwrap();
    let (Some(Node::Symlink(a)), Some(Node::Symlink(b))) = (
        layer.get(&VPath::parse("/s").unwrap()),
        layer.get(&VPath::parse("/h").unwrap()),
    ) else {
        panic!("two symlinks expected")
    };
    assert_eq!(a, b);
}

#[test]
fn hard_link_to_a_missing_target_or_a_directory_is_a_format_error() {
    let tar = Tar::new().link("b", "a").file("a", 0o644, b"late").build();
    expect![[r#"import b: hard link to "a", which no earlier entry of the layer holds"#]]
        .assert_eq(&format_error(&tar));
    let tar = Tar::new().dir("d/", 0o755).link("b", "d").build();
    expect![[r#"import b: hard link to "d", which is a directory"#]].assert_eq(&format_error(&tar));
}

// ---------------------------------------------------------------------------------------------
// Import: compression, malformed input, limits

#[test]
fn gzip_layers_import() {
    let tar = Tar::new().file("a", 0o644, b"zipped").build();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(import_layer(&gz).unwrap(), import_layer(&tar).unwrap());
    assert_ne!(diff_id(&gz), diff_id(&tar));
}

/// `zstd ARGS` on `input`, or `None` (after saying why) when the zstd tool is not installed.
fn zstd_cli(args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    use std::process::{Command, Stdio};
    let mut child = match Command::new("zstd")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            eprintln!("skipping: zstd is not installed (apt-get install zstd)");
            return None;
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "zstd {args:?} failed");
    Some(out.stdout)
}

fn zstd_test_tar() -> Vec<u8> {
    let mut big = Vec::new();
    for i in 0..20_000u32 {
        big.extend_from_slice(format!("line {i}\n").as_bytes());
    }
    Tar::new()
        .dir("d/", 0o755)
        .file("d/a", 0o644, b"zstd")
        .file("d/big", 0o600, &big)
        .file("d/.wh.gone", 0o644, b"")
        .link("d/b", "d/a")
        .build()
}

#[test]
fn zstd_layers_made_by_the_zstd_tool_import_with_the_tars_diff_id() {
    let tar = zstd_test_tar();
    let want = import_layer(&tar).unwrap();
    // Fast and strong levels, no checksum, long-distance matching, several threads.
    for args in [
        &["-q", "-c", "-1"][..],
        &["-q", "-c", "-19"],
        &["-q", "-c", "--no-check"],
        &["-q", "-c", "--long=24", "-T2"],
    ] {
        let Some(zst) = zstd_cli(args, &tar) else {
            return;
        };
        assert!(zst.len() < tar.len() / 4, "{args:?}: not compressed?");
        let (layer, id) = import_layer_and_diff_id(&zst, &ImportLimits::default())
            .unwrap_or_else(|e| panic!("zstd {args:?}: {e}"));
        assert_eq!(layer, want, "zstd {args:?}");
        // The DiffID is the digest of the uncompressed tar, as for gzip.
        assert_eq!(id, diff_id(&tar), "zstd {args:?}");
    }
}

#[test]
fn zstd_streams_of_several_frames_and_skippable_frames_import() {
    let tar = zstd_test_tar();
    let (first, second) = tar.split_at(tar.len() / 3);
    let (Some(a), Some(b)) = (
        zstd_cli(&["-q", "-c"], first),
        zstd_cli(&["-q", "-c"], second),
    ) else {
        return;
    };
    // Two frames in a row are one stream (`zstd -d` reads both), with a skippable frame (as
    // pzstd writes one before each frame) at the start and between them.
    let skip = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9];
    let stream = [&skip[..], &a, &skip, &b].concat();
    assert_eq!(zstd_cli(&["-q", "-d", "-c"], &stream), Some(tar.clone()));
    assert_eq!(import_layer(&stream).unwrap(), import_layer(&tar).unwrap());
}

#[test]
fn broken_zstd_layers_are_format_errors() {
    let tar = zstd_test_tar();
    let Some(zst) = zstd_cli(&["-q", "-c"], &tar) else {
        return;
    };
    for cut in [4, 5, 6, 20, zst.len() / 2, zst.len() - 4, zst.len() - 1] {
        let e = import_layer(&zst[..cut]).expect_err(&format!("zstd cut at {cut}"));
        assert_eq!(e.kind(), ErrorKind::Format, "zstd cut at {cut}: {e}");
    }
    // A wrong checksum (the frame's last 4 bytes) is caught.
    let mut bad_sum = zst.clone();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0x55;
    let e = import_layer(&bad_sum).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format, "{e}");
    assert!(e.to_string().contains("checksum"), "{e}");
    // Garbage after the last frame is refused, not ignored.
    let trailing = [&zst[..], b"trailing"].concat();
    assert_eq!(
        import_layer(&trailing).unwrap_err().kind(),
        ErrorKind::Format
    );
    // Corruption anywhere never panics.
    for at in (4..zst.len()).step_by(37) {
        let mut c = zst.clone();
        c[at] ^= 0xa5;
        if let Err(e) = import_layer(&c) {
            assert_eq!(e.kind(), ErrorKind::Format, "flip at {at}: {e}");
        }
    }
}

#[test]
fn zstd_frames_that_ask_for_a_huge_window_are_refused_before_allocating() {
    // A frame header asking for a 1 GiB window (Window_Descriptor exponent 20), then nothing.
    let e = import_layer(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0, 0, 0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    assert!(e.to_string().contains("window"), "{e}");
    // A single-segment frame whose window is its declared content size: 2^40 bytes.
    let mut h = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
    h.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let e = import_layer(&h).unwrap_err();
    assert!(e.to_string().contains("window"), "{e}");
}

#[test]
fn zstd_bombs_stop_at_the_byte_limit() {
    let tar = Tar::new().file("zeros", 0o644, &vec![0u8; 4 << 20]).build();
    let Some(zst) = zstd_cli(&["-q", "-c", "-19"], &tar) else {
        return;
    };
    assert!(zst.len() < 10_000, "{}", zst.len());
    bomb_stops_at_the_limit(&zst, &tar);
}

#[test]
fn garbage_and_truncated_tars_are_format_errors() {
    let tar = Tar::new()
        .dir("d/", 0o755)
        .file("d/a", 0o644, &[7u8; 700])
        .file(&"l".repeat(200), 0o644, b"long")
        .link("d/b", "d/a")
        .build();
    // Every cut short of the end marker fails cleanly; none panics. Cuts inside the final zero
    // blocks leave a complete archive, which the tar crate (like GNU tar) accepts.
    let end = tar.len() - 1024;
    for cut in (0..=end).step_by(97).chain([end, end - 1, 512, 511]) {
        let e = import_layer(&tar[..cut]).expect_err(&format!("cut at {cut}"));
        assert_eq!(e.kind(), ErrorKind::Format, "cut at {cut}: {e}");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    for cut in [2, 10, gz.len() / 2, gz.len() - 1] {
        let e = import_layer(&gz[..cut]).expect_err(&format!("gzip cut at {cut}"));
        assert_eq!(e.kind(), ErrorKind::Format, "gzip cut at {cut}: {e}");
    }
    let mut garbage = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        garbage.push((x >> 16) as u8);
    }
    for input in [&garbage[..], b"", b"not a tar at all"] {
        assert_eq!(import_layer(input).unwrap_err().kind(), ErrorKind::Format);
    }
    let mut corrupt = tar.clone();
    corrupt[600] ^= 0xff; // inside the second header
    assert_eq!(
        import_layer(&corrupt).unwrap_err().kind(),
        ErrorKind::Format
    );
}

#[test]
fn too_many_entries_is_a_no_space_error() {
    let tar = Tar::new()
        .file("a", 0o644, b"")
        .file("b", 0o644, b"")
        .file("c", 0o644, b"")
        .build();
    let limits = ImportLimits {
        max_entries: 2,
        ..ImportLimits::default()
    };
    assert_eq!(
        import_layer_with(&tar, &limits).unwrap_err().kind(),
        ErrorKind::NoSpace
    );
    let limits = ImportLimits {
        max_entries: 3,
        ..ImportLimits::default()
    };
    assert!(import_layer_with(&tar, &limits).is_ok());
}

#[test]
fn gzip_bombs_stop_at_the_byte_limit() {
    let big = vec![0u8; 4 << 20];
    let tar = Tar::new().file("zeros", 0o644, &big).build();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 100_000);
    bomb_stops_at_the_limit(&gz, &tar);
}

/// A compressed `tar` over 1 MiB is refused at a 1 MiB limit (no space), and imports when the
/// limit is the tar's exact size.
fn bomb_stops_at_the_limit(compressed: &[u8], tar: &[u8]) {
    let limits = ImportLimits {
        max_bytes: 1 << 20,
        ..ImportLimits::default()
    };
    let e = import_layer_with(compressed, &limits).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSpace, "{e}");
    let limits = ImportLimits {
        max_bytes: tar.len() as u64,
        ..ImportLimits::default()
    };
    assert!(import_layer_with(compressed, &limits).is_ok());
}

#[test]
fn deep_trees_within_path_max_import_and_deeper_ones_are_refused() {
    let deep = vec!["d"; 2000].join("/");
    let tar = Tar::new()
        .file(&format!("{deep}/f"), 0o644, b"deep")
        .build();
    let layer = import_layer(&tar).unwrap();
    assert_eq!(layer.entry_count(), 2001);
    // Export walks without recursion; comparing the bytes avoids the recursive `==`.
    let tar = export_layer(&layer);
    assert_eq!(export_layer(&import_layer(&tar).unwrap()), tar);
    let tar = Tar::new()
        .file(&format!("{deep}/{deep}/f"), 0o644, b"x")
        .build();
    assert!(format_error(&tar).contains("longer than 4096 bytes"));
}

// ---------------------------------------------------------------------------------------------
// Export

/// The entries of a tar as the tar crate reads them: path, type, mode, owner, time, link.
fn list(tar: &[u8]) -> String {
    let mut out = String::new();
    let mut archive = tar::Archive::new(tar);
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        let link = e
            .link_name_bytes()
            .map(|l| format!(" -> {}", String::from_utf8_lossy(&l)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:?} {} {:o} {}:{} t={} size={} user={:?}{link}\n",
            h.entry_type(),
            String::from_utf8_lossy(&e.path_bytes()),
            h.mode().unwrap(),
            h.uid().unwrap(),
            h.gid().unwrap(),
            h.mtime().unwrap(),
            e.size(),
            h.username().unwrap().unwrap_or(""),
        ));
    }
    out
}

/// A symlink with two names is written once as a symlink and once as a hard link to that
/// name, and reads back as one inode.
#[test]
fn a_symlink_with_two_names_exports_as_a_symlink_and_a_hard_link() {
    let mut layer = Layer::new();
    let link = layer.add_symlink(Meta::new(0o777, 9), "etc/hosts".into());
    layer.root.children.insert("b".into(), link.clone());
    layer.root.children.insert("a".into(), link);
    layer.recount_links();
    let tar = export_layer(&layer);
    expect![[r#"
        Symlink a 777 0:0 t=9 size=0 user="" -> etc/hosts
        Link b 777 0:0 t=9 size=0 user="" -> a
    "#]]
    .assert_eq(&list(&tar));
    let back = import_layer(&tar).unwrap();
    assert_eq!(canonical(&back), canonical(&layer));
    assert_eq!(export_layer(&back), tar);
}

#[test]
fn export_writes_tree_order_explicit_dirs_whiteouts_and_opaque_markers() {
    expect![[r#"
        Directory deep/ 755 0:0 t=1600000000 size=0 user=""
        Regular deep/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn 644 0:0 t=1600000000 size=5 user=""
        Directory etc/ 755 0:0 t=1600000000 size=0 user=""
        Regular etc/hosts 644 0:0 t=1600000000 size=20 user=""
        Link etc/hosts.link 644 0:0 t=1600000000 size=0 user="" -> etc/hosts
        Regular etc/motd 600 0:0 t=1600000000 size=6 user=""
        Regular etc/.wh.passwd 0 0:0 t=0 size=0 user=""
        Directory implicit/ 755 0:0 t=1600000000 size=0 user=""
        Regular implicit/.wh.gone 0 0:0 t=0 size=0 user=""
        Symlink link 777 0:0 t=5 size=0 user="" -> ./etc/../etc/hosts
        Directory opaque/ 755 0:0 t=1600000000 size=0 user=""
        Regular opaque/.wh..wh..opq 0 0:0 t=0 size=0 user=""
        Regular opaque/fresh 644 0:0 t=1600000000 size=4 user=""
    "#]]
    .assert_eq(&list(&export_layer(&sample_layer())));
}

#[test]
fn export_is_deterministic() {
    let a = export_layer(&sample_layer());
    assert_eq!(a, export_layer(&sample_layer()));
    // Inode numbers, insertion order and link counts are not part of the bytes.
    let mut shuffled = canonical(&sample_layer());
    let renumbered: layerlab::Inodes = shuffled
        .inodes
        .iter()
        .map(|(i, inode)| (100 - i, inode.clone()))
        .collect();
    fn renumber(d: &mut Dir) {
        for n in d.children.values_mut() {
            match n {
                Node::File(i) | Node::Symlink(i) => *i = 100 - *i,
                Node::Dir(sub) => renumber(sub),
                _ => {}
            }
        }
    }
    renumber(&mut shuffled.root);
    shuffled.inodes = renumbered;
    assert_eq!(export_layer(&shuffled), a);
    assert_eq!(
        diff_id(&a),
        diff_id(&export_layer(&import_layer(&a).unwrap()))
    );
}

#[test]
fn round_trip_preserves_entries_hardlinks_and_opaque_dirs() {
    let layer = sample_layer();
    let back = import_layer(&export_layer(&layer)).unwrap();
    assert_eq!(canonical(&back), canonical(&layer));
    // Implicit directories come back explicit: the export gave them an entry.
    assert!(
        !back
            .dir(&VPath::parse("/implicit").unwrap())
            .unwrap()
            .implicit
    );
    expect![[r#"
        / 0755 0:0 t=0 implicit
        /deep/ 0755 0:0 t=1600000000
        /deep/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn 0644 0:0 t=1600000000 "long\n"
        /etc/ 0755 0:0 t=1600000000
        /etc/hosts 0644 0:0 t=1600000000 "127.0.0.1 localhost\n" inode#2 nlink=2
        /etc/hosts.link 0644 0:0 t=1600000000 "127.0.0.1 localhost\n" inode#2 nlink=2
        /etc/motd 0600 0:0 t=1600000000 "hello\n"
        /etc/passwd (whiteout)
        /implicit/ 0755 0:0 t=1600000000
        /implicit/gone (whiteout)
        /link -> ./etc/../etc/hosts 0777 0:0 t=5
        /opaque/ 0755 0:0 t=1600000000 opaque
        /opaque/fresh 0644 0:0 t=1600000000 "new\n"
    "#]]
    .assert_eq(&render(&back));
}

#[test]
fn metacopy_inodes_are_exported_with_their_data() {
    let mut layer = Layer::new();
    let mut inode = FileInode::new(Meta::new(0o600, 0), Blob::new(b"lower data".to_vec()));
    inode.metacopy = true;
    let ino = layer.add_inode(inode);
    layer.root.children.insert("f".into(), Node::File(ino));
    layer.recount_links();
    let back = import_layer(&export_layer(&layer)).unwrap();
    let inode = &back.inodes[&1];
    assert_eq!(inode.data.bytes(), b"lower data");
    assert!(!inode.metacopy);
}

#[test]
fn odd_names_times_and_ids_round_trip_byte_for_byte() {
    let mut layer = Layer::new();
    let mut meta = Meta::new(0o7777, -1);
    meta.uid = u32::MAX;
    meta.gid = 3_000_000;
    let ino = layer.add_inode(FileInode::new(meta, Blob::new(b"odd".to_vec())));
    let far = Meta::new(0o644, 99_999_999_999);
    let far_ino = layer.add_inode(FileInode::new(far, Blob::empty()));
    let names = [
        "back\\slash",
        "sp ace",
        "naïve-ünïcødé",
        "tab\tand\nnewline",
        &"x".repeat(255),
    ];
    let mut d = dir(vec![]);
    for n in names {
        d.children.insert(n.to_string(), Node::File(ino));
    }
    d.children.insert("far".into(), Node::File(far_ino));
    d.children.insert(
        "s".into(),
        layer.add_symlink(Meta::new(0o777, 0), format!("a//./b/{}", "y".repeat(300))),
    );
    layer.root.children.insert("p".repeat(200), Node::Dir(d));
    layer.recount_links();
    let tar = export_layer(&layer);
    let back = import_layer(&tar).unwrap();
    assert_eq!(render(&canonical(&back)), render(&canonical(&layer)));
    assert_eq!(canonical(&back), canonical(&layer));
    assert_eq!(export_layer(&back), tar);
}

// ---------------------------------------------------------------------------------------------
// Digests

#[test]
fn diff_id_is_the_sha256_of_the_uncompressed_tar() {
    assert_eq!(
        diff_id(b"a").oci(),
        "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    );
}

#[test]
fn chain_ids_match_the_spec_formula() {
    let ids = [diff_id(b"a"), diff_id(b"b"), diff_id(b"c")];
    let chain: Vec<String> = chain_ids(&ids).iter().map(|d| d.oci()).collect();
    // Worked out independently: sha256 over "sha256:<a> sha256:<b>", then over that and c.
    assert_eq!(
        chain,
        [
            "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676",
            "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106",
        ]
    );
    assert!(chain_ids(&[]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Interop with umoci, a real OCI image tool (Go's archive/tar underneath)

/// Runs umoci with `args`, or returns `None` (after saying why) when it is not installed.
fn umoci(args: &[&str]) -> Option<()> {
    let out = match std::process::Command::new("umoci").args(args).output() {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipping: umoci is not installed (apt-get install umoci)");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "umoci {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

/// `umoci unpack --rootless` of `image` (`LAYOUT:TAG`) into the bundle `dir`.
fn umoci_unpack(image: &str, dir: &std::path::Path) -> Option<()> {
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        image,
        dir.to_str().unwrap(),
    ])
}

/// A filesystem tree as lines: path, type, permission bits, content or target, link count.
fn fs_tree(root: &std::path::Path) -> String {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    fn go(dir: &std::path::Path, at: &str, out: &mut String) {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for name in names {
            let p = dir.join(&name);
            let m = std::fs::symlink_metadata(&p).unwrap();
            let path = format!("{at}/{name}");
            let mode = m.permissions().mode() & 0o7777;
            if m.is_dir() {
                out.push_str(&format!("{path}/ {mode:04o}\n"));
                go(&p, &path, out);
            } else if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.push_str(&format!("{path} -> {}\n", t.display()));
            } else {
                let data = std::fs::read(&p).unwrap();
                out.push_str(&format!(
                    "{path} {mode:04o} {:?} nlink={} t={}\n",
                    String::from_utf8_lossy(&data),
                    m.nlink(),
                    // Go's archive/tar rounds times to whole seconds in ustar and GNU headers.
                    m.mtime() + i64::from(m.mtime_nsec() >= 500_000_000)
                ));
            }
        }
    }
    let mut out = String::new();
    go(root, "", &mut out);
    out
}

/// The merged view of `image` in the same form as [`fs_tree`].
fn image_tree(image: &Image) -> String {
    fn count(d: &MDir, links: &mut BTreeMap<(u32, u64), u32>) {
        for n in d.children.values() {
            match n {
                MNode::File { layer, ino } => *links.entry((*layer, *ino)).or_default() += 1,
                MNode::Dir(sub) => count(sub, links),
                MNode::Symlink { .. } => {}
            }
        }
    }
    fn go(image: &Image, d: &MDir, at: &str, links: &BTreeMap<(u32, u64), u32>, out: &mut String) {
        for (name, node) in &d.children {
            let path = format!("{at}/{name}");
            match node {
                MNode::Dir(sub) => {
                    out.push_str(&format!("{path}/ {:04o}\n", sub.meta.mode));
                    go(image, sub, &path, links, out);
                }
                MNode::File { layer, ino } => {
                    let i = image.inode(*layer, *ino).unwrap();
                    out.push_str(&format!(
                        "{path} {:04o} {:?} nlink={} t={}\n",
                        i.meta.mode,
                        String::from_utf8_lossy(i.data.bytes()),
                        links[&(*layer, *ino)],
                        i.meta.mtime
                    ));
                }
                MNode::Symlink { layer, ino } => {
                    let i = image.inode(*layer, *ino).unwrap();
                    out.push_str(&format!("{path} -> {}\n", i.target.as_deref().unwrap()));
                }
            }
        }
    }
    let mut links = BTreeMap::new();
    count(image.root(), &mut links);
    let mut out = String::new();
    go(image, image.root(), "", &links, &mut out);
    out
}

/// Two layers exercising whiteouts, an opaque directory, hard links, symlinks and long names.
fn interop_layers() -> (Layer, Layer) {
    let mut lower = Layer::new();
    let hosts = file(&mut lower, 0o644, "127.0.0.1 localhost\n");
    let passwd = file(&mut lower, 0o644, "root:x:0:0::/root:/bin/sh\n");
    let tru = file(&mut lower, 0o755, "#!/bin/sh\n");
    let Node::File(tru_ino) = tru else {
        unreachable!()
    };
    let old = file(&mut lower, 0o600, "old\n");
    let x = file(&mut lower, 0o644, "x\n");
    let y = file(&mut lower, 0o644, "y\n");
    let long = file(&mut lower, 0o644, "long\n");
    lower.root.children = [
        (
            "etc",
            Node::Dir(dir(vec![("hosts", hosts), ("passwd", passwd)])),
        ),
        (
            "bin",
            Node::Dir(dir(vec![("true", tru), ("false", Node::File(tru_ino))])),
        ),
        (
            "d",
            Node::Dir(dir(vec![
                ("old", old),
                ("sub", Node::Dir(dir(vec![("x", x)]))),
            ])),
        ),
        ("rm-dir", Node::Dir(dir(vec![("y", y)]))),
        (
            "deep",
            Node::Dir(dir(vec![(
                "n".repeat(150).as_str(),
                Node::Dir(dir(vec![("f".repeat(120).as_str(), long)])),
            )])),
        ),
        (
            "link",
            lower.add_symlink(Meta::new(0o777, 0), "etc/hosts".into()),
        ),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_string(), c))
    .collect();
    lower.recount_links();

    let mut upper = Layer::new();
    let motd = file(&mut upper, 0o644, "welcome\n");
    let new = file(&mut upper, 0o640, "new\n");
    let mut d = dir(vec![("new", new)]);
    d.opaque = true;
    upper.root.children = [
        (
            "etc",
            Node::Dir(dir(vec![("passwd", Node::Whiteout), ("motd", motd)])),
        ),
        ("d", Node::Dir(d)),
        ("rm-dir", Node::Whiteout),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_string(), c))
    .collect();
    upper.recount_links();
    (lower, upper)
}

/// Makes an OCI layout at `dir/img` whose image `img:t` has our two exported layers, unpacked
/// by umoci into `dir/bundle`. `None` when umoci is missing.
fn umoci_image(dir: &std::path::Path) -> Option<(Layer, Layer)> {
    let (lower, upper) = interop_layers();
    let img = dir.join("img");
    let img_t = format!("{}:t", img.display());
    umoci(&["init", "--layout", img.to_str().unwrap()])?;
    umoci(&["new", "--image", &img_t])?;
    for (name, layer) in [("lower.tar", &lower), ("upper.tar", &upper)] {
        let path = dir.join(name);
        std::fs::write(&path, export_layer(layer)).unwrap();
        umoci(&[
            "raw",
            "add-layer",
            "--image",
            &img_t,
            path.to_str().unwrap(),
        ])?;
    }
    let bundle = dir.join("bundle");
    umoci_unpack(&img_t, &bundle)?;
    Some((lower, upper))
}

#[test]
fn umoci_unpacks_our_exported_layers_to_our_merged_view() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((lower, upper)) = umoci_image(tmp.path()) else {
        return;
    };
    let ours = Image::new(vec![Arc::new(lower), Arc::new(upper)]).unwrap();
    let theirs = fs_tree(&tmp.path().join("bundle/rootfs"));
    assert_eq!(theirs, image_tree(&ours));
    // The whiteouts and the opaque directory did their work.
    assert!(
        !theirs.contains("/etc/passwd")
            && !theirs.contains("/rm-dir")
            && !theirs.contains("/d/old")
    );
}

#[test]
fn layers_umoci_repacks_import_to_the_tree_it_saw() {
    let tmp = tempfile::tempdir().unwrap();
    if umoci_image(tmp.path()).is_none() {
        return;
    }
    let rootfs = tmp.path().join("bundle/rootfs");
    // Deletions (a file, a whole directory recreated with new content), a new file, a change.
    std::fs::remove_file(rootfs.join("etc/hosts")).unwrap();
    std::fs::remove_dir_all(rootfs.join("d")).unwrap();
    std::fs::create_dir(rootfs.join("d")).unwrap();
    std::fs::write(rootfs.join("d/again"), "again\n").unwrap();
    std::fs::write(rootfs.join("etc/motd"), "changed\n").unwrap();
    std::fs::remove_file(rootfs.join("bin/false")).unwrap();
    let img = tmp.path().join("img");
    umoci(&[
        "repack",
        "--image",
        &format!("{}:t2", img.display()),
        tmp.path().join("bundle").to_str().unwrap(),
    ])
    .unwrap();

    // Follow index.json -> manifest -> layers, as a registry client would.
    let (blobs, _) = manifest_layers(&img, "t2");
    let layers: Vec<Arc<Layer>> = blobs
        .iter()
        .map(|b| Arc::new(import_layer(b).unwrap()))
        .collect();
    assert_eq!(layers.len(), 3);
    let top = layers[2].clone();
    let image = Image::new(layers).unwrap();
    assert_eq!(image_tree(&image), fs_tree(&rootfs));
    assert_eq!(
        top.get(&VPath::parse("/etc/hosts").unwrap()),
        Some(&Node::Whiteout),
        "{}",
        render(&top)
    );
}

// ---------------------------------------------------------------------------------------------
// Property: random layers round-trip, and export is a function of the layer alone

mod property {
    use super::*;
    use proptest::prelude::*;

    /// A generated entry; files name one of a few inode slots, so hard links come up often.
    #[derive(Clone, Debug)]
    enum G {
        File(usize),
        Dir(Meta, bool, bool, BTreeMap<String, G>),
        Symlink(Meta, String),
        Whiteout,
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-c]{1,2}",
            2 => "[a-z .ü\\\\\n\t-]{1,12}",
            1 => "n{101,130}",
        ]
        .prop_filter("a valid name", |n| {
            layerlab::path::check_name(n, "/").is_ok()
        })
    }

    fn meta() -> impl Strategy<Value = Meta> {
        (
            0u32..0o10000,
            prop_oneof![3 => Just(0u32), 1 => any::<u32>()],
            prop_oneof![3 => Just(0u32), 1 => any::<u32>()],
            prop_oneof![3 => 0i64..2_000_000_000, 1 => any::<i64>()],
        )
            .prop_map(|(mode, uid, gid, mtime)| Meta {
                mode,
                uid,
                gid,
                mtime,
            })
    }

    fn tree() -> impl Strategy<Value = G> {
        let leaf = prop_oneof![
            3 => (0usize..4).prop_map(G::File),
            1 => (meta(), prop_oneof!["[a-z/.]{1,20}", "t{90,130}"]).prop_map(|(m, t)| G::Symlink(m, t)),
            1 => Just(G::Whiteout),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            (
                meta(),
                any::<bool>(),
                any::<bool>(),
                proptest::collection::btree_map(name(), inner, 0..4),
            )
                .prop_map(|(m, opaque, implicit, children)| G::Dir(m, opaque, implicit, children))
        })
    }

    fn layer() -> impl Strategy<Value = Layer> {
        (
            proptest::collection::btree_map(name(), tree(), 0..5),
            proptest::collection::vec(
                (
                    meta(),
                    proptest::collection::vec(any::<u8>(), 0..600),
                    any::<bool>(),
                ),
                4,
            ),
            any::<bool>(),
        )
            .prop_map(|(children, slots, root_opaque)| {
                fn build(
                    g: &G,
                    slots: &[(Meta, Vec<u8>, bool)],
                    inos: &mut BTreeMap<usize, u64>,
                    l: &mut Layer,
                ) -> Node {
                    match g {
                        G::File(s) => {
                            let ino = *inos.entry(*s).or_insert_with(|| {
                                let (m, data, metacopy) = &slots[*s];
                                let mut inode = FileInode::new(*m, Blob::new(data.clone()));
                                inode.metacopy = *metacopy;
                                l.add_inode(inode)
                            });
                            Node::File(ino)
                        }
                        G::Dir(m, opaque, implicit, children) => {
                            let mut d = Dir::new(*m);
                            d.opaque = *opaque;
                            d.implicit = *implicit;
                            for (n, c) in children {
                                d.children.insert(n.clone(), build(c, slots, inos, l));
                            }
                            Node::Dir(d)
                        }
                        G::Symlink(m, t) => l.add_symlink(*m, t.clone()),
                        G::Whiteout => Node::Whiteout,
                    }
                }
                let mut l = Layer::new();
                let mut inos = BTreeMap::new();
                for (n, c) in &children {
                    let node = build(c, &slots, &mut inos, &mut l);
                    l.root.children.insert(n.clone(), node);
                }
                l.root.opaque = root_opaque;
                l.recount_links();
                l
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_layers_round_trip_and_export_byte_identically(layer in layer()) {
            let tar = export_layer(&layer);
            prop_assert_eq!(&tar, &export_layer(&layer));
            // The streamed DiffID is the digest of exactly these bytes.
            prop_assert_eq!(layerlab::oci::layer_diff_id(&layer), layerlab::oci::diff_id(&tar));
            // Inode numbers, implicit flags and metacopy are not part of the bytes.
            prop_assert_eq!(&tar, &export_layer(&canonical(&layer)));
            let back = import_layer(&tar).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(render(&canonical(&back)), render(&canonical(&layer)));
            prop_assert_eq!(canonical(&back), canonical(&layer));
            prop_assert_eq!(export_layer(&back), tar);
        }

        #[test]
        fn damaged_tars_fail_cleanly_and_never_panic(
            layer in layer(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let tar = export_layer(&layer);
            let mut bad = tar.clone();
            for (at, x) in &flips {
                let i = at.index(bad.len());
                bad[i] ^= x;
            }
            // Whatever the damage, the import answers; and a layer it accepts exports again.
            if let Ok(l) = import_layer(&bad) {
                export_layer(&l);
            }
            let _ = import_layer(&tar[..cut.index(tar.len())]);
        }
    }
}

#[test]
fn the_diff_id_is_the_digest_of_the_uncompressed_tar_even_for_gzip_layers() {
    let tar = Tar::new()
        .dir("etc/", 0o755)
        .file("etc/hosts", 0o644, b"h")
        .build();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let gz = gz.finish().unwrap();
    let limits = layerlab::oci::ImportLimits::default();
    let (_, plain) = layerlab::oci::import_layer_and_diff_id(&tar, &limits).unwrap();
    let (_, zipped) = layerlab::oci::import_layer_and_diff_id(&gz, &limits).unwrap();
    assert_eq!(plain, layerlab::oci::diff_id(&tar));
    assert_eq!(zipped, plain);
    assert_ne!(zipped, layerlab::Digest::of(&gz));
}

#[test]
fn a_layer_without_a_root_entry_keeps_the_lower_root_metadata() {
    let lower = Tar::new().dir("./", 0o700).build();
    let upper = Tar::new().file("f", 0o644, b"x").build();
    let layers = [lower, upper]
        .iter()
        .map(|t| std::sync::Arc::new(import_layer(t).unwrap()))
        .collect();
    let image = layerlab::Image::new(layers).unwrap();
    assert_eq!(image.root().meta.mode, 0o700);
}

/// The layers an OCI image's manifest `reference` lists, read from the layout `img`, with the
/// config's DiffIDs.
fn manifest_layers(img: &std::path::Path, reference: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    let blob = |digest: &str| {
        std::fs::read(
            img.join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(img.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == reference)
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(manifest["digest"].as_str().unwrap())).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&blob(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let layers = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| blob(l["digest"].as_str().unwrap()))
        .collect();
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    (layers, diff_ids)
}

/// Imports every layer blob, checks each DiffID against the config's, and merges them.
fn merge_blobs(blobs: &[Vec<u8>], diff_ids: &[String]) -> Image {
    assert_eq!(blobs.len(), diff_ids.len());
    let layers = blobs
        .iter()
        .zip(diff_ids)
        .map(|(b, want)| {
            let (layer, id) = import_layer_and_diff_id(b, &ImportLimits::default()).unwrap();
            assert_eq!(&id.oci(), want, "the DiffID the config lists");
            Arc::new(layer)
        })
        .collect();
    Image::new(layers).unwrap()
}

/// Replacements of every kind in a bundle (a directory by a file, a file by a directory, a
/// directory by a new directory, a symlink by a directory, a directory emptied, a mode
/// change), repacked by umoci: the image's layers, imported and merged by us, give what
/// `umoci unpack` of the whole image gives; and so do the same layers recompressed with zstd
/// by skopeo.
#[test]
fn umoci_repacks_of_replacements_merge_to_umocis_own_unpack() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    if umoci_image(tmp.path()).is_none() {
        return;
    }
    let rootfs = tmp.path().join("bundle/rootfs");
    let at = |p: &str| rootfs.join(p);
    // A directory replaced by a file, a file by a directory (with content).
    std::fs::remove_dir_all(at("deep")).unwrap();
    std::fs::write(at("deep"), "now a file\n").unwrap();
    std::fs::remove_file(at("etc/hosts")).unwrap();
    std::fs::create_dir(at("etc/hosts")).unwrap();
    std::fs::write(at("etc/hosts/inside"), "in\n").unwrap();
    // A directory deleted and made again with other content; a symlink made a directory.
    std::fs::remove_dir_all(at("d")).unwrap();
    std::fs::create_dir(at("d")).unwrap();
    std::fs::write(at("d/fresh"), "fresh\n").unwrap();
    std::fs::remove_file(at("link")).unwrap();
    std::fs::create_dir(at("link")).unwrap();
    // A directory emptied, and a mode change without a content change.
    std::fs::remove_file(at("bin/false")).unwrap();
    std::fs::remove_file(at("bin/true")).unwrap();
    std::fs::set_permissions(at("etc"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let img = tmp.path().join("img");
    let t2 = format!("{}:t2", img.display());
    umoci(&[
        "repack",
        "--image",
        &t2,
        tmp.path().join("bundle").to_str().unwrap(),
    ])
    .unwrap();
    let fresh = tmp.path().join("fresh");
    umoci_unpack(&t2, &fresh).unwrap();
    let theirs = fs_tree(&fresh.join("rootfs"));
    assert!(theirs.contains("/deep 0644 \"now a file\\n\""), "{theirs}");
    assert!(theirs.contains("/etc/hosts/inside"), "{theirs}");

    let (blobs, diff_ids) = manifest_layers(&img, "t2");
    assert_eq!(blobs.len(), 3);
    assert_eq!(image_tree(&merge_blobs(&blobs, &diff_ids)), theirs);

    // The same image with zstd layers, as skopeo writes them.
    let zimg = tmp.path().join("zimg");
    let out = match std::process::Command::new("skopeo")
        .args(["copy", "--dest-compress-format", "zstd"])
        .arg(format!("oci:{t2}"))
        .arg(format!("oci:{}:t2", zimg.display()))
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipping the zstd part: skopeo is not installed (apt-get install skopeo)");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (zblobs, zdiff_ids) = manifest_layers(&zimg, "t2");
    assert_eq!(zdiff_ids, diff_ids);
    assert!(zblobs
        .iter()
        .all(|b| b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])));
    assert_eq!(image_tree(&merge_blobs(&zblobs, &zdiff_ids)), theirs);
}

/// `layerlab run --upper-tar` gives a layer that umoci stacks on the same image
/// (`umoci raw add-layer`) and unpacks to exactly what `--merged-tar` holds.
#[test]
fn our_upper_tar_added_by_umoci_unpacks_to_our_merged_tar() {
    let tmp = tempfile::tempdir().unwrap();
    if umoci_image(tmp.path()).is_none() {
        return;
    }
    let (lower, upper) = interop_layers();
    let lower_tar = tmp.path().join("lower.tar");
    let upper_tar = tmp.path().join("upper.tar");
    std::fs::write(&lower_tar, export_layer(&lower)).unwrap();
    std::fs::write(&upper_tar, export_layer(&upper)).unwrap();
    let script = "\
rm -r /d/new /bin
mkdir /d/made; echo made > /d/made/f
rm /etc/hosts; mkdir /etc/hosts; echo inside > /etc/hosts/inside
echo more >> /etc/motd; chmod 600 /etc/motd
rm -r /deep; echo was-a-dir > /deep
rm /link; ln -s etc/motd /link
mv /etc /etc2
ln /etc2/motd /hard
chmod 700 /d";
    let container_tar = tmp.path().join("container.tar");
    let merged_tar = tmp.path().join("merged.tar");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerlab"))
        .args(["run", "--layer"])
        .arg(&lower_tar)
        .arg("--layer")
        .arg(&upper_tar)
        .args(["-c", script, "--upper-tar"])
        .arg(&container_tar)
        .arg("--merged-tar")
        .arg(&merged_tar)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img_t = format!("{}:t", tmp.path().join("img").display());
    umoci(&[
        "raw",
        "add-layer",
        "--image",
        &img_t,
        container_tar.to_str().unwrap(),
    ])
    .unwrap();
    let fresh = tmp.path().join("fresh");
    umoci_unpack(&img_t, &fresh).unwrap();
    let theirs = fs_tree(&fresh.join("rootfs"));
    let merged = import_layer(&std::fs::read(&merged_tar).unwrap()).unwrap();
    let ours = image_tree(&Image::new(vec![Arc::new(merged)]).unwrap());
    assert_eq!(ours, theirs);
    assert!(theirs.contains("/etc2/hosts/inside") && !theirs.contains("/bin"));
}
