//! Looking at a container from outside: size accounting per layer and the `docker diff` listing.
//!
//! Sizes are honest: a file deleted by a whiteout still counts in the layer that holds it, and
//! a file present in several layers counts once per layer, all but the visible copy as wasted.

use crate::container::{Container, Found, Low};
use crate::layer::{Dir, Layer, Node};
use crate::path::VPath;
use crate::union::{Image, MDir, MNode};
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

impl Usage {
    /// The usage of these layers, with their totals.
    fn of_layers(layers: Vec<LayerUsage>) -> Usage {
        let total_bytes = layers.iter().map(|l| l.bytes).sum();
        let wasted_bytes = layers.iter().map(|l| l.hidden_bytes).sum();
        Usage {
            layers,
            total_bytes,
            wasted_bytes,
        }
    }
}

/// One line of `docker diff`: A (added), C (changed) or D (deleted), and the path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The path.
    pub path: VPath,
    /// `'A'`, `'C'` or `'D'`.
    pub kind: char,
}

/// What an image alone shows of its layers' files, the part of [`Container::usage`] that does
/// not depend on the container layer: per image layer, its size and entry count, and how many
/// names of each of its inodes the image's merged view shows (as that layer's file, under the
/// name the layer has it). Images never change, so a caller that asks for sizes often (the
/// page, after every command) computes this once per image and passes it to
/// [`Container::usage_with`], which then looks only at what the container layer overlays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageUsage {
    layers: Vec<ImageLayerUsage>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ImageLayerUsage {
    bytes: u64,
    entries: usize,
    /// (inode, visible names), sorted by inode; inodes with no visible name are left out.
    names: Vec<(u64, u32)>,
}

impl ImageUsage {
    /// Walks every layer of `image` once.
    pub fn of(image: &Image) -> ImageUsage {
        // A loop rather than a collect of mapped layers (the map's fold was one more
        // instantiation of the vector's growth).
        let mut layers = Vec::with_capacity(image.layers().len());
        for (i, layer) in image.layers().iter().enumerate() {
            // The layer's tree and the merged view walked side by side, name by name: a
            // file of the layer counts where the merged view has that very file (what
            // `image.lookup` of its path would find).
            let mut inos = Vec::new();
            let mut stack: Vec<(&Dir, &MDir)> = vec![(&layer.root, image.root())];
            while let Some((dir, merged)) = stack.pop() {
                for (name, node) in &dir.children {
                    match (node, merged.children.get(name)) {
                        (
                            Node::File(ino),
                            Some(MNode::File {
                                layer: l,
                                ino: vino,
                            }),
                        ) if *l as usize == i && vino == ino => {
                            inos.push(*ino);
                        }
                        (Node::Dir(sub), Some(MNode::Dir(m))) => stack.push((sub, m)),
                        _ => {}
                    }
                }
            }
            crate::sort::sort(&mut inos);
            let mut names: Vec<(u64, u32)> = Vec::new();
            for ino in inos {
                match names.last_mut() {
                    Some((last, n)) if *last == ino => *n += 1,
                    _ => names.push((ino, 1)),
                }
            }
            layers.push(ImageLayerUsage {
                bytes: layer.bytes(),
                entries: layer.entry_count(),
                names,
            });
        }
        ImageUsage { layers }
    }
}

impl Container {
    /// Sizes of each layer and the bytes hidden in each.
    pub fn usage(&self) -> Usage {
        self.usage_with(&ImageUsage::of(self.image()))
    }

