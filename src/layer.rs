//! Layers and their entries: regular files, directories (with the opaque flag), symlinks and
//! whiteouts. A layer is a tree; files point into the layer's inode table so that hard links
//! (two names, one inode) are explicit.

use crate::path::VPath;
use sha2::{Digest as _, Sha256};
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

/// An inode of a regular file or a symlink: metadata and content (a file's data, a symlink's
/// target). Several names may point at one inode: hard links of a file, and, as on Linux, hard
/// links of a symlink (`ln` without `-s` links the symlink itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInode {
    /// Ownership, mode and time (the mode of a symlink is always 0777 on Linux).
    pub meta: Meta,
    /// A regular file's content; empty for a symlink (its target is not file data, and sizes
    /// count file data only).
    pub data: Blob,
    /// A symlink's target, as written; `None` for a regular file.
    pub target: Option<String>,
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
            target: None,
            metacopy: false,
            nlink: 0,
        }
    }

    /// A symlink pointing at `target`, with `meta`, not yet linked into any directory.
    pub fn symlink(meta: Meta, target: String) -> FileInode {
        FileInode {
            target: Some(target),
            ..FileInode::new(meta, Blob::empty())
        }
    }

    /// True for a symlink's inode.
    pub fn is_symlink(&self) -> bool {
        self.target.is_some()
    }
}

/// A layer's inode table: regular files' and symlinks' inodes by number, in number order.
///
/// Inode numbers are handed out densely from 1 by [`Layer::add_inode`], so the table is a
/// vector indexed by number, with a hole where an inode went: a lookup is an index instead of
/// a B-tree search, and the wasm module holds no B-tree of inodes. It offers the part of
/// `BTreeMap<Ino, FileInode>`'s interface the crate uses, iterating in number order.
#[derive(Clone, Default)]
pub struct Inodes {
    slots: Vec<Option<FileInode>>,
    len: usize,
}

impl Inodes {
    /// An empty table.
    pub fn new() -> Inodes {
        Inodes::default()
    }

    /// The inode numbered `ino`.
    pub fn get(&self, ino: &Ino) -> Option<&FileInode> {
        self.slots.get(usize::try_from(*ino).ok()?)?.as_ref()
    }

    /// The inode numbered `ino`, mutably.
    pub fn get_mut(&mut self, ino: &Ino) -> Option<&mut FileInode> {
        self.slots.get_mut(usize::try_from(*ino).ok()?)?.as_mut()
    }

    /// True when the table holds an inode numbered `ino`.
    pub fn contains_key(&self, ino: &Ino) -> bool {
        self.get(ino).is_some()
    }

    /// Stores `inode` as number `ino`, returning the inode that had the number. Numbers are
    /// small (they come from [`Layer::add_inode`]): the table grows to the largest one.
    pub fn insert(&mut self, ino: Ino, inode: FileInode) -> Option<FileInode> {
        let i = usize::try_from(ino).unwrap_or(usize::MAX - 1);
        if i >= self.slots.len() {
            self.slots.resize_with(i.saturating_add(1), || None);
        }
        let old = self.slots[i].replace(inode);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Takes the inode numbered `ino` out of the table.
    pub fn remove(&mut self, ino: &Ino) -> Option<FileInode> {
        let old = self.slots.get_mut(usize::try_from(*ino).ok()?)?.take();
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Number of inodes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the table holds no inode.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops every inode.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.len = 0;
    }

    /// The inodes and their numbers, in number order.
    pub fn iter(&self) -> InodesIter<'_> {
        self.into_iter()
    }

