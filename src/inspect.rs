//! Looking at a container from outside: size accounting per layer and the `docker diff` listing.
//!
//! Sizes are honest: a file deleted by a whiteout still counts in the layer that holds it, and
//! a file present in several layers counts once per layer, all but the visible copy as wasted.

use crate::container::{Container, Found, Low};
use crate::layer::{Layer, Node};
use crate::path::VPath;
use crate::union::MNode;
use serde::Serialize;
use std::collections::BTreeSet;

/// The size of one layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerUsage {
    /// The layer's index (the container layer is the number of image layers).
    pub layer: usize,
    /// Bytes of file content at rest in the layer (each inode once).
    pub bytes: u64,
    /// Entries in the layer, whiteouts included.
    pub entries: usize,
    /// Bytes of the layer's files that the layers above hide (overwritten, whited out, or under
    /// an opaque directory): stored and sent, never seen.
    pub hidden_bytes: u64,
}

/// Sizes of every layer of a container, bottom first, the container layer last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Per layer, bottom first, the container layer last.
    pub layers: Vec<LayerUsage>,
    /// All bytes at rest in all layers.
    pub total_bytes: u64,
    /// Bytes hidden by upper layers: the image's (and container's) wasted space.
    pub wasted_bytes: u64,
}

/// One line of `docker diff`: A (added), C (changed) or D (deleted), and the path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The path.
    pub path: VPath,
    /// `'A'`, `'C'` or `'D'`.
    pub kind: char,
}

impl Container {
    /// Sizes of each layer and the bytes hidden in each.
    pub fn usage(&self) -> Usage {
        let mut layers = Vec::new();
        for (i, layer) in self.image().layers().iter().enumerate() {
            let mut visible = BTreeSet::new();
            for (path, node) in layer.walk() {
                if let Node::File(ino) = node {
                    if let Ok(Found {
                        upper: None,
                        lower: Some(Low::File(l, vino)),
                        ..
                    }) = self.find(&path)
                    {
                        if l as usize == i && vino == *ino && !self.indexed(l, vino) {
                            visible.insert(*ino);
                        }
                    }
                }
            }
            layers.push(usage_of(i, layer, &visible));
        }
        let upper = self.upper();
        let all: BTreeSet<_> = upper.inodes.keys().copied().collect();
        layers.push(usage_of(self.container_layer(), upper, &all));
        let total_bytes = layers.iter().map(|l| l.bytes).sum();
        let wasted_bytes = layers.iter().map(|l| l.hidden_bytes).sum();
        Usage {
            layers,
            total_bytes,
            wasted_bytes,
        }
    }

    fn indexed(&self, layer: u32, ino: u64) -> bool {
        // With index=on, a lower inode that was copied up is seen through its upper copy.
        self.options().index && self.index_has(layer, ino)
    }

    /// The `docker diff` of the container against its image: A for added, C for changed, D for
    /// deleted, sorted by path. The parent of every A or D that the image has is listed as C;
    /// directories copied up only to reach a changed child are not listed.
    pub fn diff(&self) -> Vec<Change> {
        let image = self.image();
        let mut out: BTreeSet<Change> = BTreeSet::new();
        let mut parents: BTreeSet<VPath> = BTreeSet::new();
        for (path, node) in self.upper().walk() {
            // Docker compares the container layer against the image's merged view at the same
            // path, so a file re-created under an opaque directory is a change, not an addition.
            let kind = match (node, image.lookup(&path)) {
                (Node::Whiteout, Some(_)) => 'D',
                (Node::Whiteout, None) => continue,
                (_, None) => 'A',
                (Node::Dir(d), Some(MNode::Dir(m))) => {
                    if d.opaque {
                        // Everything the image had under it is gone, unless made again.
                        for name in m.children.keys().filter(|n| !d.children.contains_key(*n)) {
                            if let Ok(child) = path.join(name) {
                                out.insert(Change {
                                    path: child,
                                    kind: 'D',
                                });
                            }
                        }
                        'C'
                    } else if d.meta != m.meta {
                        'C'
                    } else {
                        continue;
                    }
                }
                (_, Some(_)) => 'C',
            };
            if kind != 'C' {
                if let Some(parent) = path.parent() {
                    parents.insert(parent);
                }
            }
            out.insert(Change { path, kind });
        }
        for parent in parents {
            if !parent.is_root() && image.lookup(&parent).is_some() {
                out.insert(Change {
                    path: parent,
                    kind: 'C',
                });
            }
        }
        let mut v: Vec<Change> = out.into_iter().collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        // One line per path: a D found under an opaque directory may meet an entry made again.
        v.dedup_by(|a, b| a.path == b.path);
        v
    }
}

fn usage_of(index: usize, layer: &Layer, visible: &BTreeSet<u64>) -> LayerUsage {
    let hidden_bytes = layer
        .inodes
        .iter()
        .filter(|(ino, i)| !i.metacopy && !visible.contains(ino))
        .map(|(_, i)| i.data.len())
        .sum();
    LayerUsage {
        layer: index,
        bytes: layer.bytes(),
        entries: layer.entry_count(),
        hidden_bytes,
    }
}