    /// [`Container::usage`], with the image's part computed before (by
    /// [`ImageUsage::of`] on this container's image; another image's gives wrong figures).
    ///
    /// A file of an image layer is visible when the container's view at one of its names is
    /// that file. The container layer changes the view only under what it overlays: a
    /// non-directory, an opaque directory, a directory with a redirect (or an opaque root).
    /// So the image's counts hold everywhere else, and only the names under those entries are
    /// looked up again: the cost follows the container layer, not the image.
    pub fn usage_with(&self, base: &ImageUsage) -> Usage {
        let image = self.image();
        let mut names: Vec<Vec<(u64, u32)>> = Vec::with_capacity(base.layers.len());
        for l in &base.layers {
            names.push(l.names.clone());
        }
        let upper = self.upper();
        // The image paths under what the container layer overlays.
        let mut overlaid: Vec<VPath> = Vec::new();
        // Lower files the view shows under an opaque or redirected directory of the container
        // layer: with redirect_dir=on such a directory can show a lower file away from every
        // name its layer has for it (a directory renamed, with the file inside).
        let mut shown = Vec::new();
        if upper.root.opaque {
            overlaid.push(VPath::root());
            self.shown_under(&VPath::root(), &mut shown);
        } else {
            let mut stack: Vec<(VPath, &Dir)> = vec![(VPath::root(), &upper.root)];
            while let Some((at, dir)) = stack.pop() {
                for (name, node) in &dir.children {
                    let Ok(p) = at.join(name) else { continue };
                    match node {
                        Node::Dir(d) if !d.opaque && d.redirect.is_none() => stack.push((p, d)),
                        Node::Dir(_) => {
                            self.shown_under(&p, &mut shown);
                            overlaid.push(p);
                        }
                        _ => overlaid.push(p),
                    }
                }
            }
        }
        // Per image layer, sorted: a sorted vector and `sort` rather than one more set type in
        // the wasm module.
        let mut shown_in: Vec<Vec<u64>> = Vec::with_capacity(image.layers().len());
        for _ in image.layers() {
            shown_in.push(Vec::new());
        }
        for (l, ino) in shown {
            if let Some(v) = shown_in.get_mut(l as usize) {
                v.push(ino);
            }
        }
        for v in &mut shown_in {
            crate::sort::sort(v);
        }
        for top in overlaid {
            let Some(m) = image.lookup(&top) else {
                continue;
            };
            let mut stack: Vec<(VPath, &MNode)> = vec![(top, m)];
            while let Some((p, m)) = stack.pop() {
                match m {
                    MNode::File { layer: l, ino } => {
                        // Counted in the image's part only where layer l has this inode under
                        // this very name.
                        let named = image
                            .layers()
                            .get(*l as usize)
                            .and_then(|layer| layer.get(&p))
                            == Some(&Node::File(*ino));
                        let still = matches!(
                            self.find(&p),
                            Ok(Found { upper: None, lower: Some(Low::File(l2, v2)) })
                                if l2 == *l && v2 == *ino
                        );
                        if named && !still {
                            if let Some(counts) = names.get_mut(*l as usize) {
                                if let Ok(k) = counts.binary_search_by_key(ino, |(i, _)| *i) {
                                    counts[k].1 = counts[k].1.saturating_sub(1);
                                }
                            }
                        }
                    }
                    MNode::Dir(d) => {
                        for (name, child) in &d.children {
                            if let Ok(c) = p.join(name) {
                                stack.push((c, child));
                            }
                        }
                    }
                    MNode::Symlink { .. } => {}
                }
            }
        }
        let feeding = self.metacopy_sources();
        let mut layers = Vec::new();
        for (i, layer) in image.layers().iter().enumerate() {
            let counts = names.get(i).map_or(&[][..], Vec::as_slice);
            let (bytes, entries) = base
                .layers
                .get(i)
                .map_or((layer.bytes(), layer.entry_count()), |b| {
                    (b.bytes, b.entries)
                });
            let hidden_bytes = layer
                .inodes
                .iter()
                .filter(|(ino, inode)| {
                    let seen = counts
                        .binary_search_by_key(ino, |(k, _)| *k)
                        .is_ok_and(|k| counts[k].1 > 0);
                    let shown = shown_in
                        .get(i)
                        .is_some_and(|v| v.binary_search(ino).is_ok());
                    let visible = ((seen || shown) && !self.indexed(i as u32, *ino))
                        || feeding.contains(&(i as u32, *ino));
                    !inode.metacopy && !visible
                })
                .map(|(_, inode)| inode.data.len())
                .sum();
            layers.push(LayerUsage {
                layer: i,
                bytes,
                entries,
                hidden_bytes,
            });
        }
        // Nothing is above the container layer: it hides none of its own bytes.
        layers.push(LayerUsage {
            layer: self.container_layer(),
            bytes: upper.bytes(),
            entries: upper.entry_count(),
            hidden_bytes: 0,
        });
        Usage::of_layers(layers)
    }

    /// [`Container::usage`] computed the direct way, from every lower file the container's
    /// whole view shows: the reference that [`Container::usage_with`] is tested against.
    #[doc(hidden)]
    pub fn usage_by_lookup(&self) -> Usage {
        let mut shown = Vec::new();
        self.shown_under(&VPath::root(), &mut shown);
        let mut layers = Vec::new();
        for (i, layer) in self.image().layers().iter().enumerate() {
            let mut visible = BTreeSet::new();
            for &(l, vino) in &shown {
                if l as usize == i && !self.indexed(l, vino) {
                    visible.insert(vino);
                }
            }
            for (l, vino) in self.metacopy_sources() {
                if l as usize == i {
                    visible.insert(vino);
                }
            }
            layers.push(usage_of(i, layer, &visible));
        }
        let upper = self.upper();
        // Inserted one by one: `collect` into a set would compile one more sort.
        let mut all = BTreeSet::new();
        for ino in upper.inodes.keys() {
            all.insert(ino);
        }
        layers.push(usage_of(self.container_layer(), upper, &all));
        Usage::of_layers(layers)
    }

