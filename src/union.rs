//! The read side of an image: its read-only layers and their merged view.
//!
//! Image layers never change, so the merged view of the whole stack is computed once, when the
//! image is made, by applying the layers bottom-up the way the OCI spec applies changesets.
//! A lookup then walks one tree whatever the number of layers; each merged node remembers which
//! layer it comes from and, for directories, every layer that contributes to it.

use crate::error::{Error, ErrorKind, Result};
use crate::layer::{Blob, Children, Dir, FileInode, Ino, Layer, Meta, Node};
use crate::path::VPath;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// The most layers one image may have (overlayfs itself allows 500 lower layers; the page
/// needs fewer).
pub const MAX_LAYERS: usize = 500;

/// An entry of the merged view of an image's layers. Directories are boxed so that an entry
/// is two words: a merged directory's children sit densely in their B-tree
/// nodes, which a listing or a walk reads from end to end.
#[derive(Clone, Debug)]
pub enum MNode {
    /// A regular file: the layer it comes from and its inode there.
    File {
        /// The index of the layer that holds it (0 is the bottom layer).
        layer: u32,
        /// Its inode in that layer.
        ino: Ino,
    },
    /// A symbolic link: the layer it comes from and its inode there.
    Symlink {
        /// The index of the layer that holds it.
        layer: u32,
        /// Its inode in that layer.
        ino: Ino,
    },
    /// A directory, merged across layers.
    Dir(Box<MDir>),
}

/// A merged directory.
#[derive(Clone, Debug, Default)]
pub struct MDir {
    /// The metadata of the topmost layer that has this directory.
    pub meta: Meta,
    /// The layers that contribute to this directory, topmost first. An opaque directory cuts the
    /// list at its own layer. Empty only for the root of an image with no layers.
    pub layers: Vec<u32>,
    /// The visible children, sorted by name.
    pub children: Children<MNode>,
}

impl MNode {
    /// The layer this entry's metadata comes from.
    pub fn layer(&self) -> u32 {
        match self {
            MNode::File { layer, .. } | MNode::Symlink { layer, .. } => *layer,
            MNode::Dir(d) => d.layers.first().copied().unwrap_or(0),
        }
    }

    /// The directory, if this is one.
    pub fn as_dir(&self) -> Option<&MDir> {
        match self {
            MNode::Dir(d) => Some(d),
            _ => None,
        }
    }

    fn from_node(node: &Node, layer: u32) -> Option<MNode> {
        Some(match node {
            Node::File(ino) => MNode::File { layer, ino: *ino },
            Node::Symlink(ino) => MNode::Symlink { layer, ino: *ino },
            Node::Dir(d) => {
                let mut m = MDir::default();
                m.apply(d, layer);
                MNode::Dir(Box::new(m))
            }
            Node::Whiteout => return None,
        })
    }
}

impl MDir {
    /// Applies one layer's directory on top of this merged directory.
    fn apply(&mut self, dir: &Dir, layer: u32) {
        if dir.opaque {
            self.children.clear();
            self.layers.clear();
        }
        // A directory a tar only implied has no metadata of its own: the lower one's stays.
        if !dir.implicit || self.layers.is_empty() {
            self.meta = dir.meta;
        }
        self.layers.insert(0, layer);
        for (name, node) in &dir.children {
            match node {
                // A whiteout acts only on lower layers: it removes what is there.
                Node::Whiteout => {
                    self.children.remove(name);
                }
                Node::Dir(sub) => match self.children.get_mut(name) {
                    Some(MNode::Dir(m)) => m.apply(sub, layer),
                    // Whiteouts under a path that is no longer a directory are ignored.
                    Some(_) if sub.implicit && sub.only_whiteouts() => {}
                    _ => {
                        if let Some(m) = MNode::from_node(node, layer) {
                            self.children.insert(name.clone(), m);
                        }
                    }
                },
                _ => {
                    if let Some(m) = MNode::from_node(node, layer) {
                        self.children.insert(name.clone(), m);
                    }
                }
            }
        }
    }

    fn count(&self) -> usize {
        self.children
            .values()
            .map(|c| 1 + c.as_dir().map_or(0, MDir::count))
            .sum()
    }
}

/// What `stat` needs of a regular file of the merged view, kept by full path so that a lookup
/// is one hash probe instead of a walk of string-keyed trees and the layer's inode table (on a
/// 100 000-file image the walk was cache misses from end to end).
#[derive(Clone, Debug)]
pub(crate) struct FlatFile {
    /// The layer that holds the file.
    pub layer: u32,
    /// Its inode there.
    pub ino: Ino,
    /// The inode's metadata.
    pub meta: Meta,
    /// The inode's length in bytes.
    pub size: u64,
    /// The inode's link count in its layer.
    pub nlink: u32,
    /// The inode's content (a shared handle).
    pub data: Blob,
}

/// FxHash (rustc-hash): a fixed, fast hash for the path indexes. Fixed so that the engine stays
/// free of randomness; the indexes are never iterated, so their order cannot leak into any output.
pub(crate) use rustc_hash::FxHasher;

