//! `str.isprintable()` of CPython 3.11 (Unicode 14.0) for one character,
//! which decides whether `repr()` escapes it.
//!
//! PROVISIONAL: covers ASCII, Latin-1 and the common non-printable ranges;
//! the generated full table replaces this (see conformance/gen_printable.py).

/// Whether CPython's `repr()` prints `c` as is.
pub fn is_printable(c: char) -> bool {
    let u = c as u32;
    if u < 0x20 || (0x7f..=0xa0).contains(&u) || u == 0xad {
        return false;
    }
    !matches!(u,
        0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xd800..=0xf8ff
        | 0xfeff | 0xfff9..=0xfffb | 0xfffe..=0xffff | 0x1680 | 0x180e
        | 0xe0000..=0xe0fff | 0xf0000..=0x10ffff)
}
