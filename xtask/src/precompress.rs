//! Gzip copies of the served page's files, made once at build time with zopfli.
//!
//! zopfli writes gzip's own format (any browser or HTTP client reads it) but searches far
//! harder for matches than gzip -9 does: the page's wasm comes out about 4.6 % smaller
//! (BENCHMARKS.md, "Precompressed"). It is slow (seconds for the wasm), so it runs when the
//! site is made, never per request, and its output is kept in `target/gz-cache/` under a hash
//! of the input: a rebuild with unchanged files copies the cached copies back. `serve` (and the
//! tests' e2e/server.mjs) send `NAME.gz` to a client that accepts gzip, as nginx's
//! `gzip_static` or any static host with precompressed files does.

use std::path::Path;

/// What [`precompress`] wrote: the number of copies and their sizes before and after.
#[derive(Default)]
pub struct Summary {
    pub files: usize,
    pub raw: u64,
    pub gz: u64,
    pub cached: usize,
}

/// Writes `NAME.gz` beside every file under `dir` whose extension is in `extensions`, unless
/// the copy would not be smaller. `cache` is the folder of earlier outputs.
pub fn precompress(dir: &Path, extensions: &[String], cache: &Path) -> Result<Summary, String> {
    let mut files = Vec::new();
    crate::files_under(dir, &mut files)?;
    files.retain(|f| {
        f.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| x == e))
    });
    files.sort();
    let mut summary = Summary::default();
    for file in files {
        let data =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let cached = cache.join(format!("{:016x}-{}.gz", crate::fnv1a(&data), data.len()));
        let (gz, hit) = match std::fs::read(&cached) {
            Ok(gz) => (gz, true),
            Err(_) => {
                let mut gz = Vec::new();
                zopfli::compress(
                    zopfli::Options::default(),
                    zopfli::Format::Gzip,
                    &data[..],
                    &mut gz,
                )
                .map_err(|e| format!("cannot compress {}: {e}", file.display()))?;
                // The cache is only a speed-up: failing to fill it is not an error.
                let _ = std::fs::create_dir_all(cache).and_then(|()| std::fs::write(&cached, &gz));
                (gz, false)
            }
        };
        if gz.len() >= data.len() {
            continue;
        }
        let mut name = file.clone().into_os_string();
        name.push(".gz");
        std::fs::write(&name, &gz)
            .map_err(|e| format!("cannot write {}: {e}", Path::new(&name).display()))?;
        summary.files += 1;
        summary.cached += usize::from(hit);
        summary.raw += data.len() as u64;
        summary.gz += gz.len() as u64;
    }
    Ok(summary)
}
