//! The event stream: every mutation returns the events it caused, in order, each with one plain
//! sentence that explains it. The page animates them, the CLI prints them, tests assert them.

use serde::Serialize;
use std::sync::Arc;

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

/// The layers an event involves, by index (source first, then destination): one or two, held
/// inline so that an event and its copies allocate nothing for them (a hand-written pair: the
/// `smallvec` crate cost the page's wasm 1.6 KB gzip for this). Reads as a slice and is
/// serialised as an array.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    ids: [usize; 2],
    len: u8,
}

impl Layers {
    /// One layer.
    pub fn one(a: usize) -> Layers {
        Layers {
            ids: [a, 0],
            len: 1,
        }
    }

    /// Two layers, source first.
    pub fn two(a: usize, b: usize) -> Layers {
        Layers {
            ids: [a, b],
            len: 2,
        }
    }

    /// The layers as a slice.
    pub fn as_slice(&self) -> &[usize] {
        &self.ids[..usize::from(self.len)]
    }
}

impl std::ops::Deref for Layers {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.as_slice()
    }
}

impl std::fmt::Debug for Layers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// One event.
///
/// `layers` names the layers involved, by index: image layers count from 0 at the bottom and
/// the container layer is the number of image layers (one above the top image layer).
///
/// The sentence that explains the event is not stored as text: the common events keep what it
/// is made of and [`Event::message`] writes it when asked (the serialisers call it, so the
/// JSON and JavaScript forms carry it as `message`, as before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in the container's event stream, from 1.
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
    /// The path it happened at (shared, so that the copies of events that mutations return
    /// allocate nothing for it).
    pub path: Arc<str>,
    /// The second path of a rename, link or redirect.
    pub to: Option<Arc<str>>,
    /// The layers involved (source first, then destination).
    pub layers: Layers,
    /// Bytes a real overlayfs would copy or write for this event.
    pub bytes: u64,
    /// For copy-ups: true when only metadata was copied (`metacopy=on`). Serialised as
    /// `metadataOnly`, the camelCase every other multi-word key of the JavaScript API uses.
    pub metadata_only: bool,
    /// The sentence, or what it is made of.
    pub sentence: Sentence,
}

/// An event's sentence: written out when the event happened (the rarer events), or one of the
/// common forms, which [`Event::message`] writes from the event's own fields. The container
/// layer is the last of the event's `layers` in every form that names a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sentence {
    /// The sentence itself.
    Text(String),
    /// `create: PATH created in the container layer`.
    Create,
    /// `mkdir: directory PATH created in the container layer`.
    Mkdir,
    /// `write: BYTES written to PATH in the container layer` (the event's `bytes`).
    Write,
    /// `copy-up: PATH (BYTES) copied from LAYER into the container layer REASON`, LAYER being
    /// the first of the event's layers and BYTES the event's `bytes`.
    CopyUp {
        /// How the sentence ends (why the copy happened).
        reason: &'static str,
    },
    /// `whiteout: PATH of LAYER is hidden by a whiteout in the container layer; its SIZE still
    /// count in the image`.
    Whiteout {
        /// The size of the hidden file.
        size: u64,
    },
    /// `whiteout: a whiteout is left at PATH so that PATH of LAYER stays hidden` (a rename's).
    WhiteoutLeft,
    /// `remove: PATH existed only in the container layer and is gone`.
    Remove,
    /// `rename: PATH renamed to TO in the container layer`.
    Rename,
}

impl Event {
    /// The one plain sentence that explains the event.
    pub fn message(&self) -> String {
        let mut out = String::new();
        self.write_message(&mut out);
        out
    }

