//! OCI layer tars in and out: the only place in the crate where the `.wh.` spelling appears.
//!
//! A layer tar is a changeset (OCI image spec, `layer.md`). Its entries add or replace files,
//! directories and links; an empty file named `.wh.NAME` deletes `NAME` from the layers below,
//! and `DIR/.wh..wh..opq` hides everything lower layers have under `DIR`. In the model both are
//! first-class: [`Node::Whiteout`] and [`Dir::opaque`]. Import turns the spellings into the
//! model; export turns the model back into a canonical tar whose sha256 is the layer's DiffID.
//!
//! ```
//! use layerlab::layer::{Blob, Dir, FileInode, Layer, Meta, Node};
//! use layerlab::oci::{export_layer, import_layer};
//!
//! let mut layer = Layer::new();
//! let ino = layer.add_inode(FileInode::new(Meta::new(0o644, 0), Blob::new(b"hi\n".to_vec())));
//! let mut etc = Dir::new(Meta::new(0o755, 0));
//! etc.children.insert("motd".into(), Node::File(ino));
//! etc.children.insert("hosts".into(), Node::Whiteout);
//! layer.root.children.insert("etc".into(), Node::Dir(etc));
//! layer.recount_links();
//!
//! // The whiteout travels as an empty file named `etc/.wh.hosts`, and comes back as a whiteout.
//! let tar = export_layer(&layer);
//! // (The root itself has no entry, so it comes back implicit: its metadata is the lower layers'.)
//! assert_eq!(import_layer(&tar).unwrap().root.children, layer.root.children);
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::layer::{Blob, Digest, Dir, FileInode, Layer, Meta, Node};
use crate::path::{check_name, VPath, PATH_MAX};
use sha2::{Digest as _, Sha256};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{self, Read};
use std::rc::Rc;
use tar::{EntryType, Header};

/// The prefix that marks a whiteout in a layer tar.
const WHITEOUT_PREFIX: &str = ".wh.";
/// The name of the entry that makes its directory opaque.
const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// The operation named in import errors.
const OP: &str = "import";
/// Tar works in blocks of this many bytes.
const BLOCK: usize = 512;
/// The largest value an 8-byte octal header field (mode, uid, gid) holds: 7 digits and a NUL.
const OCTAL_8_MAX: u64 = 0o7_777_777;
/// The largest value a 12-byte octal header field (size, mtime) holds: 11 digits and a NUL.
const OCTAL_12_MAX: u64 = 0o77_777_777_777;

/// How much one import may read, so that a hostile or broken archive (a gzip bomb, a tar of
/// millions of empty entries) fails with [`ErrorKind::NoSpace`] instead of exhausting memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportLimits {
    /// The most tar entries (extension headers not counted) one layer may have.
    pub max_entries: usize,
    /// The most bytes the uncompressed tar may have (headers and padding included).
    pub max_bytes: u64,
}

impl Default for ImportLimits {
    /// 500 000 entries and 512 MiB of uncompressed tar.
    fn default() -> ImportLimits {
        ImportLimits {
            max_entries: 500_000,
            max_bytes: 512 << 20,
        }
    }
}

/// Reads one OCI layer tar (uncompressed, gzip or, in native builds, zstd; detected by magic
/// bytes).
///
/// `.wh.NAME` entries become [`Node::Whiteout`], `DIR/.wh..wh..opq` makes `DIR` opaque
/// wherever it sits in the tar, and parent directories the tar never names are created with
/// [`Dir::implicit`] set. Anything the model cannot hold faithfully (device nodes, FIFOs,
/// paths that climb out with `..`, duplicate paths, hard links to nothing) is an
/// [`ErrorKind::Format`] error that names the path; the [default limits](ImportLimits::default)
/// apply.
pub fn import_layer(bytes: &[u8]) -> Result<Layer> {
    import_layer_with(bytes, &ImportLimits::default())
}

/// [`import_layer`] with explicit limits; going over one is an [`ErrorKind::NoSpace`] error.
pub fn import_layer_with(bytes: &[u8], limits: &ImportLimits) -> Result<Layer> {
    import_layer_and_diff_id(bytes, limits).map(|(layer, _)| layer)
}

