//! Read-only views for a user interface: the tree of any layer or of the merged view, path
//! completion for a terminal, and the default scenario the page starts from.
//!
//! Nothing here changes a container. The wasm face hands these values to JavaScript as they
//! are, so their serialised shapes (camelCase keys) are the page's data model.

use crate::container::Container;
use crate::error::{Error, ErrorKind, Result};
use crate::host::BaseLayer;
use crate::layer::{Blob, FileType, Layer, Node};
use crate::path::VPath;
use crate::shell::Shell;
use serde::Serialize;

/// Which tree to list: the merged view, the container's writable layer, or one image layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// What a process in the container sees.
    Merged,
    /// The container's writable layer (whiteouts and opaque directories included).
    Container,
    /// An image layer, by index from 0 at the bottom.
    Image(usize),
}

impl Which {
    /// Parses `merged`, `container` or a decimal image layer index.
    pub fn parse(s: &str) -> Result<Which> {
        match s {
            "merged" => Ok(Which::Merged),
            "container" => Ok(Which::Container),
            _ => s.parse::<usize>().map(Which::Image).map_err(|_| {
                Error::without_path(
                    ErrorKind::InvalidInput,
                    "tree",
                    format!("no tree named {s:?}: use \"merged\", \"container\" or a layer index"),
                )
            }),
        }
    }
}

/// What kind of entry a tree holds at a path. Layers may hold whiteouts and opaque
/// directories; the merged view never does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A directory that hides everything the layers below have under it.
    Opaque,
    /// A symbolic link.
    Symlink,
    /// A whiteout: the name is deleted from the layers below.
    Whiteout,
}

/// One entry of a tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeEntry {
    /// The absolute path.
    pub path: String,
    /// What the entry is.
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    /// Bytes of content for files, the target's length for symlinks, 0 otherwise.
    pub size: u64,
    /// Permission bits (0 for whiteouts).
    pub mode: u32,
    /// The target, for symlinks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For the merged view: the layer the entry comes from (the container layer is the number
    /// of image layers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// For a directory renamed with `redirect_dir=on`: the lower path it merges with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// For a file copied up with `metacopy=on`: true while its data is still below.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub metacopy: bool,
}

impl Container {
    /// The entries of a tree in tree order (depth first, names sorted, a directory before its
    /// children), the root left out.
    pub fn tree(&self, which: Which) -> Result<Vec<TreeEntry>> {
        match which {
            Which::Merged => Ok(self.merged_tree()),
            Which::Container => Ok(layer_tree(self.upper())),
            Which::Image(i) => {
                let layer = self.image().layers().get(i).ok_or_else(|| {
                    Error::without_path(
                        ErrorKind::NotFound,
                        "tree",
                        format!(
                            "the image has no layer {i} (it has {})",
                            self.image().layers().len()
                        ),
                    )
                })?;
                Ok(layer_tree(layer))
            }
        }
    }

    fn merged_tree(&self) -> Vec<TreeEntry> {
        let mut out = Vec::new();
        // An explicit stack (the next entry last) rather than recursion, so that a deep tree
        // cannot overflow the small wasm stack; children go on in reverse so that the order is
        // depth first with sorted names.
        let mut stack = self.merged_children(&VPath::root());
        while let Some((path, entry)) = stack.pop() {
            let is_dir = entry.entry_type == EntryType::Dir;
            out.push(entry);
            if is_dir {
                stack.extend(self.merged_children(&path));
            }
        }
        out
    }

    /// The merged view's entries directly under `dir`, in reverse name order.
    fn merged_children(&self, dir: &VPath) -> Vec<(VPath, TreeEntry)> {
        let Ok(children) = self.readdir(dir) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(children.len());
        for (name, _) in children.into_iter().rev() {
            let Ok(path) = dir.join(name) else { continue };
            let Ok(st) = self.stat(&path) else { continue };
            let (entry_type, size) = match st.file_type {
                FileType::Dir => (EntryType::Dir, 0),
                FileType::Symlink => (EntryType::Symlink, st.size),
                FileType::File => (EntryType::File, st.size),
                FileType::Whiteout => (EntryType::Whiteout, 0),
            };
            let entry = TreeEntry {
                path: path.to_string(),
                entry_type,
                size,
                mode: st.mode,
                target: st.target,
                layer: Some(st.layer),
                redirect: None,
                metacopy: false,
            };
            out.push((path, entry));
        }
        out
    }
}

