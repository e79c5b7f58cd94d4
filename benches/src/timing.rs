//! Timing shared by the bench binaries: best wall time of several runs.

use std::time::Instant;

/// Best (smallest) wall time in seconds of `reps` runs of `f`.
pub fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
