//! The shell: the commands people type, run inside a [`Container`] with bash and GNU coreutils
//! meaning (exit statuses and `LC_ALL=C` error messages), for the subset the engine offers.
//!
//! ```
//! use layerlab::{Container, Image, Options, Shell};
//! use std::sync::Arc;
//!
//! let mut sh = Shell::new(Container::new(Arc::new(Image::empty()), Options::default()));
//! let out = sh.run_line("mkdir /d && echo hi > /d/f; cat /d/f missing");
//! assert_eq!(out.stdout, b"hi\n");
//! assert_eq!(out.stderr, b"cat: missing: No such file or directory\n");
//! assert_eq!(out.status, 1);
//! ```
//!
//! The shell is deterministic: it has no clock (times come from [`Container::clock`]) and no
//! randomness, and `ls` lists names in byte order as `LC_ALL=C` does.
//!
//! What it understands: simple commands joined by `;`, `&`, `&&`, `||` and `|`; the
//! redirections `>`, `>>`, `<`, `2>`, `2>>`, `2>&1`, `>&2`, `&>` (and `/dev/null`); quotes,
//! backslashes and `#` comments; `$?`, `~`, `*`, `?` and `[...]` globs (a pattern that matches
//! nothing stays as written), and the variables a root shell starts with (`$HOME`, `$PWD`,
//! `$OLDPWD`, ...; any other name is empty). The commands are listed in `commands.rs`.
//! Messages name lines as `bash: line N:`, the way `bash script` does.
//!
//! What it does not: command substitution and here-documents (reported for their line, which
//! then fails with status 2), assignments, `if`/`for`/`while`, functions, `( )` and `{ }`
//! groups and brace expansion. `ls` prints one name per line, as GNU `ls` does when its output
//! is not a terminal.

mod commands;
mod fmt;
mod lex;

use crate::container::{Container, OpenFlags};
use crate::event::Event;
use crate::path::VPath;
use fmt::has_char;
use lex::{
    Conn, RedirOp, ScanError, Simple, HOME, LBRACK, QMARK, QVAR, STAR, STATUS, VAR, VAR_END,
};

/// What one command line or script printed, its exit status and the events it caused.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Output {
    /// Bytes written to standard output (and not redirected elsewhere).
    pub stdout: Vec<u8>,
    /// Bytes written to standard error (and not redirected elsewhere).
    pub stderr: Vec<u8>,
    /// The exit status of the last command that ran, as `$?` shows it.
    pub status: i32,
    /// The container's events caused by the line, in order.
    pub events: Vec<Event>,
}

/// A shell session inside a container: the container, the working directory, the status of the
/// last command and the umask (022).
#[derive(Clone, Debug)]
pub struct Shell {
    container: Container,
    cwd: VPath,
    /// The working directory as `cd` reached it, symlinks and all: what `pwd` prints and what
    /// `cd ..` goes up from.
    logical: VPath,
    /// The directory before the last `cd` (`cd -`, `$OLDPWD`).
    oldpwd: Option<VPath>,
    status: i32,
    umask: u32,
    /// Set by `exit` until the current line or script ends.
    exiting: bool,
}

/// Where a file descriptor of a command points.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// The shell's standard output (or the pipe to the next command).
    Out,
    /// The shell's standard error.
    Err,
    /// A file in the container, already opened (created or truncated) before the command ran.
    File(VPath),
    /// `/dev/null`.
    Null,
}

/// What a command writes, in order, so that `2>&1` into one file keeps the interleaving.
#[derive(Debug, Default)]
pub(crate) struct Io {
    chunks: Vec<(u8, Vec<u8>)>,
}

