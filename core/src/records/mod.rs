//! The JSON-payload record types of the reference (tags 0x42–0x47 and
//! 0x50–0x55): Merkle tree and diff, gossip state and entry, schema evolution
//! result and change, MergeQL query/plan/result, Parquet merge metadata and
//! provenance records.