    /// [`Event::message`] written at the end of `out`.
    pub fn write_message(&self, out: &mut String) {
        let path = &*self.path;
        let c = self.layers.last().copied();
        let layer = |out: &mut String, l: usize| {
            if Some(l) == c {
                out.push_str("the container layer");
            } else {
                out.push_str("layer ");
                push_u64(out, l as u64);
            }
        };
        let first = self.layers.first().copied().unwrap_or(0);
        match &self.sentence {
            Sentence::Text(s) => out.push_str(s),
            Sentence::Create => {
                out.push_str("create: ");
                out.push_str(path);
                out.push_str(" created in the container layer");
            }
            Sentence::Mkdir => {
                out.push_str("mkdir: directory ");
                out.push_str(path);
                out.push_str(" created in the container layer");
            }
            Sentence::Write => {
                out.push_str("write: ");
                push_human_bytes(out, self.bytes);
                out.push_str(" written to ");
                out.push_str(path);
                out.push_str(" in the container layer");
            }
            Sentence::CopyUp { reason } => {
                out.push_str("copy-up: ");
                out.push_str(path);
                out.push_str(" (");
                push_human_bytes(out, self.bytes);
                out.push_str(") copied from ");
                layer(out, first);
                out.push_str(" into the container layer ");
                out.push_str(reason);
            }
            Sentence::Whiteout { size } => {
                out.push_str("whiteout: ");
                out.push_str(path);
                out.push_str(" of ");
                layer(out, first);
                out.push_str(" is hidden by a whiteout in the container layer; its ");
                push_human_bytes(out, *size);
                out.push_str(" still count in the image");
            }
            Sentence::WhiteoutLeft => {
                out.push_str("whiteout: a whiteout is left at ");
                out.push_str(path);
                out.push_str(" so that ");
                out.push_str(path);
                out.push_str(" of ");
                layer(out, first);
                out.push_str(" stays hidden");
            }
            Sentence::Remove => {
                out.push_str("remove: ");
                out.push_str(path);
                out.push_str(" existed only in the container layer and is gone");
            }
            Sentence::Rename => {
                out.push_str("rename: ");
                out.push_str(path);
                out.push_str(" renamed to ");
                out.push_str(self.to.as_deref().unwrap_or_default());
                out.push_str(" in the container layer");
            }
        }
    }
}

impl From<String> for Sentence {
    fn from(s: String) -> Self {
        Sentence::Text(s)
    }
}