impl Io {
    fn put(&mut self, fd: u8, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((f, b)) if *f == fd => b.extend_from_slice(bytes),
            _ => self.chunks.push((fd, bytes.to_vec())),
        }
    }

    /// Writes to standard output.
    pub(crate) fn out(&mut self, bytes: impl AsRef<[u8]>) {
        self.put(1, bytes.as_ref());
    }

    /// Writes to standard error.
    pub(crate) fn err(&mut self, text: impl AsRef<[u8]>) {
        self.put(2, text.as_ref());
    }

    /// Writes `before`, `name` quoted as coreutils quotes it, and `after` to standard output:
    /// one function for a line that 17 messages share the shape of.
    pub(crate) fn out_q(&mut self, before: &str, name: &str, after: &str) {
        self.put_q(1, before, name, after);
    }

    /// `out_q` to standard error.
    pub(crate) fn err_q(&mut self, before: &str, name: &str, after: &str) {
        self.put_q(2, before, name, after);
    }

    /// Writes a formatted message to standard output. One function, not inlined, so that a
    /// message costs its call site the arguments only, not a `format!`'s `String` and its drop.
    #[inline(never)]
    pub(crate) fn out_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        self.put_fmt(1, args);
    }

    /// `out_fmt` to standard error.
    #[inline(never)]
    pub(crate) fn err_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        self.put_fmt(2, args);
    }

    fn put_fmt(&mut self, fd: u8, args: std::fmt::Arguments<'_>) {
        self.put(fd, std::fmt::format(args).as_bytes());
    }

    fn put_q(&mut self, fd: u8, before: &str, name: &str, after: &str) {
        self.put_fmt(fd, format_args!("{before}{}{after}", fmt::q(name)));
    }
}

/// Called after each command line of a script with its text and what it alone did.
type LineHook<'a> = &'a mut dyn FnMut(&str, &Output);

/// Where a script line's messages name it: `bash: line N:`.
fn line_prefix(line: usize) -> String {
    format!("bash: line {line}: ")
}

impl Shell {
    /// A shell in `/` of `container`, with status 0 and umask 022.
    pub fn new(container: Container) -> Shell {
        Shell {
            container,
            cwd: VPath::root(),
            logical: VPath::root(),
            oldpwd: None,
            status: 0,
            umask: 0o022,
            exiting: false,
        }
    }

    /// The container the shell works in.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// The container, mutably (to change its options or clock between lines).
    pub fn container_mut(&mut self) -> &mut Container {
        &mut self.container
    }

    /// Gives the container back.
    pub fn into_container(self) -> Container {
        self.container
    }

    /// The working directory with symlinks resolved (what `pwd -P` prints), ready to pass to
    /// [`Container::resolve`].
    pub fn cwd(&self) -> &VPath {
        &self.cwd
    }

    /// Runs one command line (may contain `;`, `&&`, `||`, `|` and redirections), the way
    /// `bash -c LINE` does; messages name it `line 1`.
    pub fn run_line(&mut self, line: &str) -> Output {
        self.exiting = false;
        let before = self.container.events().len();
        let mut out = Output::default();
        match lex::scan(line, true).and_then(lex::parse) {
            Ok(list) => self.run_list(&list, 1, &mut out),
            Err(e) => self.report(e, line, 1, 1, &mut out),
        }
        out.status = self.status;
        out.events = self.events_since(before);
        out
    }

    /// Runs a script line by line the way `bash script` does: a failing line does not stop it;
    /// a quote left open (or a line ending in `&&`, `||`, `|` or a backslash) continues on the
    /// next line; the status is the last command's. As in bash, a syntax error ends the script.
    pub fn run_script(&mut self, script: &str) -> Output {
        self.script(script, None)
    }

    /// [`Shell::run_script`] that also calls `each` after every command line of the script
    /// (a line, or several joined by an open quote or a trailing operator) with the line's
    /// text and what that line alone printed, its status and its events. The CLI's
    /// `--verbose` uses it to show each line with its effects.
    pub fn run_script_each(&mut self, script: &str, each: &mut dyn FnMut(&str, &Output)) -> Output {
        self.script(script, Some(each))
    }

    fn script(&mut self, script: &str, mut each: Option<LineHook<'_>>) -> Output {
        self.exiting = false;
        let before = self.container.events().len();
        let mut out = Output::default();
        let mut buf = String::new();
        let mut first = 1;
        let mut last = 0;
        // Where the current line's output and events begin.
        let mut mark = (0, 0, before);
        for (n, line) in script.lines().enumerate() {
            if self.exiting {
                break;
            }
            if buf.is_empty() {
                first = n + 1;
                mark = (
                    out.stdout.len(),
                    out.stderr.len(),
                    self.container.events().len(),
                );
            } else {
                buf.push('\n');
            }
            buf.push_str(line);
            last = n + 1;
            let stop = match lex::scan(&buf, false).and_then(lex::parse) {
                Ok(list) => {
                    self.run_list(&list, first, &mut out);
                    false
                }
                Err(ScanError::Quote(..) | ScanError::Backslash | ScanError::Operator) => continue,
                // Something bash would run but this shell cannot fails alone; the script goes on.
                Err(e @ ScanError::Unsupported(_)) => {
                    self.report(e, &buf, first, last, &mut out);
                    false
                }
                Err(e) => {
                    self.report(e, &buf, first, last, &mut out);
                    true
                }
            };
            if let Some(f) = each.as_mut() {
                f(&buf, &self.piece(&out, mark));
            }
            buf.clear();
            if stop {
                break;
            }
        }
        if !buf.is_empty() && !self.exiting {
            // A backslash at the very end of a script continues onto nothing: bash drops it.
            if matches!(lex::scan(&buf, false), Err(ScanError::Backslash)) {
                buf.pop();
            }
            match lex::scan(&buf, true).and_then(lex::parse) {
                Ok(list) => self.run_list(&list, first, &mut out),
                Err(e) => self.report(e, &buf, first, last + 1, &mut out),
            }
            if let Some(f) = each.as_mut() {
                f(&buf, &self.piece(&out, mark));
            }
        }
        out.status = self.status;
        out.events = self.events_since(before);
        out
    }

