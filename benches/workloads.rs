//! The Layer Lab side of the engine benchmarks, shared by the native bench (`benches/engine.rs`)
//! and its wasm counterpart (`src/wasm.rs`, behind the `wasm-bench` feature, run under Node by
//! `benches/wasm-node.mjs`): the sizes, the deterministic image and operations (fixed seeds), and
//! the Layer Lab operations themselves. No clock here: each side times these its own way.

use layerlab::{Blob, Container, Dir, FileInode, Layer, Meta, Node, VPath};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

// ----- sizes ----------------------------------------------------------------------------------

pub struct Cfg {
    pub quick: bool,
    pub top_dirs: usize,
    pub sub_dirs: usize,
    pub files: usize,
    pub overrides: usize,
    pub whiteouts: usize,
    pub stats: usize,
    pub layer_counts: Vec<usize>,
    pub script_layers: usize,
    pub script_ops: usize,
    pub big_entries: usize,
    pub big_layers: usize,
    pub big_whiteouts: usize,
    pub commit_files: usize,
    pub commit_file_bytes: usize,
    /// Wall time spent repeating one warm measurement (at least one repetition always runs).
    pub budget: Duration,
}

impl Cfg {
    /// The full sizes (the figures of BENCHMARKS.md), or small ones for a smoke run.
    pub fn new(quick: bool) -> Cfg {
        if quick {
            Cfg {
                quick,
                top_dirs: 5,
                sub_dirs: 10,
                files: 5_000,
                overrides: 250,
                whiteouts: 50,
                stats: 1_000,
                layer_counts: vec![1, 8, 16],
                script_layers: 8,
                script_ops: 1_000,
                big_entries: 1_000,
                big_layers: 4,
                big_whiteouts: 50,
                commit_files: 4,
                commit_file_bytes: 1_000_000,
                budget: Duration::from_millis(100),
            }
        } else {
            Cfg {
                quick,
                // 25 x 40 = 1 000 directories of 100 files each.
                top_dirs: 25,
                sub_dirs: 40,
                files: 100_000,
                overrides: 5_000,
                whiteouts: 1_000,
                stats: 10_000,
                layer_counts: vec![1, 8, 64, 128],
                script_layers: 8,
                script_ops: 10_000,
                big_entries: 10_000,
                big_layers: 16,
                big_whiteouts: 500,
                commit_files: 100,
                commit_file_bytes: 1_000_000,
                budget: Duration::from_millis(1500),
            }
        }
    }
}

// ----- the image, described once and built three ways -------------------------------------------

/// One entry of a layer: a file with its content, or a whiteout.
#[derive(Clone)]
pub enum Entry {
    File(Vec<u8>),
    Whiteout,
}

/// A layer as a list of absolute paths; parent directories are implied.
#[derive(Clone, Default)]
pub struct LayerSpec {
    pub entries: Vec<(String, Entry)>,
}

/// The 100 000-file tree: every file in the bottom layer; overrides and whiteouts spread over the
/// layers above (most files stay in the bottom layer, as in real images).
pub struct Tree {
    pub dirs: Vec<String>,
    pub files: Vec<String>,
    pub overridden: Vec<usize>,
    pub whited: Vec<usize>,
    /// Files visible in every layer count (never whited out).
    pub visible: Vec<usize>,
}

impl Tree {
    pub fn new(cfg: &Cfg) -> Tree {
        let mut dirs = Vec::new();
        for a in 0..cfg.top_dirs {
            for b in 0..cfg.sub_dirs {
                dirs.push(format!("/d{a:02}/s{b:02}"));
            }
        }
        let per_dir = cfg.files / dirs.len();
        let mut files = Vec::with_capacity(cfg.files);
        for d in &dirs {
            for j in 0..per_dir {
                files.push(format!("{d}/f{j:04}"));
            }
        }
        let mut rng = fastrand::Rng::with_seed(1);
        let mut order: Vec<usize> = (0..files.len()).collect();
        rng.shuffle(&mut order);
        let overridden = order[..cfg.overrides].to_vec();
        let whited = order[cfg.overrides..cfg.overrides + cfg.whiteouts].to_vec();
        let gone: BTreeSet<usize> = whited.iter().copied().collect();
        let visible = (0..files.len()).filter(|i| !gone.contains(i)).collect();
        Tree {
            dirs,
            files,
            overridden,
            whited,
            visible,
        }
    }

    /// The layers of the image with `n` layers, bottom first. With one layer there is nothing
    /// above to override or delete from.
    pub fn layers(&self, n: usize) -> Vec<LayerSpec> {
        let mut layers = vec![LayerSpec::default(); n];
        layers[0].entries = self
            .files
            .iter()
            .map(|f| (f.clone(), Entry::File(content(f, 0))))
            .collect();
        if n > 1 {
            let mut rng = fastrand::Rng::with_seed(2);
            for &i in &self.overridden {
                let l = 1 + rng.usize(..n - 1);
                let f = &self.files[i];
                layers[l]
                    .entries
                    .push((f.clone(), Entry::File(content(f, l))));
            }
            for &i in &self.whited {
                let l = 1 + rng.usize(..n - 1);
                layers[l]
                    .entries
                    .push((self.files[i].clone(), Entry::Whiteout));
            }
        }
        layers
    }
}

pub fn content(path: &str, layer: usize) -> Vec<u8> {
    format!("{path} from layer {layer}\n").into_bytes()
}

