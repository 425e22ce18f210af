//! The model of `tests/model.rs`: a flat reference of the merged view with inodes, the
//! random images and operations it is checked on, and nothing of the engine but the types that
//! make image layers. Shared with `tests/model_kernel.rs`, which checks the model itself
//! against the kernel.

#![allow(dead_code)]

use layerlab::{Blob, Dir, FileInode, FileType, Layer, Meta, Node, Options, VPath};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The names operations and image layers use. `/b/e` lets a directory the image has under
/// `/d` move out of `/d` after `/d` itself was renamed to `/b` (with redirect_dir=on).
pub const PATHS: &[&str] = &[
    "/a", "/b", "/b/e", "/d", "/d/a", "/d/b", "/d/e", "/d/e/a", "/e", "/e/a", "/e/d",
];

/// Symlink targets: absolute and relative, to files and directories, dangling, through a file
/// (ENOTDIR), and, placed at the right names, loops (`/a -> a`, `/a -> b` with `/b -> a`).
pub const TARGETS: &[&str] = &[
    "/a", "a", "b", "/d", "d", "/d/e", "e", "../a", "..", "/e/a", "/nope", "nope/x", "/a/x",
    "d/e/a",
];

/// The kernel's MAXSYMLINKS: the 41st symlink of one path walk is ELOOP.
pub const MAX_LINKS: usize = 40;

/// The container's clock: what creation and writes set as mtime. Image layers use the same
/// time, so only `utimes` makes a difference that the check can see.
pub const CLOCK: i64 = 0;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    File(Vec<u8>),
    Symlink(String),
}

#[derive(Clone, Debug)]
pub struct Inode {
    pub data: Data,
    pub mode: u32,
    pub mtime: i64,
    /// Still the image's inode: nothing has copied it up yet.
    pub in_image: bool,
    /// For an inode of an image layer (with `index=on` a copied-up inode keeps its identity):
    /// how many names it has in its layer, and how many of those the image's merged view
    /// hides (names in upper image layers' way: no operation on the container reaches them).
    pub image_links: Option<(u32, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum E {
    /// A directory; `image` is true while it is the image's own directory (renaming it is
    /// EXDEV with `redirect_dir=off`).
    Dir { mode: u32, image: bool },
    /// A regular file or a symlink: an index into `Model::inodes`.
    Ino(usize),
}

#[derive(Clone, Debug)]
pub struct Model {
    /// Every name of the merged view, `/` included.
    pub names: BTreeMap<String, E>,
    pub inodes: Vec<Inode>,
    pub opts: Options,
}

/// What a user sees of one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V {
    Dir(u32),
    File(Vec<u8>, u32, i64),
    Symlink(String, i64),
}

/// What a user sees of the merged view: the names, and which of them share an inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub entries: BTreeMap<String, V>,
    pub links: BTreeSet<Vec<String>>,
}

pub fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

pub fn below(p: &str, q: &str) -> bool {
    if p == "/" {
        return q != "/";
    }
    q.len() > p.len() && q.starts_with(p) && q.as_bytes()[p.len()] == b'/'
}

pub fn groups<'a>(names: impl Iterator<Item = (&'a String, u64)>) -> BTreeSet<Vec<String>> {
    let mut by: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (n, id) in names {
        by.entry(id).or_default().push(n.clone());
    }
    by.into_values()
        .filter(|v| v.len() > 1)
        .map(|mut v| {
            v.sort();
            v
        })
        .collect()
}

impl Model {
    pub fn remove_tree(&mut self, p: &str) {
        self.names.retain(|q, _| q != p && !below(p, q));
    }

