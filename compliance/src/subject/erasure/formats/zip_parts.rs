//! Office documents and other ZIP archives: every part is searched, a text or XML part that
//! names the subject is rewritten inside a copy of the archive (the other parts copied
//! byte for byte, compressed as they were), and the file is withheld when the name
//! survives the rewrite (see the module doc of `formats`).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{FileRedaction, MAX_ENTRIES, MAX_EXPANDED_BYTES, markup_text, printable_runs};
use crate::subject::identifiers::SubjectIdentifiers;

/// How a part is read, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// XML or HTML: raw text rewritten, visible text checked.
    Markup,
    /// Plain text: rewritten.
    Text,
    /// Anything else: printable runs checked.
    Binary,
}

fn part_of(name: &str, bytes: &[u8]) -> Part {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("xml" | "rels" | "xhtml" | "html" | "htm" | "opf" | "ncx" | "svg") => Part::Markup,
        _ if std::str::from_utf8(bytes).is_ok() => Part::Text,
        _ => Part::Binary,
    }
}

/// A part that the copy writes anew.
struct Rewrite {
    index: usize,
    name: String,
    method: CompressionMethod,
    bytes: Vec<u8>,
}

/// What erasure does with the ZIP archive `bytes` (see the module doc); bytes that are not
/// a readable archive are checked as "anything else".
pub(super) fn redact(ids: &SubjectIdentifiers, replacement: &str, bytes: &[u8]) -> FileRedaction {
    redact_at(ids, replacement, bytes, 0)
}

/// How deep archives inside archives are opened (a ZIP in a ZIP in a ZIP at most).
const MAX_DEPTH: u8 = 2;

/// [`redact`] of an archive `depth` levels inside the uploaded one.
fn redact_at(
    ids: &SubjectIdentifiers,
    replacement: &str,
    bytes: &[u8],
    depth: u8,
) -> FileRedaction {
    let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
        return super::other_bytes(ids, bytes);
    };
    if archive.len() > MAX_ENTRIES {
        return unchecked(ids, bytes);
    }
    let escaped = quick_xml::escape::escape(replacement).into_owned();
    let mut rewrites = Vec::new();
    let mut expanded = 0u64;
    for index in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(index) else {
            // Encrypted, or a compression method this build does not read.
            return unchecked(ids, bytes);
        };
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        if ids.mentioned_in(&name) {
            return FileRedaction::Withheld;
        }
        if entry.is_dir() {
            continue;
        }
        expanded = expanded.saturating_add(entry.size());
        if expanded > MAX_EXPANDED_BYTES {
            return unchecked(ids, bytes);
        }
        let mut data = Vec::new();
        if (&mut entry)
            .take(MAX_EXPANDED_BYTES)
            .read_to_end(&mut data)
            .is_err()
        {
            return unchecked(ids, bytes);
        }
        let method = entry.compression();
        let outcome = if data.starts_with(b"PK\x03\x04") {
            nested(ids, replacement, &data, depth)
        } else {
            part_redaction(ids, replacement, &escaped, &name, &data)
        };
        match outcome {
            PartOutcome::Clean => {}
            PartOutcome::Rewritten(bytes) => rewrites.push(Rewrite {
                index,
                name,
                method,
                bytes,
            }),
            PartOutcome::Withheld => return FileRedaction::Withheld,
            PartOutcome::Unchecked => return unchecked(ids, bytes),
        }
    }
    if rewrites.is_empty() {
        return FileRedaction::Clean;
    }
    match copy_with(&mut archive, &rewrites) {
        Ok(copy) => FileRedaction::Rewritten(copy),
        // The archive read but does not copy: it names the subject, so it cannot stay.
        Err(_) => FileRedaction::Withheld,
    }
}

/// A ZIP inside the archive: opened as one, down to [`MAX_DEPTH`]; deeper, or unreadable,
/// it cannot be checked, and an archive holding it names nobody only if its raw bytes do not.
fn nested(ids: &SubjectIdentifiers, replacement: &str, data: &[u8], depth: u8) -> PartOutcome {
    if depth >= MAX_DEPTH {
        return PartOutcome::Unchecked;
    }
    match redact_at(ids, replacement, data, depth + 1) {
        FileRedaction::Clean => PartOutcome::Clean,
        FileRedaction::Rewritten(bytes) => PartOutcome::Rewritten(bytes),
        FileRedaction::Withheld => PartOutcome::Withheld,
        FileRedaction::Unchecked => PartOutcome::Unchecked,
    }
}

enum PartOutcome {
    Clean,
    Rewritten(Vec<u8>),
    Withheld,
    Unchecked,
}

fn part_redaction(
    ids: &SubjectIdentifiers,
    replacement: &str,
    escaped: &str,
    name: &str,
    data: &[u8],
) -> PartOutcome {
    let part = part_of(name, data);
    let Some(text) = std::str::from_utf8(data)
        .ok()
        .filter(|_| part != Part::Binary)
    else {
        return if printable_runs::mention_in_metadata(ids, data) {
            PartOutcome::Withheld
        } else {
            PartOutcome::Clean
        };
    };
    if part == Part::Text {
        return match super::text_forms::redact(ids, replacement, text) {
            super::text_forms::TextRedaction::Clean => PartOutcome::Clean,
            super::text_forms::TextRedaction::Rewritten(t) => {
                PartOutcome::Rewritten(t.into_bytes())
            }
            super::text_forms::TextRedaction::StillNamed => PartOutcome::Withheld,
        };
    }
    let redacted = ids.redact(text, escaped);
    let after = redacted.as_deref().unwrap_or(text);
    if part == Part::Markup && ids.mentioned_in(&markup_text::visible_text(after)) {
        return PartOutcome::Withheld;
    }
    match redacted {
        Some(r) => PartOutcome::Rewritten(r.into_bytes()),
        None => PartOutcome::Clean,
    }
}

/// A copy of `archive` with the `rewrites` parts replaced, every other entry copied raw
/// (same compressed bytes, same order: an ODF or EPUB `mimetype` stays first and stored).
fn copy_with(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    rewrites: &[Rewrite],
) -> zip::result::ZipResult<Vec<u8>> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        match rewrites.iter().find(|r| r.index == index) {
            Some(r) => {
                let method = match r.method {
                    CompressionMethod::Stored => CompressionMethod::Stored,
                    _ => CompressionMethod::Deflated,
                };
                let options = SimpleFileOptions::default().compression_method(method);
                out.start_file(r.name.as_str(), options)?;
                out.write_all(&r.bytes)?;
            }
            None => out.raw_copy_file(archive.by_index_raw(index)?)?,
        }
    }
    Ok(out.finish()?.into_inner())
}

/// An archive that cannot be read whole: withheld when its raw bytes name the subject
/// anyway, otherwise unchecked.
fn unchecked(ids: &SubjectIdentifiers, bytes: &[u8]) -> FileRedaction {
    if printable_runs::mention_in_metadata(ids, bytes) {
        FileRedaction::Withheld
    } else {
        FileRedaction::Unchecked
    }
}