/// [`import_layer_with`] that also returns the layer's DiffID: the sha256 of the uncompressed
/// tar as given (not of a re-export), computed while reading, so a gzip layer is inflated once.
pub fn import_layer_and_diff_id(bytes: &[u8], limits: &ImportLimits) -> Result<(Layer, Digest)> {
    let source: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        // Several gzip members in a row are one valid stream; some tools write layers that way.
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if zstd::is_zstd(bytes) {
        zstd::reader(bytes)?
    } else {
        Box::new(bytes)
    };
    let progress = Rc::new(Cell::new(Progress::default()));
    let metered = Metered {
        inner: source,
        max: limits.max_bytes,
        progress: Rc::clone(&progress),
        hasher: Sha256::new(),
    };
    let reader = Reader { limits, progress };
    let mut archive = tar::Archive::new(metered);
    let entries = archive.entries().map_err(|e| reader.error(e, None))?;
    let mut builder = Builder::new();
    let mut count = 0usize;
    for entry in entries {
        let mut entry = entry.map_err(|e| reader.error(e, None))?;
        count += 1;
        if count > limits.max_entries {
            return Err(Error::without_path(
                ErrorKind::NoSpace,
                OP,
                format!(
                    "the layer has more than {} entries (the import limit)",
                    limits.max_entries
                ),
            ));
        }
        builder.add(&mut entry, &reader)?;
    }
    // The tar crate takes a clean end of input for the end of the archive; a real tar ends
    // with zero blocks, so running out of bytes at an entry boundary means it was cut short.
    if reader.progress.get().eof {
        return Err(Error::without_path(
            ErrorKind::Format,
            OP,
            "the tar ends without its end-of-archive blocks (truncated?)",
        ));
    }
    // Read what follows the end marker too: for gzip that checks the CRC and length in the
    // trailer, so a blob cut short after the tar's last block is still refused.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| reader.error(e, None))?;
    let diff_id = Digest(rest.hasher.finalize().into());
    let mut layer = builder.layer;
    layer.recount_links();
    Ok((layer, diff_id))
}

/// Writes the canonical, deterministic OCI layer tar of `layer`: the bytes whose sha256 is the
/// layer's DiffID. The same layer always gives the same bytes, on every platform.
///
/// Entries come in tree order (parents first, siblings by name); every directory has an
/// explicit entry, an opaque one followed by `DIR/.wh..wh..opq`; whiteouts are empty files
/// `DIR/.wh.NAME` with mode 0, owner 0:0 and time 0; the second and later names of a file
/// inode are hard links to its first name; metadata-only (`metacopy`) inodes carry their data.
/// The root has no entry of its own (its opaque flag does, as `.wh..wh..opq`). Headers are
/// ustar, with GNU long-name entries for long names and link targets (as the tar crate's
/// `Builder` writes them) and a PAX extended header for times before 1970 and large ids and
/// sizes. Names a layer could never hold (empty, `.`, `..`,
/// with `/` or NUL, beginning with `.wh.`) and symlinks with an empty or NUL-holding target
/// cannot be written as a tar and are left out, with everything under them.
pub fn export_layer(layer: &Layer) -> Vec<u8> {
    let mut w = TarWriter { out: Vec::new() };
    write_layer(layer, &mut w);
    w.finish()
}

/// The DiffID of `layer`: the sha256 of [`export_layer`]'s bytes, computed by streaming the
/// tar through the hash without building it in memory (a commit needs only the digest, and a
/// 100 MB copy costs more than hashing it).
pub fn layer_diff_id(layer: &Layer) -> Digest {
    let mut w = TarWriter { out: Sha256::new() };
    write_layer(layer, &mut w);
    Digest(w.finish().finalize().into())
}

fn write_layer<S: Sink>(layer: &Layer, w: &mut TarWriter<S>) {
    if layer.root.opaque {
        w.marker(OPAQUE_MARKER);
    }
    export_tree(layer, w);
}

/// The DiffID of a layer: the sha256 of its uncompressed tar. Pass the tar itself, not its
/// gzip form (whose sha256 is the blob digest a manifest lists instead).
pub fn diff_id(tar: &[u8]) -> Digest {
    Digest::of(tar)
}

/// The ChainIDs of a stack of layers, bottom first: ChainID(1) = DiffID(1) and
/// ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)), over the `sha256:<hex>` strings.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for id in diff_ids {
        let next = match out.last() {
            None => *id,
            Some(prev) => Digest::of(format!("{} {}", prev.oci(), id.oci()).as_bytes()),
        };
        out.push(next);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Import

/// What the metered reader has seen so far.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Uncompressed bytes read.
    read: u64,
    /// True once a read went past the byte limit.
    over_limit: bool,
    /// True once the input ran out.
    eof: bool,
}

/// Counts the uncompressed bytes and refuses to hand out more than the limit, so that a gzip
/// bomb stops at the limit instead of filling memory.
struct Metered<R> {
    inner: R,
    max: u64,
    progress: Rc<Cell<Progress>>,
    /// The sha256 of every uncompressed byte: the layer's DiffID once the stream is read out.
    hasher: Sha256,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut p = self.progress.get();
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte past the limit is enough to tell "exactly at the limit" from "over it".
        let room = self.max.saturating_sub(p.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.hasher.update(&buf[..n]);
        p.eof |= n == 0;
        p.read += n as u64;
        p.over_limit |= p.read > self.max;
        self.progress.set(p);
        if p.over_limit {
            return Err(io::Error::other("the import byte limit was reached"));
        }
        Ok(n)
    }
}

