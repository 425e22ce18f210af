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
///
/// Integer arithmetic only, rounding to one decimal as `format!("{:.1}")` of the quotient
/// would (half to even on the exact value), so that no float formatting is linked into the
/// wasm module; a test holds it to the float version.
pub fn human_bytes(n: u64) -> String {
    let mut s = String::new();
    push_human_bytes(&mut s, n);
    s
}

/// Writes `n` in decimal at the end of `out`: what `write!(out, "{n}")` writes, without the
/// formatting machinery, which costs several hundred instructions a call in the sentences of
/// the hot events.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// [`human_bytes`] written at the end of `out`, for sentences built in one buffer.
pub(crate) fn push_human_bytes(out: &mut String, n: u64) {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        push_u64(out, n);
        out.push_str(" B");
        return;
    }
    let mut unit = 0;
    let mut div: u128 = 1024;
    while u128::from(n) >= div * 1024 && unit + 1 < UNITS.len() {
        div *= 1024;
        unit += 1;
    }
    // Tenths of the unit, rounded half to even.
    let scaled = u128::from(n) * 10;
    let (q, r) = (scaled / div, scaled % div);
    let tenths = if r * 2 > div || (r * 2 == div && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    // At most n * 10 / 1024, so it fits a u64 (formatting a u128 would link its own code).
    let tenths = u64::try_from(tenths).unwrap_or(u64::MAX);
    let (whole, frac) = (tenths / 10, tenths % 10);
    push_u64(out, whole);
    if frac != 0 {
        out.push('.');
        push_u64(out, frac);
    }
    out.push(' ');
    out.push_str(UNITS[unit]);
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn push_u64_writes_what_display_writes() {
        let mut x = 1u64;
        for n in (0..1000).chain([u64::MAX, u64::MAX - 1, 1 << 32, 10_000_000_000]) {
            for v in [n, x] {
                let mut s = String::from("x");
                super::push_u64(&mut s, v);
                assert_eq!(s, format!("x{v}"));
            }
            x = x.wrapping_mul(7).wrapping_add(3);
        }
    }

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(20), "20 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
    }

    /// The float formatting `human_bytes` replaced, kept here as its reference.
    fn by_float(n: u64) -> String {
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

    #[test]
    fn human_bytes_rounds_as_float_formatting_did() {
        // Every count up to 4 MiB, the ties and edges of each unit, and a spread beyond (the
        // float version is exact while n fits in 53 bits).
        let mut ns: Vec<u64> = (0..4 << 20).collect();
        for unit in 1..5u32 {
            let d = 1u64 << (10 * unit);
            for k in [1u64, 2, 3, 10, 1023, 1024, 1025] {
                for delta in [0i64, -1, 1, (d / 20) as i64, -((d / 20) as i64)] {
                    ns.push((k * d).saturating_add_signed(delta));
                }
            }
        }
        let mut x = 1u64;
        while x < 1 << 53 {
            ns.extend([x, x + x / 3, x * 7 / 5]);
            x = x * 3 + 1;
        }
        for n in ns {
            assert_eq!(human_bytes(n), by_float(n), "{n}");
        }
    }
}