    /// What one line of a script added to `out`, from `mark` (stdout, stderr, event) on.
    fn piece(&self, out: &Output, mark: (usize, usize, usize)) -> Output {
        Output {
            stdout: out.stdout.get(mark.0..).unwrap_or_default().to_vec(),
            stderr: out.stderr.get(mark.1..).unwrap_or_default().to_vec(),
            status: self.status,
            events: self.events_since(mark.2),
        }
    }

    fn events_since(&self, before: usize) -> Vec<Event> {
        self.container
            .events()
            .get(before..)
            .map(<[Event]>::to_vec)
            .unwrap_or_default()
    }

    /// Prints bash's message for a line that cannot run, and sets status 2.
    fn report(
        &mut self,
        e: ScanError,
        text: &str,
        first: usize,
        eof_line: usize,
        out: &mut Output,
    ) {
        let msg = match e {
            ScanError::Quote(q, offset) => {
                let line = first + text.get(..offset).map_or(0, |t| t.matches('\n').count());
                format!(
                    "{}unexpected EOF while looking for matching `{q}'\n",
                    line_prefix(line)
                )
            }
            ScanError::Operator | ScanError::Backslash => {
                format!(
                    "{}syntax error: unexpected end of file\n",
                    line_prefix(eof_line)
                )
            }
            ScanError::Syntax(tok, off) => {
                // bash shows the line the token is on.
                let p = line_prefix(first + off);
                let shown = text.split('\n').nth(off).unwrap_or(text);
                format!("{p}syntax error near unexpected token `{tok}'\n{p}`{shown}'\n")
            }
            ScanError::Unsupported(why) => format!("{}{why}\n", line_prefix(first)),
        };
        out.stderr.extend_from_slice(msg.as_bytes());
        self.status = 2;
    }

    fn run_list(&mut self, list: &lex::List, line: usize, out: &mut Output) {
        for (conn, pipeline) in list {
            if self.exiting {
                return;
            }
            let run = match conn {
                Conn::Always => true,
                Conn::IfOk => self.status == 0,
                Conn::IfFailed => self.status != 0,
            };
            if run {
                self.status = self.run_pipeline(pipeline, line, out);
            }
        }
    }

    fn run_pipeline(&mut self, pipeline: &[Simple], line: usize, out: &mut Output) -> i32 {
        let mut stdin: Vec<u8> = Vec::new();
        let mut status = 0;
        let count = pipeline.len();
        for (i, cmd) in pipeline.iter().enumerate() {
            let mut pipe = Vec::new();
            let last = i + 1 == count;
            let sink = if last { None } else { Some(&mut pipe) };
            status = self.run_simple(cmd, line + cmd.line, &stdin, sink, out);
            stdin = pipe;
        }
        // Each command of a real pipeline runs in a subshell: its `exit` ends only itself.
        if count > 1 {
            self.exiting = false;
        }
        status
    }

    /// Expands the markers of one word: `$?` becomes the status; wildcards match names of the
    /// union (bash: a pattern that matches nothing stays as written).
    fn expand(&self, word: &str) -> Vec<String> {
        let status = self.status.to_string();
        let word = word.replace(STATUS, &status);
        let unquoted_var = has_char(&word, VAR);
        let word = self.expand_vars(&word);
        // An unquoted variable that expands to nothing leaves no word behind.
        if word.is_empty() && unquoted_var {
            return Vec::new();
        }
        if is_pattern(&word) {
            let matches = self.glob(&word);
            if !matches.is_empty() {
                return matches;
            }
        }
        vec![literal(&word)]
    }

