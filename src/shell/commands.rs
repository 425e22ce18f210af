//! The commands, with the meaning, messages and exit statuses of bash builtins and GNU
//! coreutils (`LC_ALL=C`), for the subset the engine offers.

use super::fmt::{self, has_char, q};
use super::Io;
use crate::container::{Container, Low, OpenFlags, Stat};
use crate::error::ErrorKind;
use crate::event::EventKind;
use crate::layer::FileType;
use crate::path::VPath;

/// What a command may touch: the container, the shell's working directory and umask, its
/// standard input and where it writes.
pub(crate) struct Ctx<'a> {
    pub c: &'a mut Container,
    pub cwd: &'a mut VPath,
    /// The working directory as `cd` named it (`pwd`, `$PWD`, `cd ..`).
    pub logical: &'a mut VPath,
    /// The directory before the last `cd`.
    pub oldpwd: &'a mut Option<VPath>,
    pub umask: &'a mut u32,
    pub stdin: &'a [u8],
    /// Why standard input cannot be read (`< dir` opens, but reading it fails with EISDIR).
    pub stdin_error: Option<ErrorKind>,
    pub io: &'a mut Io,
    /// `bash: line N: `, for the messages of builtins.
    pub prefix: &'a str,
    /// Set by `exit`: the shell stops running the line or script.
    pub exit: &'a mut bool,
}

/// Whether `name` is one of bash's builtins among the commands [`run`] knows: their messages
/// start with `bash: line N: ` ([`Ctx::prefix`]), the other commands' with their own name.
pub(crate) fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "echo" | "printf" | "cd" | "pwd" | "test" | "[" | "exit" | "umask" | "true" | ":" | "false"
    )
}

/// Runs `name`; `None` when there is no such command.
pub(crate) fn run(ctx: &mut Ctx<'_>, name: &str, args: &[String]) -> Option<i32> {
    Some(match name {
        "echo" => echo(ctx, args),
        "printf" => printf(ctx, args),
        "cat" => cat(ctx, args),
        "ls" => ls(ctx, args),
        "stat" => stat(ctx, args),
        "mkdir" => mkdir(ctx, args),
        "rmdir" => rmdir(ctx, args),
        "rm" => rm(ctx, args),
        "touch" => touch(ctx, args),
        "mv" => mv(ctx, args),
        "cp" => cp(ctx, args),
        "chmod" => chmod(ctx, args),
        "chown" => chown(ctx, args),
        "ln" => ln(ctx, args),
        "truncate" => truncate(ctx, args),
        "head" => head_tail(ctx, args, true),
        "tail" => head_tail(ctx, args, false),
        "cd" => cd(ctx, args),
        "pwd" => {
            let physical = args.iter().rev().find(|a| *a == "-P" || *a == "-L");
            let dir = if physical.is_some_and(|a| a == "-P") {
                ctx.cwd.to_string()
            } else {
                ctx.logical.to_string()
            };
            ctx.io.out_fmt(format_args!("{dir}\n"));
            0
        }
        "readlink" => readlink(ctx, args),
        "test" => test(ctx, args, false),
        "[" => test(ctx, args, true),
        "wc" => wc(ctx, args),
        "exit" => exit(ctx, args),
        "umask" => umask(ctx, args),
        "true" | ":" => 0,
        "false" => 1,
        _ => return None,
    })
}

// ----- option parsing ---------------------------------------------------------------------------

/// Parsed options: the flags seen, option values, and the operands (GNU order: options may
/// follow operands; `--` ends the options).
#[derive(Default)]
struct Opts<'a> {
    flags: Vec<char>,
    values: Vec<(char, &'a str)>,
    operands: Vec<&'a str>,
}

impl<'a> Opts<'a> {
    fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }

    fn value(&self, c: char) -> Option<&'a str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == c)
            .map(|&(_, v)| v)
    }
}

/// The options a command accepts: short flags, short options that take a value, long names
/// mapped to their short letter, and the status of a usage error (2 for `ls`, 1 for the rest).
struct Spec {
    cmd: &'static str,
    flags: &'static str,
    valued: &'static str,
    longs: &'static [(&'static str, char)],
    bad: i32,
}

fn try_help(ctx: &mut Ctx<'_>, cmd: &str) {
    ctx.io
        .err_fmt(format_args!("Try '{cmd} --help' for more information.\n"));
}

fn getopt<'a>(ctx: &mut Ctx<'_>, spec: &Spec, args: &'a [String]) -> Result<Opts<'a>, i32> {
    let mut o = Opts::default();
    let mut it = args.iter().map(String::as_str);
    let cmd = spec.cmd;
    while let Some(a) = it.next() {
        if a == "--" {
            o.operands.extend(it);
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            match spec.longs.iter().find(|(l, _)| *l == name) {
                Some(&(_, c)) if has_char(spec.valued, c) => {
                    let v = val.or_else(|| it.next());
                    match v {
                        Some(v) => o.values.push((c, v)),
                        None => {
                            ctx.io.err_fmt(format_args!(
                                "{cmd}: option '--{name}' requires an argument\n"
                            ));
                            try_help(ctx, cmd);
                            return Err(spec.bad);
                        }
                    }
                }
                Some(&(_, c)) => o.flags.push(c),
                None => {
                    ctx.io
                        .err_fmt(format_args!("{cmd}: unrecognized option '{a}'\n"));
                    try_help(ctx, cmd);
                    return Err(spec.bad);
                }
            }
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            let mut chars = a.char_indices().skip(1);
            for (i, c) in chars.by_ref() {
                if has_char(spec.valued, c) {
                    let rest = a.get(i + c.len_utf8()..).unwrap_or("");
                    let v = if rest.is_empty() {
                        it.next()
                    } else {
                        Some(rest)
                    };
                    match v {
                        Some(v) => o.values.push((c, v)),
                        None => {
                            ctx.io.err_fmt(format_args!(
                                "{cmd}: option requires an argument -- '{c}'\n"
                            ));
                            try_help(ctx, cmd);
                            return Err(spec.bad);
                        }
                    }
                    break;
                } else if has_char(spec.flags, c) {
                    o.flags.push(c);
                } else {
                    ctx.io
                        .err_fmt(format_args!("{cmd}: invalid option -- '{c}'\n"));
                    try_help(ctx, cmd);
                    return Err(spec.bad);
                }
            }
            continue;
        }
        o.operands.push(a);
    }
    Ok(o)
}

fn missing(ctx: &mut Ctx<'_>, cmd: &str, what: std::fmt::Arguments<'_>) -> i32 {
    ctx.io.err_fmt(format_args!("{cmd}: {what}\n"));
    try_help(ctx, cmd);
    1
}

// ----- path helpers -----------------------------------------------------------------------------

fn resolve(ctx: &Ctx<'_>, raw: &str, follow: bool) -> Result<VPath, ErrorKind> {
    ctx.c.resolve(ctx.cwd, raw, follow).map_err(|e| e.kind())
}

/// Resolves and stats `raw`, following a final symlink when `follow`.
fn stat_of(ctx: &Ctx<'_>, raw: &str, follow: bool) -> Result<(VPath, Stat), ErrorKind> {
    let p = resolve(ctx, raw, follow)?;
    let s = ctx.c.stat(&p).map_err(|e| e.kind())?;
    Ok((p, s))
}

/// The last name of an operand as typed (`a/b/` gives `b`).
fn base(raw: &str) -> &str {
    let t = raw.trim_end_matches('/');
    if t.is_empty() {
        return "/";
    }
    t.rsplit('/').next().unwrap_or(t)
}

/// `dir/name` as messages show a path inside a directory operand.
fn display_join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Where the absolute path `p` leads with its last symlink followed. One function rather
/// than the same `resolve` from the root at each caller (cp and mv follow a target through
/// its symlink in many places).
#[inline(never)]
fn follow_path(ctx: &Ctx<'_>, p: &VPath, follow: bool) -> Result<VPath, ErrorKind> {
    ctx.c
        .resolve(&VPath::root(), p.as_str(), follow)
        .map_err(|e| e.kind())
}

/// stat(2) of the absolute path `p`, through a final symlink.
#[inline(never)]
fn stat_followed(ctx: &Ctx<'_>, p: &VPath) -> Result<Stat, ErrorKind> {
    let p = follow_path(ctx, p, true)?;
    ctx.c.stat(&p).map_err(|e| e.kind())
}

fn is_dir(ctx: &Ctx<'_>, raw: &str) -> bool {
    stat_of(ctx, raw, true).is_ok_and(|(_, s)| s.file_type == FileType::Dir)
}

fn new_file_mode(ctx: &Ctx<'_>) -> u32 {
    0o666 & !*ctx.umask
}

// ----- echo and printf --------------------------------------------------------------------------

/// Backslash escapes of `echo -e`, `printf`'s format and `%b`. Returns the bytes and whether
/// `\c` asked to stop all output. `printf_octal` selects `\NNN` (printf's format) over `\0NNN`.
fn unescape(s: &str, printf_octal: bool) -> (Vec<u8>, bool) {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = b.get(i) else {
            out.push(b'\\');
            break;
        };
        i += 1;
        let simple = match e {
            b'a' => Some(7),
            b'b' => Some(8),
            b'e' | b'E' => Some(27),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'"' if printf_octal => Some(b'"'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            continue;
        }
        match e {
            b'c' => return (out, true),
            b'0'..=b'7' if printf_octal || e == b'0' => {
                // printf: up to three octal digits; echo: `\0` then up to three more.
                let mut v: u32 = 0;
                let mut n = 0;
                if printf_octal {
                    v = u32::from(e - b'0');
                    n = 1;
                }
                while n < 3 {
                    match b.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                            n += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 2 {
                    match b.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    out.push(v as u8);
                }
            }
            _ => {
                out.push(b'\\');
                out.push(e);
            }
        }
    }
    (out, false)
}

fn echo(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut rest = args;
    // bash's echo takes options only while every word is `-` followed by n, e or E.
    while let Some((a, tail)) = rest.split_first() {
        let Some(opts) = a.strip_prefix('-') else {
            break;
        };
        if opts.is_empty() || !opts.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for c in opts.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        rest = tail;
    }
    let mut out = Vec::new();
    for (i, a) in rest.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if escapes {
            let (bytes, stop) = unescape(a, false);
            out.extend_from_slice(&bytes);
            if stop {
                ctx.io.out(out);
                return 0;
            }
        } else {
            out.extend_from_slice(a.as_bytes());
        }
    }
    if newline {
        out.push(b'\n');
    }
    ctx.io.out(out);
    0
}

/// Parses a printf number argument as bash does: decimal, `0x` hex, `0` octal or `'c`. Returns
/// the value and whether the whole argument was a number.
fn printf_number(arg: &str) -> (i64, bool) {
    let t = arg.trim_start();
    if let Some(ch) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return (ch.chars().next().map_or(0, |c| c as i64), true);
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, t.get(1..).unwrap_or(""))
    } else {
        (10, t)
    };
    let mut v: i64 = 0;
    let mut used = 0;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => {
                v = v
                    .saturating_mul(i64::from(radix))
                    .saturating_add(i64::from(d));
                used += 1;
            }
            None => break,
        }
    }
    let whole = used == digits.len() && (used > 0 || radix == 8);
    (if neg { -v } else { v }, whole || arg.is_empty())
}

