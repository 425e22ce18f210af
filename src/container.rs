//! A container: an image plus one writable layer, and the copy-on-write rules of overlayfs.
//!
//! The read side (lookup, readdir) consults the writable layer first and the image's merged
//! view below it. The write side copies entries up from the image before changing them, leaves
//! whiteouts where lower entries are deleted and makes directories opaque where they replace a
//! whiteout. Every mutation returns the events it caused.

use crate::error::{Error, ErrorKind, Result};
use crate::event::{human_bytes, push_u64, Event, EventKind, Layers, Sentence};
use crate::layer::{Blob, Dir, FileInode, FileType, Ino, Inodes, Layer, Meta, Node};
use crate::path::{check_name, last_slash, VPath, NAME_MAX, PATH_MAX};
use crate::union::{Flat, FlatFile, FxHasher, Image, MDir, MNode};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// The three overlayfs toggles. All off by default, as in the kernel module and in Docker.
///
/// Serialised with camelCase keys (`redirectDir`), the shape JavaScript uses; the snake_case
/// spelling of early saved states is still read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// Renaming a lower or merged directory copies it up empty with a redirect to its old path,
    /// instead of failing with EXDEV.
    #[serde(alias = "redirect_dir")]
    pub redirect_dir: bool,
    /// chmod, chown and utimes copy metadata only; the data follows on the first open for write.
    pub metacopy: bool,
    /// Copy-up keeps lower hard links together (both names see a write).
    pub index: bool,
}

/// Limits that keep a browser tab alive; each one breached is a clear error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of file content the container layer may hold.
    pub max_bytes: u64,
    /// Entries (names, whiteouts included) the container layer may hold.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 512 << 20,
            max_entries: 500_000,
        }
    }
}

/// What `stat` tells about an entry of the merged view.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Stat {
    /// The entry's type (serialised as `type`, as in the trees of [`crate::browse`]).
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time.
    pub mtime: i64,
    /// Size in bytes (4096 for directories, the target's length for symlinks).
    pub size: u64,
    /// Number of names of the inode (2 for directories, plus subdirectories).
    pub nlink: u32,
    /// The layer the entry comes from (the container layer is the number of image layers).
    pub layer: usize,
    /// A stable inode number for display.
    pub ino: u64,
    /// The target, for symlinks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// How `open` is called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    /// Open for writing (`O_WRONLY`/`O_RDWR`): copies the file up.
    pub write: bool,
    /// Create the file if it does not exist (`O_CREAT`).
    pub create: bool,
    /// Fail if it exists (`O_EXCL`).
    pub excl: bool,
    /// Truncate to zero length (`O_TRUNC`): copies the file up even if nothing is written.
    pub truncate: bool,
}

/// The upper side of a lookup.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Up<'a> {
    Dir(&'a Dir),
    File(Ino),
    /// A symlink: its inode in the container layer.
    Symlink(Ino),
}

/// The lower side of a lookup.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Low<'a> {
    Dir(&'a MDir),
    File(u32, Ino),
    /// A symlink: its layer and its inode there.
    Symlink(u32, Ino),
}

impl<'a> Low<'a> {
    fn of(m: &'a MNode) -> Low<'a> {
        match m {
            MNode::Dir(d) => Low::Dir(d),
            MNode::File { layer, ino } => Low::File(*layer, *ino),
            MNode::Symlink { layer, ino } => Low::Symlink(*layer, *ino),
        }
    }

    pub(crate) fn layer(self) -> u32 {
        match self {
            Low::Dir(d) => d.layers.first().copied().unwrap_or(0),
            Low::File(l, _) | Low::Symlink(l, _) => l,
        }
    }

    fn file_type(self) -> FileType {
        match self {
            Low::Dir(_) => FileType::Dir,
            Low::File(..) => FileType::File,
            Low::Symlink(..) => FileType::Symlink,
        }
    }
}

/// A resolved entry of the merged view: its container-layer part, the lower part it merges
/// with (only directories merge), or both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found<'a> {
    pub(crate) upper: Option<Up<'a>>,
    pub(crate) lower: Option<Low<'a>>,
}

impl Found<'_> {
    fn file_type(&self) -> FileType {
        match (self.upper, self.lower) {
            (Some(Up::Dir(_)), _) => FileType::Dir,
            (Some(Up::File(_)), _) => FileType::File,
            (Some(Up::Symlink(_)), _) => FileType::Symlink,
            (None, Some(l)) => l.file_type(),
            (None, None) => FileType::Dir,
        }
    }

    fn is_dir(&self) -> bool {
        self.file_type() == FileType::Dir
    }
}

/// What the container layer alone can tell about a path; see `Container::quick`.
enum Quick<'a> {
    /// Only the image decides: its entry at the path (`None`: it has none) and whether the
    /// path's parent is a directory of the container layer.
    Image(Option<&'a Flat>, bool),
    /// A container-layer file or symlink.
    Upper(Found<'a>),
    /// A whiteout on the way.
    NotFound,
    /// A directory of the container layer (merged with whatever the image has there).
    UpperDir,
    /// Needs the full walk.
    Slow,
}

/// What the container layer holds at a path, as its path index ([`Container`]'s `uindex`)
/// records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ix {
    /// A directory with its metadata; `plain` when neither it nor any directory above it (the
    /// root included) is opaque or redirected, so that the image shows through below it
    /// unchanged. `born` is its place in the order the container layer made its entries.
    Dir { plain: bool, meta: Meta, born: u64 },
    /// A regular file and its inode (whose place in that order is in `Container::file_born`).
    File(Ino),
    /// A symbolic link and its inode (its place in that order is in `Container::file_born`
    /// too: hard links of a symlink share it).
    Symlink(Ino),
    /// A whiteout.
    Whiteout,
}

/// The container layer's path index: every entry of its tree but the root, by full path. It
/// is never iterated, so its order cannot leak into any output.
type UIndex = HashMap<Box<str>, Ix, BuildHasherDefault<FxHasher>>;

/// An image plus one writable layer.
#[derive(Clone, Debug)]
pub struct Container {
    image: Arc<Image>,
    upper: Layer,
    /// The container layer's entries by full path, kept in step with its tree by `put`, `take`
    /// and `reindex`, so that most lookups are one or two hash probes instead of a walk that
    /// compares strings (each a cache miss) at every level.
    uindex: UIndex,
    /// The last place given out in the order in which the container layer made its entries.
    /// GNU cp walks a directory in inode order, and the upper file system numbers inodes as it
    /// makes them; `Container::made_order` answers from it.
    born: u64,
    /// That place for each container-layer inode (files and symlinks), by inode number (0:
    /// none); hard links share it.
    file_born: Vec<u64>,
    opts: Options,
    limits: Limits,
    /// `index=on`: lower inodes (layer, inode) already copied up, and their upper inode.
    index: InoIndex,
    /// `index=on`: copied-up inodes whose last upper name went while lower names remain. The
    /// kernel keeps them in the index, so those lower names still show the changed file.
    orphans: Inodes,
    /// The lower layer and path each copied-up file or symlink came from, where the kernel
    /// keeps showing the lower inode number for it (st_ino, d_ino): not for a name split from
    /// a lower hard link with index=off. That number decides the order in which tools that sort a directory
    /// by inode (GNU cp) visit it. Indexed by container-layer inode number, which
    /// `Layer::add_inode` hands out densely: a vector rather than a `BTreeMap`, whose code for
    /// this key and value was 7 KB of the wasm module.
    origins: Vec<Option<(u32, VPath)>>,
    events: Vec<Event>,
    clock: i64,
    upper_bytes: u64,
    upper_entries: usize,
    /// A capture point for time travel: see [`Container::capture_at`].
    capture: Option<Capture>,
}

/// Where to take a snapshot of a container while it replays an action, and the snapshot.
#[derive(Clone, Debug)]
struct Capture {
    /// The number of events after which to take it.
    at: usize,
    /// The container as it was right after event `at`, once taken.
    snapshot: Option<Box<Container>>,
}

impl Container {
    /// A container on `image` with an empty writable layer.
    pub fn new(image: Arc<Image>, opts: Options) -> Container {
        let mut upper = Layer::new();
        upper.root.meta = image.root().meta;
        Container {
            image,
            upper,
            uindex: UIndex::default(),
            born: 0,
            file_born: Vec::new(),
            opts,
            limits: Limits::default(),
            index: InoIndex::default(),
            orphans: Inodes::new(),
            origins: Vec::new(),
            events: Vec::new(),
            clock: 0,
            upper_bytes: 0,
            upper_entries: 0,
            capture: None,
        }
    }

    /// Asks for a snapshot of this container right after its event stream reaches `events`
    /// events, taken while the operations that follow run. Time travel uses it: replaying the
    /// action that emitted event N with a capture point at N gives exactly the state after the
    /// first N events, even when one command emitted many (every copy-up and whiteout is a step
    /// of its own). Replaces any earlier capture point.
    pub fn capture_at(&mut self, events: usize) {
        self.capture = Some(Capture {
            at: events,
            snapshot: None,
        });
    }

    /// The snapshot asked for by [`Container::capture_at`], if it was taken; clears the capture
    /// point.
    pub fn take_capture(&mut self) -> Option<Container> {
        self.capture.take().and_then(|c| c.snapshot).map(|b| *b)
    }

    /// Takes the snapshot when the event stream has just reached the capture point. The engine
    /// changes a layer first and emits the event after, so this runs right after an emit (and
    /// again after a commit's rebase, which follows its event).
    fn capture_point(&mut self) {
        let at = match &self.capture {
            Some(c) if c.at == self.events.len() => c.at,
            _ => return,
        };
        let mut snapshot = self.clone();
        snapshot.capture = None;
        self.capture = Some(Capture {
            at,
            snapshot: Some(Box::new(snapshot)),
        });
    }

    /// Replaces the limits.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The image below the writable layer.
    pub fn image(&self) -> &Arc<Image> {
        &self.image
    }

    /// The writable layer.
    pub fn upper(&self) -> &Layer {
        &self.upper
    }

    /// The toggles.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// Changes the toggles; they affect the operations that follow.
    pub fn set_options(&mut self, opts: Options) {
        self.opts = opts;
    }

    /// Sets the time stamped on entries created or changed from now on (the engine has no
    /// clock of its own).
    pub fn set_clock(&mut self, now: i64) {
        self.clock = now;
    }

    /// The time stamped on new entries.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Every event so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The index of the container layer in event `layers` lists: one above the top image layer.
    pub fn container_layer(&self) -> usize {
        self.image.layers().len()
    }

    /// Bytes of file content in the writable layer.
    pub fn upper_bytes(&self) -> u64 {
        self.upper_bytes
    }

    /// Moves the container onto `image` with an empty writable layer, keeping its options,
    /// limits, clock and event stream (what a commit does).
    pub(crate) fn rebase(&mut self, image: Arc<Image>) {
        let mut upper = Layer::new();
        upper.root.meta = image.root().meta;
        self.image = image;
        self.upper = upper;
        self.uindex.clear();
        self.file_born.clear();
        self.index.clear();
        self.orphans.clear();
        // Keyed by the old container layer's inode numbers, which the new one hands out again.
        self.origins.clear();
        self.upper_bytes = 0;
        self.upper_entries = 0;
        // The commit event comes before the rebase; the state after it is the rebased one.
        self.capture_point();
    }

    pub(crate) fn last_event_mut(&mut self) -> Option<&mut Event> {
        self.events.last_mut()
    }

    // ----- events -----------------------------------------------------------------------------

