//! The classic CRDT types: counters, registers, sets, maps, clocks, deltas
//! and generic values. Each file owns one type: its state, merge, wire
//! payload (`to_value` / `from_value`) and canonical view.
