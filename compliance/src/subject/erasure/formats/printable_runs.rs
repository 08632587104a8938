//! The readable text hidden in binary bytes (what `strings` shows): runs of printable
//! characters, read once as UTF-8 and once as Latin-1, so a name in an image's metadata
//! (EXIF, PNG `tEXt`, XMP, an MP3's ID3 tag) is found however it was encoded, while the
//! pixel or sample data (short random runs) adds little text to normalise; in media, only
//! the ends of the file are read (see [`mention_in_metadata`]).

use crate::subject::identifiers::SubjectIdentifiers;

/// Shortest run kept (characters): a needle has at least 3 letters, and short runs are
/// mostly noise in compressed data; a run with a character past ASCII is kept from 2
/// characters, since a name in a script written without spaces can be 2 (`王明`).
const MIN_RUN: usize = 3;

/// Bytes read at each end of a binary file by [`mention_in_metadata`] (bytes).
pub(super) const METADATA_WINDOW: usize = 1024 * 1024;

/// Whether the metadata of binary media names the subject: [`mention`] over the first and
/// the last [`METADATA_WINDOW`] bytes only, where formats keep their metadata (EXIF, XMP
/// and PNG text chunks before the image data or after it, ID3v2 at the start and ID3v1 at
/// the end, an MP4's `moov` box at either end). Reading the pixels or samples between
/// would cost every erasure a pass over every photo and video in the store and find only
/// noise.
pub(super) fn mention_in_metadata(ids: &SubjectIdentifiers, bytes: &[u8]) -> bool {
    if bytes.len() <= 2 * METADATA_WINDOW {
        return mention(ids, bytes);
    }
    let (head, tail) = (
        &bytes[..METADATA_WINDOW],
        &bytes[bytes.len() - METADATA_WINDOW..],
    );
    mention(ids, head) || mention(ids, tail)
}

/// Whether a printable run of `bytes`, read as UTF-8 or as Latin-1, names the subject.
pub(super) fn mention(ids: &SubjectIdentifiers, bytes: &[u8]) -> bool {
    let utf8 = String::from_utf8_lossy(bytes);
    if ids.mentioned_in(&runs(utf8.chars())) {
        return true;
    }
    // Latin-1 maps every byte to the code point of the same value.
    let latin1 = bytes.iter().map(|&b| char::from(b));
    if ids.mentioned_in(&runs(latin1)) {
        return true;
    }
    // UTF-16 little-endian (Windows formats: a legacy .doc, EXIF's XP tags), at either
    // alignment.
    (0..2).any(|skip| ids.mentioned_in(&runs(utf16_letters(bytes.get(skip..).unwrap_or_default()))))
}

/// `bytes` read as UTF-16LE, keeping only the code points of alphabets a name in it is
/// likely written in (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic): random bytes read
/// as UTF-16 are mostly other code points, so noise adds few runs. Others read as NUL.
fn utf16_letters(bytes: &[u8]) -> impl Iterator<Item = char> + '_ {
    bytes.chunks_exact(2).map(|p| {
        let unit = u16::from_le_bytes([p[0], p[1]]);
        match unit {
            0x20..=0x06ff => char::from_u32(u32::from(unit)).unwrap_or('\0'),
            _ => '\0',
        }
    })
}

/// The runs of at least [`MIN_RUN`] printable characters of `chars`, one per line.
fn runs(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let mut len = 0;
    for c in chars.chain(std::iter::once('\0')) {
        if is_printable(c) {
            run.push(c);
            len += 1;
            continue;
        }
        if len >= MIN_RUN || (len == MIN_RUN - 1 && !run.is_ascii()) {
            out.push_str(&run);
            out.push('\n');
        }
        run.clear();
        len = 0;
    }
    out
}

/// Letters, digits, marks, punctuation, symbols and spaces: not controls, not the
/// replacement character of an invalid UTF-8 sequence, not unassigned bytes of Latin-1's
/// C1 range.
fn is_printable(c: char) -> bool {
    c != char::REPLACEMENT_CHARACTER && (c == ' ' || !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_long_runs_and_drops_controls() {
        let got = runs("\u{1}ab\u{2}Ana Müller\u{0}xyz\u{0}王明\u{0}é".chars());
        assert_eq!(got, "Ana Müller\nxyz\n王明\n");
    }

    #[test]
    fn finds_a_latin1_name_among_binary_bytes() {
        let ids = SubjectIdentifiers::new("", "Jürgen Quillfeather");
        let mut bytes = vec![0x89, 0x00, 0xff, 0x10];
        bytes.extend_from_slice(b"Artist\0J\xfcrgen Quillfeather\0");
        bytes.extend_from_slice(&[0xfe, 0x01]);
        assert!(mention(&ids, &bytes));
        assert!(!mention(&ids, b"\x00\x01Quill\x00feather"));
    }

    #[test]
    fn finds_a_utf16_name_at_either_alignment() {
        let ids = SubjectIdentifiers::new("", "Zoë Ångström");
        for pad in [0usize, 1] {
            let mut bytes = vec![0xd0, 0xcf, 0x11, 0xe0][..2 + pad].to_vec();
            bytes.extend("Zoë Ångström".encode_utf16().flat_map(u16::to_le_bytes));
            bytes.extend_from_slice(&[0, 0, 0xff]);
            assert!(mention(&ids, &bytes), "padding {pad}");
        }
    }

    #[test]
    fn media_is_read_at_both_ends_only() {
        let ids = SubjectIdentifiers::new("zed.q@example.com", "");
        let mut bytes = vec![0u8; 3 * METADATA_WINDOW];
        let at =
            |bytes: &mut Vec<u8>, i: usize| bytes[i..i + 17].copy_from_slice(b"zed.q@example.com");
        at(&mut bytes, 3 * METADATA_WINDOW / 2);
        assert!(!mention_in_metadata(&ids, &bytes), "the middle is pixels");
        at(&mut bytes, 3 * METADATA_WINDOW - 20);
        assert!(mention_in_metadata(&ids, &bytes));
    }
}