    /// Applies image layers bottom first, the way the OCI spec describes, on the flat map: an
    /// independent reference for the engine's merge.
    pub fn flatten(layers: &[Layer], opts: Options) -> Model {
        let mut m = Model {
            names: BTreeMap::new(),
            inodes: Vec::new(),
            opts,
        };
        // The root merges in every layer and shows the topmost layer's metadata.
        let root_mode = layers.last().map_or(0o755, |l| l.root.meta.mode);
        m.names.insert(
            "/".into(),
            E::Dir {
                mode: root_mode,
                image: true,
            },
        );
        for (li, layer) in layers.iter().enumerate() {
            // Names of one inode of this layer are one model inode.
            let mut ids: BTreeMap<u64, usize> = BTreeMap::new();
            let mut in_layer: BTreeMap<u64, u32> = BTreeMap::new();
            for (_, node) in layer.walk() {
                if let Node::File(ino) | Node::Symlink(ino) = node {
                    *in_layer.entry(*ino).or_default() += 1;
                }
            }
            for (path, node) in layer.walk() {
                let p = path.as_str().to_string();
                // A parent replaced by a non-directory in this layer drops what lies under it.
                if !matches!(m.names.get(parent(&p)), Some(E::Dir { .. }))
                    && !matches!(node, Node::Whiteout)
                {
                    m.remove_tree(parent(&p));
                    m.names.insert(
                        parent(&p).to_string(),
                        E::Dir {
                            mode: 0o755,
                            image: true,
                        },
                    );
                }
                match node {
                    Node::Whiteout => m.remove_tree(&p),
                    Node::Dir(d) => {
                        if d.opaque || !matches!(m.names.get(&p), Some(E::Dir { .. })) {
                            m.remove_tree(&p);
                        }
                        m.names.insert(
                            p,
                            E::Dir {
                                mode: d.meta.mode,
                                image: true,
                            },
                        );
                    }
                    Node::File(ino) | Node::Symlink(ino) => {
                        m.remove_tree(&p);
                        let i = &layer.inodes[ino];
                        let data = match (node, &i.target) {
                            (Node::Symlink(_), Some(t)) => Data::Symlink(t.clone()),
                            (Node::Symlink(_), None) => {
                                panic!("layer {li}: symlink without target")
                            }
                            _ => Data::File(i.data.bytes().to_vec()),
                        };
                        let mode = if matches!(data, Data::Symlink(_)) {
                            0o777
                        } else {
                            i.meta.mode
                        };
                        let id = *ids.entry(*ino).or_insert_with(|| {
                            m.inodes.push(Inode {
                                data,
                                mode,
                                mtime: i.meta.mtime,
                                in_image: true,
                                image_links: Some((in_layer[ino], 0)),
                            });
                            m.inodes.len() - 1
                        });
                        m.names.insert(p, E::Ino(id));
                    }
                }
            }
        }
        // What the merged image view does not show of each inode's names stays hidden.
        let mut shown: BTreeMap<usize, u32> = BTreeMap::new();
        for e in m.names.values() {
            if let E::Ino(id) = e {
                *shown.entry(*id).or_default() += 1;
            }
        }
        for (id, i) in m.inodes.iter_mut().enumerate() {
            if let Some((n, hidden)) = &mut i.image_links {
                *hidden = *n - shown.get(&id).copied().unwrap_or(0);
            }
        }
        m
    }

    pub fn view(&self) -> View {
        let entries = self
            .names
            .iter()
            .map(|(p, e)| {
                let v = match *e {
                    E::Dir { mode, .. } => V::Dir(mode),
                    E::Ino(id) => {
                        let i = &self.inodes[id];
                        match &i.data {
                            Data::File(d) => V::File(d.clone(), i.mode, i.mtime),
                            Data::Symlink(t) => V::Symlink(t.clone(), i.mtime),
                        }
                    }
                };
                (p.clone(), v)
            })
            .collect();
        let links = groups(self.names.iter().filter_map(|(p, e)| match e {
            E::Ino(id) => Some((p, *id as u64)),
            E::Dir { .. } => None,
        }));
        View { entries, links }
    }

    /// The link count of every file and symlink of the view. An inode the container made, or
    /// copied up with `index=off`, counts its names. With `index=off` an image inode nothing
    /// has copied up shows its count in its layer, whatever the container did to its names
    /// (the lower file system never changes). With `index=on` an image inode counts its names
    /// in the view plus those the image hides: the kernel keeps the count of an indexed inode
    /// as names come and go, and indexes a lower hard link before it removes or replaces one
    /// of its names (ovl_nlink_start). Checked on kernel 6.18: a pair `a`, `b` with a third
    /// name whited out by an upper image layer shows 3 after `echo x >> a`, 2 after `rm b`, 3
    /// after `ln a x`; a bare pair shows 1 after `rm b`; names in a directory renamed with
    /// redirect_dir=on still count.
    pub fn nlinks(&self) -> BTreeMap<String, u32> {
        let mut count: BTreeMap<usize, u32> = BTreeMap::new();
        for e in self.names.values() {
            if let E::Ino(id) = e {
                *count.entry(*id).or_default() += 1;
            }
        }
        self.names
            .iter()
            .filter_map(|(p, e)| {
                let E::Ino(id) = e else { return None };
                let i = &self.inodes[*id];
                let n = match i.image_links {
                    None => count[id],
                    Some((n, _)) if !self.opts.index => n,
                    Some((_, hidden)) => count[id] + hidden,
                };
                Some((p.clone(), n))
            })
            .collect()
    }