    /// The inode numbers, in order.
    pub fn keys(&self) -> impl Iterator<Item = Ino> + '_ {
        self.iter().map(|(i, _)| i)
    }

    /// The inodes, in number order.
    pub fn values(&self) -> impl Iterator<Item = &FileInode> + '_ {
        self.slots.iter().filter_map(Option::as_ref)
    }

    /// The inodes, mutably, in number order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut FileInode> + '_ {
        self.slots.iter_mut().filter_map(Option::as_mut)
    }

    /// Keeps only the inodes for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(Ino, &mut FileInode) -> bool) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(inode) = slot {
                if !keep(i as Ino, inode) {
                    *slot = None;
                    self.len -= 1;
                }
            }
        }
    }
}

impl std::ops::Index<&Ino> for Inodes {
    type Output = FileInode;

    /// The inode numbered `ino`; panics when there is none, as `BTreeMap`'s index does.
    fn index(&self, ino: &Ino) -> &FileInode {
        self.get(ino).expect("no inode with that number")
    }
}

impl PartialEq for Inodes {
    /// Equal when they hold the same inodes under the same numbers (trailing holes aside).
    fn eq(&self, other: &Inodes) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Inodes {}

impl fmt::Debug for Inodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Inodes {
    type Item = (Ino, &'a FileInode);
    type IntoIter = InodesIter<'a>;

    fn into_iter(self) -> InodesIter<'a> {
        InodesIter {
            slots: self.slots.iter().enumerate(),
        }
    }
}

/// The inodes of an [`Inodes`] table and their numbers, in number order.
pub struct InodesIter<'a> {
    slots: std::iter::Enumerate<std::slice::Iter<'a, Option<FileInode>>>,
}

impl<'a> Iterator for InodesIter<'a> {
    type Item = (Ino, &'a FileInode);

    fn next(&mut self) -> Option<(Ino, &'a FileInode)> {
        self.slots
            .by_ref()
            .find_map(|(i, s)| Some((i as Ino, s.as_ref()?)))
    }
}

impl FromIterator<(Ino, FileInode)> for Inodes {
    fn from_iter<I: IntoIterator<Item = (Ino, FileInode)>>(iter: I) -> Inodes {
        let mut t = Inodes::new();
        for (ino, inode) in iter {
            t.insert(ino, inode);
        }
        t
    }
}

/// A name as a directory's children are keyed: ordered byte by byte (as `str` is), compared
/// by an inlined loop rather than a call to `memcmp`, which costs more than the comparison
/// itself for names of a few bytes. See [`Children`].
#[derive(Clone, PartialEq, Eq)]
pub struct Name(String);

/// A borrowed [`Name`], for lookups by `&str` with the same order.
#[derive(PartialEq, Eq)]
#[repr(transparent)]
pub struct NameRef([u8]);

impl NameRef {
    fn new(s: &str) -> &NameRef {
        NameRef::of_bytes(s.as_bytes())
    }

