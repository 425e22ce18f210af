//! Just enough TOML for `wasm-pack.toml`: `[section]` headers, `key = "string"` and
//! `key = ["a", "b"]` (arrays may span lines), `#` comments. A dependency would be more than
//! the file needs, and xtask stays std-only so that it builds in seconds.

use std::collections::BTreeMap;
use std::path::Path;

/// A value: a string or an array of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    List(Vec<String>),
}

/// A parsed file: values by section and key, in file order within a section.
#[derive(Debug, Default)]
pub struct Doc {
    sections: BTreeMap<String, Vec<(String, Value)>>,
    file: String,
}

impl Doc {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Doc, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Doc::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the subset described in the module documentation.
    pub fn parse(text: &str) -> Result<Doc, String> {
        let mut doc = Doc::default();
        let mut section = String::new();
        let mut lines = text.lines().enumerate();
        while let Some((n, line)) = lines.next() {
            let line = strip_comment(line).trim().to_string();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
                doc.sections.entry(section.clone()).or_default();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
            let mut value = value.trim().to_string();
            // An array continues until its closing bracket.
            if value.starts_with('[') {
                while !value.ends_with(']') {
                    let (_, more) = lines
                        .next()
                        .ok_or_else(|| format!("line {}: unclosed array", n + 1))?;
                    value.push_str(strip_comment(more).trim());
                }
            }
            let value = parse_value(&value).map_err(|e| format!("line {}: {e}", n + 1))?;
            doc.sections
                .entry(section.clone())
                .or_default()
                .push((key.trim().to_string(), value));
        }
        doc.file = "wasm-pack.toml".into();
        Ok(doc)
    }

    fn get(&self, section: &str, key: &str) -> Result<&Value, String> {
        self.sections
            .get(section)
            .and_then(|s| s.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("{}: [{section}] has no `{key}`", self.file))
    }

    /// A string value.
    pub fn str(&self, section: &str, key: &str) -> Result<String, String> {
        match self.get(section, key)? {
            Value::Str(s) => Ok(s.clone()),
            Value::List(_) => Err(format!("{}: [{section}] {key} must be a string", self.file)),
        }
    }

    /// An array value.
    pub fn list(&self, section: &str, key: &str) -> Result<Vec<String>, String> {
        match self.get(section, key)? {
            Value::List(l) => Ok(l.clone()),
            Value::Str(_) => Err(format!("{}: [{section}] {key} must be an array", self.file)),
        }
    }

    /// Every string key of a section, in file order.
    pub fn keys(&self, section: &str) -> Vec<(String, String)> {
        self.sections
            .get(section)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| match v {
                Value::Str(s) => Some((k.clone(), s.clone())),
                Value::List(_) => None,
            })
            .collect()
    }
}

/// Drops a `#` comment, unless the `#` is inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_value(v: &str) -> Result<Value, String> {
    if let Some(inner) = v.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let items = inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_str)
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::List(items));
    }
    parse_str(v).map(Value::Str)
}

fn parse_str(v: &str) -> Result<String, String> {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .map(str::to_string)
        .ok_or_else(|| format!("expected a quoted string, found `{v}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_strings_and_multi_line_arrays() {
        let doc = Doc::parse(
            "# c\n[a]\nx = \"1\" # note\n[a.b]\nflags = [\n  \"-Oz\", # why\n  \"--y\",\n]\n",
        )
        .unwrap();
        assert_eq!(doc.str("a", "x").unwrap(), "1");
        assert_eq!(doc.list("a.b", "flags").unwrap(), ["-Oz", "--y"]);
        assert!(doc.str("a", "nope").is_err());
    }

    #[test]
    fn the_projects_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm-pack.toml");
        let doc = Doc::read(&path).unwrap();
        assert_eq!(doc.str("build", "target").unwrap(), "web");
        assert_eq!(doc.list("wasm-opt", "flags").unwrap()[0], "-Oz");
    }
}
