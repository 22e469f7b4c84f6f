//! SHA-256 digests of the files a sink writes, for `manifest.json`.
//!
//! The large row files are hashed as their bytes go out ([`Tap`], inside
//! [`Appender`](super::sink::Appender)): the text is still in the CPU's cache,
//! and the writer thread that hashes it runs while the next batch is being
//! generated, so hashing costs no second pass over the files. The other
//! files (small, or written by libraries such as the Parquet encoder) are
//! hashed once complete ([`digest_file`]).
//!
//! Without the `json` feature no manifest is written: [`Tap`] and
//! [`Digests`] are empty and hash nothing.

#![cfg_attr(not(feature = "json"), allow(dead_code))]

/// Size and SHA-256 of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileDigest {
    /// Its size in bytes.
    pub(crate) bytes: u64,
    /// Its SHA-256.
    pub(crate) sha256: [u8; 32],
}

/// The digests computed while writing, by file name (relative to the
/// output directory). Clones share one table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Digests {
    #[cfg(feature = "json")]
    table: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, FileDigest>>>,
}

impl Digests {
    /// Takes the digest recorded for `name`, if any.
    #[cfg(feature = "json")]
    pub(crate) fn take(&self, name: &str) -> Option<FileDigest> {
        // A panic elsewhere cannot leave the table half-updated (inserts are whole).
        let mut table = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        table.remove(name)
    }

    #[cfg(feature = "json")]
    fn record(&self, name: String, digest: FileDigest) {
        let mut table = self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        table.insert(name, digest);
    }
}

/// Hashes the bytes of one file as they are written, and records the
/// digest in its [`Digests`] when the file is complete.
#[derive(Debug)]
pub(crate) struct Tap {
    #[cfg(feature = "json")]
    sha: sha2::Sha256,
    #[cfg(feature = "json")]
    bytes: u64,
    #[cfg(feature = "json")]
    name: String,
    #[cfg(feature = "json")]
    log: Digests,
}

impl Tap {
    /// A tap for the file `name` (relative to the output directory), recording into `log`.
    pub(crate) fn new(log: &Digests, name: &str) -> Tap {
        #[cfg(feature = "json")]
        return Tap {
            sha: <sha2::Sha256 as sha2::Digest>::new(),
            bytes: 0,
            name: name.to_owned(),
            log: log.clone(),
        };
        #[cfg(not(feature = "json"))]
        {
            let _ = (log, name);
            Tap {}
        }
    }

    /// Adds the next bytes of the file.
    #[inline]
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        #[cfg(feature = "json")]
        {
            sha2::Digest::update(&mut self.sha, bytes);
            self.bytes += bytes.len() as u64;
        }
        #[cfg(not(feature = "json"))]
        let _ = bytes;
    }

    /// The file is complete: records its digest.
    pub(crate) fn finish(self) {
        #[cfg(feature = "json")]
        {
            let log = self.log.clone();
            let name = self.name.clone();
            log.record(name, self.into_digest());
        }
    }

    /// The size and SHA-256 of what went through, without recording them.
    #[cfg(feature = "json")]
    pub(crate) fn into_digest(self) -> FileDigest {
        FileDigest {
            bytes: self.bytes,
            sha256: sha2::Digest::finalize(self.sha).into(),
        }
    }
}

/// A [`std::io::Write`] that hashes what it passes to `inner`.
#[derive(Debug)]
pub(crate) struct TapWriter<W> {
    pub(crate) inner: W,
    pub(crate) tap: Tap,
}

impl<W: std::io::Write> std::io::Write for TapWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.tap.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads the file at `path` and returns its size and SHA-256.
#[cfg(feature = "json")]
pub(crate) fn digest_file(path: &std::path::Path) -> std::io::Result<FileDigest> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileDigest {
        bytes,
        sha256: sha.finalize().into(),
    })
}

/// Lower-case hexadecimal of a digest.
#[cfg(feature = "json")]
pub(crate) fn hex(sha256: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(64);
    for b in sha256 {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of `bytes`, in hexadecimal.
#[cfg(all(test, feature = "json"))]
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes).into())
}