    fn of_bytes(b: &[u8]) -> &NameRef {
        // SAFETY: `NameRef` is a `repr(transparent)` wrapper of `[u8]`.
        unsafe { &*(b as *const [u8] as *const NameRef) }
    }
}

impl Ord for NameRef {
    #[inline]
    fn cmp(&self, other: &NameRef) -> std::cmp::Ordering {
        let (a, b) = (&self.0, &other.0);
        for (x, y) in a.iter().zip(b) {
            if x != y {
                return x.cmp(y);
            }
        }
        a.len().cmp(&b.len())
    }
}

impl PartialOrd for NameRef {
    fn partial_cmp(&self, other: &NameRef) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::borrow::Borrow<NameRef> for Name {
    fn borrow(&self) -> &NameRef {
        NameRef::new(&self.0)
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        NameRef::new(&self.0).cmp(NameRef::new(&other.0))
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::ops::Deref for Name {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The names of a [`Children`] and their slot numbers, sorted by name: a vector of runs
/// (chunks) of at most `2 * CHUNK` names each, every run after the one before it. Not generic,
/// so the wasm module holds one copy of its code whatever the children are, and much less of
/// it than a `BTreeMap`'s. A lookup is a binary search among the runs' last names, then one in
/// a run; an insertion moves at most one run's entries and, when the run splits, the runs'
/// headers, so filling a directory one name at a time in any order stays far from quadratic
/// (20 000 names are some 300 runs).
#[derive(Clone, Default)]
struct NameIndex {
    runs: Vec<Vec<Key>>,
    len: usize,
}

/// One name of a [`NameIndex`]: its first eight bytes as a number (see [`prefix`]), the name,
/// and its slot.
#[derive(Clone)]
struct Key(u64, Name, u32);

/// The first eight bytes of a name as a big-endian number, zeros after a shorter name's end.
/// When two names' prefixes differ, the names compare as their prefixes do (at the first byte
/// where the prefixes differ, either both names have a byte, or the one that has ended is a
/// prefix of the other and sorts first), so most comparisons of a search are one of integers,
/// without reading the names; equal prefixes fall back to comparing the names.
#[inline]
fn prefix(name: &[u8]) -> u64 {
    let mut p = [0u8; 8];
    let n = name.len().min(8);
    p[..n].copy_from_slice(&name[..n]);
    u64::from_be_bytes(p)
}

impl Key {
    #[inline]
    fn cmp_to(&self, p: u64, name: &NameRef) -> std::cmp::Ordering {
        self.0.cmp(&p).then_with(|| NameRef::new(&self.1).cmp(name))
    }
}

/// Half the most names a run holds: a full run splits into two of this many.
const CHUNK: usize = 64;

impl NameIndex {
    /// The run where `name` is or would go: the first whose last name is not below it, or the
    /// last run. `None` when there are no runs.
    #[inline]
    fn run_of(&self, p: u64, name: &NameRef) -> Option<usize> {
        if self.runs.len() <= 1 {
            return self.runs.len().checked_sub(1);
        }
        let r = self.runs.partition_point(|run| {
            run.last()
                .is_some_and(|k| k.cmp_to(p, name) == std::cmp::Ordering::Less)
        });
        Some(r.min(self.runs.len() - 1))
    }

    #[inline]
    fn find(&self, name: &NameRef) -> Option<(usize, Result<usize, usize>)> {
        let p = prefix(&name.0);
        let r = self.run_of(p, name)?;
        let run = self.runs.get(r)?;
        Some((r, run.binary_search_by(|k| k.cmp_to(p, name))))
    }

    #[inline]
    fn get(&self, name: &NameRef) -> Option<u32> {
        let (r, at) = self.find(name)?;
        Some(self.runs.get(r)?.get(at.ok()?)?.2)
    }

    /// The slot of `name`, given `next` first when the name is new.
    fn claim(&mut self, name: String, next: u32) -> u32 {
        let key = Key(prefix(name.as_bytes()), Name(name), next);
        let Some((r, at)) = self.find(NameRef::new(&key.1)) else {
            let mut run = Vec::with_capacity(8);
            run.push(key);
            self.runs.push(run);
            self.len = 1;
            return next;
        };
        let i = match at {
            Ok(i) => return self.runs[r][i].2,
            Err(i) => i,
        };
        let run = &mut self.runs[r];
        run.insert(i, key);
        self.len += 1;
        if run.len() >= 2 * CHUNK {
            let tail = run.split_off(CHUNK);
            self.runs.insert(r + 1, tail);
        }
        next
    }

    fn remove(&mut self, name: &NameRef) -> Option<u32> {
        let (r, at) = self.find(name)?;
        let i = at.ok()?;
        let run = &mut self.runs[r];
        let Key(_, _, slot) = run.remove(i);
        self.len -= 1;
        if run.is_empty() {
            self.runs.remove(r);
        }
        Some(slot)
    }

    fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<Key>>> {
        self.runs.iter().flatten()
    }
}

/// A directory's children by name, sorted by name, with the part of `BTreeMap<String, V>`'s
/// interface the crate uses. Used by the layers' trees ([`Dir`]) and the merged view.
///
/// The names live in one index of names to slot numbers (`NameIndex`, not generic) whatever
/// `V` is, and the children in a vector of slots beside it. So the index's code exists once in
/// the wasm module, and it is a few sorted vectors rather than a B-tree (a `BTreeMap<Name, V>`
/// per child type, `Node` and `MNode`, was some 10 KB of code each). A removal leaves a hole in
/// the slots; when holes outnumber the children, the slots are rebuilt in name order (amortised
/// O(1) a removal), and a new name's child goes at the end.
#[derive(Clone)]
pub struct Children<V> {
    index: NameIndex,
    slots: Vec<Option<V>>,
}

impl<V> Default for Children<V> {
    fn default() -> Children<V> {
        Children {
            index: NameIndex::default(),
            slots: Vec::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for Children<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal when they hold the same names with equal children, whatever their slots.
impl<V: PartialEq> PartialEq for Children<V> {
    fn eq(&self, other: &Children<V>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<V: Eq> Eq for Children<V> {}

/// The slot for `name`: its own when the name is there, else a new one at the end (`next`,
/// the number of slots).
fn claim_slot(index: &mut NameIndex, name: String, next: usize) -> u32 {
    index.claim(name, next as u32)
}

/// The new slot numbers once the holes among `slots` slots outnumber the children: `None`
/// while they do not; otherwise every name is given its rank (its slot in name order) and the
/// old numbers come back, in that order, for the caller to move the children by. Not generic,
/// as [`claim_slot`].
fn renumber(index: &mut NameIndex, slots: usize) -> Option<Vec<u32>> {
    if slots - index.len <= index.len {
        return None;
    }
    // A loop rather than a collect of the flattened runs: the adapters were compiled for this
    // one call.
    let mut old = Vec::with_capacity(index.len);
    for Key(_, _, slot) in index.runs.iter_mut().flatten() {
        old.push(std::mem::replace(slot, old.len() as u32));
    }
    Some(old)
}

impl<V> Children<V> {
    /// No children.
    pub fn new() -> Children<V> {
        Children::default()
    }

    #[inline]
    fn slot(&self, i: Option<u32>) -> Option<&V> {
        self.slots.get(i? as usize)?.as_ref()
    }

    #[inline]
    fn slot_mut(&mut self, i: Option<u32>) -> Option<&mut V> {
        self.slots.get_mut(i? as usize)?.as_mut()
    }

    /// The slot `i` that [`claim_slot`] gave, made to exist.
    #[inline]
    fn slot_at(&mut self, i: u32) -> &mut Option<V> {
        let i = i as usize;
        // A new name's slot is the next one (`claim_slot`). A directory's first child makes
        // room for eight, as its first run of names does: fewer reallocations while a
        // directory fills.
        if i == self.slots.len() {
            if i == 0 {
                self.slots.reserve(8);
            }
            self.slots.push(None);
        }
        &mut self.slots[i]
    }

    /// The child called `name`.
    #[inline]
    pub fn get<K: AsRef<str> + ?Sized>(&self, name: &K) -> Option<&V> {
        self.slot(self.index.get(NameRef::new(name.as_ref())))
    }

    /// The child called `name`, mutably.
    #[inline]
    pub fn get_mut<K: AsRef<str> + ?Sized>(&mut self, name: &K) -> Option<&mut V> {
        let i = self.index.get(NameRef::new(name.as_ref()));
        self.slot_mut(i)
    }

    /// The child whose name is the bytes `name` (a component cut out of a path at `/` bytes).
    #[inline]
    pub(crate) fn get_bytes(&self, name: &[u8]) -> Option<&V> {
        self.slot(self.index.get(NameRef::of_bytes(name)))
    }

    /// The child whose name is the bytes `name`, mutably.
    #[inline]
    pub(crate) fn get_mut_bytes(&mut self, name: &[u8]) -> Option<&mut V> {
        let i = self.index.get(NameRef::of_bytes(name));
        self.slot_mut(i)
    }

    /// True when there is a child called `name`.
    pub fn contains_key<K: AsRef<str> + ?Sized>(&self, name: &K) -> bool {
        self.index.get(NameRef::new(name.as_ref())).is_some()
    }

    /// Sets the child called `name`, returning the one it replaces.
    pub fn insert(&mut self, name: String, child: V) -> Option<V> {
        let i = claim_slot(&mut self.index, name, self.slots.len());
        self.slot_at(i).replace(child)
    }

    /// Takes the child called `name` out.
    pub fn remove<K: AsRef<str> + ?Sized>(&mut self, name: &K) -> Option<V> {
        let i = self.index.remove(NameRef::new(name.as_ref()))? as usize;
        let child = self.slots.get_mut(i)?.take();
        if i + 1 == self.slots.len() {
            self.slots.pop();
        }
        if let Some(old) = renumber(&mut self.index, self.slots.len()) {
            let mut slots = std::mem::take(&mut self.slots);
            self.slots = Vec::with_capacity(old.len());
            for i in old {
                self.slots
                    .push(slots.get_mut(i as usize).and_then(Option::take));
            }
        }
        child
    }

    /// The entry for `name`, to insert or change in place.
    pub fn entry(&mut self, name: String) -> ChildEntry<'_, V> {
        ChildEntry {
            children: self,
            name,
        }
    }

    /// Drops every child.
    pub fn clear(&mut self) {
        self.index = NameIndex::default();
        self.slots.clear();
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.index.len
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.index.len == 0
    }

    /// Names and children, sorted by name.
    pub fn iter(&self) -> ChildrenIter<'_, V> {
        ChildrenIter {
            names: self.index.iter(),
            left: self.index.len,
            slots: &self.slots,
        }
    }

    /// Names and children, mutably, sorted by name.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut V)> + '_ {
        // Each name has its own slot, so every slot is lent out at most once.
        let mut slots: Vec<Option<&mut V>> = self.slots.iter_mut().map(Option::as_mut).collect();
        self.index
            .iter()
            .filter_map(move |Key(_, k, i)| Some((&k.0, slots.get_mut(*i as usize)?.take()?)))
    }

    /// The names, sorted.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + '_ {
        self.index.iter().map(|Key(_, k, _)| &k.0)
    }

    /// The children, sorted by name.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The children, mutably, sorted by name.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }
}

/// The place of one name in a [`Children`], from [`Children::entry`].
pub struct ChildEntry<'a, V> {
    children: &'a mut Children<V>,
    name: String,
}

impl<'a, V> ChildEntry<'a, V> {
    /// The child called by this entry's name, made by `make` first when there is none.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        let c = self.children;
        let i = claim_slot(&mut c.index, self.name, c.slots.len());
        c.slot_at(i).get_or_insert_with(make)
    }
}

/// The names and children of a [`Children`], sorted by name.
pub struct ChildrenIter<'a, V> {
    names: std::iter::Flatten<std::slice::Iter<'a, Vec<Key>>>,
    left: usize,
    slots: &'a [Option<V>],
}

impl<V> Clone for ChildrenIter<'_, V> {
    fn clone(&self) -> Self {
        ChildrenIter {
            names: self.names.clone(),
            left: self.left,
            slots: self.slots,
        }
    }
}

impl<'a, V> ChildrenIter<'a, V> {
    #[inline]
    fn pair(&mut self, Key(_, k, i): &'a Key) -> Option<(&'a String, &'a V)> {
        self.left -= 1;
        Some((&k.0, self.slots.get(*i as usize)?.as_ref()?))
    }
}

impl<'a, V> Iterator for ChildrenIter<'a, V> {
    type Item = (&'a String, &'a V);
    #[inline]
    fn next(&mut self) -> Option<(&'a String, &'a V)> {
        let kv = self.names.next()?;
        self.pair(kv)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> DoubleEndedIterator for ChildrenIter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let kv = self.names.next_back()?;
        self.pair(kv)
    }
}

impl<V> ExactSizeIterator for ChildrenIter<'_, V> {}

impl<'a, V> IntoIterator for &'a Children<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = ChildrenIter<'a, V>;
    fn into_iter(self) -> ChildrenIter<'a, V> {
        self.iter()
    }
}