/// Pads `body` to `width` as printf's `-` and `0` flags say.
fn pad(body: String, width: usize, left: bool, zero: bool) -> String {
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if left {
        format!("{body}{}", " ".repeat(fill))
    } else if zero {
        let (sign, digits) = match body.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", body.as_str()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

/// `printf %q`: the word with a backslash before every character the shell would treat
/// specially, as bash writes it; `''` for the empty word.
fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c.is_alphanumeric()
            || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ','))
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn printf(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let args = match args.first() {
        Some(a) if a == "--" => args.get(1..).unwrap_or(&[]),
        _ => args,
    };
    let Some((format, mut rest)) = args.split_first() else {
        ctx.io
            .err("printf: usage: printf [-v var] format [arguments]\n");
        return 2;
    };
    let mut status = 0;
    let mut out: Vec<u8> = Vec::new();
    let fmt: Vec<char> = format.chars().collect();
    loop {
        let before = rest.len();
        let mut i = 0;
        let next_arg = |rest: &mut &[String]| -> Option<String> {
            let (a, tail) = rest.split_first()?;
            *rest = tail;
            Some(a.clone())
        };
        while let Some(&c) = fmt.get(i) {
            if c == '\\' {
                // One escape at a time, so `\c` can stop everything.
                let mut j = i + 1;
                let mut esc = String::from("\\");
                if let Some(&e) = fmt.get(j) {
                    esc.push(e);
                    j += 1;
                    let more = match e {
                        '0'..='7' => 2,
                        'x' => 2,
                        _ => 0,
                    };
                    for _ in 0..more {
                        match fmt.get(j) {
                            Some(&d) if d.is_ascii_hexdigit() => {
                                esc.push(d);
                                j += 1;
                            }
                            _ => break,
                        }
                    }
                }
                let (bytes, stop) = unescape(&esc, true);
                out.extend_from_slice(&bytes);
                if stop {
                    ctx.io.out(out);
                    return status;
                }
                i = j;
                continue;
            }
            if c != '%' {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            let mut left = false;
            let mut zero = false;
            let mut plus = false;
            let mut space = false;
            while let Some(&f) = fmt.get(i) {
                match f {
                    '-' => left = true,
                    '0' => zero = true,
                    '+' => plus = true,
                    ' ' => space = true,
                    '#' => {}
                    _ => break,
                }
                i += 1;
            }
            let mut width = 0usize;
            while let Some(d) = fmt.get(i).and_then(|c| c.to_digit(10)) {
                width = width
                    .saturating_mul(10)
                    .saturating_add(d as usize)
                    .min(4096);
                i += 1;
            }
            let mut precision: Option<usize> = None;
            if fmt.get(i) == Some(&'.') {
                i += 1;
                let mut p = 0usize;
                while let Some(d) = fmt.get(i).and_then(|c| c.to_digit(10)) {
                    p = p.saturating_mul(10).saturating_add(d as usize).min(4096);
                    i += 1;
                }
                precision = Some(p);
            }
            let Some(&conv) = fmt.get(i) else {
                let spec: String = fmt.get(start..).unwrap_or(&[]).iter().collect();
                ctx.io.err_fmt(format_args!(
                    "{}printf: `{spec}': missing format character\n",
                    ctx.prefix
                ));
                ctx.io.out(out);
                return 1;
            };
            i += 1;
            let text = match conv {
                '%' => "%".to_string(),
                's' | 'b' => {
                    let a = next_arg(&mut rest).unwrap_or_default();
                    let a = if conv == 'b' {
                        let (bytes, stop) = unescape(&a, false);
                        let s = String::from_utf8_lossy(&bytes).into_owned();
                        if stop {
                            out.extend_from_slice(pad(s, width, left, false).as_bytes());
                            ctx.io.out(out);
                            return status;
                        }
                        s
                    } else {
                        a
                    };
                    let a = match precision {
                        Some(p) => a.chars().take(p).collect(),
                        None => a,
                    };
                    pad(a, width, left, false)
                }
                'q' => {
                    let a = next_arg(&mut rest).unwrap_or_default();
                    pad(shell_quote(&a), width, left, false)
                }
                'c' => {
                    let a = next_arg(&mut rest).unwrap_or_default();
                    pad(a.chars().take(1).collect(), width, left, false)
                }
                'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                    let a = next_arg(&mut rest).unwrap_or_default();
                    let (v, ok) = printf_number(&a);
                    if !ok {
                        ctx.io
                            .err_fmt(format_args!("{}printf: {a}: invalid number\n", ctx.prefix));
                        status = 1;
                    }
                    let mut body = match conv {
                        'x' => format!("{:x}", v),
                        'X' => format!("{:X}", v),
                        'o' => format!("{:o}", v),
                        'u' => format!("{}", v as u64),
                        _ => format!("{v}"),
                    };
                    if let Some(p) = precision {
                        body = pad(body, p, false, true);
                    }
                    if matches!(conv, 'd' | 'i') && v >= 0 {
                        if plus {
                            body.insert(0, '+');
                        } else if space {
                            body.insert(0, ' ');
                        }
                    }
                    pad(body, width, left, zero && precision.is_none())
                }
                other => {
                    ctx.io.err_fmt(format_args!(
                        "{}printf: `{other}': invalid format character\n",
                        ctx.prefix
                    ));
                    ctx.io.out(out);
                    return 1;
                }
            };
            out.extend_from_slice(text.as_bytes());
        }
        // The format is reused while arguments remain, but only if it consumed some.
        if rest.is_empty() || rest.len() == before {
            break;
        }
    }
    ctx.io.out(out);
    status
}

// ----- reading ----------------------------------------------------------------------------------

/// How messages name an operand: `-` is `standard input`.
fn stdin_name(raw: &str) -> &str {
    if raw == "-" {
        "standard input"
    } else {
        raw
    }
}

/// The content of an operand for `cat`, `head` and `tail` (`-` is standard input).
fn read_operand(ctx: &Ctx<'_>, raw: &str) -> Result<Vec<u8>, ErrorKind> {
    if raw == "-" {
        return match ctx.stdin_error {
            Some(k) => Err(k),
            None => Ok(ctx.stdin.to_vec()),
        };
    }
    if raw == "/dev/null" {
        return Ok(Vec::new());
    }
    let p = resolve(ctx, raw, true)?;
    ctx.c
        .read(&p)
        .map(|b| b.bytes().to_vec())
        .map_err(|e| e.kind())
}

fn cat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "cat",
        flags: "nu",
        valued: "",
        longs: &[("number", 'n')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let operands = if o.operands.is_empty() {
        vec!["-"]
    } else {
        o.operands.clone()
    };
    let mut status = 0;
    let mut line_no = 0;
    for raw in &operands {
        match read_operand(ctx, raw) {
            Ok(data) if o.has('n') => {
                let mut out = Vec::new();
                for line in data.split_inclusive(|&b| b == b'\n') {
                    line_no += 1;
                    out.extend_from_slice(format!("{line_no:>6}\t").as_bytes());
                    out.extend_from_slice(line);
                }
                ctx.io.out(out);
            }
            Ok(data) => ctx.io.out(data),
            Err(k) => {
                ctx.io
                    .err_fmt(format_args!("cat: {}: {}\n", fmt::qf(raw), k.strerror()));
                status = 1;
            }
        }
    }
    status
}

fn head_tail(ctx: &mut Ctx<'_>, args: &[String], head: bool) -> i32 {
    let cmd = if head { "head" } else { "tail" };
    // `head -5` is the old spelling of `head -n 5`.
    let mut fixed = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let is_value = i > 0 && matches!(args.get(i - 1).map(String::as_str), Some("-n" | "-c"));
        match a.strip_prefix('-') {
            Some(d) if !is_value && !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) => {
                fixed.push("-n".to_string());
                fixed.push(d.to_string());
            }
            _ => fixed.push(a.clone()),
        }
    }
    // head and tail take the same options.
    const LONGS: &[(&str, char)] = &[
        ("lines", 'n'),
        ("bytes", 'c'),
        ("quiet", 'q'),
        ("verbose", 'v'),
    ];
    const HEAD: Spec = Spec {
        cmd: "head",
        flags: "qv",
        valued: "nc",
        longs: LONGS,
        bad: 1,
    };
    const TAIL: Spec = Spec {
        cmd: "tail",
        flags: "qv",
        valued: "nc",
        longs: LONGS,
        bad: 1,
    };
    let o = match getopt(ctx, if head { &HEAD } else { &TAIL }, &fixed) {
        Ok(o) => o,
        Err(s) => return s,
    };
    // The last of -n and -c wins; +N (tail) counts from the start.
    let last = o.values.iter().rev().find(|(k, _)| *k == 'n' || *k == 'c');
    let (bytes_mode, count_raw) = match last {
        Some(&('c', v)) => (true, v),
        Some(&(_, v)) => (false, v),
        None => (false, "10"),
    };
    let from_start = !head && count_raw.starts_with('+');
    // `head -n -N`: everything but the last N.
    let all_but = head && count_raw.starts_with('-');
    let digits = count_raw.trim_start_matches(['+', '-']);
    let Ok(n) = digits.parse::<usize>() else {
        let what = if bytes_mode { "bytes" } else { "lines" };
        ctx.io.err_fmt(format_args!(
            "{cmd}: invalid number of {what}: {}\n",
            q(count_raw)
        ));
        return 1;
    };
    let operands = if o.operands.is_empty() {
        vec!["-"]
    } else {
        o.operands.clone()
    };
    let headers = (operands.len() > 1 && !o.has('q')) || o.has('v');
    let mut status = 0;
    let mut first = true;
    for raw in &operands {
        let data = match read_operand(ctx, raw) {
            Ok(d) => d,
            Err(ErrorKind::IsADirectory) => {
                if headers {
                    let sep = if first { "" } else { "\n" };
                    ctx.io.out_fmt(format_args!("{sep}==> {raw} <==\n"));
                    first = false;
                }
                ctx.io.err_fmt(format_args!(
                    "{cmd}: error reading {}: Is a directory\n",
                    q(stdin_name(raw))
                ));
                status = 1;
                continue;
            }
            Err(k) => {
                ctx.io.err_fmt(format_args!(
                    "{cmd}: cannot open {} for reading: {}\n",
                    q(raw),
                    k.strerror()
                ));
                status = 1;
                continue;
            }
        };
        if headers {
            let sep = if first { "" } else { "\n" };
            let name = if *raw == "-" { "standard input" } else { raw };
            ctx.io.out_fmt(format_args!("{sep}==> {name} <==\n"));
        }
        first = false;
        // The same window over bytes or over lines: `len` counts the one that is asked for.
        // A line ends after its newline, or at the end of data that does not end with one;
        // `ends` holds where each line ends (a loop: a `collect` of `split_inclusive` compiled
        // the standard library's collecting code for that iterator).
        let mut ends: Vec<usize> = Vec::new();
        if !bytes_mode {
            for (i, &b) in data.iter().enumerate() {
                if b == b'\n' {
                    ends.push(i + 1);
                }
            }
            if ends.last().copied().unwrap_or(0) < data.len() {
                ends.push(data.len());
            }
        }
        let len = if bytes_mode { data.len() } else { ends.len() };
        let range = if all_but {
            0..len.saturating_sub(n)
        } else if head {
            0..n.min(len)
        } else if from_start {
            n.saturating_sub(1).min(len)..len
        } else {
            len.saturating_sub(n)..len
        };
        let piece: &[u8] = if bytes_mode {
            data.get(range).unwrap_or(&[])
        } else {
            // Where the line before a line number ends (0 for the first line).
            let offset = |line: usize| match line.checked_sub(1) {
                Some(i) => ends.get(i).copied().unwrap_or(data.len()),
                None => 0,
            };
            data.get(offset(range.start)..offset(range.end))
                .unwrap_or(&[])
        };
        ctx.io.out(piece);
    }
    status
}

// ----- ls and stat ------------------------------------------------------------------------------

/// 1 KiB blocks an entry occupies on a 4 KiB-block filesystem, for `ls -l`'s total (stat shows
/// twice this in 512-byte blocks). Symlinks fit in the inode.
fn kib_blocks(s: &Stat) -> u64 {
    match s.file_type {
        FileType::Dir => 4,
        FileType::File => s.size.div_ceil(4096) * 4,
        _ => 0,
    }
}

/// One row of `ls -l`, before the columns are aligned.
struct Row {
    ino: String,
    mode: String,
    nlink: String,
    user: String,
    group: String,
    size: String,
    time: String,
    name: String,
}

/// The lines `ls` prints for `entries`: names alone, or with `long` the `-l` columns, each
/// preceded with `inode` by the inode number (`-i`). Each column is as wide as its widest
/// value among `entries`, as GNU ls sizes them.
fn listing_rows(ctx: &Ctx<'_>, entries: &[(String, Stat)], long: bool, inode: bool) -> Vec<String> {
    // Loops rather than iterator adapters collected into vectors: each `collect` of a `map`
    // compiles a copy of the standard library's collecting code for its closure.
    let now = ctx.c.clock();
    let mut rows: Vec<Row> = Vec::with_capacity(entries.len());
    let (mut wi, mut wn, mut wu, mut wg, mut ws) = (0, 0, 0, 0, 0);
    for (name, s) in entries {
        let r = if long {
            Row {
                ino: if inode {
                    s.ino.to_string()
                } else {
                    String::new()
                },
                mode: fmt::mode_string(s.file_type, s.mode),
                nlink: s.nlink.to_string(),
                user: fmt::user(ctx.c, s.uid),
                group: fmt::group(ctx.c, s.gid),
                size: s.size.to_string(),
                time: fmt::ls_time(s.mtime, now),
                name: match &s.target {
                    Some(t) if s.file_type == FileType::Symlink => format!("{name} -> {t}"),
                    _ => name.clone(),
                },
            }
        } else {
            Row {
                ino: if inode {
                    s.ino.to_string()
                } else {
                    String::new()
                },
                mode: String::new(),
                nlink: String::new(),
                user: String::new(),
                group: String::new(),
                size: String::new(),
                time: String::new(),
                name: name.clone(),
            }
        };
        wi = wi.max(r.ino.len());
        wn = wn.max(r.nlink.len());
        wu = wu.max(r.user.len());
        wg = wg.max(r.group.len());
        ws = ws.max(r.size.len());
        rows.push(r);
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut line = String::new();
        if inode {
            line.push_str(&format!("{:>wi$} ", r.ino));
        }
        if long {
            line.push_str(&format!(
                "{} {:>wn$} {:<wu$} {:<wg$} {:>ws$} {} ",
                r.mode, r.nlink, r.user, r.group, r.size, r.time
            ));
        }
        line.push_str(&r.name);
        line.push('\n');
        out.push(line);
    }
    out
}