/// zstd-compressed layers (`application/vnd.oci.image.layer.v1.tar+zstd`).
///
/// Native builds read them with `ruzstd`, a pure-Rust decoder: every frame of the stream in
/// turn (skippable frames skipped, as `zstd -d` does), each frame's checksum verified when it
/// has one. The same byte limit as for gzip applies to what comes out (the `Metered` reader
/// around it), and a frame that asks for a window (the history a decoder must keep in memory)
/// larger than 100 MiB is refused before anything is allocated. The wasm build
/// leaves the decoder out, to keep the page small, and refuses zstd layers with a clear message.
mod zstd {
    use crate::error::Result;
    #[cfg(target_arch = "wasm32")]
    use crate::error::{Error, ErrorKind};
    use std::io::Read;

    /// The magic number that begins a zstd frame.
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

    /// True if `b` begins with a skippable frame (magic numbers 0x184D2A50 to 0x184D2A5F).
    fn skippable(b: &[u8]) -> bool {
        b.len() >= 4 && b[0] & 0xf0 == 0x50 && b[1..4] == [0x2a, 0x4d, 0x18]
    }

    /// True if the layer is zstd-compressed: a zstd frame or a skippable frame comes first.
    pub(super) fn is_zstd(b: &[u8]) -> bool {
        b.starts_with(&MAGIC) || skippable(b)
    }

    #[cfg(target_arch = "wasm32")]
    pub(super) fn reader(_: &[u8]) -> Result<Box<dyn Read + '_>> {
        Err(Error::without_path(
            ErrorKind::Format,
            super::OP,
            "the layer is zstd-compressed; this build reads only uncompressed and gzip layers",
        ))
    }

    /// The largest window a frame may ask for: `ruzstd`'s own limit for every frame after the
    /// first, applied here to the first one too (which `ruzstd` does not check).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) const MAX_WINDOW: u64 = 100 << 20;

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn reader(b: &[u8]) -> Result<Box<dyn Read + '_>> {
        Ok(Box::new(Frames {
            rest: b,
            frame: None,
        }))
    }

    /// The window size a zstd frame header declares (RFC 8878, 3.1.1.1), or `None` when the
    /// header is cut short. `b` begins with the frame's magic number.
    #[cfg(not(target_arch = "wasm32"))]
    fn window_size(b: &[u8]) -> Option<u64> {
        let fhd = *b.get(4)?;
        let fcs_flag = fhd >> 6;
        let single_segment = fhd & 0x20 != 0;
        let dict_len = [0, 1, 2, 4][usize::from(fhd & 3)];
        if !single_segment {
            let wd = *b.get(5)?;
            let base = 1u64 << (10 + (wd >> 3));
            return Some(base + base / 8 * u64::from(wd & 7));
        }
        // A single-segment frame's window is its content size.
        let at = 5 + dict_len;
        let len = [1, 2, 4, 8][usize::from(fcs_flag)];
        let field = b.get(at..at + len)?;
        let mut le = [0u8; 8];
        le[..len].copy_from_slice(field);
        let v = u64::from_le_bytes(le);
        Some(if len == 2 { v + 256 } else { v })
    }

    /// Every frame of a zstd stream, one after the other, as one reader.
    #[cfg(not(target_arch = "wasm32"))]
    struct Frames<'a> {
        /// What follows the frame being decoded.
        rest: &'a [u8],
        frame: Option<ruzstd::decoding::StreamingDecoder<&'a [u8], ruzstd::decoding::FrameDecoder>>,
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn invalid(detail: impl std::fmt::Display) -> std::io::Error {
        std::io::Error::other(format!("zstd: {detail}"))
    }

    #[cfg(not(target_arch = "wasm32"))]
    impl Read for Frames<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if buf.is_empty() {
                return Ok(0);
            }
            loop {
                if let Some(frame) = self.frame.as_mut() {
                    let n = frame.read(buf).map_err(invalid)?;
                    if n > 0 {
                        return Ok(n);
                    }
                    if let Some(frame) = self.frame.take() {
                        let (rest, decoder) = frame.into_parts();
                        let stored = decoder.get_checksum_from_data();
                        if stored.is_some() && stored != decoder.get_calculated_checksum() {
                            return Err(invalid("a frame's checksum does not match its content"));
                        }
                        self.rest = rest;
                    }
                }
                if self.rest.is_empty() {
                    return Ok(0);
                }
                if skippable(self.rest) {
                    let len = self
                        .rest
                        .get(4..8)
                        .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize);
                    match len.and_then(|l| self.rest.get(8 + l..)) {
                        Some(after) => self.rest = after,
                        None => return Err(invalid("a skippable frame is cut short")),
                    }
                    continue;
                }
                if !self.rest.starts_with(&MAGIC) {
                    return Err(invalid("data after the last frame is not a zstd frame"));
                }
                match window_size(self.rest) {
                    None => return Err(invalid("a frame header is cut short")),
                    Some(w) if w > MAX_WINDOW => {
                        return Err(invalid(format!(
                            "a frame needs a {w}-byte window, more than the {MAX_WINDOW} bytes \
                             this reader allows"
                        )))
                    }
                    Some(_) => {}
                }
                let frame = ruzstd::decoding::StreamingDecoder::new(self.rest).map_err(invalid)?;
                self.frame = Some(frame);
            }
        }
    }
}

