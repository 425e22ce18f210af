//! Layers and their entries: regular files, directories (with the opaque flag), symlinks and
//! whiteouts. A layer is a tree; files point into the layer's inode table so that hard links
//! (two names, one inode) are explicit.

use crate::path::VPath;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Ownership, permission bits and modification time of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Meta {
    /// Permission bits, including set-uid, set-gid and sticky (`0o7777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time in seconds since the epoch (the engine has no clock: callers set it).
    pub mtime: i64,
}

impl Meta {
    /// Metadata with `mode` (masked to `0o7777`), owned by root, at time `mtime`.
    pub fn new(mode: u32, mtime: i64) -> Meta {
        Meta {
            mode: mode & 0o7777,
            uid: 0,
            gid: 0,
            mtime,
        }
    }
}

/// A sha256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// Lower-case hex.
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The OCI form, `sha256:<hex>`.
    pub fn oci(&self) -> String {
        format!("sha256:{}", self.hex())
    }

    /// The first 12 hex digits, the short form tools show.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.oci())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.oci())
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.oci())
    }
}

/// File content, shared by reference between layers. A copy-up clones the reference; the
/// event reports the bytes a real filesystem would copy.
#[derive(Clone)]
pub struct Blob(Arc<BlobInner>);

struct BlobInner {
    bytes: Vec<u8>,
    digest: OnceLock<Digest>,
}

impl Blob {
    /// Content holding `bytes`.
    pub fn new(bytes: Vec<u8>) -> Blob {
        Blob(Arc::new(BlobInner {
            bytes,
            digest: OnceLock::new(),
        }))
    }

    /// Empty content.
    pub fn empty() -> Blob {
        Blob::new(Vec::new())
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0.bytes
    }

    /// The length in bytes.
    pub fn len(&self) -> u64 {
        self.0.bytes.len() as u64
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.bytes.is_empty()
    }

    /// The sha256 of the content, computed once.
    pub fn digest(&self) -> Digest {
        *self.0.digest.get_or_init(|| Digest::of(&self.0.bytes))
    }

    /// True when both handles share one buffer.
    pub fn same(&self, other: &Blob) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.same(other) || self.bytes() == other.bytes()
    }
}

impl Eq for Blob {}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} B)", self.len())
    }
}

/// An inode number inside one layer's inode table.
pub type Ino = u64;

/// A regular file's inode: metadata and content. Several names may point at one inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInode {
    /// Ownership, mode and time.
    pub meta: Meta,
    /// The content.
    pub data: Blob,
    /// True when only the metadata lives in this layer and the data is still the lower
    /// layer's (`metacopy=on`); the data follows on the first open for write.
    pub metacopy: bool,
    /// How many names in the layer point at this inode.
    pub nlink: u32,
}

impl FileInode {
    /// A file with `meta` and `data`, not yet linked into any directory.
    pub fn new(meta: Meta, data: Blob) -> FileInode {
        FileInode {
            meta,
            data,
            metacopy: false,
            nlink: 0,
        }
    }
}

/// A directory: metadata, the opaque flag, an optional redirect, and its children by name.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Dir {
    /// Ownership, mode and time.
    pub meta: Meta,
    /// True when lower layers' children of this directory are hidden.
    pub opaque: bool,
    /// With `redirect_dir=on`, the lower path a renamed directory merges with.
    pub redirect: Option<VPath>,
    /// Children by name, sorted.
    pub children: BTreeMap<String, Node>,
    /// True when a layer tar named this directory only as the parent of other entries, without
    /// an entry of its own. Such a directory holding nothing but whiteouts is ignored where a
    /// lower layer has a non-directory (a whiteout under a path that is no longer a directory).
    pub implicit: bool,
}

impl Dir {
    /// An empty, non-opaque directory with `meta`.
    pub fn new(meta: Meta) -> Dir {
        Dir {
            meta,
            ..Dir::default()
        }
    }

    /// True when the directory's subtree holds only whiteouts (or nothing).
    pub fn only_whiteouts(&self) -> bool {
        self.children.values().all(|n| match n {
            Node::Whiteout => true,
            Node::Dir(d) => d.only_whiteouts(),
            _ => false,
        })
    }
}

impl Default for Meta {
    fn default() -> Meta {
        Meta::new(0o755, 0)
    }
}

/// A symbolic link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symlink {
    /// Ownership, mode and time (the mode of a symlink is always 0777 on Linux).
    pub meta: Meta,
    /// What the link points at, as written.
    pub target: String,
}

/// One entry of a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file; the inode lives in the layer's inode table.
    File(Ino),
    /// A directory.
    Dir(Dir),
    /// A symbolic link.
    Symlink(Symlink),
    /// A whiteout: the name is deleted from the layers below.
    Whiteout,
}

/// The type of an entry, as `stat` and the page show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A whiteout (only inside a layer, never in the merged view).
    Whiteout,
}

impl Node {
    /// The entry's type.
    pub fn file_type(&self) -> FileType {
        match self {
            Node::File(_) => FileType::File,
            Node::Dir(_) => FileType::Dir,
            Node::Symlink(_) => FileType::Symlink,
            Node::Whiteout => FileType::Whiteout,
        }
    }

    /// The directory, if this is one.
    pub fn as_dir(&self) -> Option<&Dir> {
        match self {
            Node::Dir(d) => Some(d),
            _ => None,
        }
    }