/// The names and children of a [`Children`], owned, sorted by name.
pub struct ChildrenIntoIter<V> {
    names: std::iter::Flatten<std::vec::IntoIter<Vec<Key>>>,
    left: usize,
    slots: Vec<Option<V>>,
}

impl<V> ChildrenIntoIter<V> {
    fn pair(&mut self, Key(_, k, i): Key) -> Option<(String, V)> {
        self.left -= 1;
        Some((k.0, self.slots.get_mut(i as usize)?.take()?))
    }
}

impl<V> Iterator for ChildrenIntoIter<V> {
    type Item = (String, V);
    fn next(&mut self) -> Option<(String, V)> {
        let kv = self.names.next()?;
        self.pair(kv)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> DoubleEndedIterator for ChildrenIntoIter<V> {
    fn next_back(&mut self) -> Option<(String, V)> {
        let kv = self.names.next_back()?;
        self.pair(kv)
    }
}

impl<V> ExactSizeIterator for ChildrenIntoIter<V> {}

impl<V> IntoIterator for Children<V> {
    type Item = (String, V);
    type IntoIter = ChildrenIntoIter<V>;
    fn into_iter(self) -> ChildrenIntoIter<V> {
        ChildrenIntoIter {
            names: self.index.runs.into_iter().flatten(),
            left: self.index.len,
            slots: self.slots,
        }
    }
}

impl<V> FromIterator<(String, V)> for Children<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Children<V> {
        let mut c = Children::new();
        for (k, v) in iter {
            c.insert(k, v);
        }
        c
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
    pub children: Children<Node>,
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

/// One entry of a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A regular file; the inode lives in the layer's inode table.
    File(Ino),
    /// A directory.
    Dir(Dir),
    /// A symbolic link; its inode (metadata and target) lives in the layer's inode table, so
    /// that several names can share it, as hard links of a symlink do on Linux.
    Symlink(Ino),
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
    /// Regular files' and symlinks' inodes.
    pub inodes: Inodes,
    next_ino: Ino,
    /// For an inode with several names, the name whose tar entry carried the data (the others
    /// were hard-link entries): extracting the tar in order, as a container host does, makes
    /// the inode there, which decides where it falls in the inode order of the lower file
    /// system. Layers not read from a tar leave it empty (the first name in path order is then
    /// taken, which is where the exporter writes the data). Indexed by inode number (numbers
    /// are dense from 1): a vector rather than a `BTreeMap`, so the wasm module needs no B-tree
    /// for this key and value.
    made_at: Vec<Option<VPath>>,
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
            inodes: Inodes::new(),
            next_ino: 1,
            made_at: Vec::new(),
        }
    }