fn ls(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "ls",
        flags: "alR1dAi",
        valued: "",
        longs: &[
            ("all", 'a'),
            ("almost-all", 'A'),
            ("recursive", 'R'),
            ("directory", 'd'),
            ("inode", 'i'),
        ],
        bad: 2,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let long = o.has('l');
    let mut status = 0;
    let operands = if o.operands.is_empty() {
        vec!["."]
    } else {
        o.operands.clone()
    };
    let mut files: Vec<(String, Stat)> = Vec::new();
    let mut dirs: Vec<(String, VPath)> = Vec::new();
    // GNU ls sizes the columns of the file operands' rows over all operands, directories too.
    let mut widths_too: Vec<(String, Stat)> = Vec::new();
    for raw in &operands {
        // Operands that are symlinks are followed, except with -l or -d where the link
        // itself is shown (unless it names a directory with a trailing slash).
        let follow = !(long || o.has('d'));
        let got = stat_of(ctx, raw, follow).or_else(|k| {
            // A dangling symlink is still listed as itself; one that loops (ELOOP) or runs
            // into a file (ENOTDIR) is not: GNU ls falls back to lstat on ENOENT only.
            if k != ErrorKind::NotFound {
                return Err(k);
            }
            stat_of(ctx, raw, false).map_err(|_| k)
        });
        match got {
            Ok((p, s)) if s.file_type == FileType::Dir && !o.has('d') => {
                dirs.push((raw.to_string(), p));
                widths_too.push((raw.to_string(), s));
            }
            Ok((_, s)) => files.push((raw.to_string(), s)),
            Err(k) => {
                complain_q(ctx, "ls", "cannot access", raw, k);
                status = 2;
            }
        }
    }
    crate::sort::sort_by(&mut files, |a, b| a.0.cmp(&b.0));
    crate::sort::sort_by(&mut dirs, |a, b| a.0.cmp(&b.0));
    let mut printed = false;
    let inode = o.has('i');
    if !files.is_empty() {
        let n = files.len();
        files.extend(widths_too);
        for r in listing_rows(ctx, &files, long, inode).into_iter().take(n) {
            ctx.io.out(r);
        }
        printed = true;
    }
    let headers = operands.len() > 1 || o.has('R');
    // A stack of directories still to list, the next one last (-R goes depth-first).
    let mut todo: Vec<(String, VPath)> = dirs.into_iter().rev().collect();
    while let Some((shown, dir)) = todo.pop() {
        if printed {
            ctx.io.out("\n");
        }
        printed = true;
        if headers {
            ctx.io.out_fmt(format_args!("{shown}:\n"));
        }
        let entries = match ctx.c.readdir(&dir) {
            Ok(e) => e,
            Err(e) => {
                ctx.io.err_fmt(format_args!(
                    "ls: cannot open directory {}: {}\n",
                    q(&shown),
                    e.kind().strerror()
                ));
                status = 2;
                continue;
            }
        };
        let mut listed: Vec<(String, Stat)> = Vec::new();
        if o.has('a') {
            let parent = dir.parent().unwrap_or_else(VPath::root);
            for (n, p) in [(".", &dir), ("..", &parent)] {
                if let Ok(s) = ctx.c.stat(p) {
                    listed.push((n.to_string(), s));
                }
            }
        }
        let mut subdirs = Vec::new();
        for (name, _) in entries {
            if name.starts_with('.') && !(o.has('a') || o.has('A')) {
                continue;
            }
            let Ok(p) = dir.join(name) else { continue };
            let Ok(s) = ctx.c.stat(&p) else { continue };
            if s.file_type == FileType::Dir {
                subdirs.push((display_join(&shown, name), p));
            }
            listed.push((name.to_owned(), s));
        }
        if long {
            let total: u64 = listed.iter().map(|(_, s)| kib_blocks(s)).sum();
            ctx.io.out_fmt(format_args!("total {total}\n"));
        }
        for r in listing_rows(ctx, &listed, long, inode) {
            ctx.io.out(r);
        }
        if o.has('R') {
            todo.extend(subdirs.into_iter().rev());
        }
    }
    status
}

fn stat(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "stat",
        flags: "L",
        valued: "c",
        longs: &[("dereference", 'L'), ("format", 'c')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    if o.operands.is_empty() {
        return missing(ctx, "stat", format_args!("missing operand"));
    }
    let mut status = 0;
    for raw in &o.operands {
        let s = match stat_of(ctx, raw, o.has('L')) {
            Ok((_, s)) => s,
            Err(k) => {
                complain_q(ctx, "stat", "cannot statx", raw, k);
                status = 1;
                continue;
            }
        };
        let kind = match s.file_type {
            FileType::Symlink => "symbolic link",
            FileType::Dir => "directory",
            FileType::File if s.size == 0 => "regular empty file",
            FileType::File => "regular file",
            // Never seen through the merged view; a whiteout is a 0/0 character device.
            FileType::Whiteout => "character special file",
        };
        if let Some(format) = o.value('c') {
            let mut line = stat_format(ctx, format, raw, kind, &s);
            line.push('\n');
            ctx.io.out(line);
            continue;
        }
        let name = match (&s.file_type, &s.target) {
            (FileType::Symlink, Some(t)) => format!("{raw} -> {t}"),
            _ => raw.to_string(),
        };
        let time = fmt::stat_time(s.mtime);
        let text = format!(
            "  File: {name}\n  Size: {:<10}\tBlocks: {:<10} IO Block: 4096   {kind}\nDevice: 0,48\tInode: {:<10}  Links: {}\nAccess: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\nAccess: {time}\nModify: {time}\nChange: {time}\n Birth: -\n",
            s.size,
            kib_blocks(&s) * 2,
            s.ino,
            s.nlink,
            s.mode & 0o7777,
            fmt::mode_string(s.file_type, s.mode),
            s.uid,
            fmt::user(ctx.c, s.uid),
            s.gid,
            fmt::group(ctx.c, s.gid),
        );
        ctx.io.out(text);
    }
    status
}

/// `stat -c FORMAT`'s line for one file, as GNU stat expands its directives: `%n` the name,
/// `%N` it quoted (with `-> 'target'` for a symlink), `%s` size, `%b` blocks of `%B` bytes,
/// `%F` type, `%a`/`%A`/`%f` mode in octal, as `ls` shows it, raw in hex, `%h` links, `%i`
/// inode, `%u`/`%U` and `%g`/`%G` owner and group, `%x`/`%y`/`%z` and `%X`/`%Y`/`%Z` the times
/// (all three the modification time, as the default output shows), `%w`/`%W` birth (unknown),
/// `%d`/`%D` device, `%t`/`%T` device type, `%o` I/O block, `%%`; a flag (`-` or `0`) and a width
/// pad a directive; any other directive is `?`.
fn stat_format(ctx: &Ctx<'_>, format: &str, raw: &str, kind: &str, s: &Stat) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut left, mut zero, mut width) = (false, false, 0usize);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '#' | '+' | ' ' | '\'' => {}
                _ => break,
            }
            chars.next();
        }
        while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            width = width
                .saturating_mul(10)
                .saturating_add(d as usize)
                .min(4096);
            chars.next();
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            break;
        };
        let raw_mode = s.mode
            | match s.file_type {
                FileType::Dir => 0o040000,
                FileType::File => 0o100000,
                FileType::Symlink => 0o120000,
                FileType::Whiteout => 0o020000,
            };
        let value = match conv {
            '%' => "%".to_string(),
            'n' => raw.to_string(),
            'N' => match &s.target {
                Some(t) if s.file_type == FileType::Symlink => format!("{} -> {}", q(raw), q(t)),
                _ => q(raw).to_string(),
            },
            's' => s.size.to_string(),
            'b' => (kib_blocks(s) * 2).to_string(),
            'B' => "512".to_string(),
            'F' => kind.to_string(),
            'a' => format!("{:o}", s.mode & 0o7777),
            'A' => fmt::mode_string(s.file_type, s.mode),
            'f' => format!("{raw_mode:x}"),
            'h' => s.nlink.to_string(),
            'i' => s.ino.to_string(),
            'u' => s.uid.to_string(),
            'U' => fmt::user(ctx.c, s.uid),
            'g' => s.gid.to_string(),
            'G' => fmt::group(ctx.c, s.gid),
            'x' | 'y' | 'z' => fmt::stat_time(s.mtime),
            'X' | 'Y' | 'Z' => s.mtime.to_string(),
            'w' => "-".to_string(),
            'W' | 't' | 'T' => "0".to_string(),
            'd' => "48".to_string(),
            'D' => "30".to_string(),
            'o' => "4096".to_string(),
            _ => "?".to_string(),
        };
        let pad = width.saturating_sub(value.chars().count());
        if left {
            out.push_str(&value);
            out.extend(std::iter::repeat_n(' ', pad));
        } else if zero && value.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(std::iter::repeat_n('0', pad));
            out.push_str(&value);
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&value);
        }
    }
    out
}

// ----- creating and removing --------------------------------------------------------------------

/// Parses a mode for `chmod` or `mkdir -m`: octal, or symbolic clauses applied to `old`.
/// `None` when the mode is invalid.
fn apply_mode(spec: &str, old: u32, is_dir: bool, umask: u32) -> Option<u32> {
    if !spec.is_empty() && spec.chars().all(|c| c.is_digit(8)) {
        let v = u32::from_str_radix(spec, 8).ok().filter(|v| *v <= 0o7777)?;
        // A directory keeps its set-user-ID and set-group-ID bits unless five digits (00755)
        // say otherwise.
        if is_dir && spec.len() < 5 {
            return Some(v | (old & 0o6000));
        }
        return Some(v);
    }
    let mut mode = old & 0o7777;
    for clause in spec.split(',') {
        let mut chars = clause.chars().peekable();
        let mut who = 0u32;
        while let Some(&c) = chars.peek() {
            who |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => break,
            };
            chars.next();
        }
        let implicit = who == 0;
        let mut saw_op = false;
        while let Some(op) = chars.next() {
            if !matches!(op, '+' | '-' | '=') {
                return None;
            }
            saw_op = true;
            let mut bits = 0u32;
            while let Some(&c) = chars.peek() {
                if matches!(c, '+' | '-' | '=') {
                    break;
                }
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if is_dir || mode & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    'u' | 'g' | 'o' => {
                        let src = match c {
                            'u' => (mode >> 6) & 7,
                            'g' => (mode >> 3) & 7,
                            _ => mode & 7,
                        };
                        src * 0o111
                    }
                    _ => return None,
                };
                chars.next();
            }
            // Without u, g, o or a, bits set in the umask are left alone.
            let mask = if implicit { 0o7777 & !umask } else { who };
            let affected = bits & mask;
            mode = match op {
                '+' => mode | affected,
                '-' => mode & !affected,
                _ => {
                    // `=` clears what it names (all permission bits without u, g, o or a).
                    let clear = if implicit { 0o777 } else { who };
                    // ... except a directory's set-ID bits, which only `s` itself changes.
                    let clear = if is_dir { clear & !0o6000 } else { clear };
                    (mode & !clear) | affected
                }
            };
        }
        if !saw_op {
            return None;
        }
    }
    Some(mode)
}