    fn layer_name(&self, layer: usize) -> String {
        if layer == self.container_layer() {
            "the container layer".to_string()
        } else {
            format!("layer {layer}")
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn emit(
        &mut self,
        kind: EventKind,
        path: &VPath,
        to: Option<&VPath>,
        layers: Layers,
        bytes: u64,
        metadata_only: bool,
        sentence: impl Into<Sentence>,
    ) {
        // Only the conversion is generic: one body for every sentence type.
        let sentence = sentence.into();
        self.emit_sentence(kind, path, to, layers, bytes, metadata_only, sentence);
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_sentence(
        &mut self,
        kind: EventKind,
        path: &VPath,
        to: Option<&VPath>,
        layers: Layers,
        bytes: u64,
        metadata_only: bool,
        sentence: Sentence,
    ) {
        #[cfg(debug_assertions)]
        self.check_index();
        let seq = self.events.len() as u64 + 1;
        // One operation often emits several events at one path (a copy-up, then the write):
        // they share the previous event's path instead of allocating it again.
        let path = match self.events.last() {
            Some(e) if *e.path == *path.as_str() => Arc::clone(&e.path),
            _ => Arc::from(path.as_str()),
        };
        self.events.push(Event {
            seq,
            kind,
            path,
            to: to.map(|t| Arc::from(t.as_str())),
            layers,
            bytes,
            metadata_only,
            sentence,
        });
        self.capture_point();
    }

    /// Debug builds hold the path index to the tree it mirrors at every event (while the
    /// container layer is small enough for the check to stay cheap), so that every test that
    /// changes a container checks the index too.
    #[cfg(debug_assertions)]
    fn check_index(&self) {
        if self.upper_entries > 4096 {
            return;
        }
        let mut fresh = UIndex::default();
        let root = &self.upper.root;
        let plain = !root.opaque && root.redirect.is_none();
        let mut at = String::new();
        for (name, child) in &root.children {
            at.clear();
            at.push('/');
            at.push_str(name);
            index_into(&mut fresh, &at, child, plain, &mut 0, true);
        }
        // Places in the creation order are history, which the tree does not hold.
        let norm = |ix: &UIndex| -> std::collections::BTreeMap<String, Ix> {
            ix.iter()
                .map(|(k, v)| {
                    let v = match *v {
                        Ix::Dir { plain, meta, .. } => Ix::Dir {
                            plain,
                            meta,
                            born: 0,
                        },
                        other => other,
                    };
                    (k.to_string(), v)
                })
                .collect()
        };
        assert_eq!(
            norm(&fresh),
            norm(&self.uindex),
            "the container layer's path index is out of step"
        );
        for ino in self.upper.inodes.keys() {
            let born = usize::try_from(ino)
                .ok()
                .and_then(|i| self.file_born.get(i));
            assert!(born.is_some_and(|b| *b != 0), "inode {ino} has no place");
        }
    }

    /// Records an event the shell caused on its own, such as GNU `mv` falling back to copying a
    /// directory after EXDEV.
    pub fn record(&mut self, kind: EventKind, path: &VPath, to: Option<&VPath>, message: String) {
        let c = self.container_layer();
        self.emit(kind, path, to, Layers::one(c), 0, false, message);
    }

    fn since(&self, start: usize) -> Vec<Event> {
        self.events[start..].to_vec()
    }

    // ----- the read side ----------------------------------------------------------------------

    /// The common cases of a lookup, decided by the container layer alone (its path index: the
    /// path, then its nearest ancestor the layer holds):
    /// - the container layer holds, down the path, only plain directories (neither opaque nor
    ///   redirected) and then lacks a name, so what shows is exactly the image's entry at the same
    ///   path: one probe of the image's path index ([`Quick::Image`]);
    /// - the path ends at a container-layer file or symlink reached through its directories
    ///   ([`Quick::Upper`]), or meets a whiteout on the way ([`Quick::NotFound`]).
    ///
    /// Anything else takes the full walk of both sides ([`Quick::Slow`]).
    fn quick(&self, path: &VPath) -> Quick<'_> {
        let s = path.as_str();
        if path.is_root() {
            return Quick::UpperDir;
        }
        match self.uindex.get(s) {
            Some(Ix::File(ino)) => {
                return Quick::Upper(Found {
                    upper: Some(Up::File(*ino)),
                    lower: None,
                })
            }
            Some(Ix::Symlink(ino)) => {
                return Quick::Upper(Found {
                    upper: Some(Up::Symlink(*ino)),
                    lower: None,
                })
            }
            Some(Ix::Whiteout) => return Quick::NotFound,
            Some(Ix::Dir { .. }) => return Quick::UpperDir,
            None => {}
        }
        // The container layer lacks the name: what decides is the deepest entry it has on the
        // way, found from the parent up (the parent is the common case).
        let mut end = s.len();
        let mut last = true;
        loop {
            end = last_slash(&s[..end]);
            match self.ix_at(&s[..end]) {
                Some(Ix::Dir { plain: true, .. }) => return Quick::Image(self.image.flat(s), last),
                Some(Ix::Dir { plain: false, .. }) => return Quick::Slow,
                Some(Ix::Whiteout) => return Quick::NotFound,
                Some(Ix::File(_) | Ix::Symlink(_)) => return Quick::Slow,
                None => last = false,
            }
            if end == 0 {
                // Unreachable: the root always answers.
                return Quick::Slow;
            }
        }
    }

    /// The container layer's entry at the path string `at` (`""` or `/` is the root, which
    /// always answers), from the path index.
    fn ix_at(&self, at: &str) -> Option<Ix> {
        if at.is_empty() || at == "/" {
            let root = &self.upper.root;
            return Some(Ix::Dir {
                plain: !root.opaque && root.redirect.is_none(),
                meta: root.meta,
                born: 0,
            });
        }
        self.uindex.get(at).copied()
    }

    /// The image's entry at `path` as the lower side of its parent sees it, when the container
    /// layer holds only plain directories (or nothing) on the way to that parent: what
    /// `lower_at` answers, by one probe of the image's path index. `None` when the container
    /// layer has a say.
    fn image_below(&self, path: &VPath) -> Option<Option<&Flat>> {
        if path.is_root() {
            return None;
        }
        // The deepest entry the container layer has on the way to the parent decides.
        let s = path.as_str();
        let mut end = s.len();
        loop {
            end = last_slash(&s[..end]);
            match self.ix_at(&s[..end]) {
                Some(Ix::Dir { plain: true, .. }) => return Some(self.image.flat(s)),
                Some(_) => return None,
                None if end == 0 => return None,
                None => {}
            }
        }
    }

    /// The image's regular file at `path`, when only the image decides what shows there.
    fn image_file(&self, path: &VPath) -> Option<&FlatFile> {
        match self.quick(path) {
            Quick::Image(Some(Flat::File(f)), _) => Some(f),
            _ => None,
        }
    }

    pub(crate) fn find(&self, path: &VPath) -> std::result::Result<Found<'_>, ErrorKind> {
        self.find_from(path, self.quick(path))
    }

    /// `find`, given what `quick` said about `path`, for callers that look at it first.
    fn find_from<'a>(
        &'a self,
        path: &VPath,
        quick: Quick<'a>,
    ) -> std::result::Result<Found<'a>, ErrorKind> {
        match quick {
            Quick::Image(Some(Flat::File(f)), _) => {
                return Ok(Found {
                    upper: None,
                    lower: Some(Low::File(f.layer, f.ino)),
                })
            }
            // Absent from the image, and the parent is a directory: of the container layer, or
            // of the image (a path with no parent component in the container layer).
            Quick::Image(None, true) | Quick::NotFound => return Err(ErrorKind::NotFound),
            Quick::Image(None, false) => {
                let s = path.as_str();
                let parent = &s[..last_slash(s)];
                if matches!(self.image.flat(parent), Some(Flat::Dir)) {
                    return Err(ErrorKind::NotFound);
                }
            }
            Quick::Upper(f) => return Ok(f),
            Quick::Image(..) | Quick::UpperDir | Quick::Slow => {}
        }
        let root_lower = if self.upper.root.opaque {
            None
        } else {
            Some(self.image.root())
        };
        let mut cur = Found {
            upper: Some(Up::Dir(&self.upper.root)),
            lower: root_lower.map(Low::Dir),
        };
        for comp in path.components() {
            let (up_dir, low_dir) = match (cur.upper, cur.lower) {
                (Some(Up::Dir(u)), Some(Low::Dir(l))) => (Some(u), Some(l)),
                (Some(Up::Dir(u)), _) => (Some(u), None),
                (None, Some(Low::Dir(l))) => (None, Some(l)),
                _ => return Err(ErrorKind::NotADirectory),
            };
            let uc = up_dir.and_then(|d| d.children.get(comp));
            // The lower side matters only where the upper side lacks the name or merges a
            // directory with it; looking it up lazily spares a string-keyed search per level.
            let lc = || low_dir.and_then(|d| d.children.get(comp));
            cur = match uc {
                Some(Node::Whiteout) => return Err(ErrorKind::NotFound),
                Some(Node::Dir(ud)) => {
                    let below = if ud.opaque {
                        None
                    } else if let Some(r) = &ud.redirect {
                        self.image.lookup(r)
                    } else {
                        lc()
                    };
                    let below = below.and_then(MNode::as_dir).map(Low::Dir);
                    Found {
                        upper: Some(Up::Dir(ud)),
                        lower: below,
                    }
                }
                Some(Node::File(ino)) => Found {
                    upper: Some(Up::File(*ino)),
                    lower: None,
                },
                Some(Node::Symlink(ino)) => Found {
                    upper: Some(Up::Symlink(*ino)),
                    lower: None,
                },
                None => match lc() {
                    Some(m) => Found {
                        upper: None,
                        lower: Some(Low::of(m)),
                    },
                    None => return Err(ErrorKind::NotFound),
                },
            };
        }
        Ok(cur)
    }

    fn found(&self, op: &'static str, path: &VPath) -> Result<Found<'_>> {
        self.find(path)
            .map_err(|k| Error::new(k, op, path.as_str()))
    }

    /// The lower entry that would show at `path` if the container layer had nothing at that
    /// name: what decides whether removing the name needs a whiteout (the kernel's
    /// `ovl_lower_positive`).
    pub(crate) fn lower_at(&self, path: &VPath) -> Option<Low<'_>> {
        match self.image_below(path) {
            Some(Some(Flat::File(f))) => return Some(Low::File(f.layer, f.ino)),
            Some(None) => return None,
            _ => {}
        }
        let parent = path.parent()?;
        let name = path.name()?;
        match self.find(&parent).ok()?.lower? {
            Low::Dir(d) => d.children.get(name).map(Low::of),
            _ => None,
        }
    }

    /// Where image layer `layer` made its inode `ino` when the inode has several names: the
    /// name whose tar entry carried the data (the others are hard-link entries), or, for a
    /// layer not read from a tar, the first name in path order (where the exporter puts it).
    pub(crate) fn first_name_in_layer(&self, layer: u32, ino: Ino) -> Option<VPath> {
        let l = self.image.layers().get(layer as usize)?;
        if l.nlink(ino) < 2 {
            return None;
        }
        if let Some(at) = l.made_at_of(ino) {
            return Some(at.clone());
        }
        l.walk()
            .into_iter()
            .find(|(_, n)| matches!(n, Node::File(i) | Node::Symlink(i) if *i == ino))
            .map(|(p, _)| p)
    }

    /// The path under which the image's layers hold what shows at `path`: `path` itself,
    /// unless a directory on the way is redirected (`redirect_dir=on`), which merges with the
    /// lower directory its redirect names, so that what lies below it is that directory's.
    pub(crate) fn lower_path(&self, path: &VPath) -> VPath {
        let mut low = VPath::root();
        let mut up = Some(&self.upper.root);
        for comp in path.components() {
            let node = up.and_then(|d| d.children.get(comp));
            up = node.and_then(Node::as_dir);
            low = match up.and_then(|d| d.redirect.as_ref()) {
                Some(r) => r.clone(),
                None => match low.join(comp) {
                    Ok(p) => p,
                    Err(_) => return path.clone(),
                },
            };
        }
        low
    }

    /// For a file or symlink in the container layer that was copied up, the lower layer and
    /// path it came from, where the kernel keeps showing its lower inode number (see
    /// `origins`).
    pub(crate) fn copied_up_from(&self, path: &VPath) -> Option<(u32, &VPath)> {
        match self.find(path).ok()? {
            Found {
                upper: Some(Up::File(ino) | Up::Symlink(ino)),
                ..
            } => self.origin_of(ino),
            _ => None,
        }
    }

    /// For an inode of the container layer that was copied up, the lower layer and path it
    /// came from.
    pub(crate) fn origin_of(&self, ino: Ino) -> Option<(u32, &VPath)> {
        let (layer, p) = self.origins.get(usize::try_from(ino).ok()?)?.as_ref()?;
        Some((*layer, p))
    }

    /// True when something is visible at `path`.
    pub fn exists(&self, path: &VPath) -> bool {
        self.find(path).is_ok()
    }

    /// True when `index=on` has recorded a copy-up of the lower inode `(layer, ino)`.
    pub(crate) fn index_has(&self, layer: u32, ino: Ino) -> bool {
        self.index.get(layer, ino).is_some()
    }

    fn lower_inode(&self, layer: u32, ino: Ino) -> Option<&FileInode> {
        if self.opts.index {
            if let Some(u) = self.index.get(layer, ino) {
                return self.indexed_inode(*u);
            }
        }
        self.image.inode(layer, ino)
    }

    /// An upper inode that `index=on` recorded: in the container layer, or kept by the index
    /// after its last upper name went.
    fn indexed_inode(&self, u: Ino) -> Option<&FileInode> {
        self.upper.inodes.get(&u).or_else(|| self.orphans.get(&u))
    }

    pub(crate) fn file_inode(&self, f: &Found<'_>) -> Option<&FileInode> {
        match (f.upper, f.lower) {
            (Some(Up::File(ino)), _) => self.upper.inodes.get(&ino),
            (None, Some(Low::File(l, ino))) => self.lower_inode(l, ino),
            _ => None,
        }
    }

    /// The target of a symlink of the merged view (`None` for anything else).
    fn link_target<'a>(&'a self, f: &Found<'a>) -> Option<&'a str> {
        let inode = match (f.upper, f.lower) {
            (Some(Up::Symlink(ino)), _) => self.upper.inodes.get(&ino),
            (None, Some(Low::Symlink(l, ino))) => self.lower_inode(l, ino),
            _ => None,
        };
        inode?.target.as_deref()
    }

    /// `lstat`: what is at `path`, without following a final symlink.
    pub fn stat(&self, path: &VPath) -> Result<Stat> {
        if let Some(f) = self.image_file(path) {
            // An inode already copied up for another name (index=on) shows the upper inode;
            // a lower hard link counts its names as the index keeps them (index=on).
            if !(self.opts.index && (f.nlink > 1 || self.index.get(f.layer, f.ino).is_some())) {
                return Ok(Stat {
                    file_type: FileType::File,
                    mode: f.meta.mode,
                    uid: f.meta.uid,
                    gid: f.meta.gid,
                    mtime: f.meta.mtime,
                    size: f.size,
                    nlink: f.nlink.max(1),
                    layer: f.layer as usize,
                    ino: display_ino(u64::from(f.layer), f.ino),
                    target: None,
                });
            }
        }
        let f = self.found("stat", path)?;
        let c = self.container_layer();
        let dir_stat = |meta: Meta, layer: usize, ino: u64, nlink: u32| Stat {
            file_type: FileType::Dir,
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            mtime: meta.mtime,
            size: 4096,
            nlink,
            layer,
            ino,
            target: None,
        };
        let synthetic = path_ino(path);
        Ok(match (f.upper, f.lower) {
            // Like the kernel's ovl_getattr: a directory merged from more than one layer
            // reports one link ("nlink=1 seems to pacify find"); others count their
            // subdirectories as their file system does.
            (Some(Up::Dir(d)), Some(Low::Dir(_))) => dir_stat(d.meta, c, synthetic, 1),
            (Some(Up::Dir(d)), _) => {
                let subdirs = d
                    .children
                    .values()
                    .filter(|n| matches!(n, Node::Dir(_)))
                    .count();
                dir_stat(d.meta, c, synthetic, 2 + subdirs as u32)
            }
            (None, Some(Low::Dir(d))) => {
                let nlink = if d.layers.len() > 1 {
                    1
                } else {
                    2 + d.children.values().filter(|m| m.as_dir().is_some()).count() as u32
                };
                dir_stat(d.meta, Low::Dir(d).layer() as usize, synthetic, nlink)
            }
            (Some(Up::File(ino) | Up::Symlink(ino)), _) => {
                let mut st = self.file_stat(c, c as u64, ino, &self.upper)?;
                if let Some(n) = self.indexed_nlink(ino) {
                    st.nlink = n;
                }
                st
            }
            (None, Some(Low::File(l, ino) | Low::Symlink(l, ino))) => {
                match self.index.get(l, ino).filter(|_| self.opts.index) {
                    Some(u) => {
                        let inode = self.indexed_inode(*u).ok_or_else(|| {
                            Error::new(ErrorKind::NotFound, "stat", path.as_str())
                        })?;
                        let mut st = inode_stat(inode, c, c as u64, *u);
                        if let Some(n) = self.indexed_nlink(*u) {
                            st.nlink = n;
                        }
                        st
                    }
                    None => {
                        let layer = self.image.layers().get(l as usize).ok_or_else(|| {
                            Error::new(ErrorKind::NotFound, "stat", path.as_str())
                        })?;
                        let mut st = self.file_stat(l as usize, l as u64, ino, layer)?;
                        // The kernel indexes a lower hard link before it removes or replaces
                        // one of its names (ovl_nlink_start), so its count follows the names
                        // even before any copy-up.
                        if self.opts.index && st.nlink > 1 {
                            st.nlink = self.lower_nlink(l, ino, 0);
                        }
                        st
                    }
                }
            }
            (None, None) => dir_stat(Meta::default(), c, synthetic, 2),
        })
    }

    /// index=on: the link count of the copied-up inode `uino`, as the kernel keeps it for an
    /// indexed inode: its names in the container layer plus the names of its lower inode that
    /// still show it (not removed, renamed or replaced through the container). The kernel
    /// starts from the lower file system's count, so names that upper image layers hide (a
    /// whiteout or another entry over them) count too: no operation on the overlay can reach
    /// them to take them off. `None` when `uino` is not indexed.
    fn indexed_nlink(&self, uino: Ino) -> Option<u32> {
        if !self.opts.index {
            return None;
        }
        let (l, ino) = self.index.key_of(uino)?;
        let upper = self.indexed_inode(uino).map_or(0, |i| i.nlink);
        Some(self.lower_nlink(l, ino, upper))
    }

    /// index=on: the link count of the image inode `(l, ino)` with `upper` names in the
    /// container layer: those, the names its layer has that upper image layers hide, and its
    /// image names that still show it, at their own paths or moved with a directory renamed
    /// under redirect_dir=on.
    fn lower_nlink(&self, l: u32, ino: Ino, upper: u32) -> u32 {
        let in_layer = self
            .image
            .layers()
            .get(l as usize)
            .map_or(0, |layer| layer.nlink(ino));
        let in_view = self.image.link_names(l, ino).count() as u32;
        let hidden = in_layer.saturating_sub(in_view);
        let mut shown: Vec<VPath> = Vec::new();
        for p in self.image.link_names(l, ino) {
            shown.push(p.clone());
            if self.opts.redirect_dir {
                self.redirected_paths(p, &mut shown);
            }
        }
        // The crate's one sort, not the standard library's (one more instantiation in the wasm).
        crate::sort::sort(&mut shown);
        shown.dedup();
        let lower = shown
            .iter()
            .filter(|p| {
                matches!(
                    self.find(p),
                    Ok(Found {
                        upper: None,
                        lower: Some(Low::File(pl, pi) | Low::Symlink(pl, pi)),
                    }) if pl == l && pi == ino
                )
            })
            .count() as u32;
        (upper + hidden + lower).max(1)
    }

    /// The paths where a directory of the container layer with a redirect would show the
    /// lower path `p`: for each one that redirects to an ancestor of `p`, `p` moved along.
    fn redirected_paths(&self, p: &VPath, out: &mut Vec<VPath>) {
        fn walk(d: &Dir, at: &VPath, p: &VPath, out: &mut Vec<VPath>) {
            for (name, node) in &d.children {
                let Node::Dir(sub) = node else { continue };
                let Ok(here) = at.join(name) else { continue };
                if let Some(r) = &sub.redirect {
                    if p.starts_with(r) && p != r {
                        let moved = format!("{here}{}", &p.as_str()[r.as_str().len()..]);
                        if let Ok(m) = VPath::parse(&moved) {
                            out.push(m);
                        }
                    }
                }
                walk(sub, &here, p, out);
            }
        }
        walk(&self.upper.root, &VPath::root(), p, out);
    }

    fn file_stat(&self, layer: usize, lid: u64, ino: Ino, in_layer: &Layer) -> Result<Stat> {
        let inode = in_layer
            .inodes
            .get(&ino)
            .ok_or_else(|| Error::without_path(ErrorKind::NotFound, "stat", "dangling inode"))?;
        Ok(inode_stat(inode, layer, lid, ino))
    }

    /// The content of the regular file at `path`.
    pub fn read(&self, path: &VPath) -> Result<Blob> {
        let f = self.found("read", path)?;
        if f.is_dir() {
            return Err(Error::new(ErrorKind::IsADirectory, "read", path.as_str()));
        }
        self.file_inode(&f)
            .map(|i| i.data.clone())
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "read", path.as_str()))
    }

    /// The target of the symlink at `path`.
    pub fn readlink(&self, path: &VPath) -> Result<String> {
        let f = self.found("readlink", path)?;
        match self.link_target(&f) {
            Some(t) => Ok(t.to_string()),
            None => Err(Error::new(
                ErrorKind::InvalidInput,
                "readlink",
                path.as_str(),
            )),
        }
    }

    /// The merged listing of the directory at `path`: every layer's names, duplicates dropped,
    /// whiteouts and what they hide left out, sorted by name.
    ///
    /// The names are borrowed from the container layer's tree and the image's merged view, so a
    /// listing allocates one vector however many names it holds; a caller that changes the
    /// container while it walks the listing copies the names first.
    pub fn readdir(&self, path: &VPath) -> Result<Vec<(&str, FileType)>> {
        let f = self.found("readdir", path)?;
        let (up, low) = match (f.upper, f.lower) {
            (Some(Up::Dir(u)), Some(Low::Dir(l))) => (Some(u), Some(l)),
            (Some(Up::Dir(u)), _) => (Some(u), None),
            (None, Some(Low::Dir(l))) => (None, Some(l)),
            _ => {
                return Err(Error::new(
                    ErrorKind::NotADirectory,
                    "readdir",
                    path.as_str(),
                ))
            }
        };
        // Both sides are sorted by name: one merge pass, the upper side winning on equal names
        // and its whiteouts dropping the lower name, gives the sorted listing directly.
        let name = String::as_str;
        let out = match (up, low) {
            // Loops rather than collects: each collect compiled the vector's growth once more
            // for its own iterator type.
            (None, Some(l)) => {
                let mut out = Vec::with_capacity(l.children.len());
                for (n, m) in l.children.iter() {
                    out.push((name(n), Low::of(m).file_type()));
                }
                out
            }
            (Some(u), None) => {
                let mut out = Vec::with_capacity(u.children.len());
                for (n, node) in u.children.iter() {
                    if !matches!(node, Node::Whiteout) {
                        out.push((name(n), node.file_type()));
                    }
                }
                out
            }
            (Some(u), Some(l)) => {
                let mut out = Vec::with_capacity(l.children.len() + u.children.len());
                let mut ui = u.children.iter().peekable();
                let mut li = l.children.iter().peekable();
                loop {
                    let order = match (ui.peek(), li.peek()) {
                        (Some((un, _)), Some((ln, _))) => un.cmp(ln),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => break,
                    };
                    if order == std::cmp::Ordering::Equal {
                        li.next();
                    }
                    if order == std::cmp::Ordering::Greater {
                        if let Some((n, m)) = li.next() {
                            out.push((name(n), Low::of(m).file_type()));
                        }
                    } else if let Some((n, node)) = ui.next() {
                        if !matches!(node, Node::Whiteout) {
                            out.push((name(n), node.file_type()));
                        }
                    }
                }
                out
            }
            (None, None) => Vec::new(),
        };
        Ok(out)
    }

    /// True when the directory at `path` shows no children.
    fn is_empty_dir(&self, path: &VPath) -> Result<bool> {
        Ok(self.readdir(path)?.is_empty())
    }

    /// Resolves `raw` (absolute, or relative to `cwd`) through the union, following symlinks in
    /// every component and, when `follow_last`, in the last one. Symlinks resolve inside the
    /// union, never above its root; more than 40 hops is ELOOP. The last component need not
    /// exist; every one before it must be a directory.
    pub fn resolve(&self, cwd: &VPath, raw: &str, follow_last: bool) -> Result<VPath> {
        const MAX_HOPS: usize = 40;
        let err = |k: ErrorKind| Error::new(k, "resolve", raw);
        if raw.is_empty() {
            return Err(err(ErrorKind::NotFound));
        }
        if raw.len() > PATH_MAX {
            return Err(err(ErrorKind::NameTooLong));
        }
        if raw.as_bytes().contains(&0) {
            return Err(err(ErrorKind::InvalidInput));
        }
        // A stack of components still to walk, the next one last.
        let mut todo: Vec<String> = Vec::new();
        push_components_reversed(&mut todo, raw);
        let trailing_slash = raw.ends_with('/');
        let mut cur = if raw.starts_with('/') {
            VPath::root()
        } else {
            cwd.clone()
        };
        let mut hops = 0;
        while let Some(comp) = todo.pop() {
            match comp.as_str() {
                "." => continue,
                ".." => {
                    cur = cur.parent().unwrap_or_else(VPath::root);
                    continue;
                }
                _ => {}
            }
            if comp.len() > NAME_MAX {
                return Err(err(ErrorKind::NameTooLong));
            }
            // The current directory must be one.
            match self.find(&cur) {
                Ok(f) if f.is_dir() => {}
                Ok(_) => return Err(err(ErrorKind::NotADirectory)),
                Err(k) => return Err(err(k)),
            }
            let next = match cur.join(&comp) {
                Ok(p) => p,
                // A `.wh.` name cannot exist in the union; looking it up finds nothing, and
                // creating it is refused where the name is checked for creation.
                Err(e) if e.kind() == ErrorKind::InvalidInput && todo.is_empty() => {
                    return Err(e);
                }
                Err(e) if e.kind() == ErrorKind::InvalidInput => {
                    return Err(err(ErrorKind::NotFound))
                }
                Err(e) => return Err(e),
            };
            let last = todo.is_empty();
            let follow = !last || follow_last || trailing_slash;
            if follow {
                if let Some(target) = self.find(&next).ok().and_then(|f| self.link_target(&f)) {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(err(ErrorKind::Loop));
                    }
                    if target.is_empty() {
                        return Err(err(ErrorKind::NotFound));
                    }
                    if target.starts_with('/') {
                        cur = VPath::root();
                    }
                    push_components_reversed(&mut todo, target);
                    continue;
                }
            }
            cur = next;
        }
        if trailing_slash {
            if let Ok(f) = self.find(&cur) {
                if !f.is_dir() {
                    return Err(err(ErrorKind::NotADirectory));
                }
            }
        }
        Ok(cur)
    }

    // ----- the write side: helpers --------------------------------------------------------------

    fn parent_of(&self, op: &'static str, path: &VPath) -> Result<VPath> {
        let parent = path
            .parent()
            .ok_or_else(|| Error::new(ErrorKind::Busy, op, path.as_str()))?;
        // Whether the parent is a directory is known from the container layer or the image's
        // path index in the common cases, without the full walk.
        let is_dir = match self.quick(&parent) {
            Quick::UpperDir | Quick::Image(Some(Flat::Dir), _) => true,
            Quick::Image(Some(_), _) | Quick::Upper(_) => false,
            _ => self.found(op, &parent)?.is_dir(),
        };
        if !is_dir {
            return Err(Error::new(ErrorKind::NotADirectory, op, path.as_str()));
        }
        Ok(parent)
    }

    /// Copies up every missing directory from the root down to `dir`, each with its lower
    /// metadata, before anything inside it changes.
    fn copy_up_dirs(&mut self, dir: &VPath, why: &VPath) -> Result<()> {
        if matches!(self.ix_at(dir.as_str()), Some(Ix::Dir { .. })) {
            return Ok(());
        }
        // The leading directories the container layer already has need nothing: skip them
        // without building their paths.
        let (mut up, mut skip, mut end) = (&self.upper.root, 0, 0);
        for comp in dir.components() {
            match up.children.get(comp) {
                Some(Node::Dir(d)) => {
                    up = d;
                    skip += 1;
                    end += 1 + comp.len();
                }
                _ => break,
            }
        }
        if skip == dir.depth() {
            return Ok(());
        }
        let mut at = if end == 0 {
            VPath::root()
        } else {
            VPath::parse(&dir.as_str()[..end])?
        };
        for comp in dir.components().skip(skip) {
            at = at.join(comp)?;
            let f = self.found("copy-up", &at)?;
            match (f.upper, f.lower) {
                (Some(Up::Dir(_)), _) => continue,
                (None, Some(Low::Dir(m))) => {
                    let meta = m.meta;
                    let from = Low::Dir(m).layer() as usize;
                    let new = Dir::new(meta);
                    self.put(&at, Node::Dir(new))?;
                    let msg = self.sentence(&[
                        Part::S("copy-up: directory "),
                        Part::S(at.as_str()),
                        Part::S(" created in the container layer with the metadata it has in "),
                        Part::Layer(from),
                        Part::S(", so that "),
                        Part::S(why.as_str()),
                        Part::S(" can change inside it"),
                    ]);
                    let c = self.container_layer();
                    self.emit(
                        EventKind::CopyUp,
                        &at,
                        None,
                        Layers::two(from, c),
                        0,
                        true,
                        msg,
                    );
                }
                _ => return Err(Error::new(ErrorKind::NotADirectory, "copy-up", at.as_str())),
            }
        }
        Ok(())
    }

    /// Makes sure `path` itself lives in the container layer, copying it up (its parents first)
    /// when it is only in the image. `meta_only` asks for a metadata-only copy of a regular file,
    /// which happens only with `metacopy=on`. `reason` finishes the event's sentence.
    fn copy_up(&mut self, path: &VPath, meta_only: bool, reason: &'static str) -> Result<()> {
        self.copy_up_with(path, meta_only, reason, None)
    }

    /// `copy_up`, given the image's entry for `path` when the caller already looked it up and
    /// only the image decides what shows there.
    fn copy_up_with(
        &mut self,
        path: &VPath,
        meta_only: bool,
        reason: &'static str,
        known: Option<FlatFile>,
    ) -> Result<()> {
        // The image's path index answers for an image-only file in one walk of the container
        // layer, and holds what the copy needs; anything else takes the full lookup.
        let image_file = match known {
            Some(f) => Some(f),
            None => self.image_file(path).cloned(),
        };
        let f = match &image_file {
            Some(ff) => Found {
                upper: None,
                lower: Some(Low::File(ff.layer, ff.ino)),
            },
            None => self.found("copy-up", path)?,
        };
        if f.upper.is_some() {
            if !meta_only {
                self.copy_up_data(path, reason)?;
            }
            return Ok(());
        }
        let Some(low) = f.lower else { return Ok(()) };
        let parent = path.parent().unwrap_or_else(VPath::root);
        let from = low.layer() as usize;
        let c = self.container_layer();
        match low {
            Low::Dir(m) => {
                let meta = m.meta;
                self.copy_up_dirs(&parent, path)?;
                let new = Dir::new(meta);
                self.put(path, Node::Dir(new))?;
                let msg = format!(
                    "copy-up: directory {path} created in the container layer with the metadata it has in {} {reason}",
                    self.layer_name(from)
                );
                self.emit(
                    EventKind::CopyUp,
                    path,
                    None,
                    Layers::two(from, c),
                    0,
                    true,
                    msg,
                );
            }
            Low::File(l, ino) | Low::Symlink(l, ino) => {
                // A symlink is copied up as a file is (its target for its data), hard links
                // and the index included, as the kernel does; only regular files have
                // metadata-only copies.
                let is_link = matches!(low, Low::Symlink(..));
                let meta_only = meta_only && !is_link;
                let node_of = |ino: Ino| {
                    if is_link {
                        Node::Symlink(ino)
                    } else {
                        Node::File(ino)
                    }
                };
                let indexed = if self.opts.index {
                    self.index.get(l, ino).copied()
                } else {
                    None
                };
                // The image's path index holds what a copy-up needs of an image-only file,
                // sparing two searches of the layer's inode table.
                let flat = match &image_file {
                    Some(f) if !self.opts.index && f.layer == l && f.ino == ino => Some(f),
                    _ => None,
                };
                let (lower_nlink, inode) = match flat {
                    Some(f) => (f.nlink, FileInode::new(f.meta, f.data.clone())),
                    None => {
                        let nlink = self
                            .image
                            .layers()
                            .get(l as usize)
                            .map_or(1, |layer| layer.nlink(ino));
                        let inode = self.lower_inode(l, ino).cloned().ok_or_else(|| {
                            Error::new(ErrorKind::NotFound, "copy-up", path.as_str())
                        })?;
                        (nlink, inode)
                    }
                };
                self.copy_up_dirs(&parent, path)?;
                if let Some(uino) = indexed {
                    // An inode the index kept after its last upper name went comes back.
                    if let Some(i) = self.orphans.remove(&uino) {
                        if !i.metacopy {
                            self.upper_bytes += i.data.len();
                        }
                        self.upper.inodes.insert(uino, i);
                    }
                    self.put(path, node_of(uino))?;
                    let msg = format!(
                        "copy-up: {path} is linked to the inode already copied up for another name of the same lower file (index=on keeps hard links together) {reason}"
                    );
                    self.emit(
                        EventKind::CopyUp,
                        path,
                        None,
                        Layers::two(from, c),
                        0,
                        true,
                        msg,
                    );
                    if !meta_only && !is_link {
                        self.copy_up_data(path, reason)?;
                    }
                    return Ok(());
                }
                let size = inode.data.len();
                let meta_only = meta_only && self.opts.metacopy;
                if !meta_only {
                    self.check_bytes(path, self.upper_bytes + size)?;
                }
                let mut new = FileInode::new(inode.meta, inode.data);
                new.target = inode.target;
                new.metacopy = meta_only;
                let link_bytes = new.target.as_ref().map_or(0, |t| t.len() as u64);
                let uino = self.upper.add_inode(new);
                // The kernel shows the lower inode number only where the copy cannot have
                // split a hard link (ovl_getattr: a lower inode with one name, or one the index
                // keeps); a split name shows its new upper inode.
                if lower_nlink < 2 || self.opts.index {
                    // Numbers come from `add_inode`, dense from 1: the vector grows by one.
                    if let Ok(i) = usize::try_from(uino) {
                        if i >= self.origins.len() {
                            self.origins.resize(i + 1, None);
                        }
                        self.origins[i] = Some((l, path.clone()));
                    }
                }
                if !meta_only {
                    self.upper_bytes += size;
                }
                self.put(path, node_of(uino))?;
                let msg = if is_link {
                    Sentence::Text(format!(
                        "copy-up: symlink {path} copied from {} into the container layer {reason}",
                        self.layer_name(from)
                    ))
                } else if meta_only {
                    Sentence::Text(format!(
                        "copy-up: only the metadata of {path} was copied from {} into the container layer (metacopy=on); its {} of data stay below until it is opened for writing",
                        self.layer_name(from),
                        human_bytes(size)
                    ))
                } else {
                    Sentence::CopyUp { reason }
                };
                let bytes = if is_link {
                    link_bytes
                } else if meta_only {
                    0
                } else {
                    size
                };
                self.emit(
                    EventKind::CopyUp,
                    path,
                    None,
                    Layers::two(from, c),
                    bytes,
                    meta_only,
                    msg,
                );
                if lower_nlink > 1 {
                    if self.opts.index {
                        self.index.insert(l, ino, uino);
                    } else {
                        let msg = format!(
                            "hardlink-break: {path} had {lower_nlink} names in {}; the copy in the container layer is a new inode, so the other names no longer see its changes (index=off)",
                            self.layer_name(from)
                        );
                        self.emit(
                            EventKind::HardlinkBreak,
                            path,
                            None,
                            Layers::two(from, c),
                            0,
                            false,
                            msg,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// With `metacopy=on`, brings the data of a metadata-only copy up on its first open for write.
    fn copy_up_data(&mut self, path: &VPath, reason: &'static str) -> Result<()> {
        let Ok(Found {
            upper: Some(Up::File(ino)),
            ..
        }) = self.find(path)
        else {
            return Ok(());
        };
        let Some(inode) = self.upper.inodes.get(&ino) else {
            return Ok(());
        };
        if !inode.metacopy {
            return Ok(());
        }
        let size = inode.data.len();
        self.check_bytes(path, self.upper_bytes + size)?;
        if let Some(i) = self.upper.inodes.get_mut(&ino) {
            i.metacopy = false;
        }
        self.upper_bytes += size;
        let from = self.lower_at(path).map_or(0, |l| l.layer() as usize);
        let c = self.container_layer();
        let msg = format!(
            "copy-up: the data of {path} ({}) follows its metadata into the container layer {reason}",
            human_bytes(size)
        );
        self.emit(
            EventKind::CopyUp,
            path,
            None,
            Layers::two(from, c),
            size,
            false,
            msg,
        );
        Ok(())
    }

    fn check_bytes(&self, path: &VPath, total: u64) -> Result<()> {
        if total > self.limits.max_bytes {
            return Err(
                Error::new(ErrorKind::NoSpace, "write", path.as_str()).with_detail(format!(
                    "the container layer would hold {}; the limit is {}",
                    human_bytes(total),
                    human_bytes(self.limits.max_bytes)
                )),
            );
        }
        Ok(())
    }

    /// Puts `node` at `path` in the container layer (its parent must already be there),
    /// replacing what was there, and keeps the link counts, totals and path index true.
    fn put(&mut self, path: &VPath, node: Node) -> Result<()> {
        let name = path
            .name()
            .ok_or_else(|| Error::new(ErrorKind::Busy, "put", path.as_str()))?;
        let parent = parent_str(path);
        let parent_plain = matches!(self.ix_at(parent), Some(Ix::Dir { plain: true, .. }));
        // The index knows whether the name is taken; the tree is searched once, to insert.
        let exists = self.uindex.contains_key(path.as_str());
        if !exists && self.upper_entries >= self.limits.max_entries {
            return Err(
                Error::new(ErrorKind::NoSpace, "create", path.as_str()).with_detail(format!(
                    "the container layer already holds {} entries, the limit",
                    self.limits.max_entries
                )),
            );
        }
        let Layer { root, inodes, .. } = &mut self.upper;
        let dir = dir_in_mut(root, parent).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                "put",
                if parent.is_empty() { "/" } else { parent },
            )
        })?;
        let added = count_nodes(&node);
        if let Node::File(ino) | Node::Symlink(ino) = &node {
            if let Some(i) = inodes.get_mut(ino) {
                i.nlink += 1;
            }
            if let Ok(i) = usize::try_from(*ino) {
                if self.file_born.len() <= i {
                    self.file_born.resize(i + 1, 0);
                }
                if self.file_born[i] == 0 {
                    self.born += 1;
                    self.file_born[i] = self.born;
                }
            }
        }
        // The index follows: what was under the old entry goes, then the new subtree comes in.
        let slot = if exists {
            dir.children.get_mut(name)
        } else {
            None
        };
        let old = match slot {
            Some(slot) => {
                if let Node::Dir(d) = slot {
                    unindex_children(&mut self.uindex, &mut path.as_str().to_string(), d);
                }
                index_into(
                    &mut self.uindex,
                    path.as_str(),
                    &node,
                    parent_plain,
                    &mut self.born,
                    false,
                );
                Some(std::mem::replace(slot, node))
            }
            None => {
                // When the index says the name is free, nothing at or under it is indexed.
                index_into(
                    &mut self.uindex,
                    path.as_str(),
                    &node,
                    parent_plain,
                    &mut self.born,
                    !exists,
                );
                dir.children.insert(name.to_string(), node)
            }
        };
        self.upper_entries += added;
        if let Some(old) = old {
            self.release(old);
        }
        Ok(())
    }

    /// Takes the entry at `path` out of the container layer (with its subtree).
    fn take(&mut self, path: &VPath) -> Option<Node> {
        let name = path.name()?;
        let node = dir_in_mut(&mut self.upper.root, parent_str(path))?
            .children
            .remove(name)?;
        let mut at = path.as_str().to_string();
        if let Node::Dir(d) = &node {
            unindex_children(&mut self.uindex, &mut at, d);
        }
        self.uindex.remove(at.as_str());
        Some(node)
    }

    /// Indexes the entry at `path` and its subtree again, after its flags or metadata changed
    /// in place.
    fn reindex(&mut self, path: &VPath) {
        let Some(name) = path.name() else { return };
        let parent = parent_str(path);
        let parent_plain = matches!(self.ix_at(parent), Some(Ix::Dir { plain: true, .. }));
        let Some(node) = dir_in(&self.upper.root, parent).and_then(|d| d.children.get(name)) else {
            return;
        };
        // A directory whose plainness stayed as it was needs only its own entry changed (a
        // chmod), not its whole subtree.
        if let (Node::Dir(d), Some(Ix::Dir { plain, meta, .. })) =
            (node, self.uindex.get_mut(path.as_str()))
        {
            if *plain == (parent_plain && !d.opaque && d.redirect.is_none()) {
                *meta = d.meta;
                return;
            }
        }
        index_into(
            &mut self.uindex,
            path.as_str(),
            node,
            parent_plain,
            &mut self.born,
            false,
        );
    }

    /// Accounts for a subtree that left the container layer.
    fn release(&mut self, node: Node) {
        self.upper_entries = self.upper_entries.saturating_sub(count_nodes(&node));
        let mut files = Vec::new();
        collect_files(&node, &mut files);
        for ino in files {
            let gone = match self.upper.inodes.get_mut(&ino) {
                Some(i) => {
                    i.nlink = i.nlink.saturating_sub(1);
                    i.nlink == 0
                }
                None => false,
            };
            if gone {
                if let Some(o) = usize::try_from(ino)
                    .ok()
                    .and_then(|i| self.origins.get_mut(i))
                {
                    *o = None;
                }
                if let Some(i) = self.upper.inodes.remove(&ino) {
                    if !i.metacopy {
                        self.upper_bytes = self.upper_bytes.saturating_sub(i.data.len());
                    }
                    // index=on: the kernel's index still links the inode, and lower names of
                    // it that were never copied up keep showing it (seen on kernel 6.18).
                    if self.opts.index && self.index.key_of(ino).is_some() {
                        self.orphans.insert(ino, i);
                        continue;
                    }
                }
                if let Some(b) = usize::try_from(ino)
                    .ok()
                    .and_then(|i| self.file_born.get_mut(i))
                {
                    *b = 0;
                }
                self.index.forget(ino);
            }
        }
    }

    /// Metadata for a new entry at `path`. As on Linux, an entry made in a set-group-ID
    /// directory takes the directory's group, and a new directory there keeps the bit.
    fn new_meta(&self, path: &VPath, mode: u32, is_dir: bool) -> Meta {
        let mut meta = Meta::new(mode, self.clock);
        if path.is_root() {
            return meta;
        }
        // Callers have copied the parent up, and a directory of the container layer shows its
        // own metadata: no full lookup is needed for it.
        let parent = match self.ix_at(parent_str(path)) {
            Some(Ix::Dir { meta, .. }) => Some((meta.mode, meta.gid)),
            _ => path
                .parent()
                .and_then(|p| self.stat(&p).ok())
                .map(|s| (s.mode, s.gid)),
        };
        if let Some((_, gid)) = parent.filter(|(mode, _)| mode & 0o2000 != 0) {
            meta.gid = gid;
            if is_dir {
                meta.mode |= 0o2000;
            }
        }
        meta
    }

    /// True when the container layer holds a whiteout at `path` (a new entry replaces it).
    fn over_whiteout(&self, path: &VPath) -> bool {
        matches!(self.uindex.get(path.as_str()), Some(Ix::Whiteout))
    }

    /// Makes sure the parent of `path`, a name about to be created, is a directory of the
    /// container layer: ENOTDIR (or the lookup's error) when the merged view has no directory
    /// there, else the missing directories are copied up. A parent the container layer already
    /// has is known to be a visible directory from one walk of the container layer.
    fn parent_ready(&mut self, op: &'static str, path: &VPath) -> Result<()> {
        if !path.is_root() && matches!(self.ix_at(parent_str(path)), Some(Ix::Dir { .. })) {
            return Ok(());
        }
        let parent = self.parent_of(op, path)?;
        self.copy_up_dirs(&parent, path)
    }

    fn check_new_name(&self, op: &'static str, path: &VPath) -> Result<()> {
        match path.name() {
            Some(n) => check_name(n, "/").map_err(|e| Error::new(e.kind(), op, path.as_str())),
            None => Err(Error::new(ErrorKind::AlreadyExists, op, path.as_str())),
        }
    }

    // ----- the write side: operations ---------------------------------------------------------

    /// `open(2)` with the given flags; `mode` (umask already applied) is used when the file is
    /// created. Opening for write or with `O_TRUNC` copies a lower file up, even if nothing is
    /// written; a read-only open changes nothing.
    pub fn open(&mut self, path: &VPath, flags: OpenFlags, mode: u32) -> Result<Vec<Event>> {
        let start = self.events.len();
        self.open_inner(path, flags, mode)?;
        Ok(self.since(start))
    }

    /// `open` without collecting the events: the container-layer inode of the regular file
    /// when the container layer holds it after the call (always after an open for write or
    /// with `O_TRUNC`), so that a write can follow without another lookup.
    fn open_inner(&mut self, path: &VPath, flags: OpenFlags, mode: u32) -> Result<Option<Ino>> {
        let quick = self.quick(path);
        let known = match &quick {
            Quick::Image(Some(Flat::File(f)), _) => Some(f.clone()),
            _ => None,
        };
        // A name absent from both sides whose parent is a plain directory of the container
        // layer: the parent is ready and no whiteout is replaced.
        let plain_new = matches!(quick, Quick::Image(None, true));
        match self.find_from(path, quick) {
            Ok(f) => {
                if flags.create && flags.excl {
                    return Err(Error::new(ErrorKind::AlreadyExists, "open", path.as_str()));
                }
                if f.is_dir() {
                    if flags.write || flags.truncate {
                        return Err(Error::new(ErrorKind::IsADirectory, "open", path.as_str()));
                    }
                    return Ok(None);
                }
                if f.file_type() == FileType::Symlink {
                    // Callers resolve symlinks first; a dangling one is opened by creating its
                    // target, which they do by resolving again.
                    return Err(Error::new(ErrorKind::Loop, "open", path.as_str()));
                }
                let upper = match f.upper {
                    Some(Up::File(ino)) => Some(ino),
                    _ => None,
                };
                if !(flags.write || flags.truncate) {
                    return Ok(upper);
                }
                // A container-layer file with its data there needs no copy-up: `copy_up` would
                // only look it up again to find nothing to do.
                let ino = match upper {
                    Some(ino) if self.upper.inodes.get(&ino).is_some_and(|i| !i.metacopy) => ino,
                    _ => {
                        self.copy_up_with(path, false, "before it is opened for writing", known)?;
                        self.upper_file(path).ok_or_else(|| {
                            Error::new(ErrorKind::InvalidInput, "open", path.as_str())
                        })?
                    }
                };
                if flags.truncate {
                    self.set_data(path, ino, Blob::empty(), EventKind::Truncate)?;
                }
                Ok(Some(ino))
            }
            Err(ErrorKind::NotFound) if flags.create => {
                self.check_new_name("open", path)?;
                if !plain_new {
                    self.parent_ready("open", path)?;
                }
                let replaced = !plain_new && self.over_whiteout(path);
                let ino = self.upper.add_inode(FileInode::new(
                    self.new_meta(path, mode, false),
                    Blob::empty(),
                ));
                if let Err(e) = self.put(path, Node::File(ino)) {
                    // Nothing names the new inode: it goes.
                    self.upper.inodes.remove(&ino);
                    return Err(e);
                }
                let c = self.container_layer();
                let msg = if replaced {
                    Sentence::Text(format!("create: {path} created in the container layer; it replaces the whiteout that hid the lower {path}"))
                } else {
                    Sentence::Create
                };
                self.emit(EventKind::Create, path, None, Layers::one(c), 0, false, msg);
                Ok(Some(ino))
            }
            Err(k) => Err(Error::new(k, "open", path.as_str())),
        }
    }

    /// Replaces the data of the container-layer file `ino` (at `path`) and records `kind`: a
    /// write (of the bytes added at the end) or a truncate.
    fn set_data(&mut self, path: &VPath, ino: Ino, data: Blob, kind: EventKind) -> Result<()> {
        let Some(inode) = self.upper.inodes.get(&ino) else {
            return Err(Error::new(ErrorKind::InvalidInput, "write", path.as_str()));
        };
        let old = if inode.metacopy { 0 } else { inode.data.len() };
        let new_len = data.len();
        self.check_bytes(path, self.upper_bytes - old + new_len)?;
        let clock = self.clock;
        let bytes = if let Some(i) = self.upper.inodes.get_mut(&ino) {
            let written = if kind == EventKind::Write {
                new_len.saturating_sub(i.data.len())
            } else {
                new_len
            };
            i.data = data;
            i.metacopy = false;
            i.meta.mtime = clock;
            written
        } else {
            0
        };
        self.upper_bytes = self.upper_bytes - old + new_len;
        let c = self.container_layer();
        let msg = match kind {
            EventKind::Truncate => Sentence::Text(format!(
                "truncate: {path} set to {} in the container layer",
                human_bytes(new_len)
            )),
            _ => Sentence::Write,
        };
        self.emit(kind, path, None, Layers::one(c), bytes, false, msg);
        Ok(())
    }

    /// Appends `data` to the container-layer file `ino` at `path` (nothing for no data).
    fn write_at_end(&mut self, path: &VPath, ino: Ino, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let old = self
            .upper
            .inodes
            .get(&ino)
            .map(|i| i.data.clone())
            .unwrap_or_else(Blob::empty);
        let mut bytes = Vec::with_capacity(old.bytes().len() + data.len());
        bytes.extend_from_slice(old.bytes());
        bytes.extend_from_slice(data);
        self.set_data(path, ino, Blob::new(bytes), EventKind::Write)
    }

    /// Appends `data` to the file at `path` (opening it for write first, which copies it up).
    pub fn append(&mut self, path: &VPath, data: &[u8]) -> Result<Vec<Event>> {
        let start = self.events.len();
        let flags = OpenFlags {
            write: true,
            ..OpenFlags::default()
        };
        let ino = self
            .open_inner(path, flags, 0o644)?
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "write", path.as_str()))?;
        self.write_at_end(path, ino, data)?;
        Ok(self.since(start))
    }

    /// Writes a whole file: creates it (mode 0644) or truncates it, then writes `data`; with
    /// `append` the data goes at the end instead.
    pub fn write_file(&mut self, path: &VPath, data: &[u8], append: bool) -> Result<Vec<Event>> {
        let start = self.events.len();
        let flags = OpenFlags {
            write: true,
            create: true,
            excl: false,
            truncate: !append,
        };
        let ino = self
            .open_inner(path, flags, 0o644)?
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "write", path.as_str()))?;
        self.write_at_end(path, ino, data)?;
        Ok(self.since(start))
    }

    /// `truncate(2)`: sets the length of a file, copying it up first.
    pub fn truncate(&mut self, path: &VPath, len: u64) -> Result<Vec<Event>> {
        let start = self.events.len();
        let f = self.found("truncate", path)?;
        if f.is_dir() {
            return Err(Error::new(
                ErrorKind::IsADirectory,
                "truncate",
                path.as_str(),
            ));
        }
        if len > self.limits.max_bytes {
            return Err(Error::new(ErrorKind::FileTooBig, "truncate", path.as_str()));
        }
        self.copy_up(path, false, "before it is truncated")?;
        let old = self.read(path)?;
        let mut bytes = old.bytes().to_vec();
        bytes.resize(len as usize, 0);
        let ino = self
            .upper_file(path)
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "write", path.as_str()))?;
        self.set_data(path, ino, Blob::new(bytes), EventKind::Truncate)?;
        Ok(self.since(start))
    }

    /// `mkdir(2)`. Over a whiteout the new directory is opaque, so the deleted lower directory's
    /// children stay hidden (`rm -rf d; mkdir d` gives an empty, opaque `d`).
    pub fn mkdir(&mut self, path: &VPath, mode: u32) -> Result<Vec<Event>> {
        let start = self.events.len();
        if self.exists(path) {
            return Err(Error::new(ErrorKind::AlreadyExists, "mkdir", path.as_str()));
        }
        self.check_new_name("mkdir", path)?;
        let parent = self.parent_of("mkdir", path)?;
        self.copy_up_dirs(&parent, path)?;
        let over_whiteout = self.over_whiteout(path);
        // With redirect_dir, metacopy or index on, the kernel also marks a new directory in a
        // merged directory opaque (ovl_create_upper: "just an optimization", skipped only when
        // offline changes to the lower layers are allowed, i.e. with all three off).
        let offline_changes_allowed =
            !(self.opts.redirect_dir || self.opts.metacopy || self.opts.index);
        let parent_merged = self.find(&parent).ok().is_some_and(|f| f.lower.is_some());
        let opaque = over_whiteout || (!offline_changes_allowed && parent_merged);
        let dir = Dir {
            opaque,
            ..Dir::new(self.new_meta(path, mode, true))
        };
        self.put(path, Node::Dir(dir))?;
        let c = self.container_layer();
        self.emit(
            EventKind::Mkdir,
            path,
            None,
            Layers::one(c),
            0,
            false,
            Sentence::Mkdir,
        );
        if opaque {
            let below = self.lower_at(path).map(|l| l.layer() as usize);
            let layers = match below {
                Some(b) => Layers::two(c, b),
                None => Layers::one(c),
            };
            let msg = if over_whiteout {
                format!(
                    "opaque: {path} replaces a whiteout, so it is marked opaque and nothing the lower layers have under {path} shows through"
                )
            } else {
                format!(
                    "opaque: {path} is new in a merged directory; with redirect_dir, metacopy or index on, overlayfs marks it opaque so that lookups below it never search the lower layers"
                )
            };
            self.emit(EventKind::Opaque, path, None, layers, 0, false, msg);
        }
        Ok(self.since(start))
    }

    /// Removes the name at `path`: a container-only entry just goes; an entry the image has
    /// leaves a whiteout.
    fn remove_name(
        &mut self,
        op: &'static str,
        path: &VPath,
        known: Option<(usize, Option<u64>)>,
    ) -> Result<()> {
        if path.is_root() {
            return Err(Error::new(ErrorKind::Busy, op, path.as_str()));
        }
        let c = self.container_layer();
        let below = match known.or_else(|| {
            self.image_file(path)
                .map(|f| (f.layer as usize, Some(f.size)))
        }) {
            Some(b) => Some(b),
            None => self.lower_at(path).map(|low| {
                let size = match low {
                    Low::File(l, ino) => self.image.inode(l, ino).map(|i| i.data.len()),
                    _ => None,
                };
                (low.layer() as usize, size)
            }),
        };
        if let Some((from, size)) = below {
            self.parent_ready(op, path)?;
            self.put(path, Node::Whiteout)?;
            let msg = match size {
                Some(size) => Sentence::Whiteout { size },
                None => Sentence::Text(format!(
                    "whiteout: {path} of {} is hidden by a whiteout in the container layer; the image still holds it",
                    self.layer_name(from)
                )),
            };
            self.emit(
                EventKind::Whiteout,
                path,
                None,
                Layers::two(from, c),
                0,
                false,
                msg,
            );
        } else if self
            .upper
            .get(path)
            .is_some_and(|n| !matches!(n, Node::Whiteout))
        {
            if let Some(old) = self.take(path) {
                self.release(old);
            }
            self.emit(
                EventKind::Remove,
                path,
                None,
                Layers::one(c),
                0,
                false,
                Sentence::Remove,
            );
        }
        Ok(())
    }

    /// `unlink(2)`.
    pub fn unlink(&mut self, path: &VPath) -> Result<Vec<Event>> {
        let start = self.events.len();
        // What the image shows there, when only the image decides, serves the whiteout too.
        let quick = self.quick(path);
        let known = match &quick {
            Quick::Image(Some(Flat::File(f)), _) => Some((f.layer as usize, Some(f.size))),
            _ => None,
        };
        let f = self
            .find_from(path, quick)
            .map_err(|k| Error::new(k, "unlink", path.as_str()))?;
        if f.is_dir() {
            return Err(Error::new(ErrorKind::IsADirectory, "unlink", path.as_str()));
        }
        self.remove_name("unlink", path, known)?;
        Ok(self.since(start))
    }

    /// `rmdir(2)`: ENOTEMPTY while any child is visible; a directory the image has becomes a
    /// whiteout.
    pub fn rmdir(&mut self, path: &VPath) -> Result<Vec<Event>> {
        let start = self.events.len();
        if path.is_root() {
            return Err(Error::new(ErrorKind::Busy, "rmdir", path.as_str()));
        }
        let f = self.found("rmdir", path)?;
        if !f.is_dir() {
            return Err(Error::new(ErrorKind::NotADirectory, "rmdir", path.as_str()));
        }
        if !self.is_empty_dir(path)? {
            return Err(Error::new(ErrorKind::NotEmpty, "rmdir", path.as_str()));
        }
        self.remove_name("rmdir", path, None)?;
        Ok(self.since(start))
    }

    /// `rename(2)`. A lower or merged directory fails with EXDEV unless `redirect_dir=on`; a
    /// lower file is copied up first and its old name whited out.
    pub fn rename(&mut self, from: &VPath, to: &VPath) -> Result<Vec<Event>> {
        let start = self.events.len();
        // A lower file that only the image decides is looked up once for the whole rename.
        let quick = self.quick(from);
        let known = match &quick {
            Quick::Image(Some(Flat::File(f)), _) => Some(f.clone()),
            _ => None,
        };
        let src = self
            .find_from(from, quick)
            .map_err(|k| Error::new(k, "rename", from.as_str()))?;
        if from.is_root() || to.is_root() {
            return Err(Error::new(ErrorKind::Busy, "rename", from.as_str()));
        }
        let to_parent = self.parent_of("rename", to)?;
        let src_dir = src.is_dir();
        let src_has_lower = src.lower.is_some() || src.upper.is_none();
        let dst = self.find(to).ok();
        let dst_dir = dst.map(|d| d.is_dir());
        if from == to {
            return Ok(Vec::new());
        }
        // Two names of one inode: rename(2) does nothing and succeeds. Upper names of one
        // inode are one overlay inode; lower names of one lower inode are one only with
        // index=on (with index=off each lower name gets an inode of its own, and the rename
        // goes ahead).
        if let Some(dst) = dst {
            if self.same_file_inode(&src, &dst) {
                return Ok(Vec::new());
            }
        }
        if src_dir && to.starts_with(from) {
            return Err(Error::new(ErrorKind::InvalidInput, "rename", from.as_str()));
        }
        // The VFS refuses a target that is an ancestor of the source with ENOTEMPTY, before it
        // looks at the types (`rename d/f d` is ENOTEMPTY, not EISDIR).
        if from.starts_with(to) {
            return Err(Error::new(ErrorKind::NotEmpty, "rename", to.as_str()));
        }
        if let Some(dst_is_dir) = dst_dir {
            match (src_dir, dst_is_dir) {
                (true, false) => {
                    return Err(Error::new(ErrorKind::NotADirectory, "rename", to.as_str()))
                }
                (false, true) => {
                    return Err(Error::new(ErrorKind::IsADirectory, "rename", to.as_str()))
                }
                _ => {}
            }
        }
        // ovl_rename refuses to move a lower or merged directory (EXDEV) before it checks that
        // the directory it would replace is empty (ENOTEMPTY).
        if src_dir && src_has_lower && !self.opts.redirect_dir {
            return Err(Error::new(ErrorKind::CrossDevice, "rename", from.as_str()).with_detail(
                "overlayfs cannot rename a directory that lower layers have unless redirect_dir=on",
            ));
        }
        if src_dir && dst_dir == Some(true) && !self.is_empty_dir(to)? {
            // ovl_rename checks a merged or lower target itself, before any change. A target
            // only the container layer has is left to the upper filesystem's rename, which
            // fails only after ovl_rename has copied the source up and marked it (a redirect,
            // or opaque): the failed rename leaves those behind (seen on kernel 6.18).
            let dst_pure_upper = self.find(to).ok().is_some_and(|f| f.lower.is_none());
            if dst_pure_upper {
                self.rename_prepare_dir(from, to, &to_parent, src_has_lower)?;
            }
            return Err(Error::new(ErrorKind::NotEmpty, "rename", to.as_str()));
        }
        self.check_new_name("rename", to)?;
        let c = self.container_layer();
        let from_parent = from.parent().unwrap_or_else(VPath::root);
        self.copy_up_dirs(&from_parent, from)?;
        self.copy_up_dirs(&to_parent, to)?;
        let old_below = match &known {
            Some(f) => Some(f.layer as usize),
            None => self.lower_at(from).map(|l| l.layer() as usize),
        };
        let mut redirected = None;
        if src_dir && src_has_lower {
            // redirect_dir=on: the directory is copied up empty and remembers where it came from:
            // the lower directory's own path, which differs from `from` below a directory
            // renamed before (the kernel's ovl_get_redirect builds it from the ancestors'
            // redirects).
            let lower = self.lower_path(from);
            self.copy_up(from, true, "so that it can be renamed")?;
            if let Some(Node::Dir(d)) = self.upper_node_mut(from) {
                redirected = Some(d.redirect.get_or_insert(lower).clone());
            }
            self.reindex(from);
        } else if !src_dir {
            self.copy_up_with(from, self.opts.metacopy, "so that it can be renamed", known)?;
        }
        // Only a directory that lands in a merged directory is marked opaque.
        let to_parent_merged = src_dir
            && self
                .find(&to_parent)
                .ok()
                .is_some_and(|f| f.lower.is_some());
        // The moved entries keep their inodes, so their places in the creation order too.
        let borns = self.borns_under(from);
        let Some(mut node) = self.take(from) else {
            return Err(Error::new(ErrorKind::NotFound, "rename", from.as_str()));
        };
        let mut made_opaque = false;
        if let Node::Dir(d) = &mut node {
            if redirected.is_none() && !d.opaque && d.redirect.is_none() && to_parent_merged {
                d.opaque = true;
                made_opaque = true;
            }
        }
        // `put` accounts for the node again; undo the count `take` left in place.
        self.upper_entries = self.upper_entries.saturating_sub(count_nodes(&node));
        if let Node::File(ino) | Node::Symlink(ino) = &node {
            if let Some(i) = self.upper.inodes.get_mut(ino) {
                i.nlink = i.nlink.saturating_sub(1);
            }
        }
        self.put(to, node)?;
        self.set_borns(to, borns);
        let msg = Sentence::Rename;
        self.emit(
            EventKind::Rename,
            from,
            Some(to),
            Layers::one(c),
            0,
            false,
            msg,
        );
        if let Some(r) = redirected {
            let msg = format!(
                "redirect: {to} is marked with a redirect to {r}, so it keeps merging with the lower directory it was renamed from (redirect_dir=on)"
            );
            self.emit(
                EventKind::Redirect,
                to,
                Some(from),
                Layers::one(c),
                0,
                false,
                msg,
            );
        }
        if made_opaque {
            let msg = format!(
                "opaque: {to} is marked opaque where it lands, so that no lower directory of the same name merges into it"
            );
            self.emit(EventKind::Opaque, to, None, Layers::one(c), 0, false, msg);
        }
        if let Some(l) = old_below {
            self.put(from, Node::Whiteout)?;
            let msg = Sentence::WhiteoutLeft;
            self.emit(
                EventKind::Whiteout,
                from,
                None,
                Layers::two(l, c),
                0,
                false,
                msg,
            );
        }
        Ok(self.since(start))
    }

    /// What ovl_rename does to a directory it is about to move, before the upper filesystem's
    /// rename runs: parents copied up, then a lower or merged directory copied up with a
    /// redirect to where it is, or a container-only directory marked opaque where it would
    /// land in a merged directory.
    fn rename_prepare_dir(
        &mut self,
        from: &VPath,
        to: &VPath,
        to_parent: &VPath,
        src_has_lower: bool,
    ) -> Result<()> {
        let from_parent = from.parent().unwrap_or_else(VPath::root);
        self.copy_up_dirs(&from_parent, from)?;
        self.copy_up_dirs(to_parent, to)?;
        let c = self.container_layer();
        if src_has_lower {
            // The lower directory's own path, as `rename` marks it.
            let lower = self.lower_path(from);
            self.copy_up(from, true, "so that it can be renamed")?;
            let mut marked = None;
            if let Some(Node::Dir(d)) = self.upper_node_mut(from) {
                if d.redirect.is_none() {
                    d.redirect = Some(lower.clone());
                    marked = Some(lower);
                }
            }
            self.reindex(from);
            if let Some(r) = marked {
                let msg = format!(
                    "redirect: {from} is marked with a redirect to {r} before the rename is tried (redirect_dir=on); the mark stays although the rename fails"
                );
                self.emit(
                    EventKind::Redirect,
                    from,
                    None,
                    Layers::one(c),
                    0,
                    false,
                    msg,
                );
            }
        } else {
            let to_parent_merged = self.find(to_parent).ok().is_some_and(|f| f.lower.is_some());
            let mut marked = false;
            if let Some(Node::Dir(d)) = self.upper_node_mut(from) {
                if !d.opaque && d.redirect.is_none() && to_parent_merged {
                    d.opaque = true;
                    marked = true;
                }
            }
            self.reindex(from);
            if marked {
                let msg = format!(
                    "opaque: {from} is marked opaque before it is moved into the merged directory {to_parent}; the mark stays although the rename fails"
                );
                self.emit(EventKind::Opaque, from, None, Layers::one(c), 0, false, msg);
            }
        }
        Ok(())
    }

    /// True when two regular files (or two symlinks) of the merged view are one overlay inode.
    fn same_file_inode(&self, a: &Found<'_>, b: &Found<'_>) -> bool {
        let id = |f: &Found<'_>| -> Option<(bool, u32, Ino)> {
            match (f.upper, f.lower) {
                (Some(Up::File(ino) | Up::Symlink(ino)), _) => Some((true, 0, ino)),
                (None, Some(Low::File(l, ino) | Low::Symlink(l, ino))) => {
                    match self.index.get(l, ino).filter(|_| self.opts.index) {
                        Some(u) => Some((true, 0, *u)),
                        None if self.opts.index => Some((false, l, ino)),
                        None => None,
                    }
                }
                _ => None,
            }
        };
        matches!((id(a), id(b)), (Some(x), Some(y)) if x == y)
    }

    fn upper_node_mut(&mut self, path: &VPath) -> Option<&mut Node> {
        let name = path.name()?;
        dir_in_mut(&mut self.upper.root, parent_str(path))?
            .children
            .get_mut(name)
    }

    /// The container-layer inode of the regular file at `path`, if the container layer has
    /// one there (reached through its own directories only).
    /// Where the container layer's entry at `path` stands in the order in which the container
    /// layer made its entries (the upper file system's inode order, which GNU cp walks a
    /// directory by); `None` for a name the container layer does not hold. A renamed entry
    /// keeps its place, and hard links share one.
    pub(crate) fn made_order(&self, path: &VPath) -> Option<u64> {
        match self.uindex.get(path.as_str())? {
            Ix::Dir { born, .. } => Some(*born),
            Ix::File(ino) | Ix::Symlink(ino) => usize::try_from(*ino)
                .ok()
                .and_then(|i| self.file_born.get(i).copied())
                .filter(|b| *b != 0),
            Ix::Whiteout => None,
        }
    }

    /// The places in the creation order of the directories at and under `path` in the
    /// container layer, by their paths relative to it (files and symlinks keep theirs with
    /// their inodes).
    fn borns_under(&self, path: &VPath) -> Vec<(String, u64)> {
        fn walk(ix: &UIndex, d: &Dir, at: &mut String, skip: usize, out: &mut Vec<(String, u64)>) {
            for (name, child) in &d.children {
                let len = at.len();
                at.push('/');
                at.push_str(name);
                if let Some(Ix::Dir { born, .. }) = ix.get(at.as_str()) {
                    out.push((at[skip..].to_string(), *born));
                }
                if let Node::Dir(sub) = child {
                    walk(ix, sub, at, skip, out);
                }
                at.truncate(len);
            }
        }
        let mut out = Vec::new();
        if let Some(Ix::Dir { born, .. }) = self.uindex.get(path.as_str()) {
            out.push((String::new(), *born));
            let node = path
                .name()
                .and_then(|n| dir_in(&self.upper.root, parent_str(path))?.children.get(n));
            if let Some(Node::Dir(d)) = node {
                let mut at = path.as_str().to_string();
                walk(&self.uindex, d, &mut at, path.as_str().len(), &mut out);
            }
        }
        out
    }

    /// Gives the entries at and under `path` the places `borns_under` collected.
    fn set_borns(&mut self, path: &VPath, borns: Vec<(String, u64)>) {
        for (rel, b) in borns {
            let key = format!("{path}{rel}");
            if let Some(Ix::Dir { born, .. }) = self.uindex.get_mut(key.as_str()) {
                *born = b;
            }
        }
    }

    fn upper_file(&self, path: &VPath) -> Option<Ino> {
        match self.uindex.get(path.as_str())? {
            Ix::File(ino) => Some(*ino),
            _ => None,
        }
    }

    /// `link(2)`: a new name for the file at `old`, which is copied up first.
    pub fn link(&mut self, old: &VPath, new: &VPath) -> Result<Vec<Event>> {
        let start = self.events.len();
        // linkat(2) looks up the old name, then creates the new one (ENOENT, ENOTDIR, EEXIST),
        // and only then refuses a directory (EPERM): `ln d existing` is EEXIST.
        let f = self.found("link", old)?;
        let parent = self.parent_of("link", new)?;
        if self.exists(new) {
            return Err(Error::new(ErrorKind::AlreadyExists, "link", new.as_str()));
        }
        if f.is_dir() {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "link",
                old.as_str(),
            ));
        }
        self.check_new_name("link", new)?;
        // Linking is no write: with metacopy=on the kernel copies the source up metadata-only.
        self.copy_up(
            old,
            self.opts.metacopy,
            "because it is the source of a hard link",
        )?;
        self.copy_up_dirs(&parent, new)?;
        let node = self
            .upper
            .get(old)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "link", old.as_str()))?;
        self.put(new, node)?;
        let c = self.container_layer();
        let msg = format!("link: {new} is a new name for {old} in the container layer");
        self.emit(
            EventKind::Link,
            new,
            Some(old),
            Layers::one(c),
            0,
            false,
            msg,
        );
        Ok(self.since(start))
    }

    /// `symlink(2)`: a symlink at `path` pointing at `target`.
    pub fn symlink(&mut self, target: &str, path: &VPath) -> Result<Vec<Event>> {
        let start = self.events.len();
        if self.exists(path) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                "symlink",
                path.as_str(),
            ));
        }
        if target.is_empty() {
            return Err(Error::new(ErrorKind::NotFound, "symlink", path.as_str()));
        }
        if target.len() > PATH_MAX || target.as_bytes().contains(&0) {
            return Err(Error::new(ErrorKind::NameTooLong, "symlink", path.as_str()));
        }
        self.check_new_name("symlink", path)?;
        let parent = self.parent_of("symlink", path)?;
        self.copy_up_dirs(&parent, path)?;
        let meta = self.new_meta(path, 0o777, false);
        let ino = self
            .upper
            .add_inode(FileInode::symlink(meta, target.to_string()));
        if let Err(e) = self.put(path, Node::Symlink(ino)) {
            // Nothing names the new inode: it goes.
            self.upper.inodes.remove(&ino);
            return Err(e);
        }
        let c = self.container_layer();
        let msg = format!("symlink: {path} created in the container layer, pointing at {target}");
        self.emit(
            EventKind::Symlink,
            path,
            None,
            Layers::one(c),
            target.len() as u64,
            false,
            msg,
        );
        Ok(self.since(start))
    }

    fn change_meta(
        &mut self,
        op: &'static str,
        path: &VPath,
        kind: EventKind,
        what: String,
        f: impl Fn(&mut Meta),
    ) -> Result<Vec<Event>> {
        let start = self.events.len();
        self.found(op, path)?;
        let reason = match kind {
            EventKind::Chmod => "before its mode changes",
            EventKind::Chown => "before its owner changes",
            _ => "before its timestamp changes",
        };
        self.copy_up(path, self.opts.metacopy, reason)?;
        let meta = match self.upper_node_mut(path) {
            Some(Node::Dir(d)) => Some(&mut d.meta),
            Some(Node::File(ino) | Node::Symlink(ino)) => {
                let ino = *ino;
                self.upper.inodes.get_mut(&ino).map(|i| &mut i.meta)
            }
            _ if path.is_root() => Some(&mut self.upper.root.meta),
            _ => None,
        };
        if let Some(m) = meta {
            f(m);
        }
        self.reindex(path);
        let c = self.container_layer();
        self.emit(
            kind,
            path,
            None,
            Layers::one(c),
            0,
            false,
            format!("{}: {path} {what}", kind_name(kind)),
        );
        Ok(self.since(start))
    }

    /// `chmod(2)`: copies the entry up (data and all, unless `metacopy=on`), then sets the mode.
    pub fn chmod(&mut self, path: &VPath, mode: u32) -> Result<Vec<Event>> {
        let mode = mode & 0o7777;
        self.change_meta(
            "chmod",
            path,
            EventKind::Chmod,
            format!("now has mode {mode:04o}"),
            |m| m.mode = mode,
        )
    }

    /// `chown(2)`: copies the entry up, then sets owner and/or group.
    pub fn chown(
        &mut self,
        path: &VPath,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<Vec<Event>> {
        let what = match (uid, gid) {
            (Some(u), Some(g)) => format!("now belongs to {u}:{g}"),
            (Some(u), None) => format!("now belongs to user {u}"),
            (None, Some(g)) => format!("now belongs to group {g}"),
            (None, None) => "keeps its owner".to_string(),
        };
        self.change_meta("chown", path, EventKind::Chown, what, |m| {
            if let Some(u) = uid {
                m.uid = u;
            }
            if let Some(g) = gid {
                m.gid = g;
            }
        })
    }

    /// `utimes(2)`: copies the entry up, then sets its modification time.
    pub fn utimes(&mut self, path: &VPath, mtime: i64) -> Result<Vec<Event>> {
        self.change_meta(
            "utimes",
            path,
            EventKind::Utimes,
            format!("now has mtime {mtime}"),
            |m| m.mtime = mtime,
        )
    }

    /// The merged view flattened into one layer with no whiteouts: what `--merged-tar` writes.
    pub fn merged_layer(&self) -> Layer {
        let mut out = Layer::new();
        out.root.meta = self.stat(&VPath::root()).map_or(Meta::default(), |s| Meta {
            mode: s.mode,
            uid: s.uid,
            gid: s.gid,
            mtime: s.mtime,
        });
        // Names that share an inode in the view share one in the flattened layer too. Keyed
        // (layer, inode), the container layer by its place above the image's: the type of
        // `index`, so the wasm module carries its code once.
        let upper = self.container_layer() as u32;
        let mut inodes = InoIndex::default();
        let mut stack = vec![VPath::root()];
        while let Some(dir) = stack.pop() {
            let Ok(children) = self.readdir(&dir) else {
                continue;
            };
            for (name, _) in children {
                let Ok(p) = dir.join(name) else { continue };
                let Ok(f) = self.find(&p) else { continue };
                let node = match (f.upper, f.lower) {
                    (Some(Up::Dir(d)), _) => Node::Dir(Dir {
                        meta: d.meta,
                        ..Dir::default()
                    }),
                    (None, Some(Low::Dir(d))) => Node::Dir(Dir {
                        meta: d.meta,
                        ..Dir::default()
                    }),
                    (Some(Up::File(ino) | Up::Symlink(ino)), _) => {
                        let key = (upper, ino);
                        file_into(&mut out, &mut inodes, key, self.upper.inodes.get(&ino))
                    }
                    (None, Some(Low::File(l, ino) | Low::Symlink(l, ino))) => {
                        let (key, inode) = match self.index.get(l, ino).filter(|_| self.opts.index)
                        {
                            Some(u) => ((upper, *u), self.indexed_inode(*u)),
                            None => ((l, ino), self.image.inode(l, ino)),
                        };
                        file_into(&mut out, &mut inodes, key, inode)
                    }
                    (None, None) => continue,
                };
                let is_dir = matches!(node, Node::Dir(_));
                if let Some(d) = out.dir_mut(&dir) {
                    d.children.insert(name.to_owned(), node);
                }
                if is_dir {
                    stack.push(p);
                }
            }
        }
        out.recount_links();
        out
    }
}