    /// Adds the (image layer, inode) of every lower file the view shows under the directory
    /// `top` to `out`.
    fn shown_under(&self, top: &VPath, out: &mut Vec<(u32, u64)>) {
        let mut stack = vec![top.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(children) = self.readdir(&dir) else {
                continue;
            };
            for (name, t) in children {
                let Ok(p) = dir.join(name) else { continue };
                if t == crate::layer::FileType::Dir {
                    stack.push(p);
                } else if let Ok(Found {
                    upper: None,
                    lower: Some(Low::File(l, ino)),
                }) = self.find(&p)
                {
                    out.push((l, ino));
                }
            }
        }
    }

    /// The (image layer, inode) of every lower file that a metadata-only copy-up
    /// (metacopy=on) still reads its data from: those bytes are in use, not wasted.
    fn metacopy_sources(&self) -> Vec<(u32, u64)> {
        let mut sources = Vec::new();
        for (uino, inode) in &self.upper().inodes {
            if !inode.metacopy {
                continue;
            }
            if let Some((l, from)) = self.origin_of(uino) {
                let layer = self.image().layers().get(l as usize);
                if let Some(Node::File(vino)) = layer.and_then(|x| x.get(from)) {
                    sources.push((l, *vino));
                }
            }
        }
        sources
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
        // Vectors sorted once at the end, rather than sets: two fewer B-tree instantiations in
        // the wasm module, and the same result.
        let mut out: Vec<Change> = Vec::new();
        let mut parents: Vec<VPath> = Vec::new();
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
                                out.push(Change {
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
                    parents.push(parent);
                }
            }
            out.push(Change { path, kind });
        }
        for parent in parents {
            if !parent.is_root() && image.lookup(&parent).is_some() {
                out.push(Change {
                    path: parent,
                    kind: 'C',
                });
            }
        }
        // By path, then kind; one line per path, the first kind (a D found under an opaque
        // directory may meet an entry made again, and a parent may be listed twice).
        let mut v = out;
        crate::sort::sort(&mut v);
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

/// What one layer holds at a path, for [`Container::explain`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellState {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// An opaque directory.
    Opaque,
    /// A symbolic link.
    Symlink,
    /// A whiteout.
    Whiteout,
    /// Nothing.
    None,
}

/// How one layer's entry at a path takes part in the merged view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// This layer's entry is the one the merged view shows.
    Wins,
    /// A directory that merges into the winning directory (its children show through).
    Merged,
    /// This layer's whiteout deletes the path from the layers below.
    Deletes,
    /// Hidden by something in a layer above.
    Masked,
    /// The layer has nothing here.
    Absent,
}

/// One layer's part in an explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The layer index (the container layer is the number of image layers).
    pub layer: usize,
    /// What the layer holds at the path.
    pub state: CellState,
    /// Bytes, for files.
    pub size: u64,
    /// Its part in the merged view.
    pub role: Role,
    /// One sentence: why.
    pub reason: String,
}

/// Which layer wins at a path and what it masks, top layer first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The path explained.
    pub path: VPath,
    /// The layer whose entry the merged view shows, if anything is visible.
    pub winner: Option<usize>,
    /// Every layer, the container layer first, then the image layers top-down.
    pub cells: Vec<Cell>,
}

impl Container {
    /// Whether the container layer's file at `path` is a metadata-only copy of the file at
    /// `path` in image layer `layer`, whose data it still reads.
    fn metacopy_of(&self, path: &VPath, layer: usize) -> bool {
        let Some(Node::File(ino)) = self.upper().get(path) else {
            return false;
        };
        let meta = self.upper().inodes.get(ino).is_some_and(|i| i.metacopy);
        meta && self
            .origin_of(*ino)
            .is_some_and(|(l, from)| l as usize == layer && from == path)
    }

