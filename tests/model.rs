//! A model-based property test: random operation sequences on random images, checked after
//! every step against a flat reference model of the merged view (a map from path to entry with
//! plain POSIX semantics), plus two invariants of the engine:
//! - stacking the container layer on the image as one more layer shows the same merged view
//!   (so whiteouts and opaque directories in the container layer are exactly right);
//! - image layers never change.
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

mod fixture;

use layerlab::{
    Blob, Container, Dir, FileInode, FileType, Image, Layer, Meta, Node, Options, VPath,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const PATHS: &[&str] = &[
    "/a", "/b", "/d", "/d/a", "/d/b", "/d/e", "/d/e/a", "/e", "/e/a", "/e/d",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum M {
    File(Vec<u8>, u32),
    /// A directory; `image` is true while it is the image's own directory (renaming it is EXDEV).
    Dir(u32, bool),
}

type Model = BTreeMap<String, M>;

fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

fn below(p: &str, q: &str) -> bool {
    q.len() > p.len() && q.starts_with(p) && q.as_bytes()[p.len()] == b'/'
}

fn remove_tree(m: &mut Model, p: &str) {
    m.retain(|q, _| q != p && !below(p, q));
}

/// Applies layers the way the OCI spec describes, on a flat map: an independent reference for
/// the engine's merge.
fn flatten(layers: &[Layer]) -> Model {
    let mut m = Model::new();
    for layer in layers {
        for (path, node) in layer.walk() {
            let p = path.as_str().to_string();
            // A parent replaced by a non-directory in this layer drops what lies under it.
            if !m.contains_key(parent(&p)) && parent(&p) != "/" && !matches!(node, Node::Whiteout) {
                m.insert(parent(&p).to_string(), M::Dir(0o755, true));
            }
            match node {
                Node::Whiteout => remove_tree(&mut m, &p),
                Node::Dir(d) => {
                    if d.opaque || !matches!(m.get(&p), Some(M::Dir(..))) {
                        remove_tree(&mut m, &p);
                    }
                    m.insert(p, M::Dir(d.meta.mode, true));
                }
                Node::File(ino) => {
                    remove_tree(&mut m, &p);
                    let i = &layer.inodes[ino];
                    m.insert(p, M::File(i.data.bytes().to_vec(), i.meta.mode));
                }
                Node::Symlink(_) => unreachable!("the generator makes no symlinks"),
            }
        }
    }
    m
}

/// The engine's merged view as a flat map.
fn view(c: &Container) -> Model {
    let mut m = Model::new();
    let mut stack = vec![VPath::root()];
    while let Some(dir) = stack.pop() {
        for (name, t) in c.readdir(&dir).expect("readdir of a visible directory") {
            let p = dir.join(name).expect("valid name");
            let st = c.stat(&p).expect("stat of a listed name");
            match t {
                FileType::Dir => {
                    m.insert(p.to_string(), M::Dir(st.mode, false));
                    stack.push(p);
                }
                _ => {
                    let data = c.read(&p).expect("read").bytes().to_vec();
                    m.insert(p.to_string(), M::File(data, st.mode));
                }
            }
        }
    }
    m
}

fn without_origin(m: &Model) -> Model {
    m.iter()
        .map(|(k, v)| {
            let v = match v {
                M::Dir(mode, _) => M::Dir(*mode, false),
                f => f.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Op {
    Write(usize, u8, bool),
    Unlink(usize),
    Mkdir(usize),
    Rmdir(usize),
    Rename(usize, usize),
    Chmod(usize, u32),
    Truncate(usize, u8),
    /// `rm -rf`: children first, then the entry itself.
    RemoveTree(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let n = PATHS.len();
    prop_oneof![
        (0..n, any::<u8>(), any::<bool>()).prop_map(|(p, b, a)| Op::Write(p, b, a)),
        (0..n).prop_map(Op::Unlink),
        (0..n).prop_map(Op::Mkdir),
        (0..n).prop_map(Op::Rmdir),
        (0..n, 0..n).prop_map(|(a, b)| Op::Rename(a, b)),
        (0..n, prop_oneof![Just(0o600u32), Just(0o755), Just(0o640)])
            .prop_map(|(p, m)| Op::Chmod(p, m)),
        (0..n, 0u8..6).prop_map(|(p, l)| Op::Truncate(p, l)),
        (0..n).prop_map(Op::RemoveTree),
        (0..n).prop_map(Op::RemoveTree),
    ]
}

/// One layer: a list of (kind, path) with kind 0 file, 1 dir, 2 whiteout, 3 opaque dir.
fn layer_spec() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((0u8..4, 0..PATHS.len(), any::<u8>()), 0..8)
}

fn build_layer(spec: &[(u8, usize, u8)], lower: &Model) -> Layer {
    let mut l = Layer::new();
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
                Node::File(ino)
            }
            1 => Node::Dir(Dir::new(Meta::new(0o755, 0))),
            2 if lower.contains_key(path.as_str()) => Node::Whiteout,
            2 => continue,
            _ => Node::Dir(Dir {
                opaque: true,
                ..Dir::new(Meta::new(0o700, 0))
            }),
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

/// What the model expects of one operation: the new model or an errno.
fn model_apply(m: &mut Model, op: &Op) -> Result<(), &'static str> {
    let dir_of = |m: &Model, p: &str| -> Result<(), &'static str> {
        let par = parent(p);
        if par == "/" {
            return Ok(());
        }
        // Walk every ancestor, as the kernel does.
        let mut at = String::new();
        for c in par.split('/').filter(|c| !c.is_empty()) {
            at.push('/');
            at.push_str(c);
            match m.get(&at) {
                Some(M::Dir(..)) => {}
                Some(_) => return Err("ENOTDIR"),
                None => return Err("ENOENT"),
            }
        }
        Ok(())
    };
    let has_children = |m: &Model, p: &str| m.keys().any(|q| below(p, q));
    match *op {
        Op::Write(pi, b, append) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            match m.get_mut(p) {
                Some(M::Dir(..)) => return Err("EISDIR"),
                Some(M::File(d, _)) => {
                    if !append {
                        d.clear();
                    }
                    d.push(b);
                }
                None => {
                    m.insert(p.to_string(), M::File(vec![b], 0o644));
                }
            }
        }
        Op::Unlink(pi) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            match m.get(p) {
                None => return Err("ENOENT"),
                Some(M::Dir(..)) => return Err("EISDIR"),
                Some(_) => {
                    m.remove(p);
                }
            }
        }
        Op::Mkdir(pi) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            if m.contains_key(p) {
                return Err("EEXIST");
            }
            m.insert(p.to_string(), M::Dir(0o755, false));
        }
        Op::Rmdir(pi) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            match m.get(p) {
                None => return Err("ENOENT"),
                Some(M::File(..)) => return Err("ENOTDIR"),
                Some(M::Dir(..)) if has_children(m, p) => return Err("ENOTEMPTY"),
                Some(M::Dir(..)) => {
                    m.remove(p);
                }
            }
        }
        Op::Rename(a, b) => {
            let (from, to) = (PATHS[a], PATHS[b]);
            dir_of(m, from)?;
            let src = m.get(from).cloned().ok_or("ENOENT")?;
            dir_of(m, to)?;
            if from == to {
                return Ok(());
            }
            let src_dir = matches!(src, M::Dir(..));
            if src_dir && below(from, to) {
                return Err("EINVAL");
            }
            // The VFS says ENOTEMPTY when the target is an ancestor of the source, before it
            // compares types (seen on kernel 6.18: `rename("d/f", "d")`).
            if below(to, from) {
                return Err("ENOTEMPTY");
            }
            match (m.get(to), src_dir) {
                (Some(M::File(..)), true) => return Err("ENOTDIR"),
                (Some(M::Dir(..)), false) => return Err("EISDIR"),
                _ => {}
            }
            // overlayfs with redirect_dir=off: any directory that lower layers have is EXDEV.
            // The model marks such directories, and every directory below them, as image ones.
            // ovl_rename says so before it checks that the target directory is empty.
            if let M::Dir(_, true) = src {
                return Err("EXDEV");
            }
            if matches!((m.get(to), src_dir), (Some(M::Dir(..)), true)) && has_children(m, to) {
                return Err("ENOTEMPTY");
            }
            let moved: Vec<(String, M)> = m
                .iter()
                .filter(|(q, _)| q.as_str() == from || below(from, q))
                .map(|(q, v)| (format!("{to}{}", &q[from.len()..]), v.clone()))
                .collect();
            remove_tree(m, from);
            remove_tree(m, to);
            m.extend(moved);
        }
        Op::Chmod(pi, mode) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            match m.get_mut(p) {
                None => return Err("ENOENT"),
                Some(M::File(_, md)) | Some(M::Dir(md, _)) => *md = mode,
            }
        }
        Op::RemoveTree(pi) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            if !m.contains_key(p) {
                return Err("ENOENT");
            }
            remove_tree(m, p);
        }
        Op::Truncate(pi, len) => {
            let p = PATHS[pi];
            dir_of(m, p)?;
            match m.get_mut(p) {
                None => return Err("ENOENT"),
                Some(M::Dir(..)) => return Err("EISDIR"),
                Some(M::File(d, _)) => d.resize(len as usize, 0),
            }
        }
    }
    Ok(())
}