/// What error reporting needs to know about the read in progress.
struct Reader<'a> {
    limits: &'a ImportLimits,
    progress: Rc<Cell<Progress>>,
}

impl Reader<'_> {
    /// Turns a read error into the engine's error: the byte limit if that is what stopped the
    /// read, otherwise a malformed (truncated, corrupt) archive.
    fn error(&self, e: io::Error, at: Option<&str>) -> Error {
        if self.progress.get().over_limit {
            return Error::without_path(
                ErrorKind::NoSpace,
                OP,
                format!(
                    "the layer is larger than {} bytes uncompressed (the import limit)",
                    self.limits.max_bytes
                ),
            );
        }
        let detail = format!("not a readable layer tar: {}", tar_message(&e));
        match at {
            Some(path) => Error::new(ErrorKind::Format, OP, path).with_detail(detail),
            None => Error::without_path(ErrorKind::Format, OP, detail),
        }
    }
}

/// The tar reader's message, fit to show: some quote a bad header field's raw bytes
/// ("numeric field did not have utf-8 text: <bytes> when getting cksum for <bytes>"), which in a
/// file that is not a tar at all are binary. Those say which field was bad instead, and any
/// other message is cut before its first unprintable character.
fn tar_message(e: &io::Error) -> String {
    let text = e.to_string();
    if text.starts_with("numeric field") {
        if let Some((_, rest)) = text.split_once(" when getting ") {
            let field = rest.split(' ').next().unwrap_or("");
            if !field.is_empty()
                && field
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return format!("a header's {field} field is not a number");
            }
        }
    }
    match text.find(|c: char| c.is_control() || c == char::REPLACEMENT_CHARACTER) {
        Some(end) => format!("{}...", text[..end].trim_end()),
        None => text,
    }
}

/// A format error about the tar entry named `raw`.
fn bad(raw: &str, detail: impl Into<String>) -> Error {
    Error::new(ErrorKind::Format, OP, raw).with_detail(detail)
}

/// Splits a tar path into its normalised components: leading `/` and `./` and inner `.` and
/// empty components dropped; an empty list is the root. A `..` component or a NUL is an error,
/// since either could make an unpacker write outside the layer.
fn split_path<'p>(path: &'p str, raw: &str, what: &str) -> Result<Vec<&'p str>> {
    if path.as_bytes().contains(&0) {
        return Err(bad(raw, format!("the {what} holds a NUL byte")));
    }
    let mut comps = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(bad(
                    raw,
                    format!("the {what} has a .. component, which would reach outside the layer"),
                ))
            }
            name => comps.push(name),
        }
    }
    // The merged view's paths must stay under PATH_MAX; this also bounds the depth of the tree,
    // which the engine walks recursively.
    if comps.iter().map(|c| c.len() + 1).sum::<usize>() > PATH_MAX {
        return Err(bad(
            raw,
            format!("the {what} is longer than {PATH_MAX} bytes"),
        ));
    }
    Ok(comps)
}

/// Checks one name with the engine's rules, reporting a failure as a format error on `raw`.
fn check(name: &str, raw: &str) -> Result<()> {
    check_name(name, "/").map_err(|e| {
        let why = e.detail().unwrap_or(e.kind().strerror()).to_string();
        bad(raw, format!("{name:?}: {why}"))
    })
}

/// A directory the tar names only as the parent of other entries.
fn implicit_dir() -> Dir {
    Dir {
        implicit: true,
        ..Dir::new(Meta::new(0o755, 0))
    }
}

/// How a parent that is not a directory in this layer is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Under {
    /// A real entry: an error under a file or symlink; under a whiteout, the whiteout's name
    /// becomes a new (opaque) directory.
    Entry,
    /// A whiteout or opaque marker: ignored, since it would act under a path that is not a
    /// directory any more.
    Marker,
}

/// Walks to the directory at `comps`, creating missing ones as implicit directories. Returns
/// `None` when a marker lies under a non-directory and is to be ignored.
fn descend<'d>(
    root: &'d mut Dir,
    comps: &[&str],
    under: Under,
    raw: &str,
) -> Result<Option<&'d mut Dir>> {
    let mut dir = root;
    for (i, name) in comps.iter().enumerate() {
        // Look up before inserting: the entry API would allocate the name at every level of
        // every entry.
        if !dir.children.contains_key(*name) {
            dir.children
                .insert((*name).to_string(), Node::Dir(implicit_dir()));
        }
        let Some(node) = dir.children.get_mut(*name) else {
            return Ok(None);
        };
        if matches!(node, Node::Whiteout) {
            if under == Under::Marker {
                return Ok(None);
            }
            // The whiteout removed the lower entry; this layer then made a directory there,
            // which therefore shows none of the lower layers' children.
            *node = Node::Dir(Dir {
                opaque: true,
                ..implicit_dir()
            });
        }
        dir = match node {
            Node::Dir(d) => d,
            _ if under == Under::Marker => return Ok(None),
            _ => {
                return Err(bad(
                    raw,
                    format!(
                        "{} is not a directory in this layer, so nothing can lie under it",
                        comps[..=i].join("/")
                    ),
                ))
            }
        };
    }
    Ok(Some(dir))
}