/// The entries of one layer in tree order, whiteouts and opaque directories as they are.
pub fn layer_tree(layer: &Layer) -> Vec<TreeEntry> {
    let walk = layer.walk();
    let mut out = Vec::with_capacity(walk.len());
    for (path, node) in walk {
        out.push(layer_entry(layer, path, node));
    }
    out
}

/// One layer's entry at `path` as the page shows it.
fn layer_entry(layer: &Layer, path: VPath, node: &Node) -> TreeEntry {
    let (entry_type, size, mode, target, redirect, metacopy) = match node {
        Node::File(_) => {
            let inode = layer.inode(node);
            (
                EntryType::File,
                inode.map_or(0, |i| i.data.len()),
                inode.map_or(0, |i| i.meta.mode),
                None,
                None,
                inode.is_some_and(|i| i.metacopy),
            )
        }
        Node::Dir(d) => (
            if d.opaque {
                EntryType::Opaque
            } else {
                EntryType::Dir
            },
            0,
            d.meta.mode,
            None,
            d.redirect.as_ref().map(VPath::to_string),
            false,
        ),
        Node::Symlink(ino) => {
            let target = layer.target(*ino).unwrap_or_default();
            (
                EntryType::Symlink,
                target.len() as u64,
                0o777,
                Some(target.to_string()),
                None,
                false,
            )
        }
        Node::Whiteout => (EntryType::Whiteout, 0, 0, None, None, false),
    };
    TreeEntry {
        path: path.to_string(),
        entry_type,
        size,
        mode,
        target,
        layer: None,
        redirect,
        metacopy,
    }
}

impl Container {
    /// The entries directly under the directory `dir` of a tree, sorted by name: one level, so
    /// that a page can list a large tree lazily, a directory when it is opened. A layer that
    /// has no directory at `dir` lists nothing; the merged view fails as `readdir` would.
    pub fn list(&self, which: Which, dir: &VPath) -> Result<Vec<TreeEntry>> {
        let layer = match which {
            Which::Merged => {
                // `readdir` first, for its error on a missing path or a non-directory.
                self.readdir(dir)?;
                // Taken off the end, so in reverse order; loops rather than collects here,
                // which compiled the vector's growth for each iterator type.
                let mut children = self.merged_children(dir);
                let mut out = Vec::with_capacity(children.len());
                while let Some((_, e)) = children.pop() {
                    out.push(e);
                }
                return Ok(out);
            }
            Which::Container => self.upper(),
            Which::Image(i) => self.image().layers().get(i).ok_or_else(|| {
                Error::without_path(ErrorKind::NotFound, "list", format!("no layer {i}"))
            })?,
        };
        let Some(d) = layer.dir(dir) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(d.children.len());
        for (name, node) in d.children.iter() {
            if let Ok(path) = dir.join(name) {
                out.push(layer_entry(layer, path, node));
            }
        }
        Ok(out)
    }
}