    /// Explains `path`: for every layer, what it holds there, whether it wins, merges, deletes or
    /// is masked, and by what.
    pub fn explain(&self, path: &VPath) -> Explanation {
        let n = self.container_layer();
        let mut stack: Vec<(usize, &Layer)> = vec![(n, self.upper())];
        for (i, l) in self.image().layers().iter().enumerate().rev() {
            stack.push((i, l));
        }
        let name = |i: usize| {
            if i == n {
                "the container layer".to_string()
            } else {
                format!("layer {i}")
            }
        };
        let mut cells = Vec::new();
        let mut winner: Option<(usize, CellState)> = None;
        // Set once a layer hides everything below it at this path.
        let mut blocker: Option<String> = None;
        for (i, layer) in stack {
            // An ancestor in this layer that is not a plain directory blocks the layers below,
            // and (for a whiteout or non-directory) means this layer has nothing at the path.
            let mut ancestor_block: Option<String> = None;
            let mut at = VPath::root();
            // Every component but the last (no vector collected for it).
            let mut comps = path.components();
            comps.next_back();
            let mut reachable = true;
            for c in comps {
                let Ok(next) = at.join(c) else { break };
                at = next;
                match layer.get(&at) {
                    Some(Node::Dir(d)) if d.opaque && ancestor_block.is_none() => {
                        ancestor_block = Some(format!("the opaque directory {at} in {}", name(i)));
                    }
                    Some(Node::Dir(_)) => {}
                    Some(Node::Whiteout) => {
                        ancestor_block = Some(format!("the whiteout of {at} in {}", name(i)));
                        reachable = false;
                        break;
                    }
                    Some(_) => {
                        ancestor_block =
                            Some(format!("{at}, which is not a directory in {}", name(i)));
                        reachable = false;
                        break;
                    }
                    None => {
                        reachable = false;
                        break;
                    }
                }
            }
            let node = if path.is_root() {
                None
            } else if reachable {
                layer.get(path)
            } else {
                None
            };
            let (state, size) = match node {
                None => (CellState::None, 0),
                Some(Node::File(ino)) => (
                    CellState::File,
                    layer.inodes.get(ino).map_or(0, |x| x.data.len()),
                ),
                Some(Node::Dir(d)) if d.opaque => (CellState::Opaque, 0),
                Some(Node::Dir(_)) => (CellState::Dir, 0),
                Some(Node::Symlink(_)) => (CellState::Symlink, 0),
                Some(Node::Whiteout) => (CellState::Whiteout, 0),
            };
            let is_dir = matches!(state, CellState::Dir | CellState::Opaque);
            let (role, reason) = match (&blocker, state) {
                (_, CellState::None) => {
                    (Role::Absent, format!("{} has nothing at {path}", name(i)))
                }
                (Some(_), CellState::File) if self.metacopy_of(path, i) => (
                    Role::Masked,
                    format!(
                        "its metadata is hidden by the metadata-only copy in the container layer (metacopy=on), which still reads its {} of data from here",
                        crate::event::human_bytes(size)
                    ),
                ),
                (Some(b), _) => (Role::Masked, format!("hidden by {b}")),
                (None, CellState::Whiteout) => (
                    Role::Deletes,
                    format!(
                        "the whiteout in {} deletes {path} from the layers below",
                        name(i)
                    ),
                ),
                (None, _) => match winner {
                    None => {
                        winner = Some((i, state));
                        (
                            Role::Wins,
                            format!("{} is the topmost layer with {path}", name(i)),
                        )
                    }
                    Some((w, CellState::Dir)) if is_dir => (
                        Role::Merged,
                        format!(
                            "its children merge into the directory of {}, which wins",
                            name(w)
                        ),
                    ),
                    Some((w, _)) => (Role::Masked, format!("hidden by the entry of {}", name(w))),
                },
            };
            cells.push(Cell {
                layer: i,
                state,
                size,
                role,
                reason,
            });
            // What this layer hides below it.
            if blocker.is_none() {
                blocker = match (state, &ancestor_block) {
                    (_, Some(b)) => Some(b.clone()),
                    (CellState::Whiteout, _) => Some(format!("the whiteout in {}", name(i))),
                    (CellState::Opaque, _) => {
                        Some(format!("the opaque directory {path} in {}", name(i)))
                    }
                    (CellState::File | CellState::Symlink, _) => {
                        Some(format!("the {} in {}", kind_word(state), name(i)))
                    }
                    _ => None,
                };
            }
        }
        let winner = if path.is_root() {
            Some(n)
        } else {
            winner.map(|(w, _)| w)
        };
        Explanation {
            path: path.clone(),
            winner,
            cells,
        }
    }
}

fn kind_word(state: CellState) -> &'static str {
    match state {
        CellState::File => "file",
        CellState::Symlink => "symlink",
        _ => "entry",
    }
}