    /// The kernel's path walk: `Ok` with the path it reaches (which need not exist), or the
    /// errno. Every component but the last must be a directory (a symlink is followed there);
    /// the last one is followed only when `follow`. `..` of the root is the root.
    pub fn resolve(&self, raw: &str, follow: bool) -> Result<String, &'static str> {
        let comps = |s: &str| -> Vec<String> {
            s.split('/')
                .filter(|c| !c.is_empty())
                .rev()
                .map(String::from)
                .collect()
        };
        let mut todo = comps(raw);
        let mut cur = "/".to_string();
        let mut links = 0;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    cur = parent(&cur).to_string();
                    continue;
                }
                _ => {}
            }
            match self.names.get(&cur) {
                Some(E::Dir { .. }) => {}
                Some(E::Ino(_)) => return Err("ENOTDIR"),
                None => return Err("ENOENT"),
            }
            let next = join(&cur, &c);
            if !todo.is_empty() || follow {
                if let Some(E::Ino(id)) = self.names.get(&next) {
                    if let Data::Symlink(t) = &self.inodes[*id].data {
                        links += 1;
                        if links > MAX_LINKS {
                            return Err("ELOOP");
                        }
                        if t.starts_with('/') {
                            cur = "/".into();
                        }
                        todo.extend(comps(t));
                        continue;
                    }
                }
            }
            cur = next;
        }
        Ok(cur)
    }

    /// The inode at `p` that the container may change: a copy-up first when it is still the
    /// image's. With `index=off` the copy is a new inode, so other names of the image inode
    /// keep the old one; with `index=on` the copy is the same inode for every name.
    pub fn copy_up(&mut self, p: &str) -> Option<usize> {
        let E::Ino(id) = *self.names.get(p)? else {
            return None;
        };
        if !self.inodes[id].in_image {
            return Some(id);
        }
        if self.opts.index {
            self.inodes[id].in_image = false;
            return Some(id);
        }
        let mut copy = self.inodes[id].clone();
        copy.in_image = false;
        copy.image_links = None;
        self.inodes.push(copy);
        let new = self.inodes.len() - 1;
        self.names.insert(p.to_string(), E::Ino(new));
        Some(new)
    }

    pub fn new_inode(&mut self, data: Data, mode: u32) -> E {
        self.inodes.push(Inode {
            data,
            mode,
            mtime: CLOCK,
            in_image: false,
            image_links: None,
        });
        E::Ino(self.inodes.len() - 1)
    }

    pub fn has_children(&self, p: &str) -> bool {
        self.names.keys().any(|q| below(p, q))
    }

    pub fn describe(&self, p: &str) -> Result<String, &'static str> {
        match self.names.get(p).ok_or("ENOENT")? {
            E::Dir { mode, .. } => Ok(describe(FileType::Dir, *mode, None)),
            E::Ino(id) => {
                let i = &self.inodes[*id];
                Ok(match &i.data {
                    Data::File(_) => describe(FileType::File, i.mode, None),
                    Data::Symlink(t) => describe(FileType::Symlink, 0o777, Some(t)),
                })
            }
        }
    }

    /// What the model expects of one operation: `Ok` with what it prints (readlink, stat), or
    /// the errno; the model changes as the operation says.
    pub fn apply(&mut self, op: &Op) -> Result<Option<String>, &'static str> {
        match *op {
            Op::Write(pi, b, append) => {
                let p = self.resolve(PATHS[pi], true)?;
                match self.names.get(&p) {
                    Some(E::Dir { .. }) => return Err("EISDIR"),
                    Some(E::Ino(_)) => {
                        let id = self.copy_up(&p).expect("an inode");
                        let i = &mut self.inodes[id];
                        let Data::File(d) = &mut i.data else {
                            unreachable!("the walk followed the last symlink");
                        };
                        if !append {
                            d.clear();
                        }
                        d.push(b);
                        i.mtime = CLOCK;
                    }
                    None => {
                        let e = self.new_inode(Data::File(vec![b]), 0o644);
                        self.names.insert(p, e);
                    }
                }
            }
            Op::Truncate(pi, len) => {
                let p = self.resolve(PATHS[pi], true)?;
                match self.names.get(&p) {
                    None => return Err("ENOENT"),
                    Some(E::Dir { .. }) => return Err("EISDIR"),
                    Some(E::Ino(_)) => {
                        let id = self.copy_up(&p).expect("an inode");
                        let i = &mut self.inodes[id];
                        let Data::File(d) = &mut i.data else {
                            unreachable!("the walk followed the last symlink");
                        };
                        // truncate(2) marks the file modified even when its size stays (seen
                        // on kernel 6.18 with the upper layer on ext4, as Docker's overlay2
                        // has it, for truncate(2) and ftruncate(2); tmpfs leaves it).
                        d.resize(len as usize, 0);
                        i.mtime = CLOCK;
                    }
                }
            }
            Op::Unlink(pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                match self.names.get(&p) {
                    None => return Err("ENOENT"),
                    Some(E::Dir { .. }) => return Err("EISDIR"),
                    Some(E::Ino(_)) => {
                        self.names.remove(&p);
                    }
                }
            }
            Op::Mkdir(pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                if self.names.contains_key(&p) {
                    return Err("EEXIST");
                }
                self.names.insert(
                    p,
                    E::Dir {
                        mode: 0o755,
                        image: false,
                    },
                );
            }
            Op::Rmdir(pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                match self.names.get(&p) {
                    None => return Err("ENOENT"),
                    Some(E::Ino(_)) => return Err("ENOTDIR"),
                    Some(E::Dir { .. }) if self.has_children(&p) => return Err("ENOTEMPTY"),
                    Some(E::Dir { .. }) => {
                        self.names.remove(&p);
                    }
                }
            }
            Op::Rename(a, b) => {
                let from = self.resolve(PATHS[a], false)?;
                let to = self.resolve(PATHS[b], false)?;
                let src = *self.names.get(&from).ok_or("ENOENT")?;
                if from == to {
                    return Ok(None);
                }
                // rename(2) of two names of one inode does nothing. With index=off each name
                // of an image inode is an overlay inode of its own (nothing ties them), so
                // the rename goes ahead.
                if let (E::Ino(x), Some(E::Ino(y))) = (src, self.names.get(&to)) {
                    if x == *y && (self.opts.index || !self.inodes[x].in_image) {
                        return Ok(None);
                    }
                }
                let src_dir = matches!(src, E::Dir { .. });
                if src_dir && below(&from, &to) {
                    return Err("EINVAL");
                }
                // The VFS says ENOTEMPTY when the target is an ancestor of the source, before
                // it compares types (seen on kernel 6.18: `rename("d/f", "d")`).
                if below(&to, &from) {
                    return Err("ENOTEMPTY");
                }
                match (self.names.get(&to), src_dir) {
                    (Some(E::Ino(_)), true) => return Err("ENOTDIR"),
                    (Some(E::Dir { .. }), false) => return Err("EISDIR"),
                    _ => {}
                }
                // With redirect_dir=off, a directory that lower layers have is EXDEV; the model
                // marks such directories, and every directory below them, as image ones.
                // ovl_rename says so before it checks that the target directory is empty.
                if let E::Dir { image: true, .. } = src {
                    if !self.opts.redirect_dir {
                        return Err("EXDEV");
                    }
                }
                if matches!(self.names.get(&to), Some(E::Dir { .. })) && self.has_children(&to) {
                    return Err("ENOTEMPTY");
                }
                // Renaming a lower file or symlink copies it up first.
                self.copy_up(&from);
                let moved: Vec<(String, E)> = self
                    .names
                    .iter()
                    .filter(|(q, _)| q.as_str() == from || below(&from, q))
                    .map(|(q, v)| (format!("{to}{}", &q[from.len()..]), *v))
                    .collect();
                self.remove_tree(&from);
                self.remove_tree(&to);
                self.names.extend(moved);
            }
            Op::Chmod(pi, mode) => {
                let p = self.resolve(PATHS[pi], true)?;
                match self.names.get_mut(&p) {
                    None => return Err("ENOENT"),
                    Some(E::Dir { mode: m, .. }) => *m = mode,
                    Some(E::Ino(_)) => {
                        let id = self.copy_up(&p).expect("an inode");
                        self.inodes[id].mode = mode;
                    }
                }
            }
            Op::Utimes(pi, follow, t) => {
                let p = self.resolve(PATHS[pi], follow)?;
                match self.names.get(&p) {
                    None => return Err("ENOENT"),
                    // Directory times are not compared: creating and removing entries
                    // changes them too.
                    Some(E::Dir { .. }) => {}
                    Some(E::Ino(_)) => {
                        let id = self.copy_up(&p).expect("an inode");
                        self.inodes[id].mtime = t;
                    }
                }
            }
            Op::RemoveTree(pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                if !self.names.contains_key(&p) {
                    return Err("ENOENT");
                }
                self.remove_tree(&p);
            }
            Op::Symlink(ti, pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                if self.names.contains_key(&p) {
                    return Err("EEXIST");
                }
                let e = self.new_inode(Data::Symlink(TARGETS[ti].to_string()), 0o777);
                self.names.insert(p, e);
            }
            Op::Link(a, b) => {
                // link(2) does not follow the old name's last symlink: a hard link of a
                // symlink is a new name of the symlink itself.
                let old = self.resolve(PATHS[a], false)?;
                let src = *self.names.get(&old).ok_or("ENOENT")?;
                let new = self.resolve(PATHS[b], false)?;
                if self.names.contains_key(&new) {
                    return Err("EEXIST");
                }
                if matches!(src, E::Dir { .. }) {
                    return Err("EPERM");
                }
                // The source of a hard link is copied up first.
                let id = self.copy_up(&old).expect("an inode");
                self.names.insert(new, E::Ino(id));
            }
            Op::Readlink(pi) => {
                let p = self.resolve(PATHS[pi], false)?;
                match self.names.get(&p).ok_or("ENOENT")? {
                    E::Ino(id) => match &self.inodes[*id].data {
                        Data::Symlink(t) => return Ok(Some(t.clone())),
                        Data::File(_) => return Err("EINVAL"),
                    },
                    E::Dir { .. } => return Err("EINVAL"),
                }
            }
            Op::Stat(pi, follow) => {
                let p = self.resolve(PATHS[pi], follow)?;
                return self.describe(&p).map(Some);
            }
        }
        Ok(None)
    }
}

