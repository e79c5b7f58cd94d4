//! The checked-in header `ffi/include/crdt_merge.h` must equal a fresh
//! cbindgen generation from `src/lib.rs` and `cbindgen.toml`.
//! Regenerate: `UPDATE_HEADER=1 cargo test -p crdt-merge-ffi --test header`.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generation");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let fresh = String::from_utf8(fresh).expect("utf-8 header");
    let path = dir.join("include/crdt_merge.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write header");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "ffi/include/crdt_merge.h is out of date with src/lib.rs; regenerate with\n    UPDATE_HEADER=1 cargo test -p crdt-merge-ffi --test header"
    );
}
