//! The settings in `wasm-pack.toml`, read with the `toml` crate: sections (dotted names such as
//! `build.node` name nested tables), string values and arrays of strings.

use std::path::Path;

/// A parsed settings file.
#[derive(Debug, Default)]
pub struct Doc {
    table: toml::Table,
    file: String,
}

impl Doc {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Doc, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        Ok(Doc { table, file })
    }

    fn section(&self, section: &str) -> Option<&toml::Table> {
        let mut t = &self.table;
        for part in section.split('.') {
            t = t.get(part)?.as_table()?;
        }
        Some(t)
    }

    fn get(&self, section: &str, key: &str) -> Result<&toml::Value, String> {
        self.section(section)
            .and_then(|s| s.get(key))
            .ok_or_else(|| format!("{}: [{section}] has no `{key}`", self.file))
    }

    /// A string value.
    pub fn str(&self, section: &str, key: &str) -> Result<String, String> {
        self.get(section, key)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{}: [{section}] {key} must be a string", self.file))
    }

    /// An array of strings.
    pub fn list(&self, section: &str, key: &str) -> Result<Vec<String>, String> {
        let not_list = || {
            format!(
                "{}: [{section}] {key} must be an array of strings",
                self.file
            )
        };
        self.get(section, key)?
            .as_array()
            .ok_or_else(not_list)?
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(not_list))
            .collect()
    }

    /// Every string key of a section (sorted by key).
    pub fn keys(&self, section: &str) -> Vec<(String, String)> {
        self.section(section)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    }
}
