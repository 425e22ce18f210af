//! Committing a container's writable layer, and the content-addressed store of layers.
//!
//! A committed layer is identified by its DiffID: the sha256 of its canonical OCI tar. Two
//! commits that produce the same tar produce the same DiffID, and the store keeps one copy.

use crate::container::Container;
use crate::error::Result;
use crate::event::{human_bytes, EventKind};
use crate::layer::{Blob, Digest, Dir, FileInode, FileType, Layer, Meta, Node};
use crate::oci;
use crate::path::VPath;
use crate::union::Image;
use std::sync::Arc;

/// Layers by DiffID, each stored once.
#[derive(Clone, Debug, Default)]
pub struct LayerStore {
    /// Sorted by DiffID: a sorted vector rather than a `BTreeMap`, whose code for this one
    /// key type cost the wasm module 4 KB (a store holds a few dozen layers at most).
    layers: Vec<(Digest, Arc<Layer>)>,
    /// The bytes of file content of the stored layers, kept as they are added.
    bytes: u64,
}

impl LayerStore {
    /// An empty store.
    pub fn new() -> LayerStore {
        LayerStore::default()
    }

    /// Stores `layer` under its DiffID, or returns the copy already stored under that DiffID.
    /// The second value is true when the layer was new.
    pub fn add(&mut self, layer: Layer) -> (Digest, Arc<Layer>, bool) {
        let diff_id = oci::layer_diff_id(&layer);
        let at = match self.layers.binary_search_by(|(d, _)| d.cmp(&diff_id)) {
            Ok(i) => return (diff_id, self.layers[i].1.clone(), false),
            Err(i) => i,
        };
        let layer = Arc::new(layer);
        self.bytes += layer.bytes();
        self.layers.insert(at, (diff_id, layer.clone()));
        (diff_id, layer, true)
    }

    /// The layer with this DiffID.
    pub fn get(&self, diff_id: &Digest) -> Option<&Arc<Layer>> {
        let i = self.layers.binary_search_by(|(d, _)| d.cmp(diff_id)).ok()?;
        self.layers.get(i).map(|(_, l)| l)
    }

    /// Number of distinct layers stored.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// The bytes of file content of every stored layer, each counted once.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

/// What a commit produced.
#[derive(Clone, Debug)]
pub struct Commit {
    /// The new layer's DiffID.
    pub diff_id: Digest,
    /// The ChainIDs of the new image, bottom first; the last one names the whole image.
    pub chain_ids: Vec<Digest>,
    /// The new image: the old layers plus the committed one.
    pub image: Arc<Image>,
    /// True when an identical layer was already stored.
    pub reused: bool,
}

impl Container {
    /// Commits the writable layer as a new read-only layer on top of the image, the way
    /// `docker commit` or a Dockerfile step does, and continues on the new image with an empty
    /// writable layer. `diff_ids` are the DiffIDs of the current image's layers, bottom first.
    ///
    /// Directories renamed with `redirect_dir=on` point at lower paths, which an OCI tar cannot
    /// express; they are written out in full (and opaque) instead, as a diff tool would see them.
    pub fn commit(&mut self, store: &mut LayerStore, diff_ids: &[Digest]) -> Result<Commit> {
        let layer = self.committable_layer();
        let bytes = layer.bytes();
        let (diff_id, stored, added) = store.add(layer);
        let mut layers: Vec<Arc<Layer>> = self.image().layers().to_vec();
        layers.push(stored);
        let image = Arc::new(Image::new(layers)?);
        let mut ids = diff_ids.to_vec();
        ids.push(diff_id);
        let chain_ids = oci::chain_ids(&ids);
        let index = self.container_layer();
        let msg = if added {
            format!(
                "commit: the container layer ({}) became read-only layer {index} with DiffID {}",
                human_bytes(bytes),
                diff_id.short()
            )
        } else {
            format!(
                "commit: the container layer is identical to a stored layer (DiffID {}), so it is reused, not stored again",
                diff_id.short()
            )
        };
        self.record(EventKind::Commit, &VPath::root(), None, msg);
        if let Some(e) = self.last_event_mut() {
            e.bytes = bytes;
        }
        self.rebase(image.clone());
        Ok(Commit {
            diff_id,
            chain_ids,
            image,
            reused: !added,
        })
    }