impl Container {
    /// The content of the regular file at `path` in one tree, as that tree holds it: the
    /// merged view reads as [`Container::read`] does; a layer (the container's or an image
    /// layer) gives its own file even where layers above mask or delete it, so that "why" can
    /// show what a masked file holds. A metadata-only copy-up (`metacopy=on`) in the container
    /// layer has the lower file's data, which is what it returns. Fails with `ENOENT` where the
    /// layer has no entry at `path`, `EISDIR` on a directory, `EINVAL` on a symlink or a
    /// whiteout.
    pub fn read_in(&self, which: Which, path: &VPath) -> Result<Blob> {
        let layer = match which {
            Which::Merged => return self.read(path),
            Which::Container => self.upper(),
            Which::Image(i) => self.image().layers().get(i).ok_or_else(|| {
                Error::without_path(ErrorKind::NotFound, "read", format!("no layer {i}"))
            })?,
        };
        let fail = |kind, what: &str| {
            Err(Error::new(kind, "read", path.as_str()).with_detail(format!(
                "{} holds {what} at {path}, not a file",
                match which {
                    Which::Image(i) => format!("layer {i}"),
                    _ => "the container layer".to_string(),
                }
            )))
        };
        match layer.get(path) {
            Some(node @ Node::File(_)) => layer
                .inode(node)
                .map(|i| i.data.clone())
                .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "read", path.as_str())),
            Some(Node::Dir(_)) => fail(ErrorKind::IsADirectory, "a directory"),
            Some(Node::Symlink(_)) => fail(ErrorKind::InvalidInput, "a symlink"),
            Some(Node::Whiteout) => fail(ErrorKind::InvalidInput, "a whiteout"),
            None => fail(ErrorKind::NotFound, "nothing"),
        }
    }
}

/// The most completions one call returns.
pub const MAX_COMPLETIONS: usize = 200;

impl Shell {
    /// Completes the path `word` as a terminal's Tab would, relative to the working directory:
    /// every visible name in the named directory that starts with the last component, written
    /// as `word` with that component completed and a `/` after directories. Names that begin
    /// with a dot are offered only when the component does. Sorted; at most
    /// [`MAX_COMPLETIONS`].
    pub fn complete(&self, word: &str) -> Vec<String> {
        let (dir_part, prefix) = match word.rfind('/') {
            Some(i) => (&word[..=i], &word[i + 1..]),
            None => ("", word),
        };
        let c = self.container();
        let dir = if dir_part.is_empty() {
            Ok(self.cwd().clone())
        } else {
            c.resolve(self.cwd(), dir_part, true)
        };
        let Ok(names) = dir.and_then(|d| {
            let names = c.readdir(&d)?;
            Ok((d, names))
        }) else {
            return Vec::new();
        };
        let (dir, names) = names;
        // A plain loop: the same filter, take and map as iterator adapters compiled to an
        // in-place collect of their own (376 bytes more in the page's wasm, BENCHMARKS.md).
        let mut out = Vec::new();
        for (name, t) in names {
            if out.len() == MAX_COMPLETIONS {
                break;
            }
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                continue;
            }
            // A symlink to a directory completes like a directory, as in bash.
            let is_dir = t == FileType::Dir
                || (t == FileType::Symlink
                    && dir
                        .join(name)
                        .and_then(|p| c.resolve(&VPath::root(), p.as_str(), true))
                        .and_then(|p| c.stat(&p))
                        .is_ok_and(|s| s.file_type == FileType::Dir));
            let slash = if is_dir { "/" } else { "" };
            out.push(format!("{dir_part}{name}{slash}"));
        }
        out
    }
}

