//! The model-weights layer: `CRDTMergeState` (an add-wins OR-Set of
//! contributions with content hashes), tensor views and dtypes, the
//! counter-based RNG and every merge strategy as a pure function on CPU.
//!
//! Filled in by the model-layer work (issue 5).