/// The 10 000-entry directory spread over `big_layers` layers: entry i lives in layer
/// i % layers, one in ten is shadowed again by a copy in a higher layer, and `big_whiteouts`
/// entries are whited out from the top layer.
pub fn big_dir_layers(cfg: &Cfg) -> Vec<LayerSpec> {
    let n = cfg.big_layers;
    let mut layers = vec![LayerSpec::default(); n];
    let mut rng = fastrand::Rng::with_seed(3);
    for i in 0..cfg.big_entries {
        let l = i % n;
        let p = format!("/big/e{i:05}");
        layers[l]
            .entries
            .push((p.clone(), Entry::File(content(&p, l))));
        if i % 10 == 0 && l + 1 < n {
            let up = l + 1 + rng.usize(..n - l - 1);
            layers[up]
                .entries
                .push((p.clone(), Entry::File(content(&p, up))));
        }
    }
    // Whiteouts go in the top layer, over entries that live below it only.
    let mut victims: Vec<usize> = (0..cfg.big_entries)
        .filter(|i| i % n != n - 1 && i % 10 != 0)
        .collect();
    rng.shuffle(&mut victims);
    for &i in &victims[..cfg.big_whiteouts] {
        layers[n - 1]
            .entries
            .push((format!("/big/e{i:05}"), Entry::Whiteout));
    }
    layers
}

// ----- Layer Lab ---------------------------------------------------------------------------------

pub fn ll_layer(spec: &LayerSpec) -> Layer {
    let mut layer = Layer::new();
    layer.root.meta = Meta::new(0o755, 0);
    for (path, entry) in &spec.entries {
        let node = match entry {
            Entry::File(bytes) => Node::File(layer.add_inode(FileInode::new(
                Meta::new(0o644, 0),
                Blob::new(bytes.clone()),
            ))),
            Entry::Whiteout => Node::Whiteout,
        };
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let (name, parents) = comps.split_last().expect("not the root");
        let mut dir = &mut layer.root;
        for c in parents {
            dir = dir
                .children
                .entry(c.to_string())
                .or_insert_with(|| Node::Dir(Dir::new(Meta::new(0o755, 0))))
                .as_dir_mut()
                .expect("a directory");
        }
        dir.children.insert(name.to_string(), node);
    }
    layer.recount_links();
    layer
}

// ----- workload 1: stat -----------------------------------------------------------------------------
pub fn stat_paths(cfg: &Cfg, tree: &Tree) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(4);
    (0..cfg.stats)
        .map(|_| tree.files[tree.visible[rng.usize(..tree.visible.len())]].clone())
        .collect()
}

pub fn ll_stat_pass(c: &Container, paths: &[String]) {
    for p in paths {
        let st = c.stat(&VPath::parse(p).expect("path")).expect("stat");
        black_box(st);
    }
}
// ----- workload 2: an operation script -------------------------------------------------------------

#[derive(Clone)]
pub enum Op {
    Create(String, Vec<u8>),
    Append(String, Vec<u8>),
    Delete(String),
    Rename(String, String),
    Readdir(String),
}

/// 40 % new files, 25 % appends to lower files (copy-ups), 20 % deletions of lower files
/// (whiteouts), 10 % renames of lower files, 5 % readdirs; each lower file is touched once, so
/// every append is a copy-up and every deletion a whiteout.
pub fn script(cfg: &Cfg, tree: &Tree) -> Vec<Op> {
    let n = cfg.script_ops;
    let counts = [n * 40 / 100, n * 25 / 100, n * 20 / 100, n * 10 / 100];
    let mut kinds = Vec::with_capacity(n);
    for (k, &c) in counts.iter().enumerate() {
        kinds.extend(std::iter::repeat_n(k, c));
    }
    kinds.resize(n, 4);
    let mut rng = fastrand::Rng::with_seed(5);
    rng.shuffle(&mut kinds);
    let mut pool = tree.visible.clone();
    rng.shuffle(&mut pool);
    let mut pool = pool.into_iter();
    let mut ops = Vec::with_capacity(n);
    for (i, k) in kinds.into_iter().enumerate() {
        let dir = &tree.dirs[rng.usize(..tree.dirs.len())];
        ops.push(match k {
            0 => Op::Create(
                format!("{dir}/new{i}"),
                format!("new file {i}\n").into_bytes(),
            ),
            1 => Op::Append(
                tree.files[pool.next().expect("pool")].clone(),
                format!("appended {i}\n").into_bytes(),
            ),
            2 => Op::Delete(tree.files[pool.next().expect("pool")].clone()),
            3 => Op::Rename(
                tree.files[pool.next().expect("pool")].clone(),
                format!("{dir}/moved{i}"),
            ),
            _ => Op::Readdir(dir.clone()),
        });
    }
    ops
}

pub fn ll_script(c: &mut Container, ops: &[Op]) {
    let p = |s: &str| VPath::parse(s).expect("path");
    for op in ops {
        match op {
            Op::Create(path, data) => {
                black_box(c.write_file(&p(path), data, false).expect("create"));
            }
            Op::Append(path, data) => {
                black_box(c.append(&p(path), data).expect("append"));
            }
            Op::Delete(path) => {
                black_box(c.unlink(&p(path)).expect("unlink"));
            }
            Op::Rename(from, to) => {
                black_box(c.rename(&p(from), &p(to)).expect("rename"));
            }
            Op::Readdir(path) => {
                black_box(c.readdir(&p(path)).expect("readdir"));
            }
        }
    }
}
// ----- workload 4: commit ----------------------------------------------------------------------

/// The layer committed: `commit_files` files of `commit_file_bytes` random bytes.
pub fn commit_layer(cfg: &Cfg) -> Layer {
    let mut rng = fastrand::Rng::with_seed(6);
    let mut spec = LayerSpec::default();
    for i in 0..cfg.commit_files {
        let mut bytes = vec![0u8; cfg.commit_file_bytes];
        rng.fill(&mut bytes);
        spec.entries.push((
            format!("/data/d{:02}/blob{i:04}", i % 10),
            Entry::File(bytes),
        ));
    }
    ll_layer(&spec)
}