    /// The name whose tar entry carried inode `ino`'s data, when the layer was read from a tar
    /// and the inode has several names.
    pub(crate) fn made_at_of(&self, ino: Ino) -> Option<&VPath> {
        self.made_at.get(usize::try_from(ino).ok()?)?.as_ref()
    }

    /// Records `at` as the name whose tar entry carried inode `ino`'s data, unless one is
    /// recorded already (the first such entry wins).
    pub(crate) fn note_made_at(&mut self, ino: Ino, at: VPath) {
        let Ok(i) = usize::try_from(ino) else {
            return;
        };
        if i >= self.made_at.len() {
            self.made_at.resize(i + 1, None);
        }
        self.made_at[i].get_or_insert(at);
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

    /// The inode behind `node`, if it is a file or a symlink.
    pub fn inode(&self, node: &Node) -> Option<&FileInode> {
        match node {
            Node::File(ino) | Node::Symlink(ino) => self.inodes.get(ino),
            _ => None,
        }
    }

    /// Stores a new symlink inode pointing at `target` and returns its node (one name).
    pub fn add_symlink(&mut self, meta: Meta, target: String) -> Node {
        Node::Symlink(self.add_inode(FileInode::symlink(meta, target)))
    }

    /// The target of the symlink inode `ino`, if there is one.
    pub fn target(&self, ino: Ino) -> Option<&str> {
        self.inodes.get(&ino)?.target.as_deref()
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
        fn count(d: &Dir, inodes: &mut Inodes) {
            for n in d.children.values() {
                match n {
                    Node::File(i) | Node::Symlink(i) => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn inode(n: u8) -> FileInode {
        FileInode::new(Meta::new(0o644, i64::from(n)), Blob::new(vec![n]))
    }

    /// The inode table answers as the `BTreeMap` it replaced does, through a random mix of
    /// inserts, removals and retains.
    #[test]
    fn inode_table_behaves_like_a_btree_map_of_inodes() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut table = Inodes::new();
        let mut model: BTreeMap<Ino, FileInode> = BTreeMap::new();
        for step in 0..4000u32 {
            let ino = next() % 64;
            match next() % 5 {
                0 | 1 => {
                    let i = inode((step % 251) as u8);
                    assert_eq!(table.insert(ino, i.clone()), model.insert(ino, i));
                }
                2 => assert_eq!(table.remove(&ino), model.remove(&ino)),
                3 => {
                    let cut = (next() % 251) as i64;
                    table.retain(|_, i| i.meta.mtime < cut);
                    model.retain(|_, i| i.meta.mtime < cut);
                }
                _ => {
                    if let Some(i) = table.get_mut(&ino) {
                        i.nlink += 1;
                    }
                    if let Some(i) = model.get_mut(&ino) {
                        i.nlink += 1;
                    }
                }
            }
            assert_eq!(table.len(), model.len());
            assert_eq!(table.is_empty(), model.is_empty());
            assert_eq!(table.get(&ino), model.get(&ino));
            assert_eq!(table.contains_key(&ino), model.contains_key(&ino));
            let pairs: Vec<(Ino, &FileInode)> = table.iter().collect();
            let want: Vec<(Ino, &FileInode)> = model.iter().map(|(k, v)| (*k, v)).collect();
            assert_eq!(pairs, want);
            assert!(table.keys().eq(model.keys().copied()));
            assert!(table.values().eq(model.values()));
        }
    }

    /// Children sort exactly as `str` does (byte order), whatever the names: ASCII, empty,
    /// prefixes of one another, multi-byte characters, bytes above 0x7f.
    #[test]
    fn children_keep_the_order_of_str_and_find_every_name() {
        // The last seven share their first eight bytes (the index's integer prefix) or hold
        // NULs, which no valid name does but which must not break the order either.
        let names = [
            "",
            "a",
            "A",
            "ab",
            "abc",
            "abd",
            "b",
            "ba",
            "s01",
            "s1",
            "s10",
            "new12",
            "new123",
            "é",
            "e\u{301}",
            "z",
            "\u{7f}",
            "\u{80}",
            "日本",
            "日",
            ".wh",
            "~",
            "a b",
            "abcdefgh",
            "abcdefghi",
            "abcdefgg",
            "abcdefgh\0",
            "a\0",
            "a\0b",
            "a\u{1}",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    NameRef::new(a).cmp(NameRef::new(b)),
                    a.cmp(b),
                    "{a:?} against {b:?}"
                );
            }
        }
        let mut children: Children<usize> = Children::new();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(children.insert(n.to_string(), i), None);
        }
        let mut sorted = names.to_vec();
        sorted.sort();
        assert!(children
            .keys()
            .map(String::as_str)
            .eq(sorted.iter().copied()));
        assert!(children
            .iter()
            .rev()
            .map(|(k, _)| k.as_str())
            .eq(sorted.iter().rev().copied()));
        for (i, n) in names.iter().enumerate() {
            assert_eq!(children.get(*n), Some(&i));
            assert!(children.contains_key(*n));
        }
        assert_eq!(children.get("missing"), None);
        assert_eq!(children.remove("abc"), Some(4));
        assert_eq!(children.len(), names.len() - 1);
        let owned: Vec<(String, usize)> = children.clone().into_iter().collect();
        assert_eq!(owned.len(), children.len());
        assert_eq!(owned.into_iter().collect::<Children<usize>>(), children);
    }

    /// Children answer as the `BTreeMap` they stand for through inserts, replacements and
    /// removals in a scrambled order (which leave holes in the slots and rebuild them), and
    /// two of them are equal when they hold the same children, whatever their slots.
    #[test]
    fn children_answer_as_a_btreemap_whatever_the_order_of_changes() {
        let mut model = BTreeMap::new();
        let mut children: Children<u32> = Children::new();
        // A fixed permutation of 0..n: 7919 is prime, so i * 7919 % n visits every number.
        let n = 20_000u32;
        let name = |i: u32| format!("f{}", (i * 7919) % n);
        for i in 0..n {
            assert_eq!(children.insert(name(i), i), model.insert(name(i), i));
        }
        for i in (0..n).step_by(3) {
            assert_eq!(
                children.insert(name(i), i + n),
                model.insert(name(i), i + n)
            );
        }
        for i in (0..n).filter(|i| i % 4 != 1) {
            assert_eq!(children.remove(&name(i)), model.remove(&name(i)));
            assert_eq!(children.remove(&name(i)), None);
        }
        *children.entry(name(1)).or_insert_with(|| 0) += 1;
        *model.entry(name(1)).or_insert_with(|| 0) += 1;
        *children.entry("new".to_string()).or_insert_with(|| 7) += 1;
        *model.entry("new".to_string()).or_insert_with(|| 7) += 1;
        assert_eq!(children.len(), model.len());
        assert!(children.iter().eq(model.iter()));
        assert!(children.iter().rev().eq(model.iter().rev()));
        assert!(children.keys().eq(model.keys()));
        assert!(children.values().eq(model.values()));
        for (k, v) in &model {
            assert_eq!(children.get(k), Some(v));
            assert_eq!(children.get_bytes(k.as_bytes()), Some(v));
        }
        for (_, v) in children.iter_mut() {
            *v += 1;
        }
        children.values_mut().for_each(|v| *v -= 1);
        assert!(children.iter().eq(model.iter()));
        // The same children inserted afresh in name order sit in other slots.
        let fresh: Children<u32> = model.clone().into_iter().collect();
        assert_eq!(fresh, children);
        assert!(children
            .clone()
            .into_iter()
            .rev()
            .eq(model.clone().into_iter().rev()));
        *children.get_mut(&name(1)).expect("there") += 1;
        assert_ne!(fresh, children);
        for k in model.keys() {
            children.remove(k);
        }
        assert!(children.is_empty());
        assert_eq!(children, Children::new());
        assert!(
            children.slots.is_empty(),
            "no slots are left once every child is gone"
        );
    }

    #[test]
    fn inode_tables_are_equal_when_they_hold_the_same_inodes_whatever_their_holes() {
        let mut a = Inodes::new();
        a.insert(1, inode(1));
        a.insert(9, inode(9));
        a.remove(&9);
        let b: Inodes = [(1, inode(1))].into_iter().collect();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        a.insert(2, inode(2));
        assert_ne!(a, b);
        assert_eq!(a[&2].data.bytes(), [2]);
        assert_eq!(a.get(&u64::MAX), None);
        assert_eq!(a.remove(&u64::MAX), None);
    }
}
