//! Any bytes as a batch: splitting never panics, and a batch that splits
//! joins back to exactly the same bytes.
#![no_main]

use crdt_merge_core::wire::{batch, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frames) = batch::split_batch(data, &Limits::DEFAULT) else { return };
    assert_eq!(batch::encode_batch(&frames), data);
});
