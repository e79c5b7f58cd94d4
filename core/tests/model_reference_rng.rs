//! The counter-based RNG: Philox4x32-10 known-answer vectors (Random123's
//! kat_vectors), the key derivation documented in wire-spec/model.md, and
//! the statistical shape of the uniform and normal draws.

use crdt_merge_core::model::rng::{philox4x32_10, to_unit, Purpose, TensorRng};

#[test]
fn philox_known_answers() {
    assert_eq!(
        philox4x32_10([0; 4], [0; 2]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0]
        ),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

#[test]
fn key_is_seed_xor_sha256_prefix_of_name() {
    // SHA-256("") = e3b0c442 98fc1c14 ...; first 8 bytes little-endian.
    let h = u64::from_le_bytes([0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14]);
    let r = TensorRng::new(42, "");
    let k = 42 ^ h;
    assert_eq!(r.key(), [k as u32, (k >> 32) as u32]);
    // The documented vector of wire-spec/model.md.
    let r = TensorRng::new(42, "layer.weight");
    let b = r.block(7, 1, Purpose::Mask);
    assert_eq!(b, philox4x32_10([7, 0, 1, 1], r.key()));
    assert_eq!(r.uniform(7, 1, Purpose::Mask), to_unit(b[0], b[1]));
    assert_eq!(r.key(), [0x1e5f79c2, 0x0f10b103]);
    assert_eq!(b, [0x3e54f244, 0x5581f949, 0x70906cd8, 0x4a5ac9a3]);
    assert_eq!(r.uniform(7, 1, Purpose::Mask), 0.2434836785155382);
}

#[test]
fn uniform_and_normal_moments() {
    let r = TensorRng::new(7, "w");
    let n = 200_000u64;
    let (mut s, mut s2) = (0.0, 0.0);
    let (mut g, mut g2) = (0.0, 0.0);
    for i in 0..n {
        let u = r.uniform(i, 0, Purpose::Mask);
        assert!((0.0..1.0).contains(&u));
        s += u;
        s2 += u * u;
        let z = r.normal(i, 0, Purpose::Search);
        g += z;
        g2 += z * z;
    }
    let nf = n as f64;
    assert!((s / nf - 0.5).abs() < 0.005);
    assert!((s2 / nf - s * s / nf / nf - 1.0 / 12.0).abs() < 0.002);
    assert!((g / nf).abs() < 0.01);
    assert!((g2 / nf - 1.0).abs() < 0.02);
    assert_eq!(to_unit(0, 0), 0.0);
    assert!(to_unit(u32::MAX, u32::MAX) < 1.0);
}