fn file_into(
    out: &mut Layer,
    inodes: &mut InoIndex,
    key: (u32, Ino),
    inode: Option<&FileInode>,
) -> Node {
    let node = |ino: Ino, link: bool| {
        if link {
            Node::Symlink(ino)
        } else {
            Node::File(ino)
        }
    };
    if let Some(ino) = inodes.get(key.0, key.1) {
        let link = out.inodes.get(ino).is_some_and(FileInode::is_symlink);
        return node(*ino, link);
    }
    let inode = inode
        .cloned()
        .unwrap_or_else(|| FileInode::new(Meta::new(0o644, 0), Blob::empty()));
    let mut new = FileInode::new(inode.meta, inode.data);
    new.target = inode.target;
    let link = new.is_symlink();
    let ino = out.add_inode(new);
    inodes.insert(key.0, key.1, ino);
    node(ino, link)
}

/// Inode numbers by (layer, inode number): the container-layer inode each lower inode was
/// copied up to (`index=on`), or a flattened layer's inode for each inode of the view.
///
/// Every layer numbers its inodes densely from 1 (`Layer::add_inode`), so each layer has a
/// vector indexed by inode number, 0 where there is none: a lookup is two indexings, and the
/// wasm module holds no B-tree for this key (its code was 9 KB; BENCHMARKS.md, "The page's
/// download, night (branch size5)"). Walks go in (layer, inode) order, as the map's did.
#[derive(Clone, Debug, Default)]
struct InoIndex(Vec<Vec<Ino>>);

