//! One error type for a downstream crate: a function returning
//! `ghostload::Result` can `?` both the pipeline and the writers, and the
//! conversions between `Error` and `io::IoError` lose nothing.

use ghostload::io::{IoError, WriteOptions, validate_dir, write_dataset};
use ghostload::{Error, GeneratorConfig, Pipeline};

/// What a user's own helper looks like: generation and I/O behind one `?`.
fn generate_into(dir: &std::path::Path, seed: u64) -> ghostload::Result<usize> {
    let config = GeneratorConfig {
        num_meters: 120,
        num_transformers: 6,
        seed,
        ..Default::default()
    };
    let dataset = Pipeline::builder().config(config).build()?.generate()?;
    let written = write_dataset(&dataset, dir, &WriteOptions::default())?;
    let report = validate_dir(dir)?;
    assert!(report.passed());
    Ok(written.files.len())
}

/// And the other way: an I/O-first helper that `?`s the pipeline.
fn stream_into(dir: &std::path::Path, num_meters: usize) -> Result<usize, IoError> {
    let config = GeneratorConfig {
        num_meters,
        num_transformers: 6,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build()?;
    Ok(ghostload::io::stream_dataset(&pipeline, dir, &WriteOptions::default())?.meters)
}

#[test]
fn a_downstream_function_can_question_mark_both_error_types() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        generate_into(&tmp.path().join("a"), 1).unwrap(),
        ghostload::io::file_names().len()
    );
    assert_eq!(stream_into(&tmp.path().join("b"), 60).unwrap(), 60);

    // An I/O failure arrives as `Error::Io`, naming the path.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = generate_into(&file, 1).unwrap_err();
    assert!(
        matches!(&err, Error::Io(io) if matches!(**io, IoError::NotADirectory { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("file"), "{err}");

    // A configuration error arrives in an `IoError` as `Generation`, and back unchanged.
    let err = stream_into(&tmp.path().join("c"), 2).unwrap_err();
    let IoError::Generation(inner) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(**inner, Error::Config(_)), "{inner:?}");
    let back = Error::from(err);
    assert!(
        matches!(&back, Error::Config(c) if c.field() == "num_meters"),
        "{back:?}"
    );
}

#[test]
fn conversions_round_trip() {
    let io = IoError::Interrupted { path: "out".into() };
    let as_error = Error::from(io);
    assert!(matches!(&as_error, Error::Io(_)));
    assert!(matches!(IoError::from(as_error), IoError::Interrupted { .. }));

    let config_err = Error::from(ghostload::ConfigError::out_of_range("seed", 1, "none"));
    let as_io = IoError::from(config_err);
    assert!(matches!(Error::from(as_io), Error::Config(_)));
}
