//! Parquet merge metadata (0x53): the merge schema a self-merging Parquet
//! file carries. No merge: two files' metadata describe two configurations,
//! and no join of them is meaningful.

use alloc::string::String;

use super::{dict_value, finish_tagged, obj, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const NAME: &str = "parquet_merge_metadata";

/// Merge semantics embedded in a Parquet file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetMergeMetadata {
    /// Primary-key column.
    pub key_column: String,
    /// Column → strategy name.
    pub strategies: OrderedMap<Value, Value>,
    /// Provenance tracking on (default true).
    pub provenance_enabled: bool,
    /// Metadata schema version (default `"1.0"`).
    pub schema_version: String,
    /// Creation time as written (ISO text), if any.
    pub created_at: Option<String>,
    /// Sources merged into the file (default 0).
    pub source_count: i64,
    /// Merges performed (default 0).
    pub merge_count: i64,
    /// Unknown entries.
    pub extra: Extra,
}

impl WireType for ParquetMergeMetadata {
    const TAG: TypeTag = TypeTag::ParquetMergeMetadata;

    fn to_value(&self) -> Value {
        let out = obj(alloc::vec![
            ("key_column", Value::str(self.key_column.as_str())),
            ("strategies", dict_value(&self.strategies)),
            ("provenance_enabled", Value::Bool(self.provenance_enabled)),
            ("schema_version", Value::str(self.schema_version.as_str())),
            (
                "created_at",
                self.created_at.as_deref().map_or(Value::None, Value::str)
            ),
            ("source_count", Value::Int(self.source_count)),
            ("merge_count", Value::Int(self.merge_count)),
        ]);
        finish_tagged(out, &self.extra, NAME)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(NAME, v)?;
        f.take("__type");
        Ok(ParquetMergeMetadata {
            key_column: f.req_str("key_column")?,
            strategies: f.dict_or_empty("strategies")?,
            provenance_enabled: f.bool_or("provenance_enabled", true)?,
            schema_version: f.str_or("schema_version", "1.0")?,
            created_at: f.opt_str("created_at")?,
            source_count: f.int_or("source_count", 0)?,
            merge_count: f.int_or("merge_count", 0)?,
            extra: f.rest(),
        })
    }
}

impl Merge for ParquetMergeMetadata {
    fn merge(&self, _other: &Self) -> Result<Self, MergeError> {
        Err(MergeError::Unsupported(NAME))
    }
}