/// One line of `stat` or `lstat` output: the type, the mode and a symlink's target.
pub fn describe(t: FileType, mode: u32, target: Option<&str>) -> String {
    match target {
        Some(target) => format!("{t:?} {mode:o} -> {target}"),
        None => format!("{t:?} {mode:o}"),
    }
}

#[derive(Clone, Debug)]
pub enum Op {
    Write(usize, u8, bool),
    Unlink(usize),
    Mkdir(usize),
    Rmdir(usize),
    Rename(usize, usize),
    Chmod(usize, u32),
    Truncate(usize, u8),
    /// `rm -rf`: children first, then the entry itself; symlinks are removed, not followed.
    RemoveTree(usize),
    /// `symlink(TARGETS[t], path)`.
    Symlink(usize, usize),
    /// `link(old, new)`, which does not follow a symlink at `old`.
    Link(usize, usize),
    /// `utimensat` with a time; `true` follows a final symlink, `false` is `AT_SYMLINK_NOFOLLOW`.
    Utimes(usize, bool, i64),
    Readlink(usize),
    /// `stat` (`true`) or `lstat` (`false`).
    Stat(usize, bool),
}

pub fn op() -> impl Strategy<Value = Op> {
    let n = PATHS.len();
    let t = TARGETS.len();
    prop_oneof![
        2 => (0..n, any::<u8>(), any::<bool>()).prop_map(|(p, b, a)| Op::Write(p, b, a)),
        2 => (0..n).prop_map(Op::Unlink),
        2 => (0..n).prop_map(Op::Mkdir),
        1 => (0..n).prop_map(Op::Rmdir),
        3 => (0..n, 0..n).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (0..n, prop_oneof![Just(0o600u32), Just(0o755), Just(0o640)])
            .prop_map(|(p, m)| Op::Chmod(p, m)),
        1 => (0..n, 0u8..6).prop_map(|(p, l)| Op::Truncate(p, l)),
        2 => (0..n).prop_map(Op::RemoveTree),
        3 => (0..t, 0..n).prop_map(|(t, p)| Op::Symlink(t, p)),
        2 => (0..n, 0..n).prop_map(|(a, b)| Op::Link(a, b)),
        2 => (0..n, any::<bool>(), 1i64..4).prop_map(|(p, f, t)| Op::Utimes(p, f, t)),
        1 => (0..n).prop_map(Op::Readlink),
        1 => (0..n, any::<bool>()).prop_map(|(p, f)| Op::Stat(p, f)),
    ]
}

