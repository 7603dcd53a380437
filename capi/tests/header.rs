//! The checked-in header is what cbindgen makes of the Rust declarations.
//!
//! `EXACT_NEURON_BLESS=1 cargo test -p exact-neuron-c --test header`
//! rewrites it after a change of the API.

use std::path::Path;

#[test]
fn the_header_is_generated_from_the_rust_declarations() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("capi/cbindgen.toml is readable");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen parses capi/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");
    let path = crate_dir.join("include/exact_neuron.h");
    if std::env::var_os("EXACT_NEURON_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("the header is writable");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} differs from the Rust declarations; rerun with EXACT_NEURON_BLESS=1 \
         and review the diff",
        path.display()
    );
}

#[test]
fn every_function_is_documented_and_every_enum_is_the_c_one() {
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("include/exact_neuron.h"),
    )
    .expect("the header is readable");
    let lines: Vec<&str> = header.lines().collect();
    let mut functions = 0;
    for (i, line) in lines.iter().enumerate() {
        // A declaration starts in the first column: `type name(...`.
        let starts_declaration = !line.starts_with([' ', '#', '/', '}'])
            && !line.starts_with("typedef")
            && line.contains('(');
        if !starts_declaration {
            continue;
        }
        let before = &line[..line.find('(').unwrap()];
        let name = before.rsplit([' ', '*']).next().unwrap_or_default();
        assert!(
            name.starts_with("en_"),
            "{name} is not in the en_ namespace"
        );
        functions += 1;
        assert!(
            i > 0 && lines[i - 1].trim_start().starts_with("*/"),
            "{name} has no comment in front of it"
        );
    }
    assert_eq!(functions, 36, "the header declares {functions} functions");
    // The functions receive the type as an integer but declare the enum.
    assert!(!header.contains("int dtype"));
    assert!(!header.contains("int spike_format"));
    for wanted in [
        "typedef struct en_neuron en_neuron;",
        "typedef enum en_status {",
        "typedef enum en_dtype {",
        "EN_BOOL = 0,",
        "EN_F64 = 5,",
        "en_dtype dtype,",
        "typedef enum en_spike_format {",
        "en_spike_format spike_format,",
        "#define EN_NO_VOLTAGE -1",
        "#ifdef __cplusplus",
        "extern \"C\" {",
    ] {
        assert!(header.contains(wanted), "the header lacks {wanted:?}");
    }
}