    /// The directory, mutably, if this is one.
    pub fn as_dir_mut(&mut self) -> Option<&mut Dir> {
        match self {
            Node::Dir(d) => Some(d),
            _ => None,
        }
    }
}

/// A layer: a tree of entries and the inode table its files point into.
#[derive(Clone, Debug, Default, Eq)]
pub struct Layer {
    /// The layer's root directory. Its metadata is the layer's idea of `/`.
    pub root: Dir,
    /// Regular files' inodes.
    pub inodes: BTreeMap<Ino, FileInode>,
    next_ino: Ino,
    /// For an inode with several names, the name whose tar entry carried the data (the others
    /// were hard-link entries): extracting the tar in order, as a container host does, makes
    /// the inode there, which decides where it falls in the inode order of the lower file
    /// system. Layers not read from a tar leave it empty (the first name in path order is then
    /// taken, which is where the exporter writes the data).
    pub(crate) made_at: BTreeMap<Ino, VPath>,
}

/// Two layers are equal when they hold the same entries and inodes; which tar entry carried
/// a hard-linked inode's data is history, not content.
impl PartialEq for Layer {
    fn eq(&self, other: &Layer) -> bool {
        self.root == other.root && self.inodes == other.inodes && self.next_ino == other.next_ino
    }
}

impl Layer {
    /// An empty layer.
    pub fn new() -> Layer {
        Layer {
            root: Dir::default(),
            inodes: BTreeMap::new(),
            next_ino: 1,
            made_at: BTreeMap::new(),
        }
    }

    /// Stores a new inode and returns its number.
    pub fn add_inode(&mut self, inode: FileInode) -> Ino {
        let ino = self.next_ino.max(1);
        self.next_ino = ino + 1;
        self.inodes.insert(ino, inode);
        ino
    }

    /// The entry at `path`, if the layer has one (whiteouts included).
    pub fn get(&self, path: &VPath) -> Option<&Node> {
        let mut comps = path.components();
        let first = comps.next()?;
        let mut node = self.root.children.get(first)?;
        for c in comps {
            node = node.as_dir()?.children.get(c)?;
        }
        Some(node)
    }

    /// The directory at `path` (`/` is the root), if there is one.
    pub fn dir(&self, path: &VPath) -> Option<&Dir> {
        if path.is_root() {
            Some(&self.root)
        } else {
            self.get(path)?.as_dir()
        }
    }

    /// The directory at `path`, mutably.
    pub fn dir_mut(&mut self, path: &VPath) -> Option<&mut Dir> {
        let mut dir = &mut self.root;
        for c in path.components() {
            dir = dir.children.get_mut(c)?.as_dir_mut()?;
        }
        Some(dir)
    }

    /// The file inode behind `node`, if it is a file.
    pub fn inode(&self, node: &Node) -> Option<&FileInode> {
        match node {
            Node::File(ino) => self.inodes.get(ino),
            _ => None,
        }
    }

    /// How many names in this layer point at `ino` (0 for an unknown inode).
    pub fn nlink(&self, ino: Ino) -> u32 {
        self.inodes.get(&ino).map_or(0, |i| i.nlink)
    }

    /// Recomputes every inode's link count from the tree and drops inodes no name points at.
    /// Importers call this once after building a layer.
    pub fn recount_links(&mut self) {
        // Counted in the inode table itself, not in a map of its own: one B-tree type fewer
        // in the wasm module.
        fn count(d: &Dir, inodes: &mut BTreeMap<Ino, FileInode>) {
            for n in d.children.values() {
                match n {
                    Node::File(i) => {
                        if let Some(inode) = inodes.get_mut(i) {
                            inode.nlink += 1;
                        }
                    }
                    Node::Dir(sub) => count(sub, inodes),
                    _ => {}
                }
            }
        }
        for inode in self.inodes.values_mut() {
            inode.nlink = 0;
        }
        count(&self.root, &mut self.inodes);
        self.inodes.retain(|_, inode| inode.nlink > 0);
    }

    /// Every entry in tree order (parents before children, siblings by name), with its path.
    pub fn walk(&self) -> Vec<(VPath, &Node)> {
        fn go<'a>(d: &'a Dir, at: &VPath, out: &mut Vec<(VPath, &'a Node)>) {
            for (name, node) in &d.children {
                // Names inside a layer were validated when they were stored.
                let p = VPath::parse(&format!("{}/{}", at.as_str().trim_end_matches('/'), name))
                    .unwrap_or_else(|_| at.clone());
                out.push((p.clone(), node));
                if let Node::Dir(sub) = node {
                    go(sub, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        go(&self.root, &VPath::root(), &mut out);
        out
    }

    /// Number of entries (whiteouts included, the root excluded).
    pub fn entry_count(&self) -> usize {
        fn count(d: &Dir) -> usize {
            d.children
                .values()
                .map(|n| 1 + n.as_dir().map_or(0, count))
                .sum()
        }
        count(&self.root)
    }

    /// Bytes of file content at rest in this layer (each inode once; metacopy inodes hold
    /// no data of their own).
    pub fn bytes(&self) -> u64 {
        self.inodes
            .values()
            .filter(|i| !i.metacopy)
            .map(|i| i.data.len())
            .sum()
    }
}