/// The scenario the page starts from when it is given none: a small Linux-like image in three
/// layers, built the way a Dockerfile builds one. The second layer deletes a file of the first
/// (a whiteout) and the third replaces a directory (an opaque directory), so both are there
/// from the start.
pub fn default_scenario() -> Vec<BaseLayer> {
    let layer = |created_by: &str, script: &str| BaseLayer {
        created_by: created_by.to_string(),
        script: script.to_string(),
    };
    vec![
        layer(
            "ADD rootfs.tar / # a minimal Linux base",
            r#"mkdir -p /bin /etc /root /tmp /usr/bin /usr/share/doc/base /var/log
chmod 700 /root
chmod 1777 /tmp
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > /etc/passwd
printf 'PRETTY_NAME="Layer Lab Linux 1.0"\nNAME="Layer Lab Linux"\nID=layerlab\nVERSION_ID="1.0"\n' > /etc/os-release
echo 'layerlab' > /etc/hostname
printf '#!/bin/busybox\n# one binary, many names\n' > /bin/busybox
chmod 755 /bin/busybox
ln -s busybox /bin/sh
ln -s busybox /bin/ls
ln -s ../../bin/busybox /usr/bin/env
printf 'Layer Lab Linux base system.\nCopyright: public domain.\n' > /usr/share/doc/base/copyright
printf 'Long changelog of the base system.\n' > /usr/share/doc/base/changelog
printf 'boot: ok\nnet: up\n' > /var/log/boot.log"#,
        ),
        layer(
            "RUN install the app # its config and data; drop the boot log",
            r#"mkdir -p /app/config /app/data
printf 'debug=false\nport=8080\nlog=/var/log/app.log\n' > /app/config/app.conf
printf 'id,name\n1,alpha\n2,beta\n3,gamma\n' > /app/data/seed.csv
echo 'v1' > /app/VERSION
printf '#!/bin/sh\nexec /app/server --config /app/config/app.conf\n' > /app/start.sh
chmod 755 /app/start.sh
rm /var/log/boot.log"#,
        ),
        layer(
            "RUN upgrade to v2 # override a file, trim the docs",
            r#"echo 'v2' > /app/VERSION
rm -rf /usr/share/doc/base
mkdir /usr/share/doc/base
echo 'Docs trimmed to save space.' > /usr/share/doc/base/README"#,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Options;
    use crate::host::Host;

    fn host() -> Host {
        Host::new(default_scenario(), Options::default()).unwrap()
    }

    fn paths(entries: &[TreeEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| format!("{} {:?}", e.path, e.entry_type))
            .collect()
    }

    #[test]
    fn the_default_scenario_has_a_whiteout_and_an_opaque_directory() {
        let host = host();
        let c = host.container().unwrap();
        let l1 = c.tree(Which::Image(1)).unwrap();
        assert!(l1
            .iter()
            .any(|e| e.path == "/var/log/boot.log" && e.entry_type == EntryType::Whiteout));
        let l2 = c.tree(Which::Image(2)).unwrap();
        assert!(l2
            .iter()
            .any(|e| e.path == "/usr/share/doc/base" && e.entry_type == EntryType::Opaque));
    }

    #[test]
    fn the_merged_tree_is_in_tree_order_and_names_each_entrys_layer() {
        let host = host();
        let merged = host.container().unwrap().tree(Which::Merged).unwrap();
        let listed = paths(&merged);
        // A directory comes right before its children, and `/app/VERSION` before `/app/config`
        // (byte order), even though "/app/config/app.conf" sorts after "/app/config-x".
        let i = listed.iter().position(|p| p == "/app Dir").unwrap();
        assert_eq!(listed[i + 1], "/app/VERSION File");
        assert_eq!(listed[i + 2], "/app/config Dir");
        assert_eq!(listed[i + 3], "/app/config/app.conf File");
        let version = merged.iter().find(|e| e.path == "/app/VERSION").unwrap();
        assert_eq!(version.layer, Some(2));
        assert_eq!(version.size, 3);
        assert!(!listed.iter().any(|p| p.starts_with("/var/log/boot.log")));
        assert!(!listed.iter().any(|p| p.contains("changelog")));
        let sh = merged.iter().find(|e| e.path == "/bin/sh").unwrap();
        assert_eq!(sh.target.as_deref(), Some("busybox"));
    }

    #[test]
    fn tree_order_puts_a_directory_before_siblings_that_sort_between() {
        let mut host = host();
        host.run("mkdir /d /d-x; touch /d/f /d-x/g").unwrap();
        let merged = host.container().unwrap().tree(Which::Merged).unwrap();
        let listed = paths(&merged);
        let i = listed.iter().position(|p| p == "/d Dir").unwrap();
        assert_eq!(
            listed[i + 1..i + 4],
            ["/d/f File", "/d-x Dir", "/d-x/g File"]
        );
        let upper = host.container().unwrap().tree(Which::Container).unwrap();
        assert_eq!(
            paths(&upper),
            ["/d Dir", "/d/f File", "/d-x Dir", "/d-x/g File"]
        );
    }

    #[test]
    fn a_container_tree_shows_whiteouts_copy_ups_and_opaque_dirs() {
        let mut host = host();
        host.run("rm /etc/hosts; echo x >> /app/VERSION; rm -rf /app/data; mkdir /app/data")
            .unwrap();
        let upper = host.container().unwrap().tree(Which::Container).unwrap();
        assert_eq!(
            paths(&upper),
            [
                "/app Dir",
                "/app/VERSION File",
                "/app/data Opaque",
                "/etc Dir",
                "/etc/hosts Whiteout"
            ]
        );
    }

    #[test]
    fn a_missing_layer_or_tree_name_is_an_error() {
        let host = host();
        let c = host.container().unwrap();
        assert_eq!(
            c.tree(Which::Image(9)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            Which::parse("upper").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(Which::parse("1").unwrap(), Which::Image(1));
    }

    #[test]
    fn completion_is_relative_to_the_working_directory() {
        let mut host = host();
        host.run("cd /app").unwrap();
        let sh = host.shell().unwrap();
        assert_eq!(sh.complete("con"), ["config/"]);
        assert_eq!(sh.complete("config/a"), ["config/app.conf"]);
        assert_eq!(sh.complete("/et"), ["/etc/"]);
        assert_eq!(sh.complete("/etc/ho"), ["/etc/hostname", "/etc/hosts"]);
        assert_eq!(sh.complete("/nope/x"), Vec::<String>::new());
        assert_eq!(sh.complete("/usr/bin/e"), ["/usr/bin/env"]);
        assert_eq!(sh.complete("../bi"), ["../bin/"]);
    }

    #[test]
    fn completion_hides_dot_names_follows_symlinks_and_stops_at_the_limit() {
        let mut host = host();
        let many: Vec<String> = (0..MAX_COMPLETIONS + 3)
            .map(|i| format!("m{i:03}"))
            .collect();
        host.run(&format!(
            "mkdir /t; cd /t; touch .dot dfile {}; ln -s /etc ldir; ln -s dfile lfile",
            many.join(" ")
        ))
        .unwrap();
        let sh = host.shell().unwrap();
        assert_eq!(sh.complete("d"), ["dfile"]);
        assert_eq!(sh.complete("."), [".dot"]);
        // `.dot` sorts first: without the rule it would lead the list.
        assert_eq!(sh.complete("").first().map(String::as_str), Some("dfile"));
        assert_eq!(sh.complete("l"), ["ldir/", "lfile"]);
        let offered = sh.complete("m");
        assert_eq!(offered.len(), MAX_COMPLETIONS);
        assert_eq!(offered, many[..MAX_COMPLETIONS]);
    }

    #[test]
    fn a_listing_is_one_level_of_a_tree() {
        let mut host = host();
        host.run("rm /app/VERSION").unwrap();
        let c = host.container().unwrap();
        let app = VPath::parse("/app").unwrap();
        let merged = c.list(Which::Merged, &app).unwrap();
        assert_eq!(
            paths(&merged),
            ["/app/config Dir", "/app/data Dir", "/app/start.sh File"]
        );
        assert_eq!(merged[0].layer, Some(1));
        let upper = c.list(Which::Container, &app).unwrap();
        assert_eq!(paths(&upper), ["/app/VERSION Whiteout"]);
        let l0 = c.list(Which::Image(0), &app).unwrap();
        assert!(l0.is_empty(), "layer 0 has no /app");
        let hosts = VPath::parse("/etc/hosts").unwrap();
        assert_eq!(
            c.list(Which::Merged, &hosts).unwrap_err().kind(),
            ErrorKind::NotADirectory
        );
        // The listings of every directory, in tree order, are the tree.
        let mut all = Vec::new();
        let mut stack = vec![VPath::root()];
        while let Some(d) = stack.pop() {
            let entries = c.list(Which::Merged, &d).unwrap();
            for e in entries.iter().rev() {
                if e.entry_type == EntryType::Dir {
                    stack.push(VPath::parse(&e.path).unwrap());
                }
            }
            all.extend(entries.into_iter().map(|e| e.path));
        }
        all.sort();
        let mut tree: Vec<String> = c
            .tree(Which::Merged)
            .unwrap()
            .into_iter()
            .map(|e| e.path)
            .collect();
        tree.sort();
        assert_eq!(all, tree);
    }
}
