//! `PipelineBuilder::threads(n)` keeps every parallel step of a pipeline on
//! its own pool: generating, validating and streaming to files never start
//! rayon's global pool. (A test binary of its own: the global pool is per process.)

use ghostload::io::{WriteOptions, stream_dataset};
use ghostload::{GeneratorConfig, Pipeline};

#[test]
fn a_sized_pipeline_never_touches_the_global_pool() {
    let config = GeneratorConfig {
        num_meters: 150_000,
        num_transformers: 3_000,
        num_months: 6,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).threads(2).build().unwrap();
    let dataset = pipeline.generate().unwrap();
    assert_eq!(dataset.meters().len(), 150_000);
    let tmp = tempfile::tempdir().unwrap();
    stream_dataset(&pipeline, &tmp.path().join("out"), &WriteOptions::default()).unwrap();
    // Fails if anything above ran on (and so started) the global pool.
    let global = rayon::ThreadPoolBuilder::new().num_threads(3).build_global();
    assert!(global.is_ok(), "the global pool was started: {global:?}");
}