/// The layer being built from the tar's entries.
struct Builder {
    layer: Layer,
    /// Every normalised path the tar has named, to refuse duplicates.
    seen: BTreeSet<String>,
}

impl Builder {
    fn new() -> Builder {
        let mut layer = Layer::new();
        // Until a `./` entry says otherwise, the root has no metadata of its own in this layer,
        // so merging the layer keeps the lower layers' root metadata.
        layer.root.implicit = true;
        Builder {
            layer,
            seen: BTreeSet::new(),
        }
    }

    /// Adds one tar entry to the layer.
    fn add<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, reader: &Reader<'_>) -> Result<()> {
        let kind = entry.header().entry_type();
        // The tar crate drops PAX records it cannot parse (it splits them at newlines, so a
        // value holding one breaks) and falls back to the header's fields: refuse instead of
        // importing a truncated name.
        if let Some(exts) = entry.pax_extensions().ok().flatten() {
            if exts.into_iter().any(|e| e.is_err()) {
                let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                return Err(bad(
                    &raw,
                    "a PAX record of this entry cannot be read (values holding a newline are not supported)",
                ));
            }
        }
        if kind.is_pax_global_extensions() {
            // Global PAX headers describe the archive (a comment, a charset), not a file.
            return Ok(());
        }
        let raw_bytes = entry.path_bytes().into_owned();
        let raw = String::from_utf8_lossy(&raw_bytes).into_owned();
        let path = std::str::from_utf8(&raw_bytes)
            .map_err(|_| bad(&raw, "the path is not valid UTF-8"))?;
        let comps = split_path(path, &raw, "path")?;
        if !self.seen.insert(comps.join("/")) {
            return Err(bad(
                &raw,
                "duplicate path: the tar has more than one entry for it",
            ));
        }
        let Some((&name, parents)) = comps.split_last() else {
            // `.`, `./` or `/`: the root directory's own metadata.
            if !kind.is_dir() {
                return Err(bad(&raw, "the root of a layer must be a directory"));
            }
            self.layer.root.meta = meta(entry, &raw)?;
            self.layer.root.implicit = false;
            return Ok(());
        };
        for p in parents {
            check(p, &raw)?;
        }
        if name == OPAQUE_MARKER {
            if let Some(dir) = descend(&mut self.layer.root, parents, Under::Marker, &raw)? {
                dir.opaque = true;
            }
            return Ok(());
        }
        if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
            // The name decides, whatever the entry's type: runtimes treat it the same way.
            check(target, &raw)?;
            if let Some(dir) = descend(&mut self.layer.root, parents, Under::Marker, &raw)? {
                whiteout(dir, target);
            }
            return Ok(());
        }
        check(name, &raw)?;
        // Pre-POSIX tars mark a directory as a regular file whose name ends in `/`; Go's
        // archive/tar reads them the same way.
        let kind = if kind == EntryType::Regular && path.ends_with('/') {
            EntryType::Directory
        } else {
            kind
        };
        let node = match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let meta = meta(entry, &raw)?;
                let data = read_data(entry, &raw, reader)?;
                Node::File(self.layer.add_inode(FileInode::new(meta, Blob::new(data))))
            }
            EntryType::Directory => {
                let meta = meta(entry, &raw)?;
                let parent = descend(&mut self.layer.root, parents, Under::Entry, &raw)?;
                // `descend` with `Under::Entry` yields a directory or an error.
                if let Some(dir) = parent {
                    put_dir(dir, name, meta, &raw)?;
                }
                return Ok(());
            }
            EntryType::Symlink => {
                let meta = meta(entry, &raw)?;
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target = String::from_utf8(target)
                    .map_err(|_| bad(&raw, "the symlink target is not valid UTF-8"))?;
                if target.is_empty() || target.as_bytes().contains(&0) {
                    return Err(bad(&raw, "the symlink has an empty or NUL-holding target"));
                }
                self.layer.add_symlink(meta, target)
            }
            EntryType::Link => self.hard_link(entry, &raw)?,
            other => {
                return Err(bad(
                    &raw,
                    format!(
                        "{} entries cannot be represented in a layer",
                        type_name(other)
                    ),
                ))
            }
        };
        if let Some(dir) = descend(&mut self.layer.root, parents, Under::Entry, &raw)? {
            put(dir, name, node, &raw)?;
        }
        Ok(())
    }

    /// The node a hard-link entry stands for: the same inode as its (earlier) target.
    fn hard_link<R: Read>(&mut self, entry: &tar::Entry<'_, R>, raw: &str) -> Result<Node> {
        let target = entry
            .link_name_bytes()
            .map(|t| t.into_owned())
            .unwrap_or_default();
        let target = String::from_utf8(target)
            .map_err(|_| bad(raw, "the hard link target is not valid UTF-8"))?;
        let comps = split_path(&target, raw, "hard link target")?;
        let mut found = None;
        let mut dir = Some(&self.layer.root);
        for c in &comps {
            found = dir.and_then(|d| d.children.get(*c));
            dir = found.and_then(Node::as_dir);
        }
        match found {
            // A hard link of a symlink links the symlink itself, as extracting the tar does
            // (GNU tar and containers' extractors call link(2), which does not follow it).
            Some(node @ (Node::File(ino) | Node::Symlink(ino))) => {
                // The target's entry carried the data: that is where extracting the tar makes
                // the inode.
                let (ino, node) = (*ino, node.clone());
                if let Ok(at) = VPath::parse(&format!("/{}", comps.join("/"))) {
                    self.layer.note_made_at(ino, at);
                }
                Ok(node)
            }
            Some(Node::Dir(_)) => Err(bad(
                raw,
                format!("hard link to {target:?}, which is a directory"),
            )),
            _ => Err(bad(
                raw,
                format!("hard link to {target:?}, which no earlier entry of the layer holds"),
            )),
        }
    }
}

