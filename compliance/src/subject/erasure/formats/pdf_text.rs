//! PDFs: searched, never rewritten (replacing text in a content stream moves glyphs and
//! breaks the layout; true redaction removes them). The text searched: each page's text
//! (strings decoded by their fonts' encodings and ToUnicode maps, letters that a `TJ`
//! array kerns apart joined again), every string object
//! (the document information dictionary's Author and Title, annotations, bookmarks, form
//! fields; UTF-16 or PDFDocEncoding), and every stream decompressed (XMP metadata,
//! content streams whose strings are plain).

use lopdf::{Document, Object};

use super::{FileRedaction, MAX_EXPANDED_BYTES, printable_runs};
use crate::subject::identifiers::SubjectIdentifiers;

/// What erasure does with the PDF `bytes`: withheld when they name the subject, unchecked
/// when they are encrypted or unreadable and their raw bytes do not.
pub(super) fn check(ids: &SubjectIdentifiers, bytes: &[u8]) -> FileRedaction {
    if printable_runs::mention_in_metadata(ids, bytes) {
        return FileRedaction::Withheld;
    }
    // A parser facing hostile input: a panic in it must not end the erasure.
    let parsed = std::panic::catch_unwind(|| Document::load_mem(bytes).ok());
    let Ok(Some(doc)) = parsed else {
        return FileRedaction::Unchecked;
    };
    if doc.is_encrypted() {
        return FileRedaction::Unchecked;
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| search(ids, &doc)))
        .unwrap_or(FileRedaction::Unchecked)
}

/// Withheld when the document's text names the subject; unchecked when its streams expand
/// past [`MAX_EXPANDED_BYTES`] before a mention is found.
fn search(ids: &SubjectIdentifiers, doc: &Document) -> FileRedaction {
    for page_id in doc.get_pages().into_values() {
        if ids.mentioned_in(&page_text(doc, page_id)) {
            return FileRedaction::Withheld;
        }
    }
    let mut strings = String::new();
    let mut budget = usize::try_from(MAX_EXPANDED_BYTES).unwrap_or(usize::MAX);
    let mut complete = true;
    for object in doc.objects.values() {
        if let Object::Stream(stream) = object {
            match stream.decompressed_content_with_limit(budget) {
                Ok(content) => {
                    budget = budget.saturating_sub(content.len());
                    // An image's samples hold no text; its stream dictionary is read below.
                    let is_image = stream.dict.get(b"Subtype").and_then(Object::as_name).ok()
                        == Some(b"Image".as_slice());
                    if !is_image && printable_runs::mention(ids, &content) {
                        return FileRedaction::Withheld;
                    }
                }
                Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                })) => complete = false,
                // A filter lopdf does not decode (DCT, JBIG2...): image data.
                Err(_) => {}
            }
        }
        collect_strings(object, &mut strings, 0);
    }
    if ids.mentioned_in(&strings) {
        FileRedaction::Withheld
    } else if complete {
        FileRedaction::Clean
    } else {
        FileRedaction::Unchecked
    }
}

/// Most bytes one page's content may decompress to (bytes).
const MAX_PAGE_CONTENT: usize = 64 * 1024 * 1024;

/// A kerning adjustment in a `TJ` array wider than this (thousandths of the font size,
/// moving right) reads as a space between words; narrower ones join the letters around it
/// (`[(Ana Mü) -30 (ller)] TJ` shows "Ana Müller"). Word spaces are about 250–330.
const WORD_GAP: f32 = 200.0;

/// The text shown on one page: its strings decoded by their fonts' encodings (ToUnicode
/// maps included), a line break for every text-positioning operator, a space for every
/// wide `TJ` gap.
fn page_text(doc: &Document, page_id: lopdf::ObjectId) -> String {
    let Ok(data) = doc.get_page_content_with_limit(page_id, MAX_PAGE_CONTENT) else {
        return String::new();
    };
    let Ok(content) = lopdf::content::Content::decode(&data) else {
        return String::from_utf8_lossy(&data).into_owned();
    };
    let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
    let mut encoding = None;
    let mut out = String::new();
    for op in &content.operations {
        match op.operator.as_str() {
            "Tf" => {
                encoding = op
                    .operands
                    .first()
                    .and_then(|name| name.as_name().ok())
                    .and_then(|name| fonts.get(name))
                    .and_then(|font| font.get_font_encoding(doc).ok());
            }
            "Tj" | "'" | "\"" | "TJ" => {
                if op.operator != "Tj" && op.operator != "TJ" {
                    out.push('\n');
                }
                for operand in &op.operands {
                    show(&mut out, encoding.as_ref(), operand);
                }
            }
            "Td" | "TD" | "Tm" | "T*" | "ET" => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// Appends what a text-showing operand shows: a string, or a `TJ` array of strings and
/// kerning numbers.
fn show(out: &mut String, encoding: Option<&lopdf::Encoding<'_>>, operand: &Object) {
    match operand {
        Object::String(bytes, _) => match encoding.map(|e| Document::decode_text(e, bytes)) {
            Some(Ok(text)) => out.push_str(&text),
            _ => out.push_str(&decode_string(bytes)),
        },
        Object::Array(items) => {
            for item in items {
                let gap = match item {
                    Object::Integer(n) => Some(-(*n as f32)),
                    Object::Real(r) => Some(-*r),
                    _ => None,
                };
                match gap {
                    Some(g) if g > WORD_GAP => out.push(' '),
                    Some(_) => {}
                    None => show(out, encoding, item),
                }
            }
        }
        _ => {}
    }
}

/// Deepest nesting of arrays and dictionaries followed (a hostile file can nest without
/// end).
const MAX_DEPTH: usize = 32;

/// Appends every string inside `object` (in dictionaries and arrays too), one per line.
fn collect_strings(object: &Object, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match object {
        Object::String(raw, _) => {
            out.push_str(&decode_string(raw));
            out.push('\n');
        }
        Object::Array(items) => {
            for item in items {
                collect_strings(item, out, depth + 1);
            }
        }
        Object::Dictionary(dict) => {
            for (_, value) in dict.iter() {
                collect_strings(value, out, depth + 1);
            }
        }
        Object::Stream(stream) => {
            for (_, value) in stream.dict.iter() {
                collect_strings(value, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// A PDF text string: UTF-16BE with a byte-order mark, or UTF-8 with one (PDF 2.0), else
/// PDFDocEncoding, read as Latin-1 (they agree on letters).
fn decode_string(raw: &[u8]) -> String {
    if let Some(rest) = raw.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = raw.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    raw.iter().map(|&b| char::from(b)).collect()
}
