//! Finding the subject in a stored file by its format, and what erasure does with a file
//! that names them (policy: "an erased person is gone from everything we keep"; data map
//! `redact_contents`).
//!
//! | format | how it is read | when it names the subject |
//! |---|---|---|
//! | text (`text/*`, JSON, XML, YAML; UTF-8, or UTF-16 with a byte-order mark) | the whole text, JSON strings unescaped, and its decoded forms: character references, markup's visible text, a mail message's decoded headers and parts, base64 blocks | rewritten: every match replaced by the pseudonym (JSON re-serialised when an escape hid one); **withheld** when only a decoded form names them |
//! | ZIP containers (office documents: `.docx` `.xlsx` `.pptx` `.odt` `.ods` `.odp`, EPUB, plain `.zip`) | every entry: text and XML parts as text, the visible text of XML parts (tags dropped, entities resolved), a ZIP inside (two levels deep) as a ZIP, other parts as below | rewritten: the matching parts are rewritten in place, the others copied byte for byte; **withheld** when a match survives that (a name split across formatting runs, a part that is not text, an entry's own name) |
//! | PDF | the text of every page, every string object (document info, annotations, bookmarks), every stream decompressed | **withheld** (a PDF cannot be rewritten without breaking its layout) |
//! | gzip | the decompressed bytes, as "anything else" | **withheld** |
//! | anything else (images, audio, video, a legacy `.doc`, unknown bytes) | runs of printable characters in the bytes read as UTF-8, as Latin-1 and as UTF-16 (Latin, Greek, Cyrillic, Hebrew and Arabic letters), in the first and last MiB of a larger file (metadata: EXIF, PNG text chunks, XMP, ID3) | **withheld** |
//!
//! *Withheld* means the file's content is replaced by a short plain-text notice saying it
//! was removed because it named a person whose data was erased; the row keeps its place on
//! the order (the other party sees that a file was there). A file larger than
//! [`MAX_READ_BYTES`], an archive that expands past [`MAX_EXPANDED_BYTES`] or has more than
//! [`MAX_ENTRIES`] entries, an encrypted archive or PDF, is *unchecked*: kept as uploaded
//! and counted in the erasure's outcome (`files_unchecked`), so staff can review it by hand.
//! Text drawn as vector outlines or pixels (a scan, a photo of a name) is not text and is
//! not found.

mod markup_text;
mod pdf_text;
mod printable_runs;
mod text_forms;
mod zip_parts;

use std::io::Read;

use crate::subject::identifiers::SubjectIdentifiers;

/// Largest stored file erasure reads (bytes); uploads are limited to 25 MiB by default.
pub const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes an archive (ZIP, gzip) may expand to before it is left unchecked (bytes): a
/// compression bomb uploaded by anyone must not exhaust memory during an erasure.
pub const MAX_EXPANDED_BYTES: u64 = 256 * 1024 * 1024;

/// Most entries a ZIP archive may have before it is left unchecked.
pub const MAX_ENTRIES: usize = 10_000;

/// What erasure does with one stored file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRedaction {
    /// Names nobody erasure looks for: kept as is.
    Clean,
    /// The same format with every match replaced by the pseudonym (text, ZIP parts).
    Rewritten(Vec<u8>),
    /// Names the subject where it cannot be rewritten without damage: replaced by
    /// [`withheld_notice`] (`text/plain`).
    Withheld,
    /// Could not be read within the limits above, or is encrypted: kept as uploaded and
    /// reported for review by hand.
    Unchecked,
}

/// The format families of the table in the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Zip,
    Pdf,
    Gzip,
    Other,
}

impl Format {
    /// The family of a file sniffed as `mime` (the upload's `mime_type`).
    fn of(mime: &str) -> Self {
        let mime = mime.split(';').next().unwrap_or_default().trim();
        if mime.starts_with("text/")
            || matches!(
                mime,
                "application/json" | "application/xml" | "application/yaml" | "application/x-yaml"
            )
        {
            Self::Text
        } else if mime == "application/zip"
            || mime == "application/epub+zip"
            || mime.starts_with("application/vnd.openxmlformats-officedocument.")
            || mime.starts_with("application/vnd.oasis.opendocument.")
        {
            Self::Zip
        } else if mime == "application/pdf" {
            Self::Pdf
        } else if mime == "application/gzip" {
            Self::Gzip
        } else {
            Self::Other
        }
    }
}