    /// The writable layer as it will be committed: redirects written out in full.
    fn committable_layer(&self) -> Layer {
        let mut layer = self.upper().clone();
        let mut redirected: Vec<VPath> = Vec::new();
        for (p, n) in layer.walk() {
            if matches!(n, Node::Dir(d) if d.redirect.is_some()) {
                redirected.push(p);
            }
        }
        // Outermost first; an inner redirect is covered when its outer one is written out.
        for path in redirected {
            if !matches!(layer.get(&path), Some(Node::Dir(d)) if d.redirect.is_some()) {
                continue;
            }
            let mut dir = self.subtree(&path, &mut layer);
            dir.opaque = true;
            if let (Some(parent), Some(name)) = (path.parent(), path.name()) {
                if let Some(p) = layer.dir_mut(&parent) {
                    p.children.insert(name.to_string(), Node::Dir(dir));
                }
            }
        }
        layer.recount_links();
        layer
    }

    /// The merged view below `path` as a standalone directory, with files added to `layer`.
    fn subtree(&self, path: &VPath, layer: &mut Layer) -> Dir {
        let meta = self.stat(path).map_or(Meta::default(), |s| Meta {
            mode: s.mode,
            uid: s.uid,
            gid: s.gid,
            mtime: s.mtime,
        });
        let mut dir = Dir::new(meta);
        let Ok(children) = self.readdir(path) else {
            return dir;
        };
        for (name, t) in children {
            let Ok(p) = path.join(name) else { continue };
            let Ok(st) = self.stat(&p) else { continue };
            let m = Meta {
                mode: st.mode,
                uid: st.uid,
                gid: st.gid,
                mtime: st.mtime,
            };
            let node = match t {
                FileType::Dir => Node::Dir(self.subtree(&p, layer)),
                FileType::Symlink => layer.add_symlink(m, st.target.unwrap_or_default()),
                FileType::File => {
                    let data = self.read(&p).unwrap_or_else(|_| Blob::empty());
                    Node::File(layer.add_inode(FileInode::new(m, data)))
                }
                FileType::Whiteout => continue,
            };
            dir.children.insert(name.to_owned(), node);
        }
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Options;

    #[test]
    fn identical_layers_get_the_same_diff_id_and_are_stored_once() {
        let mut store = LayerStore::new();
        let mut a = Container::new(Arc::new(Image::empty()), Options::default());
        let mut b = a.clone();
        for c in [&mut a, &mut b] {
            c.write_file(&VPath::parse("/f").unwrap(), b"same", false)
                .unwrap();
        }
        let ca = a.commit(&mut store, &[]).unwrap();
        let cb = b.commit(&mut store, &[]).unwrap();
        assert_eq!(ca.diff_id, cb.diff_id);
        assert!(cb.reused && !ca.reused);
        assert_eq!(store.len(), 1);
        assert_eq!(ca.chain_ids, vec![ca.diff_id]);
    }

    #[test]
    fn commit_continues_on_the_new_image_with_an_empty_writable_layer() {
        let mut store = LayerStore::new();
        let mut c = Container::new(Arc::new(Image::empty()), Options::default());
        c.write_file(&VPath::parse("/f").unwrap(), b"1", false)
            .unwrap();
        let first = c.commit(&mut store, &[]).unwrap();
        assert_eq!(c.image().layers().len(), 1);
        assert_eq!(c.upper().entry_count(), 0);
        c.unlink(&VPath::parse("/f").unwrap()).unwrap();
        let second = c.commit(&mut store, &[first.diff_id]).unwrap();
        assert_eq!(second.chain_ids.len(), 2);
        assert!(!c.exists(&VPath::parse("/f").unwrap()));
        assert_eq!(c.events().last().map(|e| e.kind), Some(EventKind::Commit));
    }

    #[test]
    fn a_redirected_directory_is_committed_in_full() {
        let opts = Options {
            redirect_dir: true,
            ..Options::default()
        };
        let mut store = LayerStore::new();
        let mut c = Container::new(Arc::new(Image::empty()), opts);
        c.mkdir(&VPath::parse("/d").unwrap(), 0o755).unwrap();
        c.write_file(&VPath::parse("/d/x").unwrap(), b"x", false)
            .unwrap();
        c.commit(&mut store, &[]).unwrap();
        c.rename(&VPath::parse("/d").unwrap(), &VPath::parse("/e").unwrap())
            .unwrap();
        let commit = c.commit(&mut store, &[]).unwrap();
        let top = commit.image.layers().last().unwrap().clone();
        let e = top
            .get(&VPath::parse("/e").unwrap())
            .and_then(Node::as_dir)
            .unwrap();
        assert!(e.opaque && e.redirect.is_none() && e.children.contains_key("x"));
        assert_eq!(
            c.read(&VPath::parse("/e/x").unwrap()).unwrap().bytes(),
            b"x"
        );
    }
}
