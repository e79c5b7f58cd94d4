//! Reading inputs with a size check first, and writing outputs atomically:
//! every output goes to a temporary file in the destination directory and is
//! renamed into place only when complete, so a failed command never leaves a
//! partial file and never touches an existing one.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};

/// Read a whole file, refusing it before reading if it is larger than `limit`
/// bytes (and while reading, should it grow past that).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(CliError::io(path))?;
    let meta = file.metadata().map_err(CliError::io(path))?;
    if !meta.is_file() {
        return Err(CliError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > limit {
        return Err(CliError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(CliError::io(path))?;
    if buf.len() as u64 > limit {
        return Err(CliError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

/// Read at most the first `n` bytes of a file (for header checks).
pub fn read_prefix(path: &Path, n: usize) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(CliError::io(path))?;
    let mut buf = Vec::with_capacity(n);
    file.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(CliError::io(path))?;
    Ok(buf)
}

/// Size of a file from its metadata.
pub fn file_size(path: &Path) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(CliError::io(path))?;
    if !meta.is_file() {
        return Err(CliError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    Ok(meta.len())
}

/// Write `data` to `out` atomically (temp file in the same directory, then rename).
pub fn write_atomic(out: &Path, data: &[u8]) -> Result<()> {
    write_atomic_all(&[(out, &[data])])
}

/// Write several outputs: every one is written completely to a temporary file
/// first, and only then are they renamed into place, so a failure while
/// writing leaves none of them.
/// Each output is given as parts written one after the other.
pub fn write_atomic_all(outputs: &[(&Path, &[&[u8]])]) -> Result<()> {
    let mut temps = Vec::with_capacity(outputs.len());
    for (out, parts) in outputs {
        temps.push((*out, write_temp(out, parts)?));
    }
    rename_all(temps)
}

fn write_temp(out: &Path, parts: &[&[u8]]) -> Result<tempfile::NamedTempFile> {
    let mut tmp = temp_for(out)?;
    for data in parts {
        tmp.write_all(data).map_err(CliError::io(out))?;
    }
    tmp.as_file().sync_all().map_err(CliError::io(out))?;
    Ok(tmp)
}

/// Rename complete temporary files into place, in order.
pub fn rename_all(temps: Vec<(&Path, tempfile::NamedTempFile)>) -> Result<()> {
    for (out, tmp) in temps {
        tmp.persist(out).map_err(|e| CliError::Io {
            path: out.to_path_buf(),
            source: e.error,
        })?;
    }
    Ok(())
}

/// An empty temporary file in `out`'s directory, for a caller that writes
/// it itself and then hands it to [`persist_synced`].
pub fn temp_for(out: &Path) -> Result<tempfile::NamedTempFile> {
    let dir: PathBuf = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".crdt-merge-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Like a file created with `open(.., 0o666)`: the umask still applies.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(&dir).map_err(CliError::io(out))
}

/// Finish outputs written into [`temp_for`] files: sync each, then (only
/// when all are synced) write the `extra` outputs the same way and rename
/// everything into place.
pub fn persist_synced(
    written: Vec<(&Path, tempfile::NamedTempFile)>,
    extra: &[(&Path, &[&[u8]])],
) -> Result<()> {
    let mut temps = Vec::with_capacity(written.len() + extra.len());
    for (out, tmp) in written {
        tmp.as_file().sync_all().map_err(CliError::io(out))?;
        temps.push((out, tmp));
    }
    for (out, parts) in extra {
        temps.push((*out, write_temp(out, parts)?));
    }
    rename_all(temps)
}

/// Ask the kernel to start writing `len` bytes at `offset` to disk now, so
/// that the final `fsync` finds little left to do (Linux; elsewhere nothing).
#[cfg(target_os = "linux")]
pub fn start_writeback(file: &File, offset: u64, len: usize) {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on an open descriptor; it reads no memory
    // of ours, and its result is only advice (errors surface at fsync).
    #[allow(unsafe_code)]
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub fn start_writeback(_file: &File, _offset: u64, _len: usize) {}

/// Bytes written between two [`start_writeback`] calls of [`Writeback`].
const WRITEBACK_STEP: u64 = 8 << 20;

/// A file written front to back that starts writing back each
/// [`WRITEBACK_STEP`] bytes as they are written (as RocksDB's
/// `bytes_per_sync`): the kernel allocates blocks while the output is still
/// being made, instead of all at once when the finished file is renamed
/// over an old one (ext4's `auto_da_alloc`) or synced.
pub struct Writeback<'f> {
    file: &'f File,
    started: u64,
    written: u64,
}

impl<'f> Writeback<'f> {
    /// Write `file` from its current end, which must be offset 0.
    pub fn new(file: &'f File) -> Writeback<'f> {
        Writeback {
            file,
            started: 0,
            written: 0,
        }
    }
}

impl Write for Writeback<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = (&*self.file).write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_STEP {
            start_writeback(
                self.file,
                self.started,
                (self.written - self.started) as usize,
            );
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&*self.file).flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything written through `Writeback`, in pieces of every size
    /// across several writeback steps, reads back the same.
    #[test]
    fn writeback_keeps_every_byte() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..(3 * WRITEBACK_STEP as usize + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut w = Writeback::new(tmp.as_file());
        let mut rest = &data[..];
        let mut n = 1;
        while !rest.is_empty() {
            let k = n.min(rest.len());
            w.write_all(&rest[..k]).unwrap();
            rest = &rest[k..];
            n = n * 3 + 1;
        }
        w.flush().unwrap();
        assert_eq!(w.written, data.len() as u64);
        assert!(w.started > 0 && w.written - w.started < WRITEBACK_STEP);
        assert_eq!(std::fs::read(tmp.path()).unwrap(), data);
    }
}