    /// Replaces variable markers with their values. The shell has no assignments: it knows the
    /// environment a root shell in a container starts with, and every other name is empty.
    fn expand_vars(&self, word: &str) -> String {
        if !word.chars().any(|c| c == VAR || c == QVAR) {
            return word.to_string();
        }
        let mut out = String::with_capacity(word.len());
        let mut chars = word.chars();
        while let Some(c) = chars.next() {
            if c != VAR && c != QVAR {
                out.push(c);
                continue;
            }
            let name: String = chars.by_ref().take_while(|&c| c != VAR_END).collect();
            let value = match name.as_str() {
                "HOME" => HOME.to_string(),
                "PWD" => self.logical.to_string(),
                "OLDPWD" => self
                    .oldpwd
                    .as_ref()
                    .map(VPath::to_string)
                    .unwrap_or_default(),
                "USER" | "LOGNAME" => "root".to_string(),
                "SHELL" => "/bin/bash".to_string(),
                "0" => "bash".to_string(),
                "PATH" => {
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()
                }
                "UID" | "EUID" => "0".to_string(),
                _ => String::new(),
            };
            out.push_str(&value);
        }
        out
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let absolute = pattern.starts_with('/');
        let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
        // Each candidate: the text as the user will see it, and the directory it names.
        let mut cands: Vec<(String, VPath)> = vec![(
            if absolute { "/".into() } else { String::new() },
            if absolute {
                VPath::root()
            } else {
                self.cwd.clone()
            },
        )];
        for (i, comp) in comps.iter().enumerate() {
            let is_last = i + 1 == comps.len();
            let mut next = Vec::new();
            for (shown, dir) in &cands {
                let join = |name: &str| {
                    if shown.is_empty() || shown.ends_with('/') {
                        format!("{shown}{name}")
                    } else {
                        format!("{shown}/{name}")
                    }
                };
                if !is_pattern(comp) {
                    let lit = literal(comp);
                    if let Ok(p) = self.container.resolve(dir, &lit, true) {
                        if self.container.exists(&p) {
                            next.push((join(&lit), p));
                        }
                    }
                    continue;
                }
                let Ok(d) = self.container.resolve(&VPath::root(), dir.as_str(), true) else {
                    continue;
                };
                let Ok(entries) = self.container.readdir(&d) else {
                    continue;
                };
                for (name, _) in entries {
                    if name.starts_with('.') && !comp.starts_with('.') {
                        continue;
                    }
                    if !wildmatch(comp, name) {
                        continue;
                    }
                    let Ok(p) = d.join(name) else { continue };
                    if !is_last {
                        let is_dir = self
                            .container
                            .resolve(&VPath::root(), p.as_str(), true)
                            .ok()
                            .and_then(|r| self.container.stat(&r).ok())
                            .is_some_and(|s| s.file_type == crate::FileType::Dir);
                        if !is_dir {
                            continue;
                        }
                    }
                    next.push((join(name), p));
                }
            }
            cands = next;
            if cands.is_empty() {
                break;
            }
        }
        let mut out: Vec<String> = Vec::with_capacity(cands.len());
        for (s, _) in cands {
            out.push(s);
        }
        if pattern.ends_with('/') {
            out.iter_mut().for_each(|s| s.push('/'));
        }
        crate::sort::sort(&mut out);
        out
    }