/// The fields in the order the derived form had, `to` and `metadataOnly` left out when absent
/// and false, and the sentence written out as `message`.
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let n = 6 + usize::from(self.to.is_some()) + usize::from(self.metadata_only);
        let mut st = serializer.serialize_struct("Event", n)?;
        st.serialize_field("seq", &self.seq)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("path", &*self.path)?;
        if let Some(to) = &self.to {
            st.serialize_field("to", &**to)?;
        } else {
            st.skip_field("to")?;
        }
        st.serialize_field("layers", self.layers.as_slice())?;
        st.serialize_field("bytes", &self.bytes)?;
        if self.metadata_only {
            st.serialize_field("metadataOnly", &self.metadata_only)?;
        } else {
            st.skip_field("metadataOnly")?;
        }
        st.serialize_field("message", &self.message())?;
        st.end()
    }
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
    use super::{human_bytes, Event, EventKind, Layers, Sentence};
    use serde::Serialize;
    use std::sync::Arc;

    fn event(kind: EventKind, path: &str, to: Option<&str>, layers: &[usize], bytes: u64) -> Event {
        Event {
            seq: 7,
            kind,
            path: path.into(),
            to: to.map(Arc::from),
            layers: match *layers {
                [a] => Layers::one(a),
                [a, b] => Layers::two(a, b),
                _ => unreachable!("events name one or two layers"),
            },
            bytes,
            metadata_only: false,
            sentence: Sentence::Create,
        }
    }

    /// How the engine named a layer in the sentences it wrote out when each event happened.
    fn layer_name(l: usize, c: usize) -> String {
        if l == c {
            "the container layer".to_string()
        } else {
            format!("layer {l}")
        }
    }

    /// Every sentence rendered on demand is the one the engine used to write out at the event,
    /// by the `format!` calls it used (kept here as the reference), over a spread of paths, byte
    /// counts and layers.
    #[test]
    fn rendered_sentences_are_the_sentences_written_before() {
        let paths = [
            "/a",
            "/etc/passwd",
            "/d\u{e9}j\u{e0}/x y",
            "/very/long/path/of/many/parts.txt",
        ];
        let sizes = [
            0u64,
            1,
            1023,
            1024,
            1536,
            10_000,
            1 << 20,
            5_000_000_000,
            u64::MAX,
        ];
        for path in paths {
            for &size in &sizes {
                for (from, c) in [(0usize, 1usize), (3, 8), (12, 128), (4, 4)] {
                    let to = "/the/other name";
                    let cases: Vec<(Event, String)> = vec![
                        (
                            Event { sentence: Sentence::Create, ..event(EventKind::Create, path, None, &[c], 0) },
                            format!("create: {path} created in the container layer"),
                        ),
                        (
                            Event { sentence: Sentence::Mkdir, ..event(EventKind::Mkdir, path, None, &[c], 0) },
                            format!("mkdir: directory {path} created in the container layer"),
                        ),
                        (
                            Event { sentence: Sentence::Write, ..event(EventKind::Write, path, None, &[c], size) },
                            format!("write: {} written to {path} in the container layer", human_bytes(size)),
                        ),
                        (
                            Event {
                                sentence: Sentence::CopyUp { reason: "before it is opened for writing" },
                                ..event(EventKind::CopyUp, path, None, &[from, c], size)
                            },
                            format!(
                                "copy-up: {path} ({}) copied from {} into the container layer before it is opened for writing",
                                human_bytes(size),
                                layer_name(from, c)
                            ),
                        ),
                        (
                            Event {
                                sentence: Sentence::Whiteout { size },
                                ..event(EventKind::Whiteout, path, None, &[from, c], 0)
                            },
                            format!(
                                "whiteout: {path} of {} is hidden by a whiteout in the container layer; its {} still count in the image",
                                layer_name(from, c),
                                human_bytes(size)
                            ),
                        ),
                        (
                            Event {
                                sentence: Sentence::WhiteoutLeft,
                                ..event(EventKind::Whiteout, path, None, &[from, c], 0)
                            },
                            format!(
                                "whiteout: a whiteout is left at {path} so that {path} of {} stays hidden",
                                layer_name(from, c)
                            ),
                        ),
                        (
                            Event { sentence: Sentence::Remove, ..event(EventKind::Remove, path, None, &[c], 0) },
                            format!("remove: {path} existed only in the container layer and is gone"),
                        ),
                        (
                            Event { sentence: Sentence::Rename, ..event(EventKind::Rename, path, Some(to), &[c], 0) },
                            format!("rename: {path} renamed to {to} in the container layer"),
                        ),
                        (
                            Event {
                                sentence: Sentence::Text("any sentence".to_string()),
                                ..event(EventKind::Link, path, Some(to), &[c], 0)
                            },
                            "any sentence".to_string(),
                        ),
                    ];
                    for (e, want) in cases {
                        assert_eq!(e.message(), want, "{e:?}");
                    }
                }
            }
        }
    }

    /// The event as the engine serialised it before, with the derived form, for comparison.
    #[derive(Serialize)]
    struct Derived {
        seq: u64,
        kind: EventKind,
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        layers: Vec<usize>,
        bytes: u64,
        #[serde(rename = "metadataOnly", skip_serializing_if = "std::ops::Not::not")]
        metadata_only: bool,
        message: String,
    }

    #[test]
    fn layers_read_and_print_as_a_slice() {
        assert_eq!(&*Layers::one(3), &[3]);
        assert_eq!(&*Layers::two(0, 4), &[0, 4]);
        assert_eq!(format!("{:?}", Layers::two(0, 4)), "[0, 4]");
        assert_eq!(format!("{:?}", Layers::one(9)), "[9]");
        assert_ne!(Layers::one(0), Layers::two(0, 0));
    }

    #[test]
    fn serialises_as_the_derived_form_did() {
        for to in [None, Some("/b")] {
            for metadata_only in [false, true] {
                for layers in [&[2usize][..], &[0, 2]] {
                    let e = Event {
                        metadata_only,
                        sentence: Sentence::CopyUp {
                            reason: "so that it can be renamed",
                        },
                        ..event(EventKind::CopyUp, "/a \"q\"", to, layers, 1536)
                    };
                    let d = Derived {
                        seq: e.seq,
                        kind: e.kind,
                        path: e.path.to_string(),
                        to: e.to.as_deref().map(str::to_string),
                        layers: e.layers.to_vec(),
                        bytes: e.bytes,
                        metadata_only,
                        message: e.message(),
                    };
                    let got = serde_json::to_string(&e).expect("event");
                    assert_eq!(got, serde_json::to_string(&d).expect("derived"));
                    assert!(got.contains("\"message\":\"copy-up: /a"), "{got}");
                }
            }
        }
    }

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
