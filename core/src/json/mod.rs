//! JSON text in and out.
//!
//! - [`parse`](mod@parse): JSON text → [`Value`] (object order kept, ints stay ints,
//!   Python's `NaN` / `Infinity` accepted), bounded nesting.
//! - [`write`](mod@write): [`Value`] → text exactly as Python's `json.dumps` writes it
//!   (so JSON payloads of the 0x40.. types are byte-identical).
//! - [`view`]: the lossless canonical JSON view that the CLI, the golden
//!   manifest and every binding share (bytes, sets, non-string keys and
//!   non-finite floats get `$`-tagged objects).

pub mod parse;
pub mod view;
pub mod write;

pub use parse::{parse, parse_with_max_depth};
pub use view::{from_view, to_view};
pub use write::{to_string, to_string_pretty};

#[allow(unused_imports)]
use crate::value::Value;
