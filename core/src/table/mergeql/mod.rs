//! MergeQL: the reference's SQL-like merge statements (`MERGE a, b ON id
//! STRATEGY salary='max' WHERE ... MAP old -> new LIMIT n`, `EXPLAIN MERGE
//! ...`): [`lexer`] (tokens with positions), [`parser`] (statement →
//! [`parser::Statement`]), [`filter`] (WHERE), [`exec`] (running a
//! statement over registered tables) and [`error`] ([`MergeqlError`]).
//! The grammar and where we differ from the reference: `wire-spec/mergeql.md`.

pub mod error;
pub mod exec;
pub mod filter;
pub mod lexer;
pub mod parser;

pub use error::MergeqlError;
pub use exec::{MergeQl, QlOutput};
pub use parser::{parse, Statement};