impl InoIndex {
    /// The inode that inode `ino` of layer `layer` maps to.
    fn get(&self, layer: u32, ino: Ino) -> Option<&Ino> {
        let to = self
            .0
            .get(layer as usize)?
            .get(usize::try_from(ino).ok()?)?;
        (*to != 0).then_some(to)
    }

    /// Maps inode `ino` of layer `layer` to `to` (not 0). Layers are few and inode numbers
    /// small (they come from `Layer::add_inode`): the vectors grow to the largest ones.
    fn insert(&mut self, layer: u32, ino: Ino, to: Ino) {
        let (Ok(l), Ok(i)) = (usize::try_from(layer), usize::try_from(ino)) else {
            return;
        };
        if l >= self.0.len() {
            self.0.resize_with(l + 1, Vec::new);
        }
        let row = &mut self.0[l];
        if i >= row.len() {
            row.resize(i + 1, 0);
        }
        row[i] = to;
    }

    /// The first (layer, inode), in that order, that maps to `to`.
    fn key_of(&self, to: Ino) -> Option<(u32, Ino)> {
        if to == 0 {
            return None;
        }
        self.0.iter().enumerate().find_map(|(l, row)| {
            let i = row.iter().position(|&u| u == to)?;
            Some((l as u32, i as Ino))
        })
    }