    /// Runs one simple command with its redirections. `sink` is the pipe to the next command.
    fn run_simple(
        &mut self,
        cmd: &Simple,
        line: usize,
        stdin: &[u8],
        mut sink: Option<&mut Vec<u8>>,
        out: &mut Output,
    ) -> i32 {
        let mut fds = [Target::Null, Target::Out, Target::Err];
        let mut input: Option<Vec<u8>> = None;
        // The file `< f` opened, read again once every redirection is done: a later `> f`
        // truncates the very file the command then reads (`cat < f > f` reads nothing).
        let mut input_path: Option<crate::VPath> = None;
        let mut stdin_error = None;
        let prefix = line_prefix(line);
        // Redirections act in order, before the command runs: `> f` creates or truncates f
        // (copying it up) even if the command then fails.
        for r in &cmd.redirs {
            // A redirection's messages name the line it is on.
            let prefix = line_prefix(line.saturating_sub(cmd.line) + r.line);
            let target =
                literal(&self.expand_vars(&r.target.replace(STATUS, &self.status.to_string())));
            let fail = |msg: String, out: &mut Output| {
                out.stderr.extend_from_slice(msg.as_bytes());
                1
            };
            match r.op {
                RedirOp::Dup { fd } if target == "1" || target == "2" => {
                    let from = if target == "1" { 1 } else { 2 };
                    if let Some(t) = fds.get(from).cloned() {
                        if let Some(slot) = fds.get_mut(fd as usize) {
                            *slot = t;
                        }
                    }
                }
                RedirOp::Dup { fd } if target == "-" => {
                    if let Some(slot) = fds.get_mut(fd as usize) {
                        *slot = Target::Null;
                    }
                }
                RedirOp::In { fd } => {
                    if target == "/dev/null" {
                        if fd == 0 {
                            input = Some(Vec::new());
                            input_path = None;
                            stdin_error = None;
                        }
                        continue;
                    }
                    let data = self
                        .container
                        .resolve(&self.cwd, &target, true)
                        .and_then(|p| self.container.read(&p).map(|b| (p, b)));
                    match data {
                        Ok((p, b)) if fd == 0 => {
                            input = Some(b.bytes().to_vec());
                            input_path = Some(p);
                            stdin_error = None;
                        }
                        Ok(_) => {}
                        // A directory opens for reading; only reading it fails.
                        Err(e) if e.kind() == crate::ErrorKind::IsADirectory => {
                            if fd == 0 {
                                input = Some(Vec::new());
                                input_path = None;
                                stdin_error = Some(e.kind());
                            }
                        }
                        Err(e) => {
                            return fail(
                                format!("{prefix}{target}: {}\n", e.kind().strerror()),
                                out,
                            )
                        }
                    }
                }
                RedirOp::Out { .. } | RedirOp::Both { .. } | RedirOp::Dup { .. } => {
                    // `>&word` with a word that is not a descriptor sends both to a file.
                    let (fd, append, both) = match r.op {
                        RedirOp::Out { fd, append } => (fd, append, false),
                        RedirOp::Both { append } => (1, append, true),
                        _ => (1, false, true),
                    };
                    let t = if target == "/dev/null" {
                        Target::Null
                    } else {
                        if target.is_empty() {
                            return fail(format!("{prefix}: No such file or directory\n"), out);
                        }
                        let opened =
                            self.container
                                .resolve(&self.cwd, &target, true)
                                .and_then(|p| {
                                    let flags = OpenFlags {
                                        write: true,
                                        create: true,
                                        excl: false,
                                        truncate: !append,
                                    };
                                    self.container
                                        .open(&p, flags, 0o666 & !self.umask)
                                        .map(|_| p)
                                });
                        match opened {
                            Ok(p) => Target::File(p),
                            Err(e) => {
                                return fail(
                                    format!("{prefix}{target}: {}\n", e.kind().strerror()),
                                    out,
                                )
                            }
                        }
                    };
                    if let Some(slot) = fds.get_mut(fd as usize) {
                        *slot = t.clone();
                    }
                    if both {
                        fds[2] = t;
                    }
                }
            }
        }
        if let Some(p) = &input_path {
            if let Ok(b) = self.container.read(p) {
                input = Some(b.bytes().to_vec());
            }
        }
        let mut words = Vec::new();
        for w in &cmd.words {
            words.extend(self.expand(w));
        }
        let mut io = Io::default();
        let stdin = input.as_deref().unwrap_or(stdin);
        let who = words.first().cloned().unwrap_or_default();
        let mut status = match words.split_first() {
            None => 0,
            Some((name, args)) => {
                let mut ctx = commands::Ctx {
                    c: &mut self.container,
                    cwd: &mut self.cwd,
                    logical: &mut self.logical,
                    oldpwd: &mut self.oldpwd,
                    umask: &mut self.umask,
                    stdin,
                    stdin_error,
                    io: &mut io,
                    prefix: &prefix,
                    exit: &mut self.exiting,
                };
                match commands::run(&mut ctx, name, args) {
                    // `exit` without a number keeps the last status.
                    Some(-1) => self.status,
                    Some(s) => s,
                    None => {
                        io.err_fmt(format_args!("{prefix}{name}: command not found\n"));
                        127
                    }
                }
            }
        };
        // Route what the command wrote; consecutive writes to one file become one write.
        let mut pending: Option<(VPath, Vec<u8>)> = None;
        for (fd, bytes) in io.chunks {
            let t = fds.get(fd as usize).cloned().unwrap_or(Target::Null);
            if let Some((p, buf)) = pending.as_mut() {
                if t == Target::File(p.clone()) {
                    buf.extend_from_slice(&bytes);
                    continue;
                }
            }
            if let Some((p, buf)) = pending.take() {
                self.write_out(&p, &buf, &who, &prefix, out, &mut status);
            }
            match t {
                Target::Out => match sink.as_deref_mut() {
                    Some(pipe) => pipe.extend_from_slice(&bytes),
                    None => out.stdout.extend_from_slice(&bytes),
                },
                Target::Err => out.stderr.extend_from_slice(&bytes),
                Target::File(p) => pending = Some((p, bytes)),
                Target::Null => {}
            }
        }
        if let Some((p, buf)) = pending.take() {
            self.write_out(&p, &buf, &who, &prefix, out, &mut status);
        }
        status
    }

