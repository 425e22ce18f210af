//! Formatting shared by the commands: mode strings, dates (without a clock: only arithmetic on
//! the seconds the engine stores), quoting in messages, user and group names.

use crate::container::Container;
use crate::layer::FileType;
use crate::path::VPath;

/// `-rw-r--r--`, as `ls -l` and `stat` show a type and mode.
pub(crate) fn mode_string(ft: FileType, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(match ft {
        FileType::Dir => 'd',
        FileType::Symlink => 'l',
        FileType::Whiteout => 'c',
        FileType::File => '-',
    });
    let bit = |m: u32, c: char| if mode & m != 0 { c } else { '-' };
    let special = |x: u32, s: u32, on: char, off: char| match (mode & x != 0, mode & s != 0) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(0o001, 0o1000, 't', 'T'));
    s
}

/// Year, month (1-12) and day of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), so that dates need no clock and no time-zone database.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Splits seconds since the epoch into a UTC date and time of day.
fn split(t: i64) -> ((i64, u32, u32), (i64, i64, i64)) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    (
        civil_from_days(days),
        (secs / 3600, secs % 3600 / 60, secs % 60),
    )
}

/// `2026-11-22 10:50:21.000000000 +0000`, as `stat` shows a time in UTC.
pub(crate) fn stat_time(t: i64) -> String {
    let ((y, m, d), (hh, mm, ss)) = split(t);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.000000000 +0000")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Nov 22 10:50` for times in the six months up to `now`, `Nov 22  2025` otherwise, as
/// `ls -l` does. `now` is the container's clock, not the host's.
pub(crate) fn ls_time(t: i64, now: i64) -> String {
    const HALF_YEAR: i64 = 31_556_952 / 2;
    let ((y, m, d), (hh, mm, _)) = split(t);
    let mon = MONTHS.get(m.saturating_sub(1) as usize).unwrap_or(&"???");
    if t > now.saturating_sub(HALF_YEAR) && t <= now {
        format!("{mon} {d:>2} {hh:02}:{mm:02}")
    } else {
        format!("{mon} {d:>2}  {y}")
    }
}

/// Whether `s` holds the character `c`. `str::contains` with a `char` searches for a
/// character outside ASCII as a substring, which links the standard library's two-way string
/// searcher (1.9 KB of wasm) for the shell's few lookups of its private-use markers and of
/// letters in option tables.
pub(crate) fn has_char(s: &str, c: char) -> bool {
    s.chars().any(|x| x == c)
}

/// A name as coreutils quotes it in messages with `LC_ALL=C`: `'name'`, or `"name"` when it
/// holds a single quote. It is formatted where it is used, so that a message allocates no
/// `String` for its quoted names.
pub(crate) fn q(name: &str) -> Q<'_> {
    Q(name)
}

/// What [`q`] returns: the name, quoted when displayed.
pub(crate) struct Q<'a>(&'a str);

impl std::fmt::Display for Q<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.0;
        if !name.as_bytes().contains(&b'\'') {
            return write!(f, "'{name}'");
        }
        if !name.as_bytes().contains(&b'"') {
            return write!(f, "\"{name}\"");
        }
        // Each single quote closes the quotes, is escaped, and opens them again.
        f.write_str("'")?;
        for (i, part) in name.split('\'').enumerate() {
            if i > 0 {
                f.write_str("'\\''")?;
            }
            f.write_str(part)?;
        }
        f.write_str("'")
    }
}

/// A name as coreutils quotes it only where needed (`quotef`): as typed when every character
/// is safe for a shell, else like [`q`].
pub(crate) fn qf(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "%+,-./:=@_^".chars().any(|s| s == c);
    // `~` needs quotes only where a shell would expand it, at the start.
    let ok = name
        .char_indices()
        .all(|(i, c)| safe(c) || (c == '~' && i > 0));
    if !name.is_empty() && ok {
        name.to_string()
    } else {
        q(name).to_string()
    }
}

/// Looks `id` up in the container's `/etc/passwd` or `/etc/group` (the name is the first field,
/// the id the third), as `ls` and `stat` inside a container do.
fn name_of(c: &Container, file: &str, id: u32) -> Option<String> {
    let data = c.read(&VPath::parse(file).ok()?).ok()?;
    let text = String::from_utf8_lossy(data.bytes()).into_owned();
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let n: u32 = f.nth(1)?.parse().ok()?;
        (n == id).then(|| name.to_string())
    })
}

/// The id the container's `/etc/passwd` or `/etc/group` gives `name`.
pub(crate) fn id_of(c: &Container, file: &str, name: &str) -> Option<u32> {
    if name == "root" {
        return Some(0);
    }
    let data = c.read(&VPath::parse(file).ok()?).ok()?;
    let text = String::from_utf8_lossy(data.bytes()).into_owned();
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

/// The user name of `uid` (`root` for 0 even without `/etc/passwd`), or the number.
pub(crate) fn user(c: &Container, uid: u32) -> String {
    name_of(c, "/etc/passwd", uid)
        .or_else(|| (uid == 0).then(|| "root".to_string()))
        .unwrap_or_else(|| uid.to_string())
}

/// The group name of `gid`, or the number.
pub(crate) fn group(c: &Container, gid: u32) -> String {
    name_of(c, "/etc/group", gid)
        .or_else(|| (gid == 0).then(|| "root".to_string()))
        .unwrap_or_else(|| gid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_char_finds_characters_of_every_width() {
        let word = "a\u{E001}é/";
        for c in ['a', '\u{E001}', 'é', '/'] {
            assert!(has_char(word, c), "{c:?}");
        }
        // The same leading bytes as a marker, but another character.
        for c in ['\u{E002}', 'è', 'b', '\0'] {
            assert!(!has_char(word, c), "{c:?}");
        }
        assert!(!has_char("", 'a'));
    }

    #[test]
    fn dates_come_from_arithmetic() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(
            stat_time(1_795_344_621),
            "2026-11-22 10:50:21.000000000 +0000"
        );
        assert_eq!(stat_time(-1), "1969-12-31 23:59:59.000000000 +0000");
        assert_eq!(ls_time(1_795_344_621, 1_795_344_621), "Nov 22 10:50");
        assert_eq!(ls_time(0, 1_795_344_621), "Jan  1  1970");
    }

    #[test]
    fn names_are_quoted_as_coreutils_quotes_them() {
        assert_eq!(q("a b").to_string(), "'a b'");
        assert_eq!(q("").to_string(), "''");
        assert_eq!(q("it's").to_string(), "\"it's\"");
        assert_eq!(q("'a\"b'").to_string(), r#"''\''a"b'\'''"#);
        assert_eq!(qf("plain"), "plain");
        assert_eq!(qf("it's"), "\"it's\"");
    }

    #[test]
    fn mode_strings_show_special_bits() {
        assert_eq!(mode_string(FileType::File, 0o644), "-rw-r--r--");
        assert_eq!(mode_string(FileType::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(FileType::File, 0o4644), "-rwSr--r--");
    }
}
