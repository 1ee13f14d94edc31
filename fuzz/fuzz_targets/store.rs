//! Any bytes → `Store::load`; on success the store round-trips: `to_json` → `load` gives the same store, no
//! warnings, and the same bytes again. Every timing is finite, ≥ 0 and keeps the key invariant.
#![no_main]
use libfuzzer_sys::fuzz_target;
use timeshard::store::Store;

mod common;

fuzz_target!(|data: &[u8]| {
    let (store, warnings) = match Store::load(data) {
        Ok(x) => x,
        Err(e) => return common::check_error(&e),
    };
    for w in &warnings {
        assert!(
            !common::has_line_break(w),
            "warning with a control character: {w:?}"
        );
    }
    let json = store.to_json();
    let (again, warnings) = match Store::load(json.as_bytes()) {
        Ok(x) => x,
        Err(e) => panic!("a written store does not load: {e}\n{json}"),
    };
    assert!(
        warnings.is_empty(),
        "reloading a written store warns: {warnings:?}"
    );
    assert_eq!(again, store, "store changed in a round trip");
    assert_eq!(again.to_json(), json, "bytes changed in a round trip");
    assert_eq!(store.timings().len(), store.len());
    for s in store.timings() {
        common::check_sample_seconds_and_key(&s);
    }
});