/// Puts a whiteout for `name` into `dir`.
fn whiteout(dir: &mut Dir, name: &str) {
    let Some(node) = dir.children.get_mut(name) else {
        dir.children.insert(name.to_string(), Node::Whiteout);
        return;
    };
    match node {
        // Markers that only sat under the deleted path go with it.
        Node::Dir(d) if d.implicit && d.only_whiteouts() => *node = Node::Whiteout,
        // This layer has its own directory there: the lower one is gone and this one stays,
        // which is exactly an opaque directory.
        Node::Dir(d) => d.opaque = true,
        // The layer's own file or symlink already replaces whatever lower layers hold.
        Node::File(_) | Node::Symlink(_) | Node::Whiteout => {}
    }
}

/// Puts a directory entry's metadata at `name` in `dir`.
fn put_dir(dir: &mut Dir, name: &str, meta: Meta, raw: &str) -> Result<()> {
    match dir.children.get_mut(name) {
        None => {
            dir.children
                .insert(name.to_string(), Node::Dir(Dir::new(meta)));
        }
        Some(Node::Dir(d)) => {
            d.meta = meta;
            d.implicit = false;
        }
        Some(node @ Node::Whiteout) => {
            *node = Node::Dir(Dir {
                opaque: true,
                ..Dir::new(meta)
            })
        }
        Some(_) => {
            return Err(bad(
                raw,
                "duplicate path: the tar has more than one entry for it",
            ))
        }
    }
    Ok(())
}

/// Puts a file or symlink at `name` in `dir`.
fn put(dir: &mut Dir, name: &str, node: Node, raw: &str) -> Result<()> {
    match dir.children.get(name) {
        None | Some(Node::Whiteout) => {}
        // Whiteouts under a path that turns out to be a file here are ignored.
        Some(Node::Dir(d)) if d.implicit && d.only_whiteouts() => {}
        Some(Node::Dir(_)) => {
            return Err(bad(
                raw,
                "earlier entries lie under this path, so it cannot also be a non-directory",
            ))
        }
        Some(_) => {
            return Err(bad(
                raw,
                "duplicate path: the tar has more than one entry for it",
            ))
        }
    }
    dir.children.insert(name.to_string(), node);
    Ok(())
}

/// The metadata of an entry: permission bits, owner, group and time (a PAX `mtime` wins over
/// the header's, since only it can say times before 1970).
fn meta<R: Read>(entry: &mut tar::Entry<'_, R>, raw: &str) -> Result<Meta> {
    let field = |what: &str| bad(raw, format!("the {what} field of the header is corrupt"));
    let h = entry.header();
    let old = h.as_old();
    let mode = numeric(h.mode().map(u64::from), &old.mode).ok_or_else(|| field("mode"))? & 0o7777;
    let uid = numeric(h.uid(), &old.uid).ok_or_else(|| field("uid"))?;
    let uid = u32::try_from(uid).map_err(|_| bad(raw, format!("uid {uid} is out of range")))?;
    let gid = numeric(h.gid(), &old.gid).ok_or_else(|| field("gid"))?;
    let gid = u32::try_from(gid).map_err(|_| bad(raw, format!("gid {gid} is out of range")))?;
    let header_mtime = numeric(h.mtime(), &old.mtime);
    let mut mtime = None;
    if let Some(exts) = entry.pax_extensions().map_err(|_| field("PAX"))? {
        for ext in exts {
            let ext = ext.map_err(|_| field("PAX"))?;
            if ext.key_bytes() == b"mtime" {
                mtime = Some(parse_pax_time(ext.value_bytes()).ok_or_else(|| field("PAX mtime"))?);
            }
        }
    }
    let mtime = match mtime {
        Some(t) => t,
        None => {
            let t = header_mtime.ok_or_else(|| field("mtime"))?;
            i64::try_from(t).map_err(|_| bad(raw, format!("mtime {t} is out of range")))?
        }
    };
    Ok(Meta {
        mode: mode as u32,
        uid,
        gid,
        mtime,
    })
}