    /// Appends what command `who` wrote to the file `path` a redirection opened. A write the
    /// container refuses (the layer is full) is the command's write error, as on Linux:
    /// `cat: write error: No space left on device` and status 1, the file left as it was.
    fn write_out(
        &mut self,
        path: &VPath,
        data: &[u8],
        who: &str,
        prefix: &str,
        out: &mut Output,
        status: &mut i32,
    ) {
        match self.container.append(path, data) {
            Ok(_) => {}
            // The file was opened before the command ran; if the command removed it, the data
            // goes to an unlinked inode and vanishes, as it would on Linux.
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
            Err(e) => {
                let msg = format!(
                    "{}{who}: write error: {}\n",
                    if commands::is_builtin(who) {
                        prefix
                    } else {
                        ""
                    },
                    e.kind().strerror()
                );
                out.stderr.extend_from_slice(msg.as_bytes());
                *status = 1;
            }
        }
    }
}

/// The word with its wildcard markers turned back into the characters the user typed.
fn literal(word: &str) -> String {
    word.replace(STAR, "*")
        .replace(QMARK, "?")
        .replace(LBRACK, "[")
}

/// True when the word holds an unquoted wildcard.
fn is_pattern(word: &str) -> bool {
    word.chars().any(|c| matches!(c, STAR | QMARK | LBRACK))
}

/// A parsed bracket expression of a glob.
#[derive(Default)]
struct Bracket {
    /// Inclusive ranges of characters (a single character is a range of one).
    set: Vec<(char, char)>,
    /// `[!...]` or `[^...]`.
    negated: bool,
    /// Where the pattern continues after the closing `]`.
    next: usize,
}

/// Parses the bracket expression that starts just after `[` at `p[at]`: the set it matches
/// (ranges included), whether it is negated, and where the pattern continues. `None` when
/// there is no closing `]`, and the `[` is then an ordinary character.
fn bracket(p: &[char], at: usize) -> Option<Bracket> {
    let mut i = at;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut set = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == ']' && !first {
            return Some(Bracket {
                set,
                negated,
                next: i + 1,
            });
        }
        first = false;
        let c = match c {
            LBRACK => '[',
            STAR => '*',
            QMARK => '?',
            c => c,
        };
        match (p.get(i + 1), p.get(i + 2)) {
            (Some('-'), Some(&e)) if e != ']' => {
                set.push((c, e));
                i += 3;
            }
            _ => {
                set.push((c, c));
                i += 1;
            }
        }
    }
}

/// Matches `name` against a glob component whose wildcards are markers.
fn wildmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(&c) if c == STAR => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == LBRACK && bracket(&p, pi + 1).is_some() => {
                let Bracket { set, negated, next } = bracket(&p, pi + 1).unwrap_or_default();
                let ch = n.get(ni).copied().unwrap_or_default();
                let hit = set.iter().any(|&(lo, hi)| lo <= ch && ch <= hi);
                if hit != negated {
                    pi = next;
                    ni += 1;
                } else {
                    match star {
                        Some((sp, sn)) => {
                            pi = sp + 1;
                            ni = sn + 1;
                            star = Some((sp, sn + 1));
                        }
                        None => return false,
                    }
                }
            }
            Some(&c)
                if c == QMARK
                    || Some(&c) == n.get(ni)
                    || (c == LBRACK && n.get(ni) == Some(&'[')) =>
            {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == STAR))
}
