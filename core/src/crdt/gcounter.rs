//! Grow-only counter: one slot per node, value = sum of slots, merge =
//! per-node max (a slot missing on one side counts as 0, as in the reference). Payload `{type: "g_counter", counts: {node: int}}`.

use alloc::format;

use super::{as_map, check_type, field};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "g_counter";

/// A grow-only counter. Node ids are usually strings; any value the
/// reference could write as a dict key is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GCounter {
    counts: OrderedMap<Value, i64>,
}

impl GCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }
    /// The sum of all slots (i128: cannot overflow).
    pub fn value(&self) -> i128 {
        self.counts.values().map(|&c| c as i128).sum()
    }
    /// Add `amount` to `node`'s slot (saturating at `i64::MAX`). Inserts the
    /// slot even for 0, as the reference does.
    pub fn increment(&mut self, node: &str, amount: u64) {
        let slot = self.counts.entry_or_insert_with(Value::str(node), || 0);
        *slot = slot.saturating_add(i64::try_from(amount).unwrap_or(i64::MAX));
    }
    /// The slot of `node` (0 if absent).
    pub fn get(&self, node: &str) -> i64 {
        self.counts.get(&Value::str(node)).copied().unwrap_or(0)
    }
    /// All slots in insertion order.
    pub fn counts(&self) -> impl Iterator<Item = (&Value, i64)> {
        self.counts.iter().map(|(k, &v)| (k, v))
    }
    pub(crate) fn counts_value(&self) -> Value {
        Value::Map(
            self.counts
                .iter()
                .map(|(k, &v)| (k.clone(), Value::Int(v)))
                .collect(),
        )
    }
    pub(crate) fn from_counts(
        v: &Value,
        ty: &'static str,
        what: &str,
    ) -> Result<Self, DecodeError> {
        let mut counts = OrderedMap::new();
        for (k, c) in as_map(v, ty, what)? {
            let c = c.as_int().ok_or_else(|| {
                DecodeError::shape(
                    ty,
                    format!(
                        "{what}[{}] must be an int, found {}",
                        crate::pyrepr::repr(k),
                        c.type_name()
                    ),
                )
            })?;
            counts.insert(k.clone(), c);
        }
        Ok(GCounter { counts })
    }
}

impl GCounter {
    /// The codec payload (`{type: "g_counter", counts: {...}}`), written
    /// straight from the state: the same bytes as encoding [`WireType::to_value`].
    pub(crate) fn encode_codec_payload(&self, out: &mut alloc::vec::Vec<u8>) {
        use crate::wire::codec::{encode_value, tag};
        let str = |out: &mut alloc::vec::Vec<u8>, s: &str| {
            out.push(tag::STR);
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        out.push(tag::DICT);
        out.extend_from_slice(&2u32.to_be_bytes());
        str(out, "type");
        str(out, TY);
        str(out, "counts");
        out.push(tag::DICT);
        out.extend_from_slice(&(self.counts.len() as u32).to_be_bytes());
        for (k, &c) in self.counts.iter() {
            encode_value(k, out);
            encode_value(&Value::Int(c), out);
        }
    }

    /// Read a codec payload of exactly the shape [`GCounter::encode_codec_payload`]
    /// writes with `str` node ids, without building a [`Value`]; `None` for
    /// anything else (the caller then takes the general path, which gives the
    /// same state or the proper error).
    pub(crate) fn decode_codec_payload(p: &[u8], max_depth: usize) -> Option<GCounter> {
        use crate::wire::codec::tag;
        if max_depth < 2 {
            return None;
        }
        struct Rd<'a>(&'a [u8]);
        impl<'a> Rd<'a> {
            fn take(&mut self, n: usize) -> Option<&'a [u8]> {
                if n > self.0.len() {
                    return None;
                }
                let (h, t) = self.0.split_at(n);
                self.0 = t;
                Some(h)
            }
            fn u32(&mut self) -> Option<usize> {
                let b = self.take(4)?;
                Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            }
            fn byte(&mut self) -> Option<u8> {
                Some(self.take(1)?[0])
            }
        }
        const HEAD: &[u8] = b"\x08\x00\x00\x00\x02\x05\x00\x00\x00\x04type\x05\x00\x00\x00\x09g_counter\x05\x00\x00\x00\x06counts\x08";
        let mut r = Rd(p);
        if r.take(HEAD.len())? != HEAD {
            return None;
        }
        let n = r.u32()?;
        let mut counts = OrderedMap::with_capacity(n.min(p.len() / 7));
        for _ in 0..n {
            if r.byte()? != tag::STR {
                return None;
            }
            let len = r.u32()?;
            let key = core::str::from_utf8(r.take(len)?).ok()?;
            let c = match r.byte()? {
                tag::SMALLINT => r.byte()? as i8 as i64,
                tag::INT64 => i64::from_be_bytes(r.take(8)?.try_into().ok()?),
                _ => return None,
            };
            counts.insert(Value::str(key), c);
        }
        r.0.is_empty().then_some(GCounter { counts })
    }
}