    /// Drops every mapping to `to`.
    fn forget(&mut self, to: Ino) {
        for u in self.0.iter_mut().flatten() {
            if *u == to {
                *u = 0;
            }
        }
    }

    /// Drops every mapping.
    fn clear(&mut self) {
        self.0.clear();
    }
}

/// Records `node` at `at` and its subtree in the path index; `parent_plain` is the plainness
/// of the directory that holds it. A directory keeps the place in the creation order that its
/// entry already has; a new one takes `fresh` and moves it on (files and symlinks keep theirs
/// with their inodes).
///
/// `absent` promises that nothing at or under `at` is in the index yet (a new entry): each
/// entry is then inserted without probing for an old one first.
fn index_into(
    ix: &mut UIndex,
    at: &str,
    node: &Node,
    parent_plain: bool,
    fresh: &mut u64,
    absent: bool,
) {
    let slot = if absent { None } else { ix.get_mut(at) };
    let old = slot.as_deref().copied();
    let mut born = || match old {
        Some(Ix::Dir { born, .. }) => born,
        _ => {
            *fresh += 1;
            *fresh
        }
    };
    let entry = match node {
        Node::File(ino) => Ix::File(*ino),
        Node::Symlink(ino) => Ix::Symlink(*ino),
        Node::Whiteout => Ix::Whiteout,
        Node::Dir(d) => Ix::Dir {
            plain: parent_plain && !d.opaque && d.redirect.is_none(),
            meta: d.meta,
            born: born(),
        },
    };
    match slot {
        Some(e) => *e = entry,
        None => {
            ix.insert(at.into(), entry);
        }
    }
    if let (Node::Dir(d), Ix::Dir { plain, .. }) = (node, entry) {
        if d.children.is_empty() {
            return;
        }
        let mut child = String::with_capacity(at.len() + 16);
        for (name, sub) in &d.children {
            child.clear();
            child.push_str(at);
            child.push('/');
            child.push_str(name);
            index_into(ix, &child, sub, plain, fresh, absent);
        }
    }
}

