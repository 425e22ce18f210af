//! Layer Lab: a union filesystem with copy-on-write that follows Linux overlayfs, built to show
//! people how container images and their layers work.
//!
//! ```
//! use layerlab::{Container, Image, Layer, Options, VPath};
//! use std::sync::Arc;
//!
//! // One image layer holding /etc/hosts, and a container on top of it.
//! let mut base = Container::new(Arc::new(Image::empty()), Options::default());
//! base.mkdir(&VPath::parse("/etc").unwrap(), 0o755).unwrap();
//! base.write_file(&VPath::parse("/etc/hosts").unwrap(), b"127.0.0.1 localhost\n", false).unwrap();
//! let image = Arc::new(Image::new(vec![Arc::new(base.upper().clone())]).unwrap());
//! let mut c = Container::new(image, Options::default());
//!
//! // Deleting a lower file leaves a whiteout in the container layer.
//! let events = c.unlink(&VPath::parse("/etc/hosts").unwrap()).unwrap();
//! assert_eq!(events.last().unwrap().kind, layerlab::EventKind::Whiteout);
//! ```

pub mod browse;
pub mod container;
pub mod error;
pub mod event;
pub mod host;
pub mod inspect;
pub mod json;
pub mod layer;
pub mod oci;
pub mod path;
pub mod shell;
mod sort;
pub mod store;
pub mod union;

// The only module that touches JavaScript; native builds never compile it.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

// The wasm benchmarks include benches/workloads.rs, which names the crate as the bench does.
#[cfg(all(target_arch = "wasm32", feature = "wasm-bench"))]
extern crate self as layerlab;

pub use browse::{default_scenario, EntryType, TreeEntry, Which};
pub use container::{Container, Limits, Options, Stat};
pub use error::{Error, ErrorKind, Result};
pub use event::{Event, EventKind};
pub use host::{Action, BaseLayer, ContainerInfo, Host, LayerInfo, SavedState};
pub use inspect::{Cell, CellState, Change, Explanation, ImageUsage, LayerUsage, Role, Usage};
pub use layer::{
    Blob, ChildEntry, Children, ChildrenIntoIter, ChildrenIter, Digest, Dir, FileInode, FileType,
    Inodes, InodesIter, Layer, Meta, Node,
};
pub use path::VPath;
pub use shell::{Output, Shell};
pub use store::{Commit, LayerStore};
pub use union::Image;