fn engine_apply(c: &mut Container, op: &Op) -> Result<(), &'static str> {
    let path = |i: usize| VPath::parse(PATHS[i]).expect("path");
    let r = match *op {
        Op::Write(p, b, append) => c.write_file(&path(p), &[b], append),
        Op::Unlink(p) => c.unlink(&path(p)),
        Op::Mkdir(p) => c.mkdir(&path(p), 0o755),
        Op::Rmdir(p) => c.rmdir(&path(p)),
        Op::Rename(a, b) => c.rename(&path(a), &path(b)),
        Op::Chmod(p, m) => c.chmod(&path(p), m),
        Op::Truncate(p, l) => c.truncate(&path(p), u64::from(l)),
        Op::RemoveTree(p) => remove_tree_engine(c, &path(p)),
    };
    r.map(|_| ()).map_err(|e| e.errno())
}

fn remove_tree_engine(c: &mut Container, p: &VPath) -> layerlab::Result<Vec<layerlab::Event>> {
    if c.stat(p)?.file_type != FileType::Dir {
        return c.unlink(p);
    }
    let names: Vec<String> = c.readdir(p)?.iter().map(|(n, _)| n.to_string()).collect();
    for name in names {
        remove_tree_engine(c, &p.join(&name)?)?;
    }
    c.rmdir(p)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_match_a_flat_model(
        specs in prop::collection::vec(layer_spec(), 1..4),
        ops in prop::collection::vec(op(), 1..25),
    ) {
        let mut layers = Vec::new();
        for spec in &specs {
            let below = flatten(&layers);
            layers.push(build_layer(spec, &below));
        }
        let mut model = flatten(&layers);
        let image = Arc::new(Image::new(layers.iter().cloned().map(Arc::new).collect()).expect("image"));
        let mut c = Container::new(image.clone(), Options::default());
        prop_assert_eq!(without_origin(&view(&c)), without_origin(&model));
        for (i, op) in ops.iter().enumerate() {
            let expected = model_apply(&mut model, op);
            let got = engine_apply(&mut c, op);
            prop_assert_eq!(got, expected, "step {} {:?}", i, op);
            let v = view(&c);
            prop_assert_eq!(without_origin(&v), without_origin(&model), "view after step {} {:?}", i, op);
            // The container layer stacked on the image shows exactly the same view.
            let mut stacked: Vec<Arc<Layer>> = image.layers().to_vec();
            stacked.push(Arc::new(c.upper().clone()));
            let again = Container::new(Arc::new(Image::new(stacked).expect("image")), Options::default());
            prop_assert_eq!(without_origin(&view(&again)), without_origin(&v), "stacked after step {} {:?}", i, op);
            prop_assert_eq!(c.upper_bytes(), c.upper().bytes());
            // Sizes from the image's cached part equal sizes looked up file by file.
            prop_assert_eq!(c.usage(), c.usage_by_lookup(), "usage after step {} {:?}", i, op);
        }
        for (l, orig) in image.layers().iter().zip(&layers) {
            prop_assert_eq!(l.as_ref(), orig);
        }
    }
}
