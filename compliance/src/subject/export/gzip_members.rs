//! The archive's gzip stream, compressed where it pays: a gzip file is a series of members
//! (RFC 1952 §2.2), each with its own compression level, and every reader of `.tar.gz`
//! (GNU tar through gzip, Python's `tarfile`/`gzip`, `flate2`'s multi-member decoder) reads
//! them as one stream. Text and JSON go in members at the default level; a stored file that
//! is already compressed (a photo, a video, a zip) goes in a member at level 0, whose deflate
//! blocks only copy the bytes: deflating it again would cost most of the export's time and
//! save nothing (issue 12 §5).
//!
//! Whether a file pays is decided by a trial: its first 64 KiB deflated at the fastest level
//! ([`worth_compressing`]); any format, known or not, is judged the same way.

use std::io::{self, Read, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Bytes of a file's start the trial compresses.
pub const TRIAL_BYTES: usize = 64 * 1024;

/// A trial that shrinks the sample by less than this share (percent) means "already
/// compressed".
const MIN_SAVING_PERCENT: usize = 5;

/// A gzip writer that starts a new member whenever the level changes.
pub struct MemberWriter<W: Write> {
    encoder: Option<GzEncoder<W>>,
    level: Compression,
}

impl<W: Write> MemberWriter<W> {
    /// A writer whose first member uses `level`.
    pub fn new(inner: W, level: Compression) -> Self {
        MemberWriter {
            encoder: Some(GzEncoder::new(inner, level)),
            level,
        }
    }

    /// Writes what follows at `level`: the current member is finished and a new one begun
    /// when the level differs (nothing happens otherwise).
    ///
    /// Errors: the inner writer's.
    pub fn set_level(&mut self, level: Compression) -> io::Result<()> {
        if level == self.level {
            return Ok(());
        }
        let inner = self.take()?.finish()?;
        self.encoder = Some(GzEncoder::new(inner, level));
        self.level = level;
        Ok(())
    }

    /// Finishes the last member and returns the inner writer.
    ///
    /// Errors: the inner writer's.
    pub fn finish(mut self) -> io::Result<W> {
        self.take()?.finish()
    }

    fn take(&mut self) -> io::Result<GzEncoder<W>> {
        self.encoder
            .take()
            .ok_or_else(|| io::Error::other("the gzip stream was already finished"))
    }

    fn encoder(&mut self) -> io::Result<&mut GzEncoder<W>> {
        self.encoder
            .as_mut()
            .ok_or_else(|| io::Error::other("the gzip stream was already finished"))
    }
}

impl<W: Write> Write for MemberWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.encoder()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder()?.flush()
    }
}

/// Whether the bytes `reader` starts with shrink when deflated (reads at most
/// [`TRIAL_BYTES`]): `false` for already-compressed formats. An empty sample compresses.
///
/// Errors: the reader's.
pub fn worth_compressing(reader: impl Read) -> io::Result<bool> {
    let mut sample = Vec::with_capacity(TRIAL_BYTES);
    reader.take(TRIAL_BYTES as u64).read_to_end(&mut sample)?;
    if sample.is_empty() {
        return Ok(true);
    }
    let mut trial = flate2::write::DeflateEncoder::new(Vec::new(), Compression::fast());
    trial.write_all(&sample)?;
    let compressed = trial.finish()?.len();
    Ok(compressed * 100 < sample.len() * (100 - MIN_SAVING_PERCENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes no deflate can shrink (xorshift64), like a photo's or a video's.
    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn members_of_two_levels_read_back_as_one_stream() -> io::Result<()> {
        let text = b"the same words again and again ".repeat(1000);
        let noise = noise(100_000);
        let mut w = MemberWriter::new(Vec::new(), Compression::default());
        w.write_all(&text)?;
        w.set_level(Compression::none())?;
        w.write_all(&noise)?;
        w.set_level(Compression::default())?;
        w.write_all(&text)?;
        let gz = w.finish()?;
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(gz.as_slice()).read_to_end(&mut back)?;
        assert_eq!(back, [text.as_slice(), &noise, &text].concat());
        // The noise is stored, not deflated: the stream is barely larger than it.
        assert!(gz.len() < noise.len() + 2_000, "{}", gz.len());
        Ok(())
    }

    #[test]
    fn the_trial_tells_text_from_compressed_bytes() -> io::Result<()> {
        assert!(worth_compressing(&b"hello hello hello hello"[..])?);
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&b"some text to squeeze ".repeat(10_000))?;
        let already = gz.finish()?;
        let noise = noise(100_000);
        assert!(!worth_compressing(noise.as_slice())?);
        // A gzip file's few bytes of header do not make it worth deflating again.
        assert!(already.len() < 1_000 || !worth_compressing(already.as_slice())?);
        assert!(worth_compressing(&[][..])?);
        Ok(())
    }
}