/// A numeric header field: its parsed value, or 0 for a field left blank (all NULs or spaces),
/// which Go's archive/tar also reads as 0 and some writers leave in fields they do not use.
fn numeric(parsed: io::Result<u64>, field: &[u8]) -> Option<u64> {
    match parsed {
        Ok(v) => Some(v),
        Err(_) if field.iter().all(|&b| b == 0 || b == b' ') => Some(0),
        Err(_) => None,
    }
}

/// Parses a PAX time (`-12.5`, `1700000000.123456789`) to whole seconds, rounding down as
/// GNU tar does.
fn parse_pax_time(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = int.parse().ok()?;
    let below = int.starts_with('-') && frac.bytes().any(|b| b != b'0');
    if below {
        secs.checked_sub(1)
    } else {
        Some(secs)
    }
}

/// Reads a regular file's content, refusing sizes past the byte limit before allocating.
fn read_data<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    raw: &str,
    reader: &Reader<'_>,
) -> Result<Vec<u8>> {
    let size = entry.size();
    if size > reader.limits.max_bytes {
        return Err(Error::new(ErrorKind::NoSpace, OP, raw).with_detail(format!(
            "the file is {size} bytes, more than the import limit of {} bytes",
            reader.limits.max_bytes
        )));
    }
    // The header's size is not trusted for the allocation: the data may never come.
    let mut data = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
    entry
        .read_to_end(&mut data)
        .map_err(|e| reader.error(e, Some(raw)))?;
    if data.len() as u64 != size {
        return Err(bad(
            raw,
            format!(
                "the tar ends inside this file ({} of {size} bytes; truncated?)",
                data.len()
            ),
        ));
    }
    Ok(data)
}

/// A plain name for an entry type the model cannot hold.
fn type_name(kind: EntryType) -> String {
    match kind {
        EntryType::Char => "character device".to_string(),
        EntryType::Block => "block device".to_string(),
        EntryType::Fifo => "FIFO (named pipe)".to_string(),
        other => format!("type {:?}", char::from(other.as_byte())),
    }
}

// ---------------------------------------------------------------------------------------------
// Export

/// Writes the entries below the root in tree order, with an explicit stack rather than
/// recursion: a layer may be 2048 directories deep (PATH_MAX), which a recursive walk turns
/// into a stack overflow in debug builds and on wasm's small stack.
fn export_tree<S: Sink>(layer: &Layer, w: &mut TarWriter<S>) {
    // Each inode already written, with the name it was written under, indexed by inode number
    // (dense from 1): a vector, so the wasm module needs no B-tree for this key and value.
    let mut first_names: Vec<Option<String>> = Vec::new();
    let mut stack = vec![(String::new(), layer.root.children.iter())];
    while let Some((prefix, children)) = stack.last_mut() {
        let Some((name, node)) = children.next() else {
            stack.pop();
            continue;
        };
        if check_name(name, "/").is_err() {
            continue;
        }
        let path = format!("{prefix}{name}");
        match node {
            Node::Dir(d) => {
                let path = format!("{path}/");
                w.entry(&path, EntryType::Directory, &d.meta, None, &[]);
                if d.opaque {
                    w.marker(&format!("{path}{OPAQUE_MARKER}"));
                }
                stack.push((path, d.children.iter()));
            }
            // A file's or symlink's first name carries the inode; its other names are hard-link
            // entries pointing at that name.
            Node::File(ino) | Node::Symlink(ino) => {
                let Some(inode) = layer.inodes.get(ino) else {
                    continue;
                };
                let slot = usize::try_from(*ino).unwrap_or(usize::MAX);
                if let Some(first) = first_names.get(slot).and_then(Option::as_ref) {
                    w.entry(&path, EntryType::Link, &inode.meta, Some(first), &[]);
                } else {
                    match &inode.target {
                        Some(t) if t.is_empty() || t.as_bytes().contains(&0) => continue,
                        Some(t) => w.entry(&path, EntryType::Symlink, &inode.meta, Some(t), &[]),
                        None => w.entry(
                            &path,
                            EntryType::Regular,
                            &inode.meta,
                            None,
                            inode.data.bytes(),
                        ),
                    }
                    if slot != usize::MAX {
                        if slot >= first_names.len() {
                            first_names.resize(slot + 1, None);
                        }
                        first_names[slot] = Some(path);
                    }
                }
            }
            Node::Whiteout => w.marker(&format!("{prefix}{WHITEOUT_PREFIX}{name}")),
        }
    }
}

/// Builds the tar bytes. Writes straight into a vector with the tar crate's `Header` for the
/// field encodings: the crate's `Builder` goes through `std::path::Path`, which rewrites `\` on
/// wasm and drops `.` components of link targets, and can fail; this cannot.
struct TarWriter<S> {
    out: S,
}

/// Where tar bytes go: a buffer, or straight into a hash.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// Zeros for padding and the end marker.
static ZEROS: [u8; 2 * BLOCK] = [0; 2 * BLOCK];

impl<S: Sink> TarWriter<S> {
    /// An empty marker file (a whiteout or the opaque marker): mode 0, owner 0:0, time 0.
    fn marker(&mut self, path: &str) {
        let zero = Meta {
            mode: 0,
            uid: 0,
            gid: 0,
            mtime: 0,
        };
        self.entry(path, EntryType::Regular, &zero, None, &[]);
    }

