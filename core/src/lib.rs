//! # crdt-merge-core
//!
//! The one core of crdt-merge: every mergeable type, the binary wire codec
//! (byte-compatible with the Python reference `crdt-merge==0.8.3`), canonical
//! JSON views and the merge semantics. `#![no_std]` + `alloc`; the `std`
//! feature adds `std::error::Error` impls and the `zlib` feature uses C zlib
//! so compressed frames match the reference byte for byte.
//!
//! Layout (one concern per module):
//! - [`value`]: the dynamic value model and its total order.
//! - [`ordered_map`]: insertion-ordered map used where the reference's dict
//!   order reaches the wire.
//! - [`pyrepr`]: Python `repr()`/`str()` of values (hashing and ORSet keys).
//! - [`wire`]: frame header, tagged value codec, compression, batches,
//!   JSON/msgpack payloads, limits.
//! - [`json`]: JSON text in and out (Python `json.dumps` compatible) and the
//!   lossless canonical JSON view.
//! - [`crdt`]: counters, registers, sets, maps, clocks, deltas, generic values.
//! - [`sketch`]: reference-compatible hashing, HyperLogLog, Bloom, Count-Min.
//! - [`records`]: the JSON-payload record types (Merkle, gossip, schema evolution, provenance, MergeQL).
//! - [`memory`]: agent memory: AgentState, SharedKnowledge, ContextMerge, ContextBloom, sidecars, manifests, consolidation.
//! - [`table`]: the data layer: keyed record merge over tables, schemas, provenance, streaming, deltas, dedup, Merkle, MergeQL.
//! - [`model`]: the model-weights layer: CRDTMergeState and tensor merge strategies.
//! - [`object`]: the dynamic `AnyCrdt` used by the CLI and every binding.
//! - [`laws`]: the law checker (commutativity, associativity, idempotency).
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod crdt;
pub mod error;
pub mod json;
pub mod laws;
pub mod memory;
pub mod model;
pub mod object;
pub mod ordered_map;
pub mod pyrepr;
pub mod records;
pub mod sketch;
pub mod table;
pub mod traits;
pub mod value;
pub mod wire;

pub use error::{DecodeError, MergeError};
pub use object::AnyCrdt;
pub use ordered_map::OrderedMap;
pub use traits::{Merge, WireType};
pub use value::Value;