/// What erasure does with `bytes`, a stored file sniffed as `mime`, for the subject `ids`:
/// matches are replaced by `replacement` (the pseudonym) where the format allows. CPU-bound
/// (run it on a blocking thread); never fails: what cannot be read is
/// [`FileRedaction::Unchecked`] or read as plain bytes.
pub fn redact_file(
    ids: &SubjectIdentifiers,
    replacement: &str,
    bytes: &[u8],
    mime: &str,
) -> FileRedaction {
    if ids.is_empty() {
        return FileRedaction::Clean;
    }
    // UTF-16 text is sniffed as bytes: its mark says what it is.
    if let Some((text, big)) = text_forms::utf16_with_bom(bytes) {
        return match text_file(ids, replacement, &text) {
            FileRedaction::Rewritten(utf8) => FileRedaction::Rewritten(
                text_forms::to_utf16_with_bom(&String::from_utf8_lossy(&utf8), big),
            ),
            other => other,
        };
    }
    match Format::of(mime) {
        Format::Text => match std::str::from_utf8(bytes) {
            Ok(text) => text_file(ids, replacement, text),
            Err(_) => other_bytes(ids, bytes),
        },
        Format::Zip => zip_parts::redact(ids, replacement, bytes),
        Format::Pdf => pdf_text::check(ids, bytes),
        Format::Gzip => gzip(ids, bytes),
        Format::Other => other_bytes(ids, bytes),
    }
}

/// A text file: rewritten where its plain text or JSON strings name the subject; withheld
/// when an encoded form still does (see [`text_forms`]).
fn text_file(ids: &SubjectIdentifiers, replacement: &str, text: &str) -> FileRedaction {
    match text_forms::redact(ids, replacement, text) {
        text_forms::TextRedaction::Clean => FileRedaction::Clean,
        text_forms::TextRedaction::Rewritten(t) => FileRedaction::Rewritten(t.into_bytes()),
        text_forms::TextRedaction::StillNamed => FileRedaction::Withheld,
    }
}

/// "Anything else": withheld when a printable run of the bytes' metadata names the subject.
fn other_bytes(ids: &SubjectIdentifiers, bytes: &[u8]) -> FileRedaction {
    if printable_runs::mention_in_metadata(ids, bytes) {
        FileRedaction::Withheld
    } else {
        FileRedaction::Clean
    }
}

/// A gzip file: its decompressed bytes are checked as "anything else" (a `.tar.gz` of text
/// files is found too: tar keeps file contents as plain bytes).
fn gzip(ids: &SubjectIdentifiers, bytes: &[u8]) -> FileRedaction {
    if printable_runs::mention_in_metadata(ids, bytes) {
        return FileRedaction::Withheld;
    }
    let mut inner = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_EXPANDED_BYTES + 1)
        .read_to_end(&mut inner);
    let complete = read.is_ok() && (inner.len() as u64) <= MAX_EXPANDED_BYTES;
    match (printable_runs::mention(ids, &inner), complete) {
        (true, _) => FileRedaction::Withheld,
        (false, true) => FileRedaction::Clean,
        (false, false) => FileRedaction::Unchecked,
    }
}

/// The content that replaces a withheld file (UTF-8 text, names nobody): says what it was
/// (`mime`, `size` in bytes) and why it is gone, so the other party on the order is not left
/// with a broken download.
pub fn withheld_notice(mime: &str, size: u64, erased_on: &str) -> String {
    format!(
        "This file was removed from heepr on {erased_on}.\n\
         \n\
         It named a person whose personal data was erased at their request or under heepr's\n\
         privacy policy, and a file of this type ({mime}, {size} bytes) cannot be redacted\n\
         without damaging it. The order and its other records are kept.\n"
    )
}

#[cfg(test)]
mod tests;