/// Drops the entries under the directory `d` at `at` from the path index.
fn unindex_children(ix: &mut UIndex, at: &mut String, d: &Dir) {
    for (name, child) in &d.children {
        let len = at.len();
        at.push('/');
        at.push_str(name);
        ix.remove(at.as_str());
        if let Node::Dir(sub) = child {
            unindex_children(ix, at, sub);
        }
        at.truncate(len);
    }
}

/// A piece of an event's sentence.
enum Part<'a> {
    /// Text.
    S(&'a str),
    /// A layer's name, as [`Container::layer_name`] gives it.
    Layer(usize),
}

impl Container {
    /// An event's sentence from its pieces, in one allocation: the hot paths (create, write,
    /// copy-up, whiteout, rename) build theirs this way instead of through `format!` and the
    /// separate strings of `human_bytes` and `layer_name`.
    fn sentence(&self, parts: &[Part<'_>]) -> String {
        let len = parts
            .iter()
            .map(|p| match p {
                Part::S(s) => s.len(),
                Part::Layer(_) => 20,
            })
            .sum();
        let mut out = String::with_capacity(len);
        for p in parts {
            match p {
                Part::S(s) => out.push_str(s),
                Part::Layer(l) if *l == self.container_layer() => {
                    out.push_str("the container layer")
                }
                Part::Layer(l) => {
                    out.push_str("layer ");
                    push_u64(&mut out, *l as u64);
                }
            }
        }
        out
    }
}

/// The parent of `path` as a string, without allocating: `""` for `/` and its children.
fn parent_str(path: &VPath) -> &str {
    let s = path.as_str();
    &s[..last_slash(s)]
}

/// The directory at `dir` (a path string, `""` or `/` for the root) under `root`.
fn dir_in<'a>(root: &'a Dir, dir: &str) -> Option<&'a Dir> {
    let mut d = root;
    for c in dir
        .as_bytes()
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
    {
        d = d.children.get_bytes(c)?.as_dir()?;
    }
    Some(d)
}

