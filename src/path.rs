//! The validated path type, made once at the boundary.

use crate::error::{Error, ErrorKind, Result};
use std::fmt;

/// The longest path the kernel accepts, in bytes (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// The longest name the kernel accepts, in bytes (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// An absolute, normalised path inside the union: `/`-separated, no empty, `.` or `..`
/// components, no NUL, no name that begins with `.wh.` (that spelling belongs to OCI tars).
///
/// The root is `/`; every other path has no trailing slash.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VPath(String);

impl VPath {
    /// The root directory.
    pub fn root() -> VPath {
        VPath("/".to_string())
    }

    /// Parses an absolute path, resolving `.` and `..` lexically (`..` at the root stays there).
    ///
    /// This is for callers that hold a path without symlinks in it (the JavaScript API, tests,
    /// archive entries); the shell resolves paths through the union instead.
    pub fn parse(s: &str) -> Result<VPath> {
        if !s.starts_with('/') {
            return Err(Error::new(ErrorKind::InvalidInput, "path", s)
                .with_detail("paths must be absolute (begin with /)"));
        }
        // Most paths arrive already normal: check them in place and copy once, instead of
        // growing a new string for every component.
        if is_normal(s) {
            return Ok(VPath(s.to_string()));
        }
        let mut p = VPath::root();
        for comp in s.split('/') {
            match comp {
                "" | "." => {}
                ".." => p = p.parent().unwrap_or_else(VPath::root),
                name => p = p.join(name)?,
            }
        }
        Ok(p)
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The components, root first; empty for `/`.
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The number of components (0 for `/`).
    pub fn depth(&self) -> usize {
        self.components().count()
    }

    /// The parent directory, or `None` for `/`.
    pub fn parent(&self) -> Option<VPath> {
        if self.is_root() {
            return None;
        }
        let cut = last_slash(&self.0);
        Some(if cut == 0 {
            VPath::root()
        } else {
            VPath(self.0[..cut].to_string())
        })
    }

    /// The last component, or `None` for `/`.
    pub fn name(&self) -> Option<&str> {
        if self.is_root() {
            None
        } else {
            Some(&self.0[last_slash(&self.0) + 1..])
        }
    }

    /// This path with one more component, checked with [`check_name`].
    pub fn join(&self, name: &str) -> Result<VPath> {
        check_name(name, &self.0)?;
        // Written out rather than through `format!`, whose machinery cost more than the copy.
        let base = if self.is_root() { "" } else { self.0.as_str() };
        let mut s = String::with_capacity(base.len() + 1 + name.len());
        s.push_str(base);
        s.push('/');
        s.push_str(name);
        if s.len() > PATH_MAX {
            return Err(Error::new(ErrorKind::NameTooLong, "path", s));
        }
        Ok(VPath(s))
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &VPath) -> bool {
        other.is_root()
            || self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }

    /// The path relative to `/`, without the leading slash (`""` for the root); the form tar
    /// entries use.
    pub fn relative(&self) -> &str {
        &self.0[1..]
    }
}

/// Checks one name: not empty, not `.` or `..`, no `/` or NUL, at most 255 bytes, and not
/// beginning with `.wh.` (the OCI whiteout prefix, which a user may not create).
pub fn check_name(name: &str, context: &str) -> Result<()> {
    let at = || {
        if context.ends_with('/') {
            format!("{context}{name}")
        } else {
            format!("{context}/{name}")
        }
    };
    if name.is_empty() || name == "." || name == ".." || name.bytes().any(|b| b == b'/' || b == 0) {
        return Err(Error::new(ErrorKind::InvalidInput, "path", at())
            .with_detail(format!("{name:?} is not a valid file name")));
    }
    if name.len() > NAME_MAX {
        return Err(Error::new(ErrorKind::NameTooLong, "path", at()));
    }
    if name.starts_with(".wh.") {
        return Err(
            Error::new(ErrorKind::InvalidInput, "path", at()).with_detail(
                "names beginning with .wh. are reserved for whiteouts in OCI layer tars",
            ),
        );
    }
    Ok(())
}

impl fmt::Display for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl serde::Serialize for VPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// True when `s` (which begins with `/`) is already a normal path that [`VPath::parse`] takes as
/// it is: `/`, or components that are each a valid name for [`check_name`] and neither `.` nor
/// `..`, no empty component, no trailing `/`, at most `PATH_MAX` bytes. One pass over the bytes;
/// anything else goes the slow way, which gives the errors.
fn is_normal(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    if s.len() > PATH_MAX {
        return false;
    }
    let b = s.as_bytes();
    let mut start = 1;
    let mut i = 1;
    loop {
        if i == b.len() || b[i] == b'/' {
            let c = &b[start..i];
            if c.is_empty()
                || c == b"."
                || c == b".."
                || c.len() > NAME_MAX
                || c.starts_with(b".wh.")
            {
                return false;
            }
            if i == b.len() {
                return true;
            }
            start = i + 1;
        } else if b[i] == 0 {
            return false;
        }
        i += 1;
    }
}

/// The byte position of the last `/` in `s` (0 when there is none): a plain byte search, which
/// for paths of a few dozen bytes costs less than `rfind('/')` and its char searcher, a
/// measurable share of the engine's hot paths.
pub(crate) fn last_slash(s: &str) -> usize {
    s.as_bytes().iter().rposition(|&b| b == b'/').unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check `is_normal` replaced, kept as its reference.
    fn is_normal_by_split(s: &str) -> bool {
        s.len() <= PATH_MAX
            && (s == "/"
                || (!s.ends_with('/')
                    && s[1..]
                        .split('/')
                        .all(|c| c != "." && c != ".." && check_name(c, "").is_ok())))
    }

    #[test]
    fn is_normal_agrees_with_the_split_check() {
        // Every string of up to 7 bytes over an alphabet that makes dots, whiteout prefixes,
        // empty components and NULs, after the leading slash; and names around NAME_MAX.
        let alphabet = [b'/', b'.', b'w', b'h', b'a', 0u8];
        let mut strings = vec!["/".to_string()];
        let mut frontier = vec![String::from("/")];
        for _ in 0..7 {
            let mut next = Vec::new();
            for s in &frontier {
                for &c in &alphabet {
                    let mut t = s.clone();
                    t.push(char::from(c));
                    next.push(t);
                }
            }
            strings.extend(next.iter().cloned());
            frontier = next;
        }
        for n in [NAME_MAX - 1, NAME_MAX, NAME_MAX + 1] {
            strings.push(format!("/{}", "x".repeat(n)));
            strings.push(format!("/a/{}/b", "x".repeat(n)));
        }
        strings.push(format!("/{}", "a/".repeat(PATH_MAX / 2)));
        strings.push(format!("/{}a", "a/".repeat(PATH_MAX / 2 - 1)));
        for s in &strings {
            assert_eq!(is_normal(s), is_normal_by_split(s), "{s:?}");
        }
    }

    #[test]
    fn name_and_parent_split_at_the_last_slash() {
        for (p, parent, name) in [
            ("/a", "/", "a"),
            ("/a/b", "/a", "b"),
            ("/dir/sub/file.txt", "/dir/sub", "file.txt"),
            ("/\u{e9}/\u{e0}b", "/\u{e9}", "\u{e0}b"),
        ] {
            let v = VPath::parse(p).unwrap();
            assert_eq!(v.name(), Some(name), "{p}");
            assert_eq!(v.parent().unwrap().as_str(), parent, "{p}");
        }
        assert_eq!(VPath::root().name(), None);
        assert_eq!(last_slash("no slash"), 0);
        assert_eq!(last_slash("/x/"), 2);
    }

    #[test]
    fn join_appends_one_checked_name() {
        let root = VPath::root();
        let a = root.join("a").unwrap();
        assert_eq!(a.as_str(), "/a");
        assert_eq!(
            a.join("\u{e9}t\u{e9}").unwrap().as_str(),
            "/a/\u{e9}t\u{e9}"
        );
        for bad in ["", ".", "..", "x/y", "nul\0", ".wh.x"] {
            assert_eq!(
                a.join(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
        assert_eq!(
            a.join(&"n".repeat(256)).unwrap_err().kind(),
            ErrorKind::NameTooLong
        );
        let mut deep = VPath::root();
        while deep.as_str().len() + 11 <= PATH_MAX {
            deep = deep.join("0123456789").unwrap();
        }
        assert_eq!(
            deep.join("0123456789").unwrap_err().kind(),
            ErrorKind::NameTooLong
        );
    }

    #[test]
    fn parse_normalises_dots_and_slashes() {
        assert_eq!(VPath::parse("/a//b/./c/..").unwrap().as_str(), "/a/b");
        assert_eq!(VPath::parse("/../..").unwrap().as_str(), "/");
        assert_eq!(VPath::parse("/").unwrap().parent(), None);
        assert_eq!(VPath::parse("/a").unwrap().parent().unwrap().as_str(), "/");
    }

    #[test]
    fn parse_rejects_relative_whiteout_and_long_names() {
        assert_eq!(
            VPath::parse("a").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            VPath::parse("/x/.wh.y").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let long = format!("/{}", "n".repeat(256));
        assert_eq!(
            VPath::parse(&long).unwrap_err().kind(),
            ErrorKind::NameTooLong
        );
        let deep = "/d".repeat(2100);
        assert_eq!(
            VPath::parse(&deep).unwrap_err().kind(),
            ErrorKind::NameTooLong
        );
    }

    #[test]
    fn starts_with_respects_component_boundaries() {
        let ab = VPath::parse("/a/b").unwrap();
        assert!(ab.starts_with(&VPath::parse("/a").unwrap()));
        assert!(!VPath::parse("/ab")
            .unwrap()
            .starts_with(&VPath::parse("/a").unwrap()));
        assert!(ab.starts_with(&VPath::root()));
    }
}
