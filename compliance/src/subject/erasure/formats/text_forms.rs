//! The forms in which a text file can hold a name that a search of its plain characters
//! misses (fresh tester, issue 10): HTML and XML character references (`Zo&euml;`), JSON
//! escapes (`Zo\u00eb`), an RFC 5322 message's encoded words and quoted-printable or base64
//! parts, a block of base64, and UTF-16 (with a byte-order mark). [`redact`] rewrites what
//! can be rewritten in the same format and reports what still names the subject.

use base64::Engine;

use super::{markup_text, printable_runs};
use crate::subject::identifiers::SubjectIdentifiers;

/// What a text file becomes.
pub(super) enum TextRedaction {
    /// Names nobody.
    Clean,
    /// Rewritten, same format.
    Rewritten(String),
    /// Still names the subject in an encoded form that cannot be rewritten in place.
    StillNamed,
}

/// Redacts `text` (a text file's content) for `ids`: plain matches, then JSON strings
/// (re-serialised when an escape hid a match); then checks the decoded forms.
pub(super) fn redact(ids: &SubjectIdentifiers, replacement: &str, text: &str) -> TextRedaction {
    let plain = ids.redact(text, replacement);
    let mut current = plain.clone().unwrap_or_else(|| text.to_owned());
    let mut changed = plain.is_some();
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&current)
        && redact_json(ids, replacement, &mut json)
    {
        let pretty = current.trim_end().contains('\n');
        let out = if pretty {
            serde_json::to_string_pretty(&json)
        } else {
            serde_json::to_string(&json)
        };
        if let Ok(out) = out {
            current = out;
            changed = true;
        }
    }
    if still_named(ids, &current) {
        return TextRedaction::StillNamed;
    }
    if changed {
        TextRedaction::Rewritten(current)
    } else {
        TextRedaction::Clean
    }
}

/// Whether a decoded form of `text` names the subject: its character references resolved,
/// its markup's visible text, its decoding as a mail message, its base64 blocks.
fn still_named(ids: &SubjectIdentifiers, text: &str) -> bool {
    if text.contains('&') && ids.mentioned_in(&decode_references(text)) {
        return true;
    }
    if text.trim_start().starts_with('<') && ids.mentioned_in(&markup_text::visible_text(text)) {
        return true;
    }
    if looks_like_mail(text) && ids.mentioned_in_mail(text.as_bytes()) {
        return true;
    }
    base64_blocks(text).any(|bytes| printable_runs::mention(ids, &bytes))
}

/// Redacts every string (and object key) of `value`; whether anything changed.
fn redact_json(ids: &SubjectIdentifiers, replacement: &str, value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => match ids.redact(s, replacement) {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |acc, v| redact_json(ids, replacement, v) | acc),
        Value::Object(map) => {
            let mut changed = false;
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                changed |= redact_json(ids, replacement, &mut v);
                let key = match ids.redact(&key, replacement) {
                    Some(k) => {
                        changed = true;
                        k
                    }
                    None => key,
                };
                map.insert(key, v);
            }
            changed
        }
        _ => false,
    }
}

/// `text` with `&name;`, `&#NNN;` and `&#xHH;` references resolved (HTML5 names), others
/// kept as written.
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let end = tail.find(';').filter(|&e| e > 0 && e <= 32);
        let resolved = end.and_then(|e| resolve_reference(&tail[..e]));
        match (end, resolved) {
            (Some(e), Some(r)) => {
                out.push_str(&r);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn resolve_reference(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    quick_xml::escape::resolve_html5_entity(name).map(str::to_owned)
}

/// Whether `text` starts like a stored mail message (a header line naming a header every
/// message has).
fn looks_like_mail(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    let first = head.lines().next().unwrap_or_default();
    let header_line = first.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    header_line
        && [
            "\nfrom:",
            "\nsubject:",
            "\nto:",
            "\ndate:",
            "\nmime-version:",
        ]
        .iter()
        .any(|h| head.contains(h) || head.starts_with(&h[1..]))
}

/// Shortest base64 block decoded (characters, line breaks not counted): shorter runs of
/// the alphabet are ordinary words.
const MIN_BASE64: usize = 24;

/// The decoded bytes of every block of base64 in `text`: each run of the alphabet within a
/// line, and each sequence of consecutive lines that are wholly base64 (a MIME-style block
/// wrapped at 76 characters), where they decode cleanly.
fn base64_blocks(text: &str) -> impl Iterator<Item = Vec<u8>> + '_ {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    let mut candidates: Vec<String> = Vec::new();
    let mut block = String::new();
    for line in text.lines().map(str::trim).chain(std::iter::once("")) {
        // A short line (a word such as "end") is not part of a wrapped block.
        if line.len() >= 8 && line.chars().all(is_b64) {
            block.push_str(line);
            continue;
        }
        candidates.push(std::mem::take(&mut block));
        candidates.extend(line.split(|c: char| !is_b64(c)).map(str::to_owned));
    }
    candidates.into_iter().filter_map(|run| {
        let has_mixed = run
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && run.chars().any(|c| c.is_ascii_lowercase());
        if run.len() < MIN_BASE64 || !has_mixed {
            return None;
        }
        let trimmed = run.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
            .ok()
    })
}

/// UTF-16 text with a byte-order mark: its content and whether it is big-endian.
pub(super) fn utf16_with_bom(bytes: &[u8]) -> Option<(String, bool)> {
    let (rest, big) = match bytes {
        [0xff, 0xfe, rest @ ..] => (rest, false),
        [0xfe, 0xff, rest @ ..] => (rest, true),
        _ => return None,
    };
    if rest.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = rest
        .chunks_exact(2)
        .map(|p| {
            if big {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        })
        .collect();
    String::from_utf16(&units).ok().map(|s| (s, big))
}

/// `text` as UTF-16 with a byte-order mark (big-endian when `big`).
pub(super) fn to_utf16_with_bom(text: &str, big: bool) -> Vec<u8> {
    let mut out = if big {
        vec![0xfe, 0xff]
    } else {
        vec![0xff, 0xfe]
    };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if big {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve() {
        assert_eq!(
            decode_references("Zo&euml; &Aring;ngstr&#246;m &#x41; &bogus; & x"),
            "Zoë Ångström A &bogus; & x"
        );
    }

    #[test]
    fn base64_blocks_decode_across_lines() {
        let text = "see:\nWm/DqyDDhW5nc3Ry\nw7ZtIHdyb3RlIHRoaXM=\nend";
        let blocks: Vec<String> = base64_blocks(text)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        assert!(
            blocks.iter().any(|b| b.contains("Zoë Ångström wrote this")),
            "{blocks:?}"
        );
    }

    #[test]
    fn mail_is_recognised_by_its_headers() {
        assert!(looks_like_mail("From: a@b.c\nSubject: hi\n\nbody"));
        assert!(looks_like_mail(
            "Return-Path: <x@y>\nReceived: by z\nFrom: a@b\n\nbody"
        ));
        assert!(!looks_like_mail("Note: buy milk\nand eggs"));
    }
}
