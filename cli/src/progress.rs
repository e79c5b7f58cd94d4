//! A progress bar on stderr for long work, shown only when stderr is a
//! terminal; hidden (and free) otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Work above this many input bytes counts as long.
pub const LONG_BYTES: u64 = 64 << 20;
/// Work over more than this many files counts as long.
pub const LONG_FILES: usize = 8;

/// A bar over `total_bytes` of input in `files` files; hidden unless the work
/// is long and stderr is a terminal.
pub fn bar(total_bytes: u64, files: usize, what: &str) -> ProgressBar {
    let long = total_bytes > LONG_BYTES || files > LONG_FILES;
    if !long || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}