fn mkdir(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "mkdir",
        flags: "pv",
        valued: "m",
        longs: &[("parents", 'p'), ("mode", 'm'), ("verbose", 'v')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    if o.operands.is_empty() {
        return missing(ctx, "mkdir", format_args!("missing operand"));
    }
    let umask = *ctx.umask;
    let mode = match o.value('m') {
        Some(m) => match apply_mode(m, 0o777, true, 0) {
            Some(v) => v,
            None => {
                ctx.io.err_q("mkdir: invalid mode ", m, "\n");
                return 1;
            }
        },
        None => 0o777 & !umask,
    };
    let mut status = 0;
    for raw in &o.operands {
        let fail = |ctx: &mut Ctx<'_>, shown: &str, k: ErrorKind| {
            complain_q(ctx, "mkdir", "cannot create directory", shown, k)
        };
        if o.has('p') {
            // Each missing ancestor gets u+wx so that the rest can be created inside it.
            let comps: Vec<&str> = raw.split('/').filter(|c| !c.is_empty()).collect();
            let mut shown = if raw.starts_with('/') {
                "/".to_string()
            } else {
                String::new()
            };
            // Each step resolves one name from the directory reached so far, so a deep path
            // costs its depth squared, not cubed.
            let mut cur = if raw.starts_with('/') {
                VPath::root()
            } else {
                ctx.cwd.clone()
            };
            for (i, comp) in comps.iter().enumerate() {
                shown = if shown.is_empty() || shown.ends_with('/') {
                    format!("{shown}{comp}")
                } else {
                    format!("{shown}/{comp}")
                };
                let last = i + 1 == comps.len();
                let m = if last { mode } else { (0o777 & !umask) | 0o300 };
                let next = match ctx.c.resolve(&cur, comp, false) {
                    Ok(p) => p,
                    Err(e) => {
                        status = fail(ctx, &shown, e.kind());
                        break;
                    }
                };
                if ctx.c.stat(&next).is_ok() {
                    // mkdir(2) said EEXIST: an existing directory (or a symlink to one) is
                    // used; anything else stops here. A symlink that loops, dangles or runs
                    // into a file is reported as coreutils' mkdir -p reports it.
                    let followed = ctx
                        .c
                        .resolve(&cur, comp, true)
                        .and_then(|p| ctx.c.stat(&p).map(|s| (p, s)))
                        .map_err(|e| e.kind());
                    match followed {
                        Ok((p, s)) if s.file_type == FileType::Dir => {
                            cur = p;
                            continue;
                        }
                        Err(ErrorKind::Loop) if last => {
                            ctx.io.err_fmt(format_args!(
                                "mkdir: cannot stat {}: {}\n",
                                q(&shown),
                                ErrorKind::Loop.strerror()
                            ));
                            status = 1;
                        }
                        Ok(_) | Err(_) if last => {
                            status = fail(ctx, &shown, ErrorKind::AlreadyExists);
                        }
                        Ok(_) => status = fail(ctx, &shown, ErrorKind::NotADirectory),
                        Err(ErrorKind::NotFound) => {
                            status = fail(ctx, &shown, ErrorKind::AlreadyExists);
                        }
                        Err(k) => status = fail(ctx, &shown, k),
                    }
                    break;
                }
                if let Err(e) = ctx.c.mkdir(&next, m) {
                    status = fail(ctx, &shown, e.kind());
                    break;
                }
                cur = next;
                if o.has('v') {
                    ctx.io.out_q("mkdir: created directory ", &shown, "\n");
                }
            }
            continue;
        }
        let made =
            resolve(ctx, raw, false).and_then(|p| ctx.c.mkdir(&p, mode).map_err(|e| e.kind()));
        match made {
            Ok(_) if o.has('v') => ctx.io.out_q("mkdir: created directory ", raw, "\n"),
            Ok(_) => {}
            Err(k) => status = fail(ctx, raw, k),
        }
    }
    status
}

