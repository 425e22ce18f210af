//! The pre-scanner and parser of command lines.
//!
//! Word splitting and quote removal are left to the `shlex` crate, which keeps the wasm download
//! small. This module only finds what `shlex` does not know about: the operators (`;` `&&` `||`
//! `|` `&` and the redirections) and `#` comments outside quotes. It also marks, before `shlex`
//! sees the text, the places the shell expands later: `$?` outside single quotes becomes
//! [`STATUS`], and `*` and `?` outside any quotes become [`STAR`] and [`QMARK`], so that a quoted
//! `*` stays literal after the quotes are gone. The markers are private-use characters that
//! `shlex` treats as ordinary letters.

/// The home directory of root, which `~` and `$HOME` name.
pub(crate) const HOME: &str = "/root";

/// Stands for `$?` until the command runs (the status is only known then).
pub(crate) const STATUS: char = '\u{E000}';
/// An unquoted `*`, a glob wildcard.
pub(crate) const STAR: char = '\u{E001}';
/// An unquoted `?`, a glob wildcard.
pub(crate) const QMARK: char = '\u{E002}';
/// An unquoted `[`, which opens a glob bracket expression (`[abc]`, `[a-z]`, `[!x]`).
pub(crate) const LBRACK: char = '\u{E006}';
/// Opens a variable name outside double quotes (`$HOME`); the value replaces it when the
/// command runs, and an unquoted empty value drops the word.
pub(crate) const VAR: char = '\u{E003}';
/// Opens a variable name inside double quotes.
pub(crate) const QVAR: char = '\u{E004}';
/// Closes a variable name.
pub(crate) const VAR_END: char = '\u{E005}';

/// The marker text for a `$` expansion at `chars[i]` (just after the `$`), and how many chars
/// it used; `None` when the `$` stays literal.
fn dollar(chars: &[(usize, char)], i: usize, quoted: bool) -> Option<(String, usize)> {
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let open = if quoted { QVAR } else { VAR };
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match at(i)? {
        '?' => Some((STATUS.to_string(), 1)),
        c if c.is_ascii_digit() => Some((format!("{open}{c}{VAR_END}"), 1)),
        c if c.is_ascii_alphabetic() || c == '_' => {
            let mut name = String::new();
            let mut n = 0;
            while let Some(c) = at(i + n).filter(|&c| is_name(c)) {
                name.push(c);
                n += 1;
            }
            Some((format!("{open}{name}{VAR_END}"), n))
        }
        '{' => {
            let mut name = String::new();
            let mut n = 1;
            loop {
                match at(i + n)? {
                    '}' => break,
                    c if is_name(c) || (c == '?' && name.is_empty()) => name.push(c),
                    _ => return None,
                }
                n += 1;
            }
            if name.is_empty() {
                return None;
            }
            let text = if name == "?" {
                STATUS.to_string()
            } else {
                format!("{open}{name}{VAR_END}")
            };
            Some((text, n + 1))
        }
        _ => None,
    }
}

/// A redirection operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RedirOp {
    /// `[fd]>` or, with `append`, `[fd]>>`.
    Out { fd: u8, append: bool },
    /// `[fd]<`.
    In { fd: u8 },
    /// `[fd]>&word`: a duplicate of another descriptor (or, for a non-number, both to a file).
    Dup { fd: u8 },
    /// `&>` or `&>>`: standard output and error to one file.
    Both { append: bool },
}

/// An operator between words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Semi,
    Amp,
    And,
    Or,
    Pipe,
    /// A newline outside quotes inside a multi-line command (after `&&`, `||` or `|`, or ending
    /// a command when more follows).
    Newline,
    /// A token bash knows but this shell never accepts here (`;;`, `(`, `)`).
    Bad,
    Redir(RedirOp),
}

/// One token: words (still carrying the markers) or an operator with its spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Words(Vec<String>),
    Op(Op, String),
}

/// Why a command line cannot run (yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A quote is still open; the byte offset where it opened.
    Quote(char, usize),
    /// The text ends with a backslash: the command continues on the next line.
    Backslash,
    /// The text ends with `&&`, `||` or `|`: the command continues on the next line.
    Operator,
    /// bash's `syntax error near unexpected token`, with the token and the line it is on
    /// (counted from 0 within the text).
    Syntax(String, usize),
    /// Something bash accepts that this shell does not offer, with a sentence why.
    Unsupported(String),
}

