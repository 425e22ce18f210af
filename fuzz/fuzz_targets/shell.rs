//! Runs arbitrary UTF-8 text through a shell on a small image: no input may make it panic.
#![no_main]

use layerlab::{Container, Image, Options, Shell, VPath};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

/// One image layer with a few directories, files and a symlink, built once.
fn image() -> Arc<Image> {
    static IMAGE: OnceLock<Arc<Image>> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let mut c = Container::new(Arc::new(Image::empty()), Options::default());
            let p = |s: &str| VPath::parse(s).expect("fixture paths are valid");
            for d in ["/etc", "/app", "/app/lib", "/tmp"] {
                c.mkdir(&p(d), 0o755).expect("fixture mkdir");
            }
            c.write_file(&p("/etc/hosts"), b"127.0.0.1 localhost\n", false)
                .expect("fixture file");
            c.write_file(&p("/app/lib/a.py"), b"print(1)\n", false)
                .expect("fixture file");
            c.symlink("lib/a.py", &p("/app/link")).expect("fixture symlink");
            let layer = Arc::new(c.upper().clone());
            Arc::new(Image::new(vec![layer]).expect("fixture image"))
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sh = Shell::new(Container::new(image(), Options::default()));
    // Both entry points: one line as `bash -c`, and the text as a script.
    let _ = sh.run_line(text);
    let _ = sh.run_script(text);
});
