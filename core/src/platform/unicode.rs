//! Unicode safety for text other people see (issue 14 §4). A right-to-left override turns
//! `invoice\u{202E}fdp.exe` into what looks like `invoiceexe.pdf`; zero-width characters make
//! two different names look the same. So:
//!
//! - every **name-like** field (display names, agent names, tags and skills, file names)
//!   goes through [`name`]: NFC-normalised, bidirectional controls, zero-width and other
//!   invisible characters refused with a 422 that names the character, other control
//!   characters (line breaks, tabs) refused;
//! - **free text** (chat messages) keeps any script and mark, but its bidirectional controls
//!   are shown escaped in pages ([`escape_bidi`]), so they cannot reorder what is around
//!   them;
//! - **staff text** kept in the record (reasons, notes) goes through [`staff_text`] /
//!   [`readable_text`]: invisible and control characters dropped, and refused when nothing
//!   readable is left, so a reason that says nothing cannot pass a "reason required" rule.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use crate::platform::error::AppError;

/// Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
/// (U+2066–U+2069), the left-to-right and right-to-left marks (U+200E, U+200F) and the
/// Arabic letter mark (U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no space or show nothing: zero-width space, non-joiner and joiner
/// (U+200B–U+200D), word joiner and the invisible operators (U+2060–U+2065), the
/// zero-width no-break space / byte-order mark (U+FEFF), the soft hyphen (U+00AD), the
/// combining grapheme joiner (U+034F), Hangul fillers (U+115F, U+1160, U+3164, U+FFA0),
/// Khmer inherent vowels (U+17B4, U+17B5), Mongolian variation selectors and vowel
/// separator (U+180B–U+180F), the deprecated format characters (U+206A–U+206F), the
/// interlinear annotation marks (U+FFF9–U+FFFB) and the tag characters (U+E0000–U+E007F).
/// Emoji variation selectors (U+FE00–U+FE0F) are not among them: they shape visible emoji.
pub fn is_zero_width(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2065}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
        | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// The first character of `text` that makes it display as something else (a
/// bidirectional control or a zero-width character), if any.
pub fn first_hidden(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| is_bidi_control(c) || is_zero_width(c))
}

/// Why a text with the hidden character `c` is refused, naming it (`U+202E`).
pub fn hidden_reason(c: char) -> String {
    let kind = if is_bidi_control(c) {
        "a bidirectional control character"
    } else {
        "an invisible character"
    };
    format!(
        "must not contain U+{:04X} ({kind}): it makes text display as something other than what it is",
        u32::from(c)
    )
}

/// Invisible formatting characters besides [`is_zero_width`] and [`is_bidi_control`]: the
/// soft hyphen (U+00AD), the Mongolian vowel separator (U+180E), the invisible
/// operators and deprecated format controls (U+2065–U+206F) and the interlinear annotation
/// controls (U+FFF9–U+FFFB).
pub fn is_other_format(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{2065}'..='\u{206F}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Free text staff write into the record (a reason, a note, how identity was checked),
/// cleaned: NFC, invisible characters and control characters other than line breaks and
/// tabs dropped (terminal escape sequences whole), trimmed. `None` when nothing readable is
/// left: no letter or digit in any script (a zero-width space, a lone `.` or a terminal
/// escape sequence say nothing).
pub fn readable_text(raw: &str) -> Option<String> {
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.nfc();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // A terminal escape sequence (ESC [ parameters final-byte) goes whole, so its
            // parameters do not pass for words.
            let mut rest = chars.clone();
            if rest.next() == Some('[') {
                chars = rest;
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        let hidden = is_zero_width(c)
            || is_bidi_control(c)
            || is_other_format(c)
            || (c.is_control() && c != '\n' && c != '\t');
        if !hidden {
            text.push(c);
        }
    }
    let text = text.trim();
    text.chars()
        .any(char::is_alphanumeric)
        .then(|| text.to_owned())
}

/// [`readable_text`] of a required staff field.
///
/// Errors: 422 on `field` when nothing readable is left.
pub fn staff_text(field: &'static str, raw: &str) -> Result<String, AppError> {
    readable_text(raw).ok_or_else(|| {
        AppError::invalid(
            field,
            "must say something readable: letters or digits, not only spaces, punctuation or invisible characters",
        )
    })
}

/// A name-like field checked and normalised: trimmed, in NFC, 1 to `max_chars`
/// characters (counted after normalisation), with no bidirectional control, zero-width or
/// other control character.
///
/// Errors: 422 on `field` saying which rule failed (and which character, for a hidden one).
pub fn name(field: &'static str, raw: &str, max_chars: usize) -> Result<String, AppError> {
    let name: String = raw.trim().nfc().collect();
    if name.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if let Some(c) = first_hidden(&name) {
        return Err(AppError::invalid(field, hidden_reason(c)));
    }
    // Line and paragraph separators break lines as a newline does.
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters (line breaks, tabs and the like)",
        ));
    }
    if name.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(name)
}

/// `text` with each bidirectional control replaced by a visible `[U+202E]`, for showing
/// free text (messages) in a page; other characters are left alone.
pub fn escape_bidi(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_bidi_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bidi_control(c) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn staff_text_keeps_words_and_refuses_what_says_nothing() {
        assert_eq!(
            readable_text("\u{200b} called her\u{202e} back \u{1b}\n").as_deref(),
            Some("called her back")
        );
        assert_eq!(
            readable_text("Zoë: ok\nline two").as_deref(),
            Some("Zoë: ok\nline two")
        );
        for nothing in [
            "",
            "  ",
            "\u{200b}\u{200b}",
            "\u{feff}\u{ad}",
            ".",
            "--",
            "\u{1b}[2J",
        ] {
            assert_eq!(readable_text(nothing), None, "{nothing:?}");
        }
        assert!(staff_text("reason", "\u{2060}").is_err());
    }

    use super::*;

    #[test]
    fn names_are_normalised_and_hidden_characters_refused() -> Result<(), AppError> {
        assert_eq!(name("n", " Zoe\u{0308} ", 10)?, "Zo\u{00EB}");
        assert_eq!(name("n", "李 Ñandú", 10)?, "李 Ñandú");
        for bad in [
            "invoice\u{202E}fdp.exe",
            "a\u{2066}b",
            "a\u{200E}b",
            "a\u{061C}b",
            "a\u{200B}b",
            "a\u{200D}b",
            "a\u{2060}b",
            "\u{FEFF}ab",
            "a\nb",
            "a\u{0007}b",
            "",
        ] {
            assert!(name("n", bad, 40).is_err(), "{bad:?} accepted");
        }
        assert!(name("n", &"é".repeat(11), 10).is_err());
        Ok(())
    }

    #[test]
    fn the_reason_names_the_character() {
        let Err(err) = name("n", "a\u{202E}b", 10) else {
            panic!("accepted");
        };
        assert!(err.to_string().contains("U+202E"), "{err}");
    }

    #[test]
    fn bidi_controls_are_escaped_other_scripts_kept() {
        assert_eq!(
            escape_bidi("مرحبا abc\u{202E}fdp.exe"),
            "مرحبا abc[U+202E]fdp.exe"
        );
        assert!(matches!(escape_bidi("plain"), Cow::Borrowed(_)));
    }
}