fn rmdir(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "rmdir",
        flags: "pv",
        valued: "",
        longs: &[("parents", 'p'), ("verbose", 'v')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    if o.operands.is_empty() {
        return missing(ctx, "rmdir", format_args!("missing operand"));
    }
    let mut status = 0;
    for raw in &o.operands {
        let mut shown = raw.trim_end_matches('/').to_string();
        if shown.is_empty() {
            shown = raw.to_string();
        }
        loop {
            let r = if matches!(base(&shown), "." | "..") {
                Err(ErrorKind::InvalidInput)
            } else {
                resolve(ctx, &shown, false).and_then(|p| ctx.c.rmdir(&p).map_err(|e| e.kind()))
            };
            if r.is_ok() && o.has('v') {
                ctx.io.out_q("rmdir: removing directory, ", &shown, "\n");
            }
            if let Err(k) = r {
                status = complain_q(ctx, "rmdir", "failed to remove", &shown, k);
                break;
            }
            if !o.has('p') {
                break;
            }
            match shown.rfind('/') {
                Some(i) if i > 0 => shown.truncate(i),
                _ => break,
            }
            shown = shown.trim_end_matches('/').to_string();
            if shown.is_empty() {
                break;
            }
        }
    }
    status
}

/// Removes the tree at `path` depth-first, as `rm -r` does; `shown` names it in messages.
fn remove_tree(ctx: &mut Ctx<'_>, path: &VPath, shown: &str, verbose: bool) -> i32 {
    let mut status = 0;
    // Copied: the loop removes the names it lists.
    let mut entries: Vec<String> = Vec::new();
    for (n, _) in ctx.c.readdir(path).unwrap_or_default() {
        entries.push(n.to_owned());
    }
    for name in entries {
        let Ok(child) = path.join(&name) else {
            continue;
        };
        let child_shown = display_join(shown, &name);
        let r = match ctx.c.stat(&child) {
            Ok(s) if s.file_type == FileType::Dir => {
                status |= remove_tree(ctx, &child, &child_shown, verbose);
                continue;
            }
            _ => ctx.c.unlink(&child),
        };
        if r.is_ok() && verbose {
            ctx.io.out_q("removed ", &child_shown, "\n");
        }
        if let Err(e) = r {
            status = complain_q(ctx, "rm", "cannot remove", &child_shown, e.kind());
        }
    }
    match ctx.c.rmdir(path) {
        Ok(_) if verbose => ctx.io.out_q("removed directory ", shown, "\n"),
        Ok(_) => {}
        Err(e) => {
            status = complain_q(ctx, "rm", "cannot remove", shown, e.kind());
        }
    }
    status
}

fn rm(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "rm",
        flags: "rRfidv",
        valued: "",
        longs: &[
            ("recursive", 'r'),
            ("force", 'f'),
            ("dir", 'd'),
            ("verbose", 'v'),
            ("no-preserve-root", 'N'),
        ],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let force = o.has('f');
    let recursive = o.has('r') || o.has('R');
    if o.operands.is_empty() {
        return if force {
            0
        } else {
            missing(ctx, "rm", format_args!("missing operand"))
        };
    }
    let mut status = 0;
    for raw in &o.operands {
        if recursive && matches!(base(raw), "." | "..") {
            ctx.io.err_q(
                "rm: refusing to remove '.' or '..' directory: skipping ",
                raw,
                "\n",
            );
            status = 1;
            continue;
        }
        let got = stat_of(ctx, raw, false);
        let (p, s) = match got {
            Ok(v) => v,
            // -f ignores a name that is missing, or that a file in its path keeps from being
            // looked up (coreutils' ignorable_missing: ENOENT and ENOTDIR).
            Err(ErrorKind::NotFound | ErrorKind::NotADirectory) if force => continue,
            Err(k) => {
                complain_q(ctx, "rm", "cannot remove", raw, k);
                status = 1;
                continue;
            }
        };
        if p.is_root() && recursive && !o.has('N') {
            ctx.io
                .err("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
            status = 1;
            continue;
        }
        let r = if s.file_type == FileType::Dir {
            if recursive {
                status |= remove_tree(ctx, &p, raw, o.has('v'));
                continue;
            } else if o.has('d') {
                ctx.c.rmdir(&p)
            } else {
                ctx.io
                    .err_q("rm: cannot remove ", raw, ": Is a directory\n");
                status = 1;
                continue;
            }
        } else {
            ctx.c.unlink(&p)
        };
        match r {
            Ok(_) if o.has('v') && s.file_type == FileType::Dir => {
                ctx.io.out_q("removed directory ", raw, "\n")
            }
            Ok(_) if o.has('v') => ctx.io.out_q("removed ", raw, "\n"),
            Ok(_) => {}
            Err(e) => {
                status = complain_q(ctx, "rm", "cannot remove", raw, e.kind());
            }
        }
    }
    status
}

fn touch(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "touch",
        flags: "cam",
        valued: "",
        longs: &[("no-create", 'c')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    if o.operands.is_empty() {
        return missing(ctx, "touch", format_args!("missing file operand"));
    }
    let now = ctx.c.clock();
    let mode = new_file_mode(ctx);
    let mut status = 0;
    for raw in &o.operands {
        // With a trailing slash, open(O_CREAT) fails with EISDIR, which touch ignores; only
        // utimensat is left, and it needs an existing directory.
        if raw.ends_with('/') {
            let r = stat_of(ctx, raw, true)
                .and_then(|(p, _)| ctx.c.utimes(&p, now).map_err(|e| e.kind()));
            if let Err(k) = r {
                status = complain_q(ctx, "touch", "setting times of", raw, k);
            }
            continue;
        }
        // An existing file only gets new times (utimensat, which copies it up); it is not
        // opened for writing.
        let r = resolve(ctx, raw, true).and_then(|p| {
            if ctx.c.exists(&p) {
                ctx.c.utimes(&p, now).map(|_| ()).map_err(|e| e.kind())
            } else if o.has('c') {
                Ok(())
            } else {
                let flags = OpenFlags {
                    write: true,
                    create: true,
                    ..OpenFlags::default()
                };
                ctx.c
                    .open(&p, flags, mode)
                    .map(|_| ())
                    .map_err(|e| e.kind())
            }
        });
        if let Err(k) = r {
            status = complain_q(ctx, "touch", "cannot touch", raw, k);
        }
    }
    status
}

// ----- copying and moving -----------------------------------------------------------------------

/// How `copy_tree` copies.
#[derive(Clone, Copy)]
struct CopyMode {
    /// Keep mode, ownership and times (`-p`, `-a`, and `mv`'s fallback).
    preserve: bool,
    /// Follow symlinks in the source instead of copying them as links.
    deref: bool,
    /// Leave existing targets alone (`-n`).
    no_clobber: bool,
    /// Print `'src' -> 'dst'` for each entry copied (`-v`).
    verbose: bool,
    /// Keep hard links within the copy, and replace (not write into) a target file that has
    /// other names (`-a`, and `mv`'s fallback: coreutils' preserve_links).
    links: bool,
    /// Try rename(2) on each entry before copying it: `mv` into a directory does (coreutils
    /// tries rename per entry unless the command line's own rename already failed).
    rename_each: bool,
}

/// The directory a name as typed sits in, not following a symlink that names it (the parent
/// that gnulib's same_name lstats).
fn shown_parent(ctx: &Ctx<'_>, shown: &str) -> Option<VPath> {
    let dir = shown
        .trim_end_matches('/')
        .rsplit_once('/')
        .map_or(".", |(d, _)| d);
    resolve(ctx, if dir.is_empty() { "/" } else { dir }, false).ok()
}

/// What one command-line operand's copy has seen so far.
#[derive(Default)]
struct CopyState {
    /// The operand as typed and its target, for "into itself".
    top: Option<(String, String)>,
    /// The first directory the copy created. Meeting it again as a source means the copy
    /// is going into itself (coreutils remembers it the same way).
    first_made: Option<VPath>,
    /// That directory as messages name it.
    first_made_shown: String,
    /// The directory that coreutils lstats as that name's parent: the parent of the typed
    /// name, or, when the target is a directory operand (names are then relative to it),
    /// the real parent.
    first_made_parent: Option<VPath>,
    /// The target of the operand is a directory operand.
    into_dir: bool,
    /// Set when that happened: every level stops copying further entries.
    into_self: bool,
    /// Every directory the copy made, oldest first: the newest inodes, in this order.
    made: Vec<VPath>,
    /// With `links`: the first copy made of each source inode with several names, for the
    /// whole command, sorted by inode number.
    /// A sorted vector, not a map: a `HashMap` of this key and value was the wasm module's
    /// only hash table of it (some 900 bytes of hashbrown code), for a list that holds only
    /// the inodes with several names one command copies.
    copied: Vec<(u64, VPath)>,
}

impl CopyState {
    /// The copy already made of source inode `ino`.
    fn copy_of(&self, ino: u64) -> Option<VPath> {
        let i = self.copied.binary_search_by_key(&ino, |e| e.0).ok()?;
        self.copied.get(i).map(|e| e.1.clone())
    }

    /// Remembers `at` as the copy of source inode `ino`.
    fn note_copy(&mut self, ino: u64, at: VPath) {
        match self.copied.binary_search_by_key(&ino, |e| e.0) {
            Ok(i) => self.copied[i].1 = at,
            Err(i) => self.copied.insert(i, (ino, at)),
        }
    }

    /// Starts the next command-line operand (the copies made so far stay remembered).
    fn next_operand(&mut self) {
        self.top = None;
        self.first_made = None;
        self.first_made_parent = None;
        self.into_self = false;
        self.made.clear();
    }
}

/// `cp`'s link from `dst` to `first`, the copy already made of another name of the same inode
/// (`cp -a`/`--preserve=links`): 0, or 1 with coreutils' message.
fn link_to_copy(ctx: &mut Ctx<'_>, cmd: &str, first: &VPath, dst: &VPath, shown_dst: &str) -> i32 {
    match ctx.c.link(first, dst) {
        Ok(_) => 0,
        Err(e) => complain(
            ctx,
            cmd,
            format_args!(
                "cannot create hard link {} to {}",
                q(shown_dst),
                q(first.as_str())
            ),
            e.kind(),
        ),
    }
}

/// Copies `src` to `dst` (which the caller has checked), recursively for directories.
#[allow(clippy::too_many_arguments)]
fn copy_tree(
    ctx: &mut Ctx<'_>,
    cmd: &str,
    src: &VPath,
    dst: &VPath,
    shown_src: &str,
    shown_dst: &str,
    how: CopyMode,
    state: &mut CopyState,
) -> i32 {
    if state.top.is_none() {
        state.top = Some((shown_src.to_string(), shown_dst.to_string()));
    }
    let st = match if how.deref {
        stat_followed(ctx, src)
    } else {
        ctx.c.stat(src).map_err(|e| e.kind())
    } {
        Ok(s) => s,
        Err(k) => return complain_q(ctx, cmd, "cannot stat", shown_src, k),
    };
    let existing = ctx.c.stat(dst).ok();
    if existing.is_some() && !how.deref && linked_symlinks(ctx, src, dst) {
        return 0;
    }
    if existing.is_some() && same_file(ctx, src.as_str(), dst, how.deref, false) {
        ctx.io.err_fmt(format_args!(
            "{cmd}: {} and {} are the same file\n",
            q(shown_src),
            q(shown_dst)
        ));
        return 1;
    }
    // A regular file is written through a symlink at the target, but never through one
    // that dangles (coreutils refuses, even with -n), nor one that loops.
    if st.file_type == FileType::File
        && existing
            .as_ref()
            .is_some_and(|e| e.file_type == FileType::Symlink)
    {
        match stat_followed(ctx, dst) {
            Ok(_) => {}
            Err(ErrorKind::NotFound) => {
                ctx.io.err_fmt(format_args!(
                    "{cmd}: not writing through dangling symlink {}\n",
                    q(shown_dst)
                ));
                return 1;
            }
            Err(k) => {
                complain_q(ctx, cmd, "cannot stat", shown_dst, k);
                return 1;
            }
        }
    }
    if how.no_clobber && existing.is_some() {
        return 0;
    }
    let umask = *ctx.umask;
    let mut status = 0;
    // Where -p puts the metadata: the file written, through a symlink at the target.
    let mut meta_dst = dst.clone();
    let made = (st.mode & 0o777 & !umask) | 0o700;
    if how.verbose {
        ctx.io
            .out_fmt(format_args!("{} -> {}\n", q(shown_src), q(shown_dst)));
    }
    match st.file_type {
        FileType::Dir => {
            if state.first_made.as_ref() == Some(src) {
                // coreutils names the directory it made as the target was typed; unless that
                // is the same directory entry as the source's name (gnulib same_name: equal
                // last names, parents that lstat the same), it refuses a directory hard link.
                let made_shown = state.first_made_shown.clone();
                if base(shown_src) != base(&made_shown)
                    || shown_parent(ctx, shown_src) != state.first_made_parent
                {
                    ctx.io.err_fmt(format_args!(
                        "{cmd}: will not create hard link {} to directory {}\n",
                        q(shown_dst),
                        q(&made_shown)
                    ));
                    return 1;
                }
                let (top_src, top_dst) = state.top.clone().unwrap_or_default();
                ctx.io.err_fmt(format_args!(
                    "{cmd}: cannot copy a directory, {}, into itself, {}\n",
                    q(&top_src),
                    q(&top_dst)
                ));
                state.into_self = true;
                return 1;
            }
            match &existing {
                Some(e) if e.file_type != FileType::Dir => {
                    ctx.io.err_fmt(format_args!(
                        "{cmd}: cannot overwrite non-directory {} with directory {}\n",
                        q(shown_dst),
                        q(shown_src)
                    ));
                    return 1;
                }
                Some(_) => {}
                None => {
                    if let Err(e) = ctx.c.mkdir(dst, made) {
                        return complain_q(
                            ctx,
                            cmd,
                            "cannot create directory",
                            shown_dst,
                            e.kind(),
                        );
                    }
                    if state.first_made.is_none() {
                        state.first_made = Some(dst.clone());
                        state.first_made_shown = shown_dst.to_string();
                        state.first_made_parent = if state.into_dir {
                            dst.parent()
                        } else {
                            shown_parent(ctx, shown_dst)
                        };
                    }
                    state.made.push(dst.clone());
                }
            }
            // Copied: the copy changes the container while it walks the listing.
            let mut entries: Vec<(String, FileType)> = Vec::new();
            for (n, t) in ctx.c.readdir(src).unwrap_or_default() {
                entries.push((n.to_owned(), t));
            }
            // coreutils reads a directory sorted by inode number, which on overlayfs (with the
            // layers on one file system) means: entries from lower layers first, lowest layer
            // first, in the order the layer was written (by path); a copied-up file keeps its
            // lower inode. Then the ones made in the container, in the order they were made
            // (a renamed entry keeps its inode), the directories this copy made among them.
            // A directory renamed with redirect_dir=on keeps the inode of the lower directory
            // it was renamed from, and what shows under it is that directory's: the lower
            // path, not the name, decides.
            crate::sort::sort_by_cached_key(&mut entries, |(name, _)| {
                let p = src.join(name).ok();
                if let Some(p) = p.as_ref() {
                    if let Some(low) = ctx.c.find(p).ok().and_then(|f| f.lower) {
                        // A hard link's inode was made where its first name is.
                        let at = match low {
                            Low::File(layer, ino) | Low::Symlink(layer, ino) => {
                                ctx.c.first_name_in_layer(layer, ino)
                            }
                            _ => None,
                        };
                        let at = at.unwrap_or_else(|| ctx.c.lower_path(p));
                        return (0, u64::from(low.layer()), path_key(&at));
                    }
                    if let Some((layer, from)) = ctx.c.copied_up_from(p) {
                        return (0, u64::from(layer), path_key(from));
                    }
                }
                let made = p.and_then(|p| ctx.c.made_order(&p)).unwrap_or(u64::MAX);
                (1, made, Vec::new())
            });
            for (name, _) in entries {
                let (Ok(s), Ok(d)) = (src.join(&name), dst.join(&name)) else {
                    continue;
                };
                if how.rename_each && ctx.c.rename(&s, &d).is_ok() {
                    continue;
                }
                status |= copy_tree(
                    ctx,
                    cmd,
                    &s,
                    &d,
                    &display_join(shown_src, &name),
                    &display_join(shown_dst, &name),
                    CopyMode {
                        deref: false,
                        ..how
                    },
                    state,
                );
                if state.into_self {
                    break;
                }
            }
            // A new directory was made with u+rwx so that it could be filled; without -p it
            // ends with the source's mode minus the umask (-p sets the mode below).
            // The set-group-ID bit the new directory took from its parent stays, as GNU cp
            // restores the mode mkdir gave it with the source's permission bits.
            if existing.is_none() && !how.preserve && made != st.mode & 0o777 & !umask {
                let inherited = ctx.c.stat(dst).map_or(0, |s| s.mode & 0o2000);
                let _ = ctx.c.chmod(dst, (st.mode & 0o777 & !umask) | inherited);
            }
        }
        FileType::Symlink => {
            let target = st.target.clone().unwrap_or_default();
            if existing
                .as_ref()
                .is_some_and(|e| e.file_type == FileType::Dir)
            {
                ctx.io.err_fmt(format_args!(
                    "{cmd}: cannot overwrite directory {} with non-directory\n",
                    q(shown_dst)
                ));
                return 1;
            }
            if existing.is_some() {
                if let Err(e) = ctx.c.unlink(dst) {
                    return complain_q(ctx, cmd, "cannot remove", shown_dst, e.kind());
                }
            }
            // A symlink with several names is linked to the copy of the first, as a file is
            // (coreutils links without following: the symlink itself).
            let several = how.links && st.nlink > 1;
            if let Some(first) = state.copy_of(st.ino).filter(|_| several) {
                return link_to_copy(ctx, cmd, &first, dst, shown_dst);
            }
            if let Err(e) = ctx.c.symlink(&target, dst) {
                return complain_q(ctx, cmd, "cannot create symbolic link", shown_dst, e.kind());
            }
            if several {
                state.note_copy(st.ino, dst.clone());
            }
        }
        _ => {
            let data = match follow_path(ctx, src, how.deref)
                .and_then(|p| ctx.c.read(&p).map_err(|e| e.kind()))
            {
                Ok(d) => d,
                Err(k) => {
                    return complain(
                        ctx,
                        cmd,
                        format_args!("cannot open {} for reading", q(shown_src)),
                        k,
                    )
                }
            };
            // For a regular file, coreutils stats the target through symlinks (its use_lstat
            // is false), so a symlink to a directory is a directory here.
            let through_link = existing
                .as_ref()
                .is_some_and(|e| e.file_type == FileType::Symlink)
                && stat_followed(ctx, dst).is_ok_and(|t| t.file_type == FileType::Dir);
            if through_link
                || existing
                    .as_ref()
                    .is_some_and(|e| e.file_type == FileType::Dir)
            {
                ctx.io.err_fmt(format_args!(
                    "{cmd}: cannot overwrite directory {} with non-directory\n",
                    q(shown_dst)
                ));
                return 1;
            }
            let several = how.links && st.nlink > 1;
            if let Some(first) = state.copy_of(st.ino).filter(|_| several) {
                // Another name of an inode already copied: link to that copy.
                if existing.is_some() {
                    if let Err(e) = ctx.c.unlink(dst) {
                        return complain_q(ctx, cmd, "cannot remove", shown_dst, e.kind());
                    }
                }
                return link_to_copy(ctx, cmd, &first, dst, shown_dst);
            }
            // A target file with other names is unlinked first, so that they keep their data.
            // coreutils stats the target of a regular file following symlinks, so a symlink
            // to such a file is what gets unlinked (and replaced by the copy).
            let followed = existing.as_ref().and_then(|_| stat_followed(ctx, dst).ok());
            if how.links && followed.is_some_and(|e| e.file_type == FileType::File && e.nlink > 1) {
                if let Err(e) = ctx.c.unlink(dst) {
                    return complain_q(ctx, cmd, "cannot remove", shown_dst, e.kind());
                }
            }
            // cp opens the target O_WRONLY|O_CREAT|O_TRUNC (through a symlink there) and
            // writes the data.
            let flags = OpenFlags {
                write: true,
                create: true,
                excl: false,
                truncate: true,
            };
            let target = follow_path(ctx, dst, true).unwrap_or_else(|_| dst.clone());
            let r = ctx
                .c
                .open(&target, flags, st.mode & 0o777 & !umask)
                .and_then(|_| ctx.c.append(&target, data.bytes()));
            if let Err(e) = r {
                return complain_q(ctx, cmd, "cannot create regular file", shown_dst, e.kind());
            }
            if several {
                state.note_copy(st.ino, target.clone());
            }
            meta_dst = target;
        }
    }
    if how.preserve {
        // A directory this copy made in a set-group-ID directory keeps the bit it inherited:
        // GNU cp -p/-a (and mv across file systems) set the source's mode on top of it.
        // An existing directory keeps its set-user-ID and set-group-ID bits the same way.
        let inherited = match st.file_type {
            FileType::Dir => ctx.c.stat(&meta_dst).map_or(0, |s| s.mode & 0o6000),
            _ => 0,
        };
        let _ = ctx.c.chown(&meta_dst, Some(st.uid), Some(st.gid));
        if st.file_type != FileType::Symlink {
            let _ = ctx.c.chmod(&meta_dst, st.mode | inherited);
        }
        let _ = ctx.c.utimes(&meta_dst, st.mtime);
    }
    status
}

/// A key that orders paths name by name, as a vector of their names would: the path's bytes
/// with each `/` made a NUL, which sorts before every byte a name may hold (names hold no
/// NUL), so `/a` < `/a/b` < `/a-b`. One byte vector compares with `memcmp`, where a vector of
/// `String`s needed its own collect and comparison in the wasm module.
fn path_key(p: &VPath) -> Vec<u8> {
    let mut key = p.as_str().as_bytes().to_vec();
    for b in &mut key {
        if *b == b'/' {
            *b = 0;
        }
    }
    key
}

/// The message for several sources and a last operand that is not a directory.
fn target_not_dir(ctx: &mut Ctx<'_>, cmd: &str, dest: &str) {
    let k = match stat_of(ctx, dest, true) {
        Err(k) => k,
        Ok(_) => ErrorKind::NotADirectory,
    };
    complain_q(ctx, cmd, "target", dest, k);
}

/// True when `src` and `dst` are two names of one symlink inode (a hard link of a symlink):
/// coreutils' `same_file_ok` then has cp return at once, successfully, copying nothing.
fn linked_symlinks(ctx: &Ctx<'_>, src: &VPath, dst: &VPath) -> bool {
    src != dst
        && matches!(
            (ctx.c.stat(src), ctx.c.stat(dst)),
            (Ok(a), Ok(b)) if a.file_type == FileType::Symlink
                && b.file_type == FileType::Symlink
                && a.ino == b.ino
        )
}

/// True when `cp` or `mv` must refuse because the source and the existing target are the same
/// file: coreutils' `same_file_ok` for the options the shell offers (no backups, no links made,
/// the target never unlinked before it is opened). `deref` says whether the source is
/// followed; `mv` never follows.
fn same_file(ctx: &Ctx<'_>, src: &str, dst: &VPath, deref: bool, move_mode: bool) -> bool {
    let lstat = |p: &VPath| ctx.c.stat(p).ok();
    let follow = |p: &VPath| stat_followed(ctx, p).ok();
    let same = |a: &Stat, b: &Stat| a.file_type == b.file_type && a.ino == b.ino;
    let link = |s: &Stat| s.file_type == FileType::Symlink;
    let Ok(src_l) = resolve(ctx, src, false) else {
        return false;
    };
    let (Some(sl), Some(dl)) = (lstat(&src_l), lstat(dst)) else {
        return false;
    };
    if deref {
        let (Some(sf), Some(df)) = (follow(&src_l), follow(dst)) else {
            return false;
        };
        if !same(&sf, &df) {
            return false;
        }
    } else {
        // Two symlinks: fine unless they are the same name, or, for mv, two names of one
        // inode (rename(2) would do nothing). cp does nothing there, successfully: see
        // `linked_symlinks`.
        if link(&sl) && link(&dl) {
            return src_l == *dst || (move_mode && same(&sl, &dl));
        }
        let sf = if link(&sl) {
            follow(&src_l)
        } else {
            Some(sl.clone())
        };
        let df = if link(&dl) {
            follow(dst)
        } else {
            Some(dl.clone())
        };
        match (sf, df) {
            (Some(a), Some(b)) if same(&a, &b) => {}
            _ => return false,
        }
    }
    // mv replaces a symlink to its source, and may move a symlink onto another name of the
    // file it points to.
    if move_mode && link(&dl) {
        return false;
    }
    if move_mode && link(&sl) && dl.nlink > 1 {
        let referent = follow_path(ctx, &src_l, true).ok();
        return referent.as_ref() == Some(dst);
    }
    link(&sl) || link(&dl) || same(&sl, &dl)
}

/// Why a target of `cp` or `mv` cannot be used.
#[derive(Clone, Copy)]
enum DestErr {
    /// lstat(2) of the target failed with something other than ENOENT ("cannot stat").
    Stat(ErrorKind),
    /// The target is missing and cannot be created there.
    Create(ErrorKind),
}

/// The operands of `cp` and `mv` as (source as typed, target as typed, target path or why it
/// cannot be one), or the status of a usage error.
#[allow(clippy::type_complexity)]
fn targets<'a>(
    ctx: &mut Ctx<'_>,
    cmd: &str,
    operands: &[&'a str],
) -> Result<Vec<(&'a str, String, Result<VPath, DestErr>)>, i32> {
    let Some((dest, sources)) = operands.split_last() else {
        return Err(missing(ctx, cmd, format_args!("missing file operand")));
    };
    if sources.is_empty() {
        return Err(missing(
            ctx,
            cmd,
            format_args!("missing destination file operand after {}", q(dest)),
        ));
    }
    let into_dir = is_dir(ctx, dest);
    if sources.len() > 1 && !into_dir {
        target_not_dir(ctx, cmd, dest);
        return Err(1);
    }
    let mut out = Vec::with_capacity(sources.len());
    for src in sources {
        let shown = if into_dir {
            display_join(dest, base(src))
        } else {
            dest.to_string()
        };
        // `f dir/` names a directory: a file cannot become it (rename(2) gives ENOTDIR).
        let src_is_dir = stat_of(ctx, src, false).is_ok_and(|(_, s)| s.file_type == FileType::Dir);
        // coreutils lstats the target first: an error other than ENOENT (ENOTDIR, ELOOP)
        // is "cannot stat".
        let p = match resolve(ctx, &shown, false) {
            Err(ErrorKind::NotFound) => Err(DestErr::Create(ErrorKind::NotFound)),
            Err(k) => Err(DestErr::Stat(k)),
            Ok(p) if !into_dir && dest.ends_with('/') && !src_is_dir && !ctx.c.exists(&p) => {
                Err(DestErr::Create(ErrorKind::NotADirectory))
            }
            Ok(p) => Ok(p),
        };
        out.push((*src, shown, p));
    }
    Ok(out)
}

fn cp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "cp",
        flags: "rRpadPLfnv",
        valued: "",
        longs: &[
            ("recursive", 'r'),
            ("archive", 'a'),
            ("force", 'f'),
            ("no-clobber", 'n'),
            ("no-dereference", 'P'),
            ("dereference", 'L'),
        ],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let recursive = o.has('r') || o.has('R') || o.has('a');
    let how = CopyMode {
        verbose: o.has('v'),
        preserve: o.has('p') || o.has('a'),
        // With -R (and without -L), cp copies symlinks as symlinks, even on the command line.
        deref: o.has('L') || !(recursive || o.has('P') || o.has('d') || o.has('a')),
        no_clobber: o.has('n'),
        links: o.has('a'),
        rename_each: false,
    };
    let list = match targets(ctx, "cp", &o.operands) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let mut status = 0;
    let mut state = CopyState {
        into_dir: o.operands.last().is_some_and(|d| is_dir(ctx, d)),
        ..CopyState::default()
    };
    for (src, shown_dst, dst) in list {
        let (sp, st) = match stat_of(ctx, src, how.deref) {
            Ok(v) => v,
            Err(k) => {
                complain_q(ctx, "cp", "cannot stat", src, k);
                status = 1;
                continue;
            }
        };
        if st.file_type == FileType::Dir && !recursive {
            ctx.io
                .err_q("cp: -r not specified; omitting directory ", src, "\n");
            status = 1;
            continue;
        }
        let dst = match dst {
            Ok(d) => d,
            Err(DestErr::Stat(k)) => {
                status = complain_q(ctx, "cp", "cannot stat", &shown_dst, k);
                continue;
            }
            Err(DestErr::Create(k)) => {
                let what = match st.file_type {
                    FileType::Dir => "directory",
                    FileType::Symlink => "symbolic link",
                    _ => "regular file",
                };
                ctx.io.err_fmt(format_args!(
                    "cp: cannot create {what} {}: {}\n",
                    q(&shown_dst),
                    k.strerror()
                ));
                status = 1;
                continue;
            }
        };
        if same_file(ctx, src, &dst, how.deref, false) {
            ctx.io.err_fmt(format_args!(
                "cp: {} and {} are the same file\n",
                q(src),
                q(&shown_dst)
            ));
            status = 1;
            continue;
        }
        state.next_operand();
        status |= copy_tree(ctx, "cp", &sp, &dst, src, &shown_dst, how, &mut state);
    }
    status
}

fn mv(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "mv",
        flags: "finv",
        valued: "",
        longs: &[("force", 'f'), ("no-clobber", 'n'), ("verbose", 'v')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let list = match targets(ctx, "mv", &o.operands) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let into_dir = o.operands.last().is_some_and(|d| is_dir(ctx, d));
    let mut status = 0;
    let mut state = CopyState::default();
    for (src, shown_dst, dst) in list {
        let (sp, st) = match stat_of(ctx, src, false) {
            Ok(v) => v,
            Err(k) => {
                complain_q(ctx, "mv", "cannot stat", src, k);
                status = 1;
                continue;
            }
        };
        let src_dir = st.file_type == FileType::Dir;
        let dst = match dst {
            Ok(d) => d,
            Err(DestErr::Stat(k)) => {
                status = complain_q(ctx, "mv", "cannot stat", &shown_dst, k);
                continue;
            }
            Err(DestErr::Create(k)) => {
                ctx.io.err_fmt(format_args!(
                    "mv: cannot move {} to {}: {}\n",
                    q(src),
                    q(&shown_dst),
                    k.strerror()
                ));
                status = 1;
                continue;
            }
        };
        if same_file(ctx, src, &dst, false, true) {
            ctx.io.err_fmt(format_args!(
                "mv: {} and {} are the same file\n",
                q(src),
                q(&shown_dst)
            ));
            status = 1;
            continue;
        }
        let existing = ctx.c.stat(&dst).ok();
        if let Some(e) = &existing {
            if o.has('n') {
                continue;
            }
            match (src_dir, e.file_type == FileType::Dir) {
                (true, false) => {
                    ctx.io.err_fmt(format_args!(
                        "mv: cannot overwrite non-directory {} with directory {}\n",
                        q(&shown_dst),
                        q(src)
                    ));
                    status = 1;
                    continue;
                }
                (false, true) => {
                    ctx.io.err_q(
                        "mv: cannot overwrite directory ",
                        &shown_dst,
                        " with non-directory\n",
                    );
                    status = 1;
                    continue;
                }
                _ => {}
            }
        }
        // rename(2) says EINVAL only after the target's type was checked.
        if src_dir && dst.starts_with(&sp) {
            ctx.io.err_fmt(format_args!(
                "mv: cannot move {} to a subdirectory of itself, {}\n",
                q(src),
                q(&shown_dst)
            ));
            status = 1;
            continue;
        }
        match ctx.c.rename(&sp, &dst) {
            Ok(_) => {
                if o.has('v') {
                    ctx.io
                        .out_fmt(format_args!("renamed {} -> {}\n", q(src), q(&shown_dst)));
                }
            }
            Err(e) if e.kind() == ErrorKind::CrossDevice => {
                // GNU mv: rename(2) said EXDEV, so copy the tree (keeping modes, owners, times
                // and symlinks) and then remove the source.
                ctx.c.record(
                    EventKind::ExdevFallback,
                    &sp,
                    Some(&dst),
                    format!(
                        "exdev-fallback: renaming {sp} failed with EXDEV (overlayfs cannot rename a directory that lower layers have while redirect_dir=off), so mv copies it to {dst} and then removes {sp}, as GNU mv does"
                    ),
                );
                if existing.is_some() {
                    // coreutils removes the target before the copy; failing that is fatal.
                    if let Err(e) = ctx.c.rmdir(&dst) {
                        ctx.io.err_fmt(format_args!(
                            "mv: inter-device move failed: {} to {}; unable to remove target: {}\n",
                            q(src),
                            q(&shown_dst),
                            e.kind().strerror()
                        ));
                        status = 1;
                        continue;
                    }
                }
                let how = CopyMode {
                    preserve: true,
                    deref: false,
                    no_clobber: false,
                    verbose: false,
                    links: true,
                    rename_each: into_dir,
                };
                state.next_operand();
                let s = copy_tree(ctx, "mv", &sp, &dst, src, &shown_dst, how, &mut state);
                if s != 0 {
                    status = 1;
                    continue;
                }
                status |= remove_tree(ctx, &sp, src, false);
            }
            Err(e) => {
                ctx.io.err_fmt(format_args!(
                    "mv: cannot move {} to {}: {}\n",
                    q(src),
                    q(&shown_dst),
                    e.kind().strerror()
                ));
                status = 1;
            }
        }
    }
    status
}

// ----- metadata ---------------------------------------------------------------------------------

/// Visits `path` and, when `recursive`, everything under it. Symlinks met on the way are never
/// followed; `symlinks` says whether they are visited themselves (`chown -R` changes them,
/// `chmod -R` skips them, as a symlink has no mode of its own).
fn walk(
    ctx: &Ctx<'_>,
    path: &VPath,
    shown: &str,
    recursive: bool,
    symlinks: bool,
    out: &mut Vec<(VPath, String)>,
) {
    out.push((path.clone(), shown.to_string()));
    if !recursive {
        return;
    }
    let Ok(entries) = ctx.c.readdir(path) else {
        return;
    };
    for (name, ft) in entries {
        let Ok(p) = path.join(name) else { continue };
        let s = display_join(shown, name);
        if ft == FileType::Dir {
            walk(ctx, &p, &s, true, symlinks, out);
        } else if ft != FileType::Symlink || symlinks {
            out.push((p, s));
        }
    }
}

fn chmod(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // `chmod -w f`: a mode may look like an option, so pick it out first.
    let mut rest = Vec::new();
    let mut mode: Option<String> = None;
    for a in args {
        let looks_like_mode = a.len() > 1
            && a.starts_with('-')
            && a.chars()
                .skip(1)
                .all(|c| "rwxXstugo,+-=".chars().any(|m| m == c));
        if mode.is_none() && looks_like_mode {
            mode = Some(a.clone());
        } else {
            rest.push(a.clone());
        }
    }
    const SPEC: Spec = Spec {
        cmd: "chmod",
        flags: "Rvcf",
        valued: "",
        longs: &[
            ("recursive", 'R'),
            ("verbose", 'v'),
            ("changes", 'c'),
            ("silent", 'f'),
        ],
        bad: 1,
    };
    let mut o = match getopt(ctx, &SPEC, &rest) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let mode = match mode {
        Some(m) => m,
        None => {
            if o.operands.is_empty() {
                return missing(ctx, "chmod", format_args!("missing operand"));
            }
            o.operands.remove(0).to_string()
        }
    };
    if o.operands.is_empty() {
        return missing(
            ctx,
            "chmod",
            format_args!("missing operand after {}", q(&mode)),
        );
    }
    if apply_mode(&mode, 0, false, 0).is_none() {
        ctx.io.err_q("chmod: invalid mode: ", &mode, "\n");
        try_help(ctx, "chmod");
        return 1;
    }
    let umask = *ctx.umask;
    let mut status = 0;
    for raw in &o.operands {
        let p = match stat_of(ctx, raw, true) {
            Ok((p, _)) => p,
            Err(k) => {
                // fts says FTS_SLNONE for a symlink it cannot follow because its target is
                // missing, FTS_NS for anything else; -f silences both, -v still tells.
                let dangling = k == ErrorKind::NotFound
                    && stat_of(ctx, raw, false)
                        .is_ok_and(|(_, s)| s.file_type == FileType::Symlink);
                if !o.has('f') {
                    if dangling {
                        ctx.io
                            .err_q("chmod: cannot operate on dangling symlink ", raw, "\n");
                    } else {
                        complain_q(ctx, "chmod", "cannot access", raw, k);
                    }
                }
                if o.has('v') {
                    ctx.io.out_q("", raw, " could not be accessed\n");
                }
                status = 1;
                continue;
            }
        };
        let mut list = Vec::new();
        walk(ctx, &p, raw, o.has('R'), false, &mut list);
        for (path, shown) in list {
            let Ok(s) = ctx.c.stat(&path) else { continue };
            let new =
                apply_mode(&mode, s.mode, s.file_type == FileType::Dir, umask).unwrap_or(s.mode);
            if let Err(e) = ctx.c.chmod(&path, new) {
                status = complain_q(ctx, "chmod", "changing permissions of", &shown, e.kind());
                continue;
            }
            // -v tells every file, -c only those that changed.
            let bits = |m: u32| {
                let full = fmt::mode_string(s.file_type, m);
                format!("{:04o} ({})", m & 0o7777, full.get(1..).unwrap_or(""))
            };
            if new & 0o7777 != s.mode & 0o7777 && (o.has('v') || o.has('c')) {
                ctx.io.out_fmt(format_args!(
                    "mode of {} changed from {} to {}\n",
                    q(&shown),
                    bits(s.mode),
                    bits(new)
                ));
            } else if new & 0o7777 == s.mode & 0o7777 && o.has('v') {
                ctx.io.out_fmt(format_args!(
                    "mode of {} retained as {}\n",
                    q(&shown),
                    bits(new)
                ));
            }
        }
    }
    status
}

fn chown(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "chown",
        flags: "Rvchf",
        valued: "",
        longs: &[
            ("recursive", 'R'),
            ("verbose", 'v'),
            ("no-dereference", 'h'),
        ],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let Some((owner, files)) = o.operands.split_first() else {
        return missing(ctx, "chown", format_args!("missing operand"));
    };
    if files.is_empty() {
        return missing(
            ctx,
            "chown",
            format_args!("missing operand after {}", q(owner)),
        );
    }
    let (u, g) = match owner.split_once(':').or_else(|| owner.split_once('.')) {
        Some((u, g)) => (u, Some(g)),
        None => (*owner, None),
    };
    let id = |c: &Container, file: &str, name: &str| -> Option<u32> {
        name.parse::<u32>()
            .ok()
            .or_else(|| fmt::id_of(c, file, name))
    };
    let uid = if u.is_empty() {
        None
    } else {
        match id(ctx.c, "/etc/passwd", u) {
            Some(v) => Some(v),
            None => {
                ctx.io.err_q("chown: invalid user: ", owner, "\n");
                return 1;
            }
        }
    };
    let gid = match g {
        None | Some("") => None,
        Some(g) => match id(ctx.c, "/etc/group", g) {
            Some(v) => Some(v),
            None => {
                ctx.io.err_q("chown: invalid group: ", owner, "\n");
                return 1;
            }
        },
    };
    // -R without -H or -L is -P: no symlink is followed, the operands included; each is
    // changed itself (lchown).
    let recursive = o.has('R');
    let follow = !o.has('h') && !recursive;
    let mut status = 0;
    for raw in files {
        let p = match stat_of(ctx, raw, follow) {
            Ok((p, _)) => p,
            Err(k) => {
                // A name that is there but leads nowhere (a dangling or looping symlink) is
                // "cannot dereference"; a name that is not there, "cannot access".
                let is_link = follow
                    && stat_of(ctx, raw, false)
                        .is_ok_and(|(_, s)| s.file_type == FileType::Symlink);
                let what = if is_link {
                    "cannot dereference"
                } else {
                    "cannot access"
                };
                status = complain_q(ctx, "chown", what, raw, k);
                continue;
            }
        };
        let mut list = Vec::new();
        walk(ctx, &p, raw, recursive, true, &mut list);
        for (path, shown) in list {
            if let Err(e) = ctx.c.chown(&path, uid, gid) {
                status = complain_q(ctx, "chown", "changing ownership of", &shown, e.kind());
            }
        }
    }
    status
}

fn ln(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "ln",
        flags: "sfnTv",
        valued: "",
        longs: &[
            ("symbolic", 's'),
            ("force", 'f'),
            ("no-dereference", 'n'),
            ("verbose", 'v'),
        ],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let symbolic = o.has('s');
    let (sources, dest): (&[&str], &str) = match o.operands.as_slice() {
        [] => return missing(ctx, "ln", format_args!("missing file operand")),
        [one] => (std::slice::from_ref(one), "."),
        [rest @ .., last] => (rest, *last),
    };
    let into_dir = !o.has('T') && {
        if o.has('n') {
            stat_of(ctx, dest, false).is_ok_and(|(_, s)| s.file_type == FileType::Dir)
        } else {
            is_dir(ctx, dest)
        }
    };
    if sources.len() > 1 && !into_dir {
        target_not_dir(ctx, "ln", dest);
        return 1;
    }
    let mut status = 0;
    for src in sources {
        let shown = if into_dir {
            display_join(dest, base(src))
        } else {
            dest.to_string()
        };
        let kind = if symbolic { "symbolic" } else { "hard" };
        let fail = |ctx: &mut Ctx<'_>, k: ErrorKind| {
            let tail = if symbolic || k == ErrorKind::AlreadyExists {
                String::new()
            } else {
                format!(" => {}", q(src))
            };
            ctx.io.err_fmt(format_args!(
                "ln: failed to create {kind} link {}{tail}: {}\n",
                q(&shown),
                k.strerror()
            ));
            1
        };
        let src_path = if symbolic {
            None
        } else {
            match stat_of(ctx, src, false) {
                Ok((_, s)) if s.file_type == FileType::Dir => {
                    ctx.io.err_fmt(format_args!(
                        "ln: {}: hard link not allowed for directory\n",
                        fmt::qf(src)
                    ));
                    status = 1;
                    continue;
                }
                Ok((p, _)) => Some(p),
                Err(k) => {
                    status = complain_q(ctx, "ln", "failed to access", src, k);
                    continue;
                }
            }
        };
        let dst = match resolve(ctx, &shown, false) {
            Ok(p) => p,
            // With -f, coreutils lstats the target before removing it: an error other than
            // ENOENT (ENOTDIR, ELOOP) is "failed to access".
            Err(k) if o.has('f') && k != ErrorKind::NotFound => {
                status = complain_q(ctx, "ln", "failed to access", &shown, k);
                continue;
            }
            Err(k) => {
                status = fail(ctx, k);
                continue;
            }
        };
        if let Ok(existing) = ctx.c.stat(&dst) {
            if !o.has('f') {
                status = fail(ctx, ErrorKind::AlreadyExists);
                continue;
            }
            if existing.file_type == FileType::Dir {
                ctx.io.err_fmt(format_args!(
                    "ln: {}: cannot overwrite directory\n",
                    fmt::qf(&shown)
                ));
                status = 1;
                continue;
            }
            // `ln -sf f f`: the source, looked up from the working directory, is the very
            // file the target names; removing the target would lose it.
            let sym_same = symbolic && stat_of(ctx, src, true).is_ok_and(|(sp, _)| sp == dst);
            // `ln -f a b` where b is already a hard link of a: GNU ln links a to a temporary
            // name and renames that over b, which does nothing for two names of one inode;
            // the temporary name is removed. Only the link(2) shows: it copies a up.
            let same_inode = src_path.as_ref().is_some_and(|sp| {
                sp != &dst && ctx.c.stat(sp).is_ok_and(|s| s.ino == existing.ino)
            });
            if same_inode {
                if let (Some(sp), Some(parent)) = (src_path.as_ref(), dst.parent()) {
                    let mut n = 0u32;
                    let tmp = loop {
                        match parent.join(&format!(".ln-tmp{n}")) {
                            Ok(t) if ctx.c.stat(&t).is_err() => break Some(t),
                            Ok(_) if n < 1000 => n += 1,
                            _ => break None,
                        }
                    };
                    if let Some(tmp) = tmp {
                        if ctx.c.link(sp, &tmp).is_ok() {
                            // The link copied the source up; without index=on that gave it
                            // an inode of its own, and the rename then replaces the target.
                            let tmp_ino = ctx.c.stat(&tmp).map(|s| s.ino);
                            let dst_ino = ctx.c.stat(&dst).map(|s| s.ino);
                            if tmp_ino.is_ok() && tmp_ino == dst_ino {
                                let _ = ctx.c.unlink(&tmp);
                            } else if let Err(e) = ctx.c.rename(&tmp, &dst) {
                                let _ = ctx.c.unlink(&tmp);
                                status = fail(ctx, e.kind());
                            }
                        }
                    }
                }
                continue;
            }
            if src_path.as_ref() == Some(&dst) || sym_same {
                ctx.io.err_fmt(format_args!(
                    "ln: {} and {} are the same file\n",
                    q(src),
                    q(&shown)
                ));
                status = 1;
                continue;
            }
            if let Err(e) = ctx.c.unlink(&dst) {
                status = complain_q(ctx, "ln", "cannot remove", &shown, e.kind());
                continue;
            }
        }
        let r = match &src_path {
            Some(sp) => ctx.c.link(sp, &dst),
            None => ctx.c.symlink(src, &dst),
        };
        match r {
            Ok(_) if o.has('v') => {
                let arrow = if symbolic { "->" } else { "=>" };
                ctx.io
                    .out_fmt(format_args!("{} {arrow} {}\n", q(&shown), q(src)));
            }
            Ok(_) => {}
            Err(e) => status = fail(ctx, e.kind()),
        }
    }
    status
}

/// Parses `truncate -s`: digits with an optional K, M, G, T suffix (powers of 1024, or of 1000
/// with a trailing B), and an optional `+` or `-` that makes the size relative.
fn parse_size(s: &str) -> Option<(char, u64)> {
    let (rel, rest) = match s.chars().next()? {
        c @ ('+' | '-') => (c, s.get(1..)?),
        _ => ('=', s),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let suffix = rest.get(digits.len()..)?;
    let n: u64 = digits.parse().ok()?;
    let mult: u64 = match suffix {
        "" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "T" | "TiB" => 1 << 40,
        "KB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    Some((rel, n.checked_mul(mult)?))
}

fn truncate(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "truncate",
        flags: "c",
        valued: "s",
        longs: &[("size", 's'), ("no-create", 'c')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let Some(size) = o.value('s') else {
        return missing(
            ctx,
            "truncate",
            format_args!("you must specify either '--size' or '--reference'"),
        );
    };
    let Some((rel, n)) = parse_size(size) else {
        ctx.io.err_q("truncate: Invalid number: ", size, "\n");
        return 1;
    };
    if o.operands.is_empty() {
        return missing(ctx, "truncate", format_args!("missing file operand"));
    }
    let mode = new_file_mode(ctx);
    let mut status = 0;
    for raw in &o.operands {
        let r = match resolve(ctx, raw, true) {
            // -c: a file that is not there, even in a directory that is not there, is skipped.
            Err(ErrorKind::NotFound) if o.has('c') => Ok(()),
            r => r.and_then(|p| {
                let old = match ctx.c.stat(&p) {
                    Ok(s) if s.file_type == FileType::Dir => return Err(ErrorKind::IsADirectory),
                    Ok(s) => s.size,
                    Err(_) if o.has('c') => return Ok(()),
                    Err(_) => {
                        let flags = OpenFlags {
                            write: true,
                            create: true,
                            ..OpenFlags::default()
                        };
                        ctx.c.open(&p, flags, mode).map_err(|e| e.kind())?;
                        0
                    }
                };
                let len = match rel {
                    '+' => old.saturating_add(n),
                    '-' => old.saturating_sub(n),
                    _ => n,
                };
                ctx.c.truncate(&p, len).map(|_| ()).map_err(|e| e.kind())
            }),
        };
        if let Err(k) = r {
            ctx.io.err_fmt(format_args!(
                "truncate: cannot open {} for writing: {}\n",
                q(raw),
                k.strerror()
            ));
            status = 1;
        }
    }
    status
}

// ----- the working directory and small builtins -------------------------------------------------

fn cd(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let before = ctx.logical.clone();
    if args.len() == 1 && args.first().is_some_and(|a| a == "-") {
        let Some(old) = ctx.oldpwd.clone() else {
            ctx.io
                .err_fmt(format_args!("{}cd: OLDPWD not set\n", ctx.prefix));
            return 1;
        };
        let status = cd(ctx, &[old.to_string()]);
        if status == 0 {
            let now = ctx.logical.to_string();
            ctx.io.out_fmt(format_args!("{now}\n"));
        }
        return status;
    }
    let status = cd_to(ctx, args);
    if status == 0 {
        *ctx.oldpwd = Some(before);
    }
    status
}

fn cd_to(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let dir = match args {
        [] => "/root".to_string(),
        [one] => one.clone(),
        _ => {
            ctx.io
                .err_fmt(format_args!("{}cd: too many arguments\n", ctx.prefix));
            return 1;
        }
    };
    // bash's cd is logical: `..` removes the last name of the path it was reached by, even
    // when that name is a symlink. If that path does not lead anywhere, the physical one is used.
    let lexical = if dir.starts_with('/') {
        VPath::parse(&dir)
    } else {
        VPath::parse(&format!("{}/{dir}", ctx.logical))
    };
    if let Ok(lexical) = lexical {
        if let Ok((p, s)) = stat_of(ctx, lexical.as_str(), true) {
            if s.file_type == FileType::Dir {
                *ctx.cwd = p;
                *ctx.logical = lexical;
                return 0;
            }
        }
    }
    match stat_of(ctx, &dir, true) {
        Ok((p, s)) if s.file_type == FileType::Dir => {
            *ctx.logical = p.clone();
            *ctx.cwd = p;
            0
        }
        Ok(_) => {
            ctx.io
                .err_fmt(format_args!("{}cd: {dir}: Not a directory\n", ctx.prefix));
            1
        }
        Err(k) => {
            ctx.io
                .err_fmt(format_args!("{}cd: {dir}: {}\n", ctx.prefix, k.strerror()));
            1
        }
    }
}

fn readlink(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "readlink",
        flags: "fn",
        valued: "",
        longs: &[("canonicalize", 'f')],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    if o.operands.is_empty() {
        return missing(ctx, "readlink", format_args!("missing operand"));
    }
    let mut status = 0;
    for raw in &o.operands {
        let r = if o.has('f') {
            resolve(ctx, raw, true).map(|p| p.to_string())
        } else {
            resolve(ctx, raw, false).and_then(|p| ctx.c.readlink(&p).map_err(|e| e.kind()))
        };
        match r {
            Ok(t) => ctx.io.out_fmt(format_args!("{t}\n")),
            Err(_) => status = 1,
        }
    }
    status
}

fn umask(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args.first() {
        None => {
            let m = *ctx.umask;
            ctx.io.out_fmt(format_args!("{m:04o}\n"));
            0
        }
        Some(a) => match u32::from_str_radix(a, 8) {
            Ok(v) if v <= 0o777 => {
                *ctx.umask = v;
                0
            }
            _ => {
                ctx.io.err_fmt(format_args!(
                    "{}umask: {a}: octal number out of range\n",
                    ctx.prefix
                ));
                1
            }
        },
    }
}

/// `exit [N]`: ends the line or script with status N (the last status without one).
fn exit(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    match args {
        [] => {
            *ctx.exit = true;
            -1
        }
        [n] => {
            *ctx.exit = true;
            match n.trim().parse::<i64>() {
                Ok(v) => v.rem_euclid(256) as i32,
                Err(_) => {
                    ctx.io.err_fmt(format_args!(
                        "{}exit: {n}: numeric argument required\n",
                        ctx.prefix
                    ));
                    2
                }
            }
        }
        _ => {
            ctx.io
                .err_fmt(format_args!("{}exit: too many arguments\n", ctx.prefix));
            1
        }
    }
}

/// `test` and `[`: file tests, string and integer comparisons, and `!`.
fn test(ctx: &mut Ctx<'_>, args: &[String], bracket: bool) -> i32 {
    let name = if bracket { "[" } else { "test" };
    let args = if bracket {
        match args.split_last() {
            Some((last, rest)) if last == "]" => rest,
            _ => {
                ctx.io
                    .err_fmt(format_args!("{}[: missing `]'\n", ctx.prefix));
                return 2;
            }
        }
    } else {
        args
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match eval_test(ctx, &args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(msg) => {
            ctx.io
                .err_fmt(format_args!("{}{name}: {msg}\n", ctx.prefix));
            2
        }
    }
}

fn eval_test(ctx: &Ctx<'_>, args: &[&str]) -> Result<bool, String> {
    let int = |s: &str| -> Result<i64, String> {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("{s}: integer expression expected"))
    };
    match args {
        [] => Ok(false),
        [s] => Ok(!s.is_empty()),
        ["!", rest @ ..] if rest.len() <= 3 => eval_test(ctx, rest).map(|b| !b),
        [op, arg] => {
            let follow = !matches!(*op, "-h" | "-L");
            let st = stat_of(ctx, arg, follow).ok().map(|(_, s)| s);
            Ok(match *op {
                "-e" | "-a" | "-r" | "-w" => st.is_some(),
                "-f" => st.is_some_and(|s| s.file_type == FileType::File),
                "-d" => st.is_some_and(|s| s.file_type == FileType::Dir),
                "-h" | "-L" => st.is_some_and(|s| s.file_type == FileType::Symlink),
                "-s" => st.is_some_and(|s| s.size > 0 && s.file_type == FileType::File),
                "-x" => st.is_some_and(|s| s.file_type == FileType::Dir || s.mode & 0o111 != 0),
                "-z" => arg.is_empty(),
                "-n" => !arg.is_empty(),
                _ => return Err(format!("{op}: unary operator expected")),
            })
        }
        [a, op, b] => Ok(match *op {
            "=" | "==" => a == b,
            "!=" => a != b,
            "<" => a < b,
            ">" => a > b,
            "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge" => {
                // Both sides parsed once, the left first (its error wins), for all six.
                let o = int(a)?.cmp(&int(b)?);
                match *op {
                    "-eq" => o.is_eq(),
                    "-ne" => o.is_ne(),
                    "-lt" => o.is_lt(),
                    "-le" => o.is_le(),
                    "-gt" => o.is_gt(),
                    _ => o.is_ge(),
                }
            }
            "-a" => !a.is_empty() && !b.is_empty(),
            "-o" => !a.is_empty() || !b.is_empty(),
            _ => return Err(format!("{op}: binary operator expected")),
        }),
        _ => Err("too many arguments".to_string()),
    }
}

/// `wc`: lines, words and bytes, in columns as wide as GNU wc makes them.
fn wc(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    const SPEC: Spec = Spec {
        cmd: "wc",
        flags: "lwcm",
        valued: "",
        longs: &[
            ("lines", 'l'),
            ("words", 'w'),
            ("bytes", 'c'),
            ("chars", 'm'),
        ],
        bad: 1,
    };
    let o = match getopt(ctx, &SPEC, args) {
        Ok(o) => o,
        Err(s) => return s,
    };
    let mut which = [o.has('l'), o.has('w'), o.has('c') || o.has('m')];
    if !which.iter().any(|&b| b) {
        which = [true, true, true];
    }
    let from_stdin = o.operands.is_empty();
    let operands = if from_stdin {
        vec!["-"]
    } else {
        o.operands.clone()
    };
    let mut status = 0;
    let mut rows: Vec<([u64; 3], String)> = Vec::new();
    // Columns of anything but regular files are 7 wide: their size says nothing.
    let mut not_regular = false;
    for raw in &operands {
        match read_operand(ctx, raw) {
            Ok(d) => {
                let lines = d.iter().filter(|&&b| b == b'\n').count() as u64;
                let words = d
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .count() as u64;
                let name = if from_stdin {
                    String::new()
                } else {
                    raw.to_string()
                };
                rows.push(([lines, words, d.len() as u64], name));
            }
            Err(k) => {
                // A directory opens, so wc still prints its (zero) counts.
                if k == ErrorKind::IsADirectory {
                    let shown = fmt::qf(stdin_name(raw));
                    ctx.io
                        .err_fmt(format_args!("wc: {shown}: {}\n", k.strerror()));
                    not_regular = true;
                    let name = if from_stdin {
                        String::new()
                    } else {
                        raw.to_string()
                    };
                    rows.push(([0, 0, 0], name));
                } else {
                    ctx.io
                        .err_fmt(format_args!("wc: {}: {}\n", fmt::qf(raw), k.strerror()));
                }
                status = 1;
            }
        }
    }
    if rows.len() > 1 {
        let mut total = [0u64; 3];
        for (c, _) in &rows {
            for (t, v) in total.iter_mut().zip(c) {
                *t += v;
            }
        }
        rows.push((total, "total".to_string()));
    }
    // One count of one file needs no padding; otherwise the columns are as wide as the total
    // size of the files (at least 7 when reading a pipe, whose size is unknown).
    let single = which.iter().filter(|&&b| b).count() == 1 && operands.len() == 1;
    let width = if single {
        1
    } else if not_regular || from_stdin || operands.contains(&"-") {
        7
    } else {
        let total: u64 = rows
            .iter()
            .filter(|(_, n)| n != "total")
            .map(|(c, _)| c[2])
            .sum();
        total.to_string().len()
    };
    for (counts, name) in rows {
        // The counts asked for, right-aligned and separated by one space, then the name.
        let mut line = String::new();
        for (v, _) in counts.iter().zip(which).filter(|(_, on)| *on) {
            let sep = if line.is_empty() { "" } else { " " };
            line.push_str(&format!("{sep}{v:>width$}"));
        }
        if !name.is_empty() {
            line.push(' ');
            line.push_str(&name);
        }
        line.push('\n');
        ctx.io.out(line);
    }
    status
}

/// Prints coreutils' usual failure line, `CMD: WHAT: strerror`, and returns status 1.
fn complain(ctx: &mut Ctx<'_>, cmd: &str, what: std::fmt::Arguments<'_>, k: ErrorKind) -> i32 {
    ctx.io
        .err_fmt(format_args!("{cmd}: {what}: {}\n", k.strerror()));
    1
}

/// `CMD: WHAT 'NAME': strerror` (the name quoted as coreutils quotes it), status 1: the
/// common case of `complain`, in one place rather than a `format!` and a `q` at each caller.
fn complain_q(ctx: &mut Ctx<'_>, cmd: &str, what: &str, name: &str, k: ErrorKind) -> i32 {
    ctx.io.err_fmt(format_args!(
        "{cmd}: {what} {}: {}\n",
        q(name),
        k.strerror()
    ));
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keys_order_paths_name_by_name() {
        let paths = [
            "/",
            "/a",
            "/a/b",
            "/a/b/c",
            "/a-b",
            "/a.b",
            "/a0",
            "/ab",
            "/a/-",
            "/a/\u{e9}",
            "/b",
            "/a b",
            "/a!",
            "/\u{1}",
            "/a/b-c",
            "/a/b/d",
        ];
        let paths: Vec<VPath> = paths.iter().map(|p| VPath::parse(p).unwrap()).collect();
        for a in &paths {
            for b in &paths {
                let names = |p: &VPath| p.components().map(String::from).collect::<Vec<_>>();
                assert_eq!(
                    path_key(a).cmp(&path_key(b)),
                    names(a).cmp(&names(b)),
                    "{a} against {b}"
                );
            }
        }
    }
}
