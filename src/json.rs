//! A small JSON reader and writer for the few documents the engine reads: saved states
//! ([`crate::host::SavedState`]) and the JavaScript API's scenario and option objects.
//!
//! Why not `serde_json`: its generic deserialiser, instantiated for every saved-state type, and
//! the float formatting its error messages pull in were about a sixth of the page's wasm
//! module. The documents here are small and their shapes few, so a tree of [`Value`]s and a
//! handful of typed accessors do the same work in far less code. Numbers are kept as their text
//! and read only as integers, so no float parsing or printing is linked in. The output of
//! [`write_str`] is byte for byte what `serde_json` writes (a test in `host.rs` holds it to
//! that), so saved states and share links do not change.

/// How deeply arrays and objects may nest (`serde_json`'s limit too): a hostile document of
/// nested brackets is an error, not a stack overflow.
const MAX_DEPTH: usize = 128;

/// A parsed JSON value. Objects keep their keys in document order, duplicates included, so
/// that [`Value::fields`] can refuse duplicates.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its (validated) text.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members in document order.
    Object(Vec<(String, Value)>),
}

/// Parses one JSON document (surrounding whitespace allowed). The error names what was
/// expected and where (`expected value at line 1 column 3`).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        let upto = &self.s[..self.i.min(self.s.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        format!("{what} at line {line} column {col}")
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.s.get(self.i) == Some(&b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        self.ws();
        let Some(&b) = self.s.get(self.i) else {
            return Err(self.err("EOF while parsing a value"));
        };
        if (b == b'[' || b == b'{') && depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        match b {
            b'n' => self.word("null", Value::Null),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'"' => {
                self.i += 1;
                self.string().map(Value::String)
            }
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected `,` or `]`"));
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Value::Object(members));
                }
                loop {
                    if !self.eat(b'"') {
                        return Err(self.err("key must be a string"));
                    }
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.err("expected `:`"));
                    }
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Ok(Value::Object(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected `,` or `}`"));
                    }
                }
            }
            _ => Err(self.err("expected value")),
        }
    }

    fn word(&mut self, word: &str, v: Value) -> Result<Value, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        // The bytes matched are ASCII, so they are a str.
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        Ok(Value::Number(text))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self
                .s
                .get(self.i)
                .and_then(|&b| char::from(b).to_digit(16))
                .ok_or_else(|| self.err("invalid escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// The rest of a string whose opening quote has been read.
    fn string(&mut self) -> Result<String, String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err(self.err("EOF while parsing a string"));
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(self.err("EOF while parsing a string"));
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("lone leading surrogate in hex escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)
                                .ok_or_else(|| self.err("lone trailing surrogate in hex escape"))?
                        }
                        _ => return Err(self.err("invalid escape")),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..=0x1f => {
                    return Err(self
                        .err("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                _ => out.push(b),
            }
        }
        // The input is a str and escapes add whole characters, so this is valid UTF-8.
        String::from_utf8(out).map_err(|_| self.err("invalid unicode"))
    }
}

impl Value {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The members of an object named in `names`, in that order, or an error naming `what`
    /// if this is not an object, a key appears twice, or (with `deny_unknown`) a key is not
    /// one of `names`.
    pub fn fields<const N: usize>(
        &self,
        what: &str,
        names: [&str; N],
        deny_unknown: bool,
    ) -> Result<[Option<&Value>; N], String> {
        let mut out = [None; N];
        self.fields_into(what, &names, &mut out, deny_unknown)?;
        Ok(out)
    }

    /// `fields`' work, once for every `N` (the generic wrapper above only sizes the array).
    fn fields_into<'v>(
        &'v self,
        what: &str,
        names: &[&str],
        out: &mut [Option<&'v Value>],
        deny_unknown: bool,
    ) -> Result<(), String> {
        let Value::Object(members) = self else {
            return Err(format!("{what}: expected an object, found {}", self.kind()));
        };
        for (key, value) in members {
            match names.iter().position(|n| n == key) {
                Some(i) if out[i].is_some() => {
                    return Err(format!("{what}: duplicate field `{key}`"));
                }
                Some(i) => out[i] = Some(value),
                None if deny_unknown => {
                    return Err(format!(
                        "{what}: unknown field `{key}`, expected one of `{}`",
                        names.join("`, `")
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The string this is, or an error naming `what`.
    pub fn str(&self, what: &str) -> Result<&str, String> {
        match self {
            Value::String(s) => Ok(s),
            _ => Err(format!("{what}: expected a string, found {}", self.kind())),
        }
    }

    /// The boolean this is, or an error naming `what`.
    pub fn bool(&self, what: &str) -> Result<bool, String> {
        match self {
            Value::Bool(b) => Ok(*b),
            _ => Err(format!("{what}: expected a boolean, found {}", self.kind())),
        }
    }

    /// The items of the array this is, or an error naming `what`.
    pub fn array(&self, what: &str) -> Result<&[Value], String> {
        match self {
            Value::Array(items) => Ok(items),
            _ => Err(format!("{what}: expected an array, found {}", self.kind())),
        }
    }

    /// The unsigned 32-bit integer this is (no fraction, no exponent), or an error naming
    /// `what`.
    pub fn u32(&self, what: &str) -> Result<u32, String> {
        match self {
            Value::Number(t) if t.bytes().all(|b| b.is_ascii_digit()) => t
                .parse::<u32>()
                .map_err(|_| format!("{what}: {t} is out of range for an unsigned 32-bit integer")),
            Value::Number(t) => Err(format!("{what}: {t} is not an unsigned 32-bit integer")),
            _ => Err(format!("{what}: expected a number, found {}", self.kind())),
        }
    }
}

/// A required member of [`Value::fields`]' result.
pub fn required<'a>(v: Option<&'a Value>, what: &str, name: &str) -> Result<&'a Value, String> {
    v.ok_or_else(|| format!("{what}: missing field `{name}`"))
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it: `"` and `\`,
/// the control characters as `\b \f \n \r \t` or `\u00XX` (lower-case hex), all else as is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{parse, write_str, Value};

    fn s(x: &str) -> Value {
        Value::String(x.to_string())
    }

    #[test]
    fn parses_every_kind_of_value() {
        let v = parse(r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "a": {}} "#)
            .unwrap();
        let Value::Object(m) = &v else {
            panic!("{v:?}")
        };
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0].1,
            Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2.5e3".into()),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null
            ])
        );
        assert_eq!(m[1].1, s("x\"\\/\u{8}\u{c}\n\r\té😀"));
        assert_eq!(m[2].1, Value::Object(vec![]));
    }

    #[test]
    fn malformed_documents_are_errors_with_a_position() {
        for (bad, what) in [
            ("", "EOF while parsing a value at line 1 column 1"),
            ("{", "key must be a string at line 1 column 2"),
            ("[1,]", "expected value at line 1 column 4"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("{\"a\":1,}", "key must be a string at line 1 column 8"),
            ("01", "invalid number at line 1 column 3"),
            ("1.", "invalid number at line 1 column 3"),
            ("1e", "invalid number at line 1 column 3"),
            ("-", "invalid number at line 1 column 2"),
            ("\"a", "EOF while parsing a string at line 1 column 3"),
            ("\"\\x\"", "invalid escape at line 1 column 4"),
            ("\"\\ud800\"", "lone leading surrogate in hex escape at line 1 column 8"),
            ("\"\\udc00\"", "lone trailing surrogate in hex escape at line 1 column 8"),
            ("\"\n\"", "control character (\\u0000-\\u001F) found while parsing a string at line 2 column 1"),
            ("nul", "expected value at line 1 column 1"),
            ("true false", "trailing characters at line 1 column 6"),
            ("\n\n  x", "expected value at line 3 column 3"),
        ] {
            assert_eq!(parse(bad).unwrap_err(), what, "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep)
            .unwrap_err()
            .starts_with("recursion limit exceeded"));
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse(&ok).is_ok());
        let over = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(parse(&over).is_err());
    }

    #[test]
    fn typed_accessors_say_what_was_wrong() {
        let v = parse(r#"{"n": 7, "s": "x", "n": 8}"#).unwrap();
        assert_eq!(
            v.fields("doc", ["n"], false).unwrap_err(),
            "doc: duplicate field `n`"
        );
        let v = parse(r#"{"s": "x", "n": 8}"#).unwrap();
        assert_eq!(
            v.fields("doc", ["s"], true).unwrap_err(),
            "doc: unknown field `n`, expected one of `s`"
        );
        assert!(v.fields("doc", ["s"], false).is_ok());
        let v = parse(r#"{"f": 1.0, "big": 4294967296, "neg": -1, "s": "x", "m": 4294967295}"#)
            .unwrap();
        let [f, big, neg, st, m] = v
            .fields("doc", ["f", "big", "neg", "s", "m"], true)
            .unwrap();
        assert_eq!(
            f.unwrap().u32("f").unwrap_err(),
            "f: 1.0 is not an unsigned 32-bit integer"
        );
        assert!(big
            .unwrap()
            .u32("big")
            .unwrap_err()
            .contains("out of range"));
        assert!(neg.unwrap().u32("neg").is_err());
        assert_eq!(
            st.unwrap().u32("s").unwrap_err(),
            "s: expected a number, found a string"
        );
        assert_eq!(m.unwrap().u32("m"), Ok(u32::MAX));
        assert_eq!(st.unwrap().str("s"), Ok("x"));
        assert!(st.unwrap().bool("s").is_err());
        assert!(Value::Null.fields("x", ["a"], false).is_err());
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut all = String::new();
        for c in (0u32..0x300).chain([0x2028, 0x2029, 0xfeff, 0x1f600]) {
            if let Some(c) = char::from_u32(c) {
                all.push(c);
            }
        }
        let mut out = String::new();
        write_str(&mut out, &all);
        assert_eq!(out, serde_json::to_string(&all).unwrap());
        assert_eq!(parse(&out).unwrap(), Value::String(all));
    }
}
