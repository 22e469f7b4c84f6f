//! Batches (the streaming path) give exactly the in-memory dataset.

use ghostload::{Error, GeneratorConfig, Pipeline};
use proptest::prelude::*;

fn config(seed: u64, meters: usize, months: usize) -> GeneratorConfig {
    GeneratorConfig {
        seed,
        num_meters: meters,
        num_transformers: (meters / 40).max(1),
        num_months: months,
        benign_rate: 0.05,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn concatenated_batches_equal_the_in_memory_dataset(
        seed in any::<u64>(), meters in 1usize..1500, months in 1usize..30, batch in 1usize..700,
    ) {
        let pipeline = Pipeline::builder().config(config(seed, meters, months)).build().unwrap();
        let dataset = pipeline.generate().unwrap();
        prop_assert_eq!(pipeline.network().transformers(), dataset.transformers());
        let (mut ms, mut values, mut labels, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut validator = pipeline.validator();
        for b in pipeline.batches(0..meters, batch) {
            let b = b.unwrap();
            prop_assert!(b.meters().len() <= batch);
            validator.add(&b);
            ms.extend_from_slice(b.meters());
            values.extend_from_slice(b.consumption());
            labels.extend_from_slice(b.labels());
            events.extend_from_slice(b.events());
        }
        prop_assert_eq!(&ms[..], dataset.meters());
        prop_assert_eq!(&values[..], dataset.consumption().as_slice());
        prop_assert_eq!(&labels[..], dataset.labels());
        prop_assert_eq!(&events[..], dataset.events());
        // `Dataset::validate` ends with the in-memory `energy_balance` check,
        // which a stream validator (fed batches, never a balance) does not run.
        let mut whole = dataset.validate();
        prop_assert_eq!(whole.checks.pop().map(|c| c.name), Some("energy_balance".to_owned()));
        prop_assert_eq!(validator.finish(), whole);
    }

    #[test]
    fn shards_of_any_split_reassemble_the_whole(seed in any::<u64>(), meters in 1usize..800, shards in 1usize..9) {
        let pipeline = Pipeline::builder().config(config(seed, meters, 6)).build().unwrap();
        let whole = pipeline.generate_batch(0..meters).unwrap();
        let mut values = Vec::new();
        for k in 0..shards {
            let range = k * meters / shards..(k + 1) * meters / shards;
            values.extend_from_slice(pipeline.generate_batch(range).unwrap().consumption());
        }
        prop_assert_eq!(&values[..], whole.consumption());
    }
}

#[test]
fn stream_validator_catches_a_missing_batch() {
    let pipeline = Pipeline::builder().build().unwrap();
    let mut validator = pipeline.validator();
    for b in pipeline.batches(0..2000, 500).skip(1) {
        validator.add(&b.unwrap());
    }
    let report = validator.finish();
    assert!(!report.check("record_counts").unwrap().passed);
    assert!(!report.check("foreign_keys").unwrap().passed);
}

/// 4 000 000 000 meters × 1 200 months: about 38 TB in memory, so only streaming can make it.
fn huge_pipeline() -> Pipeline {
    let config = GeneratorConfig {
        num_meters: 4_000_000_000,
        num_transformers: 1,
        num_months: 1200,
        ..Default::default()
    };
    Pipeline::builder().config(config).build().unwrap()
}

#[test]
fn an_in_memory_request_larger_than_memory_fails_before_any_work() {
    let pipeline = huge_pipeline();
    assert!(pipeline.in_memory_bytes() > 30_000_000_000_000);
    // The whole-dataset estimate adds the network copy and the validation pass to the batch.
    assert!(pipeline.in_memory_bytes() > pipeline.batch_bytes(0..4_000_000_000));
    match pipeline.generate() {
        Err(Error::InsufficientMemory { needed, available }) => {
            assert!(needed > available);
            let msg = Error::InsufficientMemory { needed, available }.to_string();
            assert!(msg.contains("batches") && msg.contains("MiB"), "{msg}");
        }
        other => panic!("expected InsufficientMemory, got {other:?}"),
    }
}

#[test]
fn ranges_past_the_last_meter_are_errors_not_hangs_or_panics() {
    let config = GeneratorConfig {
        num_meters: 1000,
        num_transformers: 20,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build().unwrap();
    #[allow(clippy::reversed_empty_ranges)] // a reversed range is one of the bad inputs
    for range in [900..1100, 1000..1001, 1500..1600, 10..5] {
        match pipeline.generate_batch(range.clone()) {
            Err(Error::MeterRange { start, end, num_meters }) => {
                assert_eq!((start, end, num_meters), (range.start, range.end, 1000));
            }
            other => panic!("{range:?}: expected MeterRange, got {other:?}"),
        }
        assert!(pipeline.range_validator(range.clone()).is_err(), "{range:?}");
    }
    // The iterator reports the bad range once and stops, whatever its length.
    let items: Vec<_> = pipeline.batches(0..1500, 500).collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::MeterRange { end: 1500, .. })));
    // The full range and an empty one at the end are fine.
    assert_eq!(pipeline.generate_batch(0..1000).unwrap().meters().len(), 1000);
    assert!(pipeline.generate_batch(1000..1000).unwrap().meters().is_empty());
    assert_eq!(
        pipeline
            .batches(0..1000, 300)
            .map(|b| b.unwrap().meters().len())
            .sum::<usize>(),
        1000
    );
}

#[test]
fn a_batch_larger_than_memory_fails_before_any_work() {
    let pipeline = huge_pipeline();
    let range = 0..3_000_000_000;
    assert!(pipeline.batch_bytes(range.clone()) > 20_000_000_000_000);
    assert!(matches!(
        pipeline.generate_batch(range),
        Err(Error::InsufficientMemory { .. })
    ));
    // A small batch of the same pipeline is fine.
    assert_eq!(pipeline.generate_batch(0..10).unwrap().meters().len(), 10);
}
