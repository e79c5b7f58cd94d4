//! Mergeable sketches, bit-identical to the reference for the same items:
//! [`hash`] (MD5 of Python `repr` + seed), HyperLogLog, Bloom, Count-Min.