fn substitution() -> ScanError {
    ScanError::Unsupported(
        "command substitution ($(...) and `...`) is not supported by this shell".into(),
    )
}

/// Splits `src` into tokens. When `at_eof`, a trailing backslash is kept as a literal one
/// (there is no next line to continue on).
pub(crate) fn scan(src: &str, at_eof: bool) -> Result<Vec<(Tok, usize)>, ScanError> {
    // Each token with the line it starts on, counted from 0, for messages (`line N:`).
    let mut toks: Vec<(Tok, usize)> = Vec::new();
    let mut nl = 0usize;
    let mut nl_pos = 0usize;
    let mut span_line: Option<usize> = None;
    let mut span = String::new();
    // Where the current word began in `span`, or `None` between words.
    let mut word_start: Option<usize> = None;
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let flush =
        |span: &mut String, toks: &mut Vec<(Tok, usize)>, line: usize| -> Result<(), ScanError> {
            if span.trim().is_empty() {
                span.clear();
                return Ok(());
            }
            let words =
                shlex::split(span).ok_or_else(|| ScanError::Syntax("newline".into(), line))?;
            span.clear();
            if !words.is_empty() {
                toks.push((Tok::Words(words), line));
            }
            Ok(())
        };
    while let Some(c) = at(i) {
        while nl_pos < i {
            if at(nl_pos) == Some('\n') {
                nl += 1;
            }
            nl_pos += 1;
        }
        let line_here = nl;
        let offset = chars.get(i).map_or(0, |&(o, _)| o);
        match c {
            '\'' | '"' => {
                word_start.get_or_insert(span.len());
                span.push(c);
                i += 1;
                let mut closed = false;
                while let Some(q) = at(i) {
                    i += 1;
                    if q == c {
                        span.push(q);
                        closed = true;
                        break;
                    }
                    if c == '"' && q == '\\' {
                        span.push(q);
                        if let Some(n) = at(i) {
                            span.push(n);
                            i += 1;
                        }
                        continue;
                    }
                    if c == '"' && (q == '`' || q == '$' && at(i) == Some('(')) {
                        return Err(substitution());
                    }
                    if c == '"' && q == '$' {
                        if let Some((text, used)) = dollar(&chars, i, true) {
                            span.push_str(&text);
                            i += used;
                            continue;
                        }
                    }
                    span.push(q);
                }
                if !closed {
                    return Err(ScanError::Quote(c, offset));
                }
            }
            '\\' => {
                match at(i + 1) {
                    Some('\n') => {}
                    Some(n) => {
                        word_start.get_or_insert(span.len());
                        span.push('\\');
                        span.push(n);
                    }
                    None if at_eof => {
                        word_start.get_or_insert(span.len());
                        span.push_str("\\\\");
                    }
                    None => return Err(ScanError::Backslash),
                }
                i += 2;
            }
            '#' if word_start.is_none() => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            ' ' | '\t' | '\r' => {
                span.push(c);
                word_start = None;
                i += 1;
            }
            '\n' => {
                flush(&mut span, &mut toks, span_line.take().unwrap_or(nl))?;
                word_start = None;
                let joins = matches!(
                    toks.last(),
                    None | Some((Tok::Op(Op::And | Op::Or | Op::Pipe | Op::Newline, _), _))
                );
                if !joins {
                    toks.push((Tok::Op(Op::Newline, "newline".into()), nl));
                }
                i += 1;
            }
            ';' | '&' | '|' | '(' | ')' | '>' | '<' => {
                // A lone 0, 1 or 2 right before `>` or `<` names the descriptor (`2>`).
                let mut fd = None;
                if c == '>' || c == '<' {
                    if let Some(ws) = word_start {
                        let word = span.get(ws..).unwrap_or("");
                        if let Some(d @ ('0' | '1' | '2')) = word.chars().next() {
                            if word.len() == 1 {
                                fd = Some(d as u8 - b'0');
                                span.truncate(ws);
                            }
                        }
                    }
                }
                flush(&mut span, &mut toks, span_line.take().unwrap_or(nl))?;
                word_start = None;
                let next = at(i + 1);
                let next2 = at(i + 2);
                let (op, len) = match (c, next, next2) {
                    (';', Some(';'), _) => (Op::Bad, 2),
                    (';', _, _) => (Op::Semi, 1),
                    ('&', Some('&'), _) => (Op::And, 2),
                    ('&', Some('>'), Some('>')) => (Op::Redir(RedirOp::Both { append: true }), 3),
                    ('&', Some('>'), _) => (Op::Redir(RedirOp::Both { append: false }), 2),
                    ('&', _, _) => (Op::Amp, 1),
                    ('|', Some('|'), _) => (Op::Or, 2),
                    ('|', _, _) => (Op::Pipe, 1),
                    ('>', Some('>'), _) => (
                        Op::Redir(RedirOp::Out {
                            fd: fd.unwrap_or(1),
                            append: true,
                        }),
                        2,
                    ),
                    ('>', Some('&'), _) => (
                        Op::Redir(RedirOp::Dup {
                            fd: fd.unwrap_or(1),
                        }),
                        2,
                    ),
                    ('>', Some('|'), _) => (
                        Op::Redir(RedirOp::Out {
                            fd: fd.unwrap_or(1),
                            append: false,
                        }),
                        2,
                    ),
                    ('>', _, _) => (
                        Op::Redir(RedirOp::Out {
                            fd: fd.unwrap_or(1),
                            append: false,
                        }),
                        1,
                    ),
                    ('<', Some('<'), _) => {
                        return Err(ScanError::Unsupported(
                            "here-documents (<<) are not supported by this shell".into(),
                        ))
                    }
                    ('<', _, _) => (
                        Op::Redir(RedirOp::In {
                            fd: fd.unwrap_or(0),
                        }),
                        1,
                    ),
                    _ => (Op::Bad, 1),
                };
                let spelling: String = chars
                    .get(i..i + len)
                    .map(|s| s.iter().map(|&(_, c)| c).collect())
                    .unwrap_or_default();
                toks.push((Tok::Op(op, spelling), nl));
                i += len;
            }
            '`' => return Err(substitution()),
            '$' if at(i + 1) == Some('(') => return Err(substitution()),
            '$' if dollar(&chars, i + 1, false).is_some() => {
                word_start.get_or_insert(span.len());
                if let Some((text, used)) = dollar(&chars, i + 1, false) {
                    span.push_str(&text);
                    i += used;
                }
                i += 1;
            }
            // `~` alone or before `/` at the start of a word is the home directory.
            '~' if word_start.is_none()
                && at(i + 1).is_none_or(|c| {
                    c == '/' || c.is_whitespace() || ";&|<>()".chars().any(|o| o == c)
                }) =>
            {
                word_start = Some(span.len());
                span.push_str(HOME);
                i += 1;
            }
            '*' => {
                word_start.get_or_insert(span.len());
                span.push(STAR);
                i += 1;
            }
            '?' => {
                word_start.get_or_insert(span.len());
                span.push(QMARK);
                i += 1;
            }
            '[' => {
                word_start.get_or_insert(span.len());
                span.push(LBRACK);
                i += 1;
            }
            _ => {
                word_start.get_or_insert(span.len());
                span.push(c);
                i += 1;
            }
        }
        // The first word of a span names the line its command starts on.
        if word_start.is_some() && span_line.is_none() {
            span_line = Some(line_here);
        }
    }
    flush(&mut span, &mut toks, span_line.take().unwrap_or(nl))?;
    Ok(toks)
}

