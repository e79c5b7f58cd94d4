//! Helpers shared by the CLI integration tests: run the built binary and
//! locate fixtures made by the reference (see fixtures/gen.py).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_crdt-merge");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// Output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert success and return stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, stderr: {}", self.stderr);
        assert_eq!(self.stderr, "", "no stderr on success");
        &self.stdout
    }

    /// Assert a data error: exit 1, exactly one stderr line `crdt-merge: <file>: ...`
    /// containing `needle`, nothing on stdout.
    pub fn data_error(&self, file: &Path, needle: &str) {
        assert_eq!(self.code, 1, "expected exit 1, stderr: {:?}", self.stderr);
        assert!(
            self.stderr.ends_with('\n'),
            "stderr ends with a newline: {:?}",
            self.stderr
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "exactly one stderr line: {:?}",
            self.stderr
        );
        let prefix = format!("crdt-merge: {}: ", file.display());
        assert!(
            self.stderr.starts_with(&prefix),
            "stderr {:?} starts with {:?}",
            self.stderr,
            prefix
        );
        assert!(
            self.stderr.contains(needle),
            "stderr {:?} contains {:?}",
            self.stderr,
            needle
        );
        assert!(
            !self.stderr.contains("panicked"),
            "no panic: {:?}",
            self.stderr
        );
        assert_eq!(self.stdout, "", "no stdout on error");
    }
}

pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(BIN).args(args).output().unwrap();
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// All single-frame fixtures.
pub const FRAMES: &[&str] = &[
    "gcounter_a.crdt",
    "gcounter_b.crdt",
    "gcounter_c.crdt",
    "gcounter_ab.crdt",
    "gcounter_abc.crdt",
    "pncounter.crdt",
    "lww_register.crdt",
    "generic.crdt",
    "generic_compressed.crdt",
    "vector_clock.crdt",
    "hll_compressed.crdt",
    "schema_change.crdt",
];

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Files in `dir` (to check that no temporary file was left behind).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
