//! Item hashing, bit-identical to the reference: `h128(item, seed)` is the
//! MD5 digest of the UTF-8 bytes of Python `repr(item)` followed by `seed` as
//! 4 big-endian bytes, read as a big-endian 128-bit integer; `h64` is its low
//! 64 bits (digest bytes 8..16).
//!
//! Every sketch hashes one item under two seeds, so [`ItemHash`] absorbs the
//! repr once and finishes a clone of the MD5 state per seed. The `str` and
//! `int` paths write the repr straight into MD5 without allocating; other
//! values go through [`crate::pyrepr::repr`].
//!
//! A [`Value::List`] hashes as a Python `list` (`[1, 2]`); the reference
//! hashes a `tuple` as `(1, 2)`, which this value model cannot express.

use md5::{Digest, Md5};

use crate::pyrepr::{self, is_printable};
use crate::value::Value;

/// MD5 state after absorbing `repr(item)`; finish it with any seed.
#[derive(Clone)]
pub struct ItemHash {
    state: Md5,
}

impl core::fmt::Debug for ItemHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ItemHash { .. }")
    }
}

impl ItemHash {
    /// Absorb `repr(item)` for any value.
    pub fn of_value(item: &Value) -> Self {
        match item {
            Value::Str(s) => Self::of_str(s),
            Value::Int(i) => Self::of_int(*i),
            Value::None => Self::of_repr(b"None"),
            Value::Bool(true) => Self::of_repr(b"True"),
            Value::Bool(false) => Self::of_repr(b"False"),
            other => Self::of_repr(pyrepr::repr(other).as_bytes()),
        }
    }

    /// Absorb the repr of a Python `str` (quoted and escaped as CPython does).
    pub fn of_str(s: &str) -> Self {
        let mut state = Md5::new();
        absorb_str_repr(&mut state, s);
        ItemHash { state }
    }

    /// Absorb the repr of a Python `int`.
    pub fn of_int(i: i64) -> Self {
        let mut buf = [0u8; 20];
        let start = write_i64(i, &mut buf);
        Self::of_repr(&buf[start..])
    }

    /// Absorb the repr of a Python `float`.
    pub fn of_float(f: f64) -> Self {
        Self::of_repr(pyrepr::float_repr(f).as_bytes())
    }

    /// Absorb already-rendered repr bytes.
    pub fn of_repr(repr: &[u8]) -> Self {
        let mut state = Md5::new();
        state.update(repr);
        ItemHash { state }
    }

    /// The 128-bit hash under `seed`.
    pub fn h128(&self, seed: u32) -> u128 {
        let mut st = self.state.clone();
        st.update(seed.to_be_bytes());
        u128::from_be_bytes(st.finalize().into())
    }

    /// The low 64 bits of [`ItemHash::h128`].
    pub fn h64(&self, seed: u32) -> u64 {
        self.h128(seed) as u64
    }
}

/// MD5 of `repr(item)` + seed (big-endian u32), as a big-endian u128.
pub fn h128(item: &Value, seed: u32) -> u128 {
    ItemHash::of_value(item).h128(seed)
}

/// Low 64 bits of [`h128`].
pub fn h64(item: &Value, seed: u32) -> u64 {
    h128(item, seed) as u64
}

/// [`h64`] of a Python `str`, without building a [`Value`].
pub fn h64_str(s: &str, seed: u32) -> u64 {
    ItemHash::of_str(s).h64(seed)
}

/// [`h64`] of a Python `int`, without building a [`Value`].
pub fn h64_int(i: i64, seed: u32) -> u64 {
    ItemHash::of_int(i).h64(seed)
}

