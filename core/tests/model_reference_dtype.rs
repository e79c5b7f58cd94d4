//! dtype conversions against the `half` crate: every f16/bf16 value
//! decodes exactly, and f32 → f16/bf16 rounds to nearest even on a dense
//! sweep of f32 bit patterns (including subnormals, ties, overflow, NaN).

use crdt_merge_core::model::dtype::{
    bf16_to_f32, decode, encode, f16_to_f32, f32_to_bf16, f32_to_f16, Dtype,
};

#[test]
fn every_half_value_decodes_exactly() {
    for h in 0..=u16::MAX {
        let a = f16_to_f32(h);
        let b = half::f16::from_bits(h).to_f32();
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "f16 {h:#x}"
        );
        let a = bf16_to_f32(h);
        let b = half::bf16::from_bits(h).to_f32();
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "bf16 {h:#x}"
        );
        if !a.is_nan() {
            assert_eq!(f32_to_bf16(a), h);
        }
        let f = f16_to_f32(h);
        if !f.is_nan() {
            assert_eq!(f32_to_f16(f), h);
        }
    }
}

#[test]
fn rounding_matches_half_on_a_dense_sweep() {
    let mut x: u32 = 0;
    loop {
        let f = f32::from_bits(x);
        let (a, b) = (f32_to_f16(f), half::f16::from_f32(f).to_bits());
        assert!(
            a == b || (f.is_nan() && (a & 0x7c00) == 0x7c00 && (a & 0x3ff) != 0),
            "f16 of {x:#x}: {a:#x} vs {b:#x}"
        );
        let (a, b) = (f32_to_bf16(f), half::bf16::from_f32(f).to_bits());
        assert!(
            a == b || (f.is_nan() && (a & 0x7f80) == 0x7f80 && (a & 0x7f) != 0),
            "bf16 of {x:#x}: {a:#x} vs {b:#x}"
        );
        match x.checked_add(997) {
            Some(n) => x = n,
            None => break,
        }
    }
}

#[test]
fn byte_round_trip_and_bad_length() {
    let v = [1.0f32, -2.5, 65504.0, 1e-7, 0.0];
    for d in [Dtype::F32, Dtype::F16, Dtype::BF16] {
        let bytes = encode(&v, d);
        assert_eq!(bytes.len(), v.len() * d.size());
        let back = decode(&bytes, d).unwrap();
        assert_eq!(encode(&back, d), bytes);
        assert!(decode(&bytes[..bytes.len() - 1], d).is_err());
    }
    assert_eq!(decode(&encode(&v, Dtype::F32), Dtype::F32).unwrap(), v);
    assert_eq!("bf16".parse::<Dtype>().unwrap(), Dtype::BF16);
    assert!("f8".parse::<Dtype>().is_err());
}
