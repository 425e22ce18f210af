//! Feeds arbitrary bytes to the OCI layer tar importer: it must return an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = layerlab::oci::import_layer(data);
});