/// An entry of the path index: regular files with what `stat` needs; other types only by kind,
/// so that a miss proves a name absent.
#[derive(Clone, Debug)]
pub(crate) enum Flat {
    /// A regular file.
    File(FlatFile),
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

type FlatIndex = HashMap<Box<str>, Flat, BuildHasherDefault<FxHasher>>;

/// The names the merged view gives each lower inode that has several: (layer, inode) and one
/// name, sorted by inode and then by path. Built once per image and then only searched, so a
/// sorted vector with binary search serves it; a `BTreeMap` here cost the wasm module its own
/// B-tree code (BENCHMARKS.md, "The page's download, night (branch size5)").
type LinkNames = Vec<((u32, Ino), VPath)>;

fn index_files(
    dir: &MDir,
    layers: &[Arc<Layer>],
    at: &mut String,
    out: &mut FlatIndex,
    links: &mut LinkNames,
) {
    for (name, node) in &dir.children {
        let len = at.len();
        at.push('/');
        at.push_str(name);
        match node {
            MNode::File { layer, ino } => {
                if let Some(i) = layers.get(*layer as usize).and_then(|l| l.inodes.get(ino)) {
                    let f = FlatFile {
                        layer: *layer,
                        ino: *ino,
                        meta: i.meta,
                        size: i.data.len(),
                        nlink: i.nlink,
                        data: i.data.clone(),
                    };
                    out.insert(at.as_str().into(), Flat::File(f));
                    if i.nlink > 1 {
                        if let Ok(p) = VPath::parse(at) {
                            links.push(((*layer, *ino), p));
                        }
                    }
                }
            }
            MNode::Dir(d) => {
                out.insert(at.as_str().into(), Flat::Dir);
                index_files(d, layers, at, out, links);
            }
            MNode::Symlink { layer, ino } => {
                out.insert(at.as_str().into(), Flat::Symlink);
                let nlink = layers.get(*layer as usize).map_or(0, |l| l.nlink(*ino));
                if nlink > 1 {
                    if let Ok(p) = VPath::parse(at) {
                        links.push(((*layer, *ino), p));
                    }
                }
            }
        }
        at.truncate(len);
    }
}

/// An image: a stack of read-only layers (bottom first) and their merged view.
#[derive(Clone, Debug)]
pub struct Image {
    layers: Vec<Arc<Layer>>,
    merged: MDir,
    /// Every entry of the merged view by its full path (`/a/b`).
    files: FlatIndex,
    /// The merged view's names of every lower inode that has more than one name.
    links: LinkNames,
}

impl Image {
    /// An image with no layers: an empty root directory.
    pub fn empty() -> Image {
        Image {
            layers: Vec::new(),
            merged: MDir::default(),
            files: FlatIndex::default(),
            links: LinkNames::new(),
        }
    }

    /// An image of `layers`, bottom first.
    pub fn new(layers: Vec<Arc<Layer>>) -> Result<Image> {
        if layers.len() > MAX_LAYERS {
            return Err(Error::without_path(
                ErrorKind::TooManyLayers,
                "image",
                format!(
                    "{} layers; an image may have at most {MAX_LAYERS}",
                    layers.len()
                ),
            ));
        }
        let mut merged = MDir::default();
        for (i, layer) in layers.iter().enumerate() {
            merged.apply(&layer.root, i as u32);
        }
        let mut files = FlatIndex::default();
        let mut at = String::new();
        let mut links = LinkNames::new();
        index_files(&merged, &layers, &mut at, &mut files, &mut links);
        // The walk visits names in path order, and the sort is stable: each inode's names stay
        // in path order.
        crate::sort::sort_by(&mut links, |a, b| a.0.cmp(&b.0));
        Ok(Image {
            layers,
            merged,
            files,
            links,
        })
    }

    /// The entry of the merged view at `path` (a normalised absolute path other than `/`), found
    /// by one hash probe.
    pub(crate) fn flat(&self, path: &str) -> Option<&Flat> {
        self.files.get(path)
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[Arc<Layer>] {
        &self.layers
    }

    /// The merged root directory.
    pub fn root(&self) -> &MDir {
        &self.merged
    }

    /// The merged entry at `path`; `None` when nothing is visible there (or a parent is not a
    /// directory).
    pub fn lookup(&self, path: &VPath) -> Option<&MNode> {
        let mut comps = path.components();
        let mut node = self.merged.children.get(comps.next()?)?;
        for c in comps {
            node = node.as_dir()?.children.get(c)?;
        }
        Some(node)
    }

    /// The merged directory at `path`.
    pub fn lookup_dir(&self, path: &VPath) -> Option<&MDir> {
        if path.is_root() {
            Some(&self.merged)
        } else {
            self.lookup(path)?.as_dir()
        }
    }

    /// The inode behind a merged file or symlink.
    pub fn inode(&self, layer: u32, ino: Ino) -> Option<&FileInode> {
        self.layers.get(layer as usize)?.inodes.get(&ino)
    }

    /// The names under which the merged view shows inode `ino` of layer `layer`, in path order,
    /// when it has more than one name in its layer (empty otherwise).
    pub(crate) fn link_names(&self, layer: u32, ino: Ino) -> impl Iterator<Item = &VPath> {
        let key = (layer, ino);
        let start = self.links.partition_point(|(k, _)| *k < key);
        let end = start + self.links[start..].partition_point(|(k, _)| *k == key);
        self.links[start..end].iter().map(|(_, p)| p)
    }

    /// Number of visible entries in the merged view (the root excluded).
    pub fn entry_count(&self) -> usize {
        self.merged.count()
    }
}
