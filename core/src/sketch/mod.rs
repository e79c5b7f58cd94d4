//! Mergeable sketches, bit-identical to the reference for the same items:
//! [`hash`] (MD5 of Python `repr` + seed), [`hll`] (HyperLogLog),
//! [`bloom`] (Bloom filter), [`cms`] (Count-Min sketch).
//!
//! Each sketch takes items as a [`crate::Value`] (`add`), or through the
//! allocation-free `add_str` / `add_int` paths, which hash exactly like the
//! corresponding `Value::Str` / `Value::Int`.

pub mod hash;

pub use hash::{h128, h64, h64_int, h64_str, ItemHash};

/// Natural log as the reference's platform (glibc) computes it: the system
/// libm with `std`, the portable `libm` crate without.
#[inline]
#[allow(dead_code)]
pub(crate) fn ln(x: f64) -> f64 {
    #[cfg(feature = "std")]
    {
        x.ln()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::log(x)
    }
}