    /// Appends one entry, preceded by a PAX header when ustar cannot hold a field.
    fn entry(&mut self, path: &str, kind: EntryType, meta: &Meta, link: Option<&str>, data: &[u8]) {
        let mut pax: Vec<(&str, String)> = Vec::new();
        let mut h = Header::new_ustar();
        // Long names and link targets go in GNU long-name entries, as the tar crate's Builder
        // writes them: the tar crate reads PAX records by splitting at newlines, so a PAX path
        // holding a newline (a legal file name) would not survive a round trip.
        if !set_ustar_path(&mut h, path.as_bytes()) {
            self.long_name(EntryType::GNULongName, path);
            set_ustar_path(&mut h, truncate(path, 100).as_bytes());
        }
        if let Some(link) = link {
            if link.len() > 100 || h.set_link_name_literal(link).is_err() {
                self.long_name(EntryType::GNULongLink, link);
                // Readers take the target from the entry above; this is only a hint.
                let _ = h.set_link_name_literal(truncate(link, 100));
            }
        }
        h.set_mode(meta.mode & 0o7777);
        for (key, value, set) in [
            (
                "uid",
                u64::from(meta.uid),
                Header::set_uid as fn(&mut Header, u64),
            ),
            ("gid", u64::from(meta.gid), Header::set_gid),
        ] {
            if value <= OCTAL_8_MAX {
                set(&mut h, value);
            } else {
                pax.push((key, value.to_string()));
                set(&mut h, 0);
            }
        }
        match u64::try_from(meta.mtime) {
            Ok(t) if t <= OCTAL_12_MAX => h.set_mtime(t),
            _ => {
                pax.push(("mtime", meta.mtime.to_string()));
                h.set_mtime(0);
            }
        }
        let size = data.len() as u64;
        if size <= OCTAL_12_MAX {
            h.set_size(size);
        } else {
            pax.push(("size", size.to_string()));
            h.set_size(0);
        }
        h.set_entry_type(kind);
        h.set_cksum();
        if !pax.is_empty() {
            // PAX wants its records sorted by nothing in particular; sorting keeps the bytes
            // independent of the order the checks above happen to run in.
            crate::sort::sort(&mut pax);
            let mut records = Vec::new();
            for (key, value) in &pax {
                records.extend_from_slice(&pax_record(key, value));
            }
            let mut x = Header::new_ustar();
            set_ustar_path(&mut x, b"././@PaxHeader");
            x.set_mode(0o644);
            x.set_size(records.len() as u64);
            x.set_entry_type(EntryType::XHeader);
            x.set_cksum();
            self.block(x.as_bytes(), &records);
        }
        self.block(h.as_bytes(), data);
    }

    /// Appends a GNU long-name (`L`) or long-link (`K`) entry for the next entry.
    fn long_name(&mut self, kind: EntryType, value: &str) {
        let mut data = value.as_bytes().to_vec();
        data.push(0);
        let mut h = Header::new_gnu();
        if let Some(gnu) = h.as_gnu_mut() {
            gnu.name[..13].copy_from_slice(b"././@LongLink");
        }
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        h.set_entry_type(kind);
        h.set_cksum();
        self.block(h.as_bytes(), &data);
    }

    /// Appends a header and its data, padded to whole blocks.
    fn block(&mut self, header: &[u8; BLOCK], data: &[u8]) {
        self.out.put(header);
        self.out.put(data);
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.put(&ZEROS[..pad]);
    }

    /// The archive with its two zero blocks of end marker.
    fn finish(mut self) -> S {
        self.out.put(&ZEROS);
        self.out
    }
}

/// Puts `path` into the ustar name field, or splits it between the prefix (at most 155 bytes)
/// and name (at most 100) fields at the last `/` that fits, as the tar crate's `Builder` does.
/// Returns false when neither fits.
fn set_ustar_path(h: &mut Header, path: &[u8]) -> bool {
    let Some(u) = h.as_ustar_mut() else {
        return false;
    };
    let (prefix, name): (&[u8], &[u8]) = if path.len() <= u.name.len() {
        (&[], path)
    } else {
        // The slash at the very end of a directory's path is part of the name, not a split.
        let cut = path[..path.len() - 1]
            .iter()
            .enumerate()
            .rev()
            .find(|&(i, &b)| b == b'/' && i <= u.prefix.len())
            .map(|(i, _)| i);
        match cut {
            Some(i) if path.len() - i - 1 <= u.name.len() => (&path[..i], &path[i + 1..]),
            _ => return false,
        }
    };
    u.name = [0; 100];
    u.prefix = [0; 155];
    u.name[..name.len()].copy_from_slice(name);
    u.prefix[..prefix.len()].copy_from_slice(prefix);
    true
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts the whole record itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    loop {
        let total = len.to_string().len() + body.len();
        if total == len {
            break;
        }
        len = total;
    }
    format!("{len}{body}").into_bytes()
}