impl Merge for GCounter {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let counts = OrderedMap::merge_join(&self.counts, &other.counts, |_, a, b| {
            Some(match (a, b) {
                (Some(a), Some(b)) => *a.max(b),
                (Some(a), None) | (None, Some(a)) => (*a).max(0),
                (None, None) => 0,
            })
        });
        Ok(GCounter { counts })
    }
}

impl WireType for GCounter {
    const TAG: TypeTag = TypeTag::GCounter;
    fn to_value(&self) -> Value {
        Value::map([("type", Value::str(TY)), ("counts", self.counts_value())])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        Self::from_counts(field(v, TY, "counts")?, TY, "counts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{self, Limits, PayloadEncoding};
    use crate::AnyCrdt;
    use alloc::vec;
    use proptest::prelude::*;

    proptest! {
        /// The direct frame writer and reader give what the `Value` path gives.
        #[test]
        fn direct_codec_matches_value_path(slots in proptest::collection::vec(("[a-c\u{e9}]{0,3}", any::<i64>()), 0..12)) {
            let mut g = GCounter::new();
            for (node, amount) in &slots {
                g.increment(node, *amount as u64 >> 1);
            }
            let any = AnyCrdt::GCounter(g.clone());
            let fast = any.encode(false).unwrap();
            let slow = wire::encode_frame(TypeTag::GCounter, &g.to_value(), PayloadEncoding::Codec, false).unwrap();
            prop_assert_eq!(&fast, &slow);
            let (back, enc) = AnyCrdt::decode(&fast, &Limits::DEFAULT).unwrap();
            prop_assert_eq!(enc, PayloadEncoding::Codec);
            prop_assert_eq!(back.encode(false).unwrap(), fast.clone());
            prop_assert_eq!(back, any);
        }
    }

    #[test]
    fn direct_reader_defers_other_shapes() {
        // int node ids, a duplicated node id, a non-int count, trailing bytes
        let shapes = vec![
            Value::map([
                ("type", Value::str(TY)),
                ("counts", Value::Map(vec![(Value::Int(3), Value::Int(1))])),
            ]),
            Value::map([
                ("type", Value::str(TY)),
                (
                    "counts",
                    Value::Map(vec![
                        (Value::str("a"), Value::Int(1)),
                        (Value::str("b"), Value::Int(2)),
                        (Value::str("a"), Value::Int(300)),
                    ]),
                ),
            ]),
            Value::map([
                ("type", Value::str(TY)),
                (
                    "counts",
                    Value::Map(vec![(Value::str("a"), Value::Float(1.0))]),
                ),
            ]),
            Value::map([("counts", Value::Map(vec![])), ("type", Value::str(TY))]),
        ];
        for v in shapes {
            let frame =
                wire::encode_frame(TypeTag::GCounter, &v, PayloadEncoding::Codec, false).unwrap();
            let slow = wire::decode_frame(&frame, &Limits::DEFAULT)
                .and_then(|f| AnyCrdt::from_value(f.header.tag, &f.value));
            let fast = AnyCrdt::decode(&frame, &Limits::DEFAULT).map(|x| x.0);
            prop_assert_eq_fallback(&fast, &slow);
            if let Ok(x) = &fast {
                assert_eq!(
                    x.encode(false).unwrap(),
                    wire::encode_frame(
                        TypeTag::GCounter,
                        &x.to_value(),
                        PayloadEncoding::Codec,
                        false
                    )
                    .unwrap()
                );
            }
            let mut trailing = frame.clone();
            trailing.push(0);
            let len = trailing.len() as u32 - 12;
            trailing[8..12].copy_from_slice(&len.to_be_bytes());
            assert!(AnyCrdt::decode(&trailing, &Limits::DEFAULT).is_err());
        }
    }

    fn prop_assert_eq_fallback(
        a: &Result<AnyCrdt, crate::DecodeError>,
        b: &Result<AnyCrdt, crate::DecodeError>,
    ) {
        assert_eq!(alloc::format!("{a:?}"), alloc::format!("{b:?}"));
    }
}