/// The directory at `dir` under `root`, mutably.
fn dir_in_mut<'a>(root: &'a mut Dir, dir: &str) -> Option<&'a mut Dir> {
    let mut d = root;
    // Split at `/` bytes (a `str` pattern search costs more than the short names it finds).
    for c in dir
        .as_bytes()
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
    {
        d = d.children.get_mut_bytes(c)?.as_dir_mut()?;
    }
    Some(d)
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Chmod => "chmod",
        EventKind::Chown => "chown",
        _ => "utimes",
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + node
        .as_dir()
        .map_or(0, |d| d.children.values().map(count_nodes).sum())
}

/// Pushes the non-empty `/`-separated components of `path` onto `todo`, last first, so that
/// popping `todo` walks them in order: [`Container::resolve`]'s stack, for the path it is given
/// and for each symlink's target (one loop for both, rather than a collect and an extend).
fn push_components_reversed(todo: &mut Vec<String>, path: &str) {
    for c in path.split('/').rev() {
        if !c.is_empty() {
            todo.push(c.to_owned());
        }
    }
}

fn collect_files(node: &Node, out: &mut Vec<Ino>) {
    match node {
        Node::File(i) | Node::Symlink(i) => out.push(*i),
        Node::Dir(d) => d.children.values().for_each(|n| collect_files(n, out)),
        _ => {}
    }
}