/// Decimal digits of `i` right-aligned in `buf`; returns the start index.
fn write_i64(i: i64, buf: &mut [u8; 20]) -> usize {
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    pos
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Feed CPython's `repr(s)` into `st`: runs that need no escaping go in as
/// slices of `s`, escapes are rendered in a small stack buffer.
fn absorb_str_repr(st: &mut Md5, s: &str) {
    let bytes = s.as_bytes();
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { b'"' } else { b'\'' };
    st.update([quote]);
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) && b != b'\\' && b != quote {
            i += 1;
            continue;
        }
        let (cp, len) = if b < 0x80 {
            (b as u32, 1)
        } else {
            match s[i..].chars().next() {
                Some(c) if is_printable(c) => {
                    i += c.len_utf8();
                    continue;
                }
                Some(c) => (c as u32, c.len_utf8()),
                None => break,
            }
        };
        st.update(&bytes[run..i]);
        let mut esc = [0u8; 10];
        let n = escape(cp, quote, &mut esc);
        st.update(&esc[..n]);
        i += len;
        run = i;
    }
    st.update(&bytes[run..]);
    st.update([quote]);
}

/// CPython's escape of one code point that `repr` does not print as is.
fn escape(cp: u32, quote: u8, out: &mut [u8; 10]) -> usize {
    out[0] = b'\\';
    let simple = match cp {
        0x5c => Some(b'\\'),
        0x09 => Some(b't'),
        0x0a => Some(b'n'),
        0x0d => Some(b'r'),
        c if c == quote as u32 => Some(quote),
        _ => None,
    };
    if let Some(c) = simple {
        out[1] = c;
        return 2;
    }
    let (letter, digits) = if cp <= 0xff {
        (b'x', 2)
    } else if cp <= 0xffff {
        (b'u', 4)
    } else {
        (b'U', 8)
    };
    out[1] = letter;
    for k in 0..digits {
        let shift = 4 * (digits - 1 - k);
        out[2 + k] = HEX[((cp >> shift) & 0xf) as usize];
    }
    2 + digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    /// (item, h128 seed 0, h128 seed 42) computed by the reference's `_hash128`.
    fn reference_vectors() -> alloc::vec::Vec<(Value, u128, u128)> {
        vec![
        (Value::Int(0), 0xe8c23a77cbaeee0535f9224644f03a84, 0x392213c602b4b6c2e9d04c14f396c21d),
        (Value::Int(1), 0x709468aeb7f68361bdee5923dc0dfd5d, 0xd70c2a57e053cff5fb4d7cc459da266c),
        (Value::Int(-1), 0x427a9cefcdca49d0ae6d1f82e0ae0aee, 0xed423c8ef5a3572a12c009c30d6e7e9d),
        (Value::Int(127), 0xff84be361ca4aed1c590e57becdddbcd, 0x75439ca95c462aef3a5cce3a78dc08f0),
        (Value::Int(-128), 0x872da4ca8541eaf36aa257740582e366, 0xddef087cde66c32d5116b7823a60c695),
        (Value::Int(255), 0xb1fe5c1d0d07106c1abbb68bc0fd57b4, 0xd82ce66602869679e4b3aaead36b3955),
        (Value::Int(9223372036854775807), 0xc7e73f1c979ae1ad7e8fba966378e0ec, 0x58fbaf3f4fcf7bdd432e1e01d253d87f),
        (Value::Int(i64::MIN), 0x028981b353cd90fad551e0e56f296ea3, 0xa3931da5187f2d6f4bab3d5dcbcd24e6),
        (Value::Int(1234567890123), 0x32bac4e27c80c9b59b3ab8e28153160e, 0xe6f99fb8c6dadd56078b3859b373660a),
        (Value::Float(1.0), 0x8280bb94a47767b831205749c526a296, 0x48768be3f50e3e2e6c600b2e5b9293c0),
        (Value::Float(0.1), 0x5f87e8c7fdb9ae66453898d8e52c74b6, 0x592ae96c4283d59e7bbaf41c8aa7bf39),
        (Value::Float(-0.0), 0xb11aef75d535fed3fe9f5844d47ad992, 0x85427cbaf2c5ae1141bd268db7373294),
        (Value::Float(1e+16), 0x19a02ab6691f75f8587bf995f276370e, 0x4a70c30c290e54229f0a9d881b9fef8b),
        (Value::Float(1e-05), 0x5fd002a5a79558d54e65fb726193b11e, 0xb13f6f42781a6e15b3637ddef94165c7),
        (Value::Float(2.5), 0x90bfe7249f0876465b4d255723bc0738, 0xf3908b28336fbeca5cb23569b1d697a7),
        (Value::Float(f64::INFINITY), 0x6cb3b6bdbbcf338f751623bd011f51da, 0xbfd1798377815afbad9263fb116a95b9),
        (Value::Float(f64::NEG_INFINITY), 0x0f89104d750e2ea90dc1426f671f0839, 0x3554fdeb1af4d1a72fcd7b5836afce07),
        (Value::Float(f64::NAN), 0x564ed1f2086250f071b43994aaf64cb9, 0x30270cf8fc88926493c570d697bf6df4),
        (Value::Float(1.7976931348623157e+308), 0x6789582062c5304bfcafac248c5135b0, 0xde526358235154f39a791edd7a7b0703),
        (Value::Float(5e-324), 0x43cd427a9eb2a075ec3a2bdc1fdd219c, 0xc45cf3452e398fffb06225dcd0b8a58f),
        (Value::str(""), 0x274ffd11b4490a7823bb98288773dc50, 0xc7cffd74dfdb18d0867b7ee71fe961a4),
        (Value::str("a"), 0x3e47b6b172e6928e37bc93e70515f2d0, 0xf6b3086adb1434d63646c611f6ce7e8d),
        (Value::str("1"), 0x539779cc9972c2f61c22556ac86eee5b, 0xcc97e5d43fbd275fba94a7c4196ba059),
        (Value::str("it's"), 0xb167726c2ab57feb5443ab2e3473c05e, 0x0c78e0f4e7b4fe28651fb18cba29d388),
        (Value::str("say \u{22}hi\u{22}"), 0x4e80d44637fd41c5fec69294ac80cdd0, 0xe7d0a232ebb5d85b49c6c0d8b4d3ceb7),
        (Value::str("both ' and \u{22}"), 0x0f8697dcd25d9a360184a6428f83c9b9, 0xd7329e148c1d7489b1b9c0d1ed565623),
        (Value::str("back\u{5c}slash"), 0x2d5334ea14ad36eabc567bd52ecdb169, 0x34c6b96f0e0d8e177687e873e70a44b8),
        (Value::str("tab\u{9}here\u{a}nl\u{d}cr"), 0x180a0cb102a779657b4bab7acc0a0ebf, 0xfe0f145844c4f42bfebc9ca731948e49),
        (Value::str("\u{0}\u{1}\u{1f}\u{7f}"), 0xede727baeae9cfe7704de3d1e1112b67, 0x634aedd33f977ffbae32a21ad544e5da),
        (Value::str("\u{e9}"), 0x03a0227a57a583c53842bda1a587d3f4, 0x9afdb9b06675a921a6265da3a8a648ff),
        (Value::str("\u{a0}"), 0x92b41605de571191c1c12c787a17523f, 0xb8903f54dfdae88dac39c0db156527ba),
        (Value::str("\u{ad}"), 0x8f606fad42a58f51d9544b824dfc29ce, 0xddfbea19f2409eebf26d624af870b1fb),
        (Value::str("\u{200b}"), 0xb2d65d0a3845ce90e21ed4931c4fda15, 0xb8798f448f6e971e2ac67940b74007a2),
        (Value::str("\u{65e5}\u{672c}\u{8a9e}"), 0xe179afc53f2ba9a7ee21af21adf95a6f, 0xe28270323e2e1e412618defd06e8fdf4),
        (Value::str("\u{1f600}"), 0xefe8efc6449b91aa5f4b438ea298c4b2, 0xf0a06604493761fe3b197337dc150ebd),
        (Value::str("\u{e0001}"), 0xfa53696e205c8103c7c9ad1d6f30bae2, 0x69848b4120a96e90bd72a211d591f51c),
        (Value::str("\u{d7ff}"), 0x087d9653e2846e6aa66e0cf90127dfad, 0xb3e284232093d0f9d82b7f2249ca0891),
        (Value::str("\u{e000}"), 0x2eae786dcd056cd90eb27ffb66b61d22, 0x1962aaddd4d9ff4c153386786ff05416),
        (Value::str("\u{feff}"), 0xdcf0a172445332d313179915af61011e, 0xe4317e15a309ef4fba5ff83f30ab4d26),
        (Value::str("x\u{2028}y"), 0x209fe2f6366b73bf17749cf38ebe9ddd, 0xca46db91e6694636ba9afef7079d82fc),
        (Value::str("\u{10ffff}"), 0x33d0cdb4d8e352f6b297ed353f0278e9, 0x420982dc181b17c72938dbb834d614e2),
        (Value::Bool(true), 0x1688a833af2a49feef290029609b5f04, 0x43630ab5e8535c4b5ad5700501eceeed),
        (Value::Bool(false), 0x36ef6e65e701813e0479469236329ffc, 0x6f4f2896c30beb39af2179c72223b0ed),
        (Value::None, 0xaf1f14a283058697484a3b2ab8e783b0, 0xecb4a47789074067c8ab265d5d909911),
        (Value::Bytes(vec![]), 0x3563a6af5fb88b283270aa25c4bcdd95, 0x1673ba9c828b75244433595198186f26),
        (Value::Bytes(vec![97, 98, 39, 99]), 0xc92efb27f5f6781c3b46980a5c27a7c1, 0xdaa07fa8560e4bd1485e6860dc9d1550),
        (Value::Bytes(vec![0, 255, 34, 39]), 0x6c6c46dc0a3a9902920b73094b7f7580, 0xf5efcdc6eda4dd79851d4ec9fcf09ae5),
        (Value::List(vec![Value::Int(1), Value::str("a"), Value::Float(2.0), Value::None]), 0x81e4ef69cd419b028275fc345644896e, 0xc783462110ac11fef69a9325c66905e0),
        (Value::List(vec![]), 0x4ee61a8d051fec192a1ee3aa65aad81e, 0x5799b4a160f66e5f6f1a51c74f43c92b),
        (Value::Map(vec![(Value::str("k"), Value::List(vec![Value::Int(1), Value::Int(2)]))]), 0x264aed21ec81ed1997c0946825d9ad67, 0x8a21f0573604bb55f7cee8524787e9ae),
        (Value::Map(vec![(Value::Int(1), Value::str("x"))]), 0x7402dda19ed8bd432bdbab0bdfcff4bc, 0xef6b4cda2414c3d6ae8ef4d9ec592534),
        ]
    }

    #[test]
    fn matches_reference_hashes() {
        for (item, want0, want42) in reference_vectors() {
            assert_eq!(h128(&item, 0), want0, "h128({item:?}, 0)");
            assert_eq!(h128(&item, 42), want42, "h128({item:?}, 42)");
            assert_eq!(h64(&item, 42), want42 as u64);
            let slow = ItemHash::of_repr(pyrepr::repr(&item).as_bytes());
            assert_eq!(slow.h128(0), want0, "generic repr path of {item:?}");
            match &item {
                Value::Str(s) => assert_eq!(h64_str(s, 0), want0 as u64),
                Value::Int(i) => assert_eq!(h64_int(*i, 0), want0 as u64),
                Value::Float(f) => assert_eq!(ItemHash::of_float(*f).h128(0), want0),
                _ => {}
            }
        }
    }

    proptest! {
        #[test]
        fn fast_paths_equal_generic_repr(s in "\\PC*|[\\x00-\\x7f'\"\\\\]*", i in any::<i64>(), seed in any::<u32>()) {
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::str(s.clone())).as_bytes());
            prop_assert_eq!(ItemHash::of_str(&s).h128(seed), via_repr.h128(seed));
            let any_chars: alloc::string::String = s.chars().map(|c| char::from_u32((c as u32).wrapping_mul(7919) % 0x110000).unwrap_or('\u{fffd}')).collect();
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::str(any_chars.clone())).as_bytes());
            prop_assert_eq!(ItemHash::of_str(&any_chars).h128(seed), via_repr.h128(seed));
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::Int(i)).as_bytes());
            prop_assert_eq!(ItemHash::of_int(i).h128(seed), via_repr.h128(seed));
        }
    }
}
