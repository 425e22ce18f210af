//! The event stream: every mutation returns the events it caused, in order, each with one plain
//! sentence that explains it. The page animates them, the CLI prints them, tests assert them.

use serde::Serialize;

/// What happened. A closed set, serialised in kebab-case as the event's `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A regular file was created in the container layer.
    Create,
    /// A directory was created in the container layer.
    Mkdir,
    /// A symbolic link was created in the container layer.
    Symlink,
    /// A new name for an existing file (a hard link) was created.
    Link,
    /// Bytes were written to a file in the container layer.
    Write,
    /// A file's length was set (by `O_TRUNC` or `truncate`).
    Truncate,
    /// Permission bits changed.
    Chmod,
    /// Owner or group changed.
    Chown,
    /// Timestamps changed.
    Utimes,
    /// An entry was copied from a lower layer into the container layer.
    CopyUp,
    /// A whiteout now hides a lower entry.
    Whiteout,
    /// A directory became opaque: lower layers' children under it are hidden.
    Opaque,
    /// An entry that existed only in the container layer was removed.
    Remove,
    /// An entry was renamed inside the container layer.
    Rename,
    /// A rename failed with EXDEV and the shell copied the tree instead, as GNU `mv` does.
    ExdevFallback,
    /// A directory was renamed with `redirect_dir=on`: it points back at its lower path.
    Redirect,
    /// A copy-up split a lower hard-linked pair (`index=off`).
    HardlinkBreak,
    /// The container layer was committed as a new image layer.
    Commit,
    /// A write went to a volume, outside the layers.
    VolumeWrite,
}

/// One event.
///
/// `layers` names the layers involved, by index: image layers count from 0 at the bottom and
/// the container layer is the number of image layers (one above the top image layer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the container's event stream, from 1.
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
    /// The path it happened at.
    pub path: String,
    /// The second path of a rename, link or redirect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The layers involved (source first, then destination).
    pub layers: Vec<usize>,
    /// Bytes a real overlayfs would copy or write for this event.
    pub bytes: u64,
    /// For copy-ups: true when only metadata was copied (`metacopy=on`). Serialised as
    /// `metadataOnly`, the camelCase every other multi-word key of the JavaScript API uses.
    #[serde(rename = "metadataOnly", skip_serializing_if = "std::ops::Not::not")]
    pub metadata_only: bool,
    /// One plain sentence that explains the event.
    pub message: String,
}

/// Formats a byte count the way the page and messages show it: `20 B`, `1.5 KiB`, `1 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(20), "20 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
    }
}