/// A redirection with its target word (markers still in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Redir {
    pub op: RedirOp,
    pub target: String,
    /// The line of the operator, counted from 0 within the text, for its error messages.
    pub line: usize,
}

/// A simple command: words and redirections, in the order they were written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Simple {
    pub words: Vec<String>,
    pub redirs: Vec<Redir>,
    /// The line the command starts on, counted from 0 within the text.
    pub line: usize,
}

/// How a pipeline is joined to the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conn {
    Always,
    IfOk,
    IfFailed,
}

/// A list of pipelines joined by `;`, `&`, `&&` and `||`.
pub(crate) type List = Vec<(Conn, Vec<Simple>)>;

/// Parses the tokens of one command line.
pub(crate) fn parse(toks: Vec<(Tok, usize)>) -> Result<List, ScanError> {
    let mut list: List = Vec::new();
    let mut pipeline: Vec<Simple> = Vec::new();
    let mut cur = Simple::default();
    let mut conn = Conn::Always;
    let mut pending: Option<(RedirOp, usize)> = None;
    // The operator that ended the last pipeline, if it needs something after it.
    let mut dangling = false;
    let mut last_line = 0;
    for (tok, line) in toks {
        last_line = line;
        if cur.words.is_empty() && cur.redirs.is_empty() {
            cur.line = line;
        }
        match tok {
            Tok::Words(words) => {
                let mut words = words.into_iter();
                if let Some((op, line)) = pending.take() {
                    if let Some(target) = words.next() {
                        cur.redirs.push(Redir { op, target, line });
                    }
                }
                cur.words.extend(words);
                dangling = false;
            }
            Tok::Op(Op::Redir(op), spelling) => {
                if pending.is_some() {
                    return Err(ScanError::Syntax(spelling, line));
                }
                pending = Some((op, line));
                dangling = false;
            }
            Tok::Op(Op::Bad, spelling) => return Err(ScanError::Syntax(spelling, line)),
            Tok::Op(op, spelling) => {
                if pending.is_some() {
                    return Err(ScanError::Syntax(spelling, line));
                }
                let empty = cur.words.is_empty() && cur.redirs.is_empty();
                if empty {
                    // A newline after `&&` is just a line break; anything else with no command
                    // before it is the error bash reports.
                    if op == Op::Newline && (dangling || pipeline.is_empty() && list.is_empty()) {
                        continue;
                    }
                    return Err(ScanError::Syntax(spelling, line));
                }
                pipeline.push(std::mem::take(&mut cur));
                if op == Op::Pipe {
                    dangling = true;
                    continue;
                }
                list.push((conn, std::mem::take(&mut pipeline)));
                conn = match op {
                    Op::And => Conn::IfOk,
                    Op::Or => Conn::IfFailed,
                    _ => Conn::Always,
                };
                dangling = matches!(op, Op::And | Op::Or);
            }
        }
    }
    if pending.is_some() {
        return Err(ScanError::Syntax("newline".into(), last_line));
    }
    if cur.words.is_empty() && cur.redirs.is_empty() {
        if dangling {
            return Err(ScanError::Operator);
        }
    } else {
        pipeline.push(cur);
        list.push((conn, pipeline));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (t, _) in scan(s, true).unwrap() {
            match t {
                Tok::Words(w) => out.extend(w),
                Tok::Op(Op::Redir(r), _) => out.push(format!("<{r:?}>")),
                Tok::Op(_, s) => out.push(format!("<{s}>")),
            }
        }
        out
    }

    #[test]
    fn operators_are_found_only_outside_quotes() {
        assert_eq!(
            words("echo 'a;b' \"c&&d\" e>f 2>g a2>h 2>&1 # x"),
            [
                "echo",
                "a;b",
                "c&&d",
                "e",
                "<Out { fd: 1, append: false }>",
                "f",
                "<Out { fd: 2, append: false }>",
                "g",
                "a2",
                "<Out { fd: 1, append: false }>",
                "h",
                "<Dup { fd: 2 }>",
                "1"
            ]
        );
    }

    #[test]
    fn status_is_marked_outside_single_quotes() {
        assert_eq!(
            words("echo $? \"$?\" '$?'"),
            ["echo", &STATUS.to_string(), &STATUS.to_string(), "$?"]
        );
    }

    #[test]
    fn open_quotes_and_trailing_operators_are_incomplete() {
        assert_eq!(scan("echo \"ab", false), Err(ScanError::Quote('"', 5)));
        assert_eq!(
            parse(scan("echo a &&", false).unwrap()),
            Err(ScanError::Operator)
        );
        assert_eq!(
            parse(scan("; echo", false).unwrap()),
            Err(ScanError::Syntax(";".into(), 0))
        );
        assert_eq!(
            parse(scan("echo >", false).unwrap()),
            Err(ScanError::Syntax("newline".into(), 0))
        );
    }
}