/// The inode number `stat` shows for inode `ino` of layer `lid`: the layer number, then the
/// inode, so it is readable and unique across layers.
fn display_ino(lid: u64, ino: Ino) -> u64 {
    (lid + 1) * 1_000_000 + ino
}

/// A stable display inode number for entries that have no inode table (directories).
fn path_ino(path: &VPath) -> u64 {
    // FNV-1a: deterministic across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_str().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Small enough to read in `stat` and `ls -i`, large enough not to repeat in practice.
    (h >> 8) % 100_000_000 + 1
}

fn inode_stat(inode: &FileInode, layer: usize, lid: u64, ino: Ino) -> Stat {
    let (file_type, mode, size) = match &inode.target {
        // A symlink's mode is always 0777 on Linux; its size is its target's length.
        Some(t) => (FileType::Symlink, 0o777, t.len() as u64),
        None => (FileType::File, inode.meta.mode, inode.data.len()),
    };
    Stat {
        file_type,
        mode,
        uid: inode.meta.uid,
        gid: inode.meta.gid,
        mtime: inode.meta.mtime,
        size,
        nlink: inode.nlink.max(1),
        layer,
        ino: display_ino(lid, ino),
        target: inode.target.clone(),
    }
}

#[cfg(test)]
mod ino_index_tests {
    use super::InoIndex;

    /// The index answers as the `BTreeMap<(u32, Ino), Ino>` it replaced: lookups, the first
    /// key in (layer, inode) order for a value, and forgetting a value everywhere.
    #[test]
    fn ino_index_answers_as_the_map_it_replaced() {
        let mut ix = InoIndex::default();
        assert_eq!(ix.get(0, 1), None);
        ix.insert(2, 7, 40);
        ix.insert(0, 9, 41);
        ix.insert(1, 3, 40);
        assert_eq!(ix.get(2, 7), Some(&40));
        assert_eq!(ix.get(0, 9), Some(&41));
        assert_eq!(ix.get(2, 6), None);
        assert_eq!(ix.get(5, 7), None);
        assert_eq!(ix.get(0, u64::MAX), None);
        assert_eq!(ix.key_of(40), Some((1, 3)));
        assert_eq!(ix.key_of(41), Some((0, 9)));
        assert_eq!(ix.key_of(0), None);
        ix.forget(40);
        assert_eq!(ix.key_of(40), None);
        assert_eq!(ix.get(2, 7), None);
        assert_eq!(ix.get(0, 9), Some(&41));
        ix.clear();
        assert_eq!(ix.get(0, 9), None);
    }
}

#[cfg(test)]
mod rebase_tests {
    use super::*;

    /// A commit starts a new container layer whose inode numbers begin at 1 again: a file made
    /// there was not copied up, even when an inode of the old layer with its number was.
    #[test]
    fn a_file_made_after_a_commit_was_not_copied_up() {
        let p = |s: &str| VPath::parse(s).expect("path");
        let mut c0 = Container::new(Arc::new(Image::empty()), Options::default());
        c0.write_file(&p("/a"), b"x", false).expect("write");
        let lower = Arc::new(c0.merged_layer());
        let image = Arc::new(Image::new(vec![lower]).expect("image"));
        let mut c = Container::new(image.clone(), Options::default());
        c.append(&p("/a"), b"y").expect("append");
        assert_eq!(
            c.copied_up_from(&p("/a"))
                .map(|(l, from)| (l, from.as_str().to_owned())),
            Some((0, "/a".to_owned()))
        );
        c.rebase(image);
        c.write_file(&p("/b"), b"z", false).expect("write b");
        assert_eq!(c.copied_up_from(&p("/b")), None);
    }
}