/// One layer: a list of (kind, path, byte) with kind 0 file, 1 dir, 2 whiteout, 3 opaque dir,
/// 4 symlink (to `TARGETS[byte]`), 5 hard link of a file or symlink made earlier in the layer.
pub fn layer_spec() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((0u8..6, 0..PATHS.len(), any::<u8>()), 0..8)
}

pub fn build_layer(spec: &[(u8, usize, u8)], lower: &Model) -> Layer {
    let mut l = Layer::new();
    // Files and symlinks made in this layer, for hard links.
    let mut linkable: Vec<Node> = Vec::new();
    for &(kind, pi, byte) in spec {
        let path = VPath::parse(PATHS[pi]).expect("path");
        // Parents must be directories in this layer; skip entries whose parent is not one.
        let mut ok = true;
        let mut at = VPath::root();
        let comps: Vec<&str> = path.components().collect();
        for c in &comps[..comps.len() - 1] {
            at = at.join(c).expect("name");
            let dir = l
                .dir_mut(&at.parent().expect("parent"))
                .expect("parent dir");
            match dir
                .children
                .entry(c.to_string())
                .or_insert_with(|| Node::Dir(Dir::new(Meta::new(0o755, 0))))
            {
                Node::Dir(_) => {}
                _ => ok = false,
            }
            if !ok {
                break;
            }
        }
        if !ok {
            continue;
        }
        let node = match kind {
            0 => {
                let ino = l.add_inode(FileInode::new(
                    Meta::new(0o644, 0),
                    Blob::new(vec![byte; (byte % 4) as usize]),
                ));
                linkable.push(Node::File(ino));
                Node::File(ino)
            }
            1 => Node::Dir(Dir::new(Meta::new(0o755, 0))),
            2 if lower.names.contains_key(path.as_str()) => Node::Whiteout,
            2 => continue,
            3 => Node::Dir(Dir {
                opaque: true,
                ..Dir::new(Meta::new(0o700, 0))
            }),
            4 => {
                let target = TARGETS[byte as usize % TARGETS.len()];
                let node = l.add_symlink(Meta::new(0o777, 0), target.to_string());
                linkable.push(node.clone());
                node
            }
            _ if linkable.is_empty() => continue,
            _ => linkable[byte as usize % linkable.len()].clone(),
        };
        let parent = l
            .dir_mut(&path.parent().expect("parent"))
            .expect("parent dir");
        parent
            .children
            .insert(path.name().expect("name").to_string(), node);
    }
    l.recount_links();
    l
}

pub fn options() -> impl Strategy<Value = Options> {
    // The kernel turns redirect_dir on with metacopy (tests/kernel_support's mounts do too).
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(index, redirect_dir, metacopy)| {
        Options {
            index,
            redirect_dir: redirect_dir || metacopy,
            metacopy,
        }
    })
}

/// One layer's entries (see `layer_spec`).
pub type Spec = Vec<(u8, usize, u8)>;

pub fn case() -> impl Strategy<Value = (Vec<Spec>, Options, Vec<Op>)> {
    (
        prop::collection::vec(layer_spec(), 1..4),
        options(),
        prop::collection::vec(op(), 1..25),
    )
}
