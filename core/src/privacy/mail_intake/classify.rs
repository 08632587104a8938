//! Which right an emailed request asks for, read from its subject line and text. A message
//! that names no right, or more than one, is left to staff (`None`): guessing wrong would
//! start the wrong job (an erasure for a person who asked for a copy).

use heepr_compliance::dsr::RequestKind;

/// Phrases (lowercase words, matched as whole consecutive words) that name each right,
/// in English and the languages of the EU's largest user bases we answer in.
const PHRASES: &[(RequestKind, &[&str])] = &[
    (
        RequestKind::Erasure,
        &[
            "delete my account",
            "delete my data",
            "delete all my data",
            "delete my personal data",
            "erase my",
            "erasure",
            "right to be forgotten",
            "forget me",
            "remove my account",
            "remove my data",
            "close my account",
            "daten löschen",
            "konto löschen",
            "supprimer mon compte",
            "supprimer mes données",
            "borrar mi cuenta",
            "eliminar mi cuenta",
        ],
    ),
    (
        RequestKind::Access,
        &[
            "copy of my data",
            "copy of my personal data",
            "copy of the data",
            "access request",
            "right of access",
            "subject access",
            "export my data",
            "data export",
            "download my data",
            "what data do you",
            "what personal data",
            "data you hold",
            "dsar",
            "auskunft",
            "droit d accès",
            "acceso a mis datos",
        ],
    ),
    (
        RequestKind::Rectification,
        &[
            "rectify",
            "rectification",
            "correct my",
            "is wrong",
            "is incorrect",
            "inaccurate",
            "change my name",
            "update my name",
            "change my display name",
            "berichtigung",
            "rectifier",
        ],
    ),
    (
        RequestKind::Restriction,
        &[
            "restrict",
            "restriction",
            "limit the processing",
            "limit processing",
            "einschränkung",
            "limitation du traitement",
        ],
    ),
    (
        RequestKind::Objection,
        &[
            "object to",
            "objection",
            "i object",
            "stop using my data for",
            "widerspruch",
            "opposition",
        ],
    ),
    (
        RequestKind::ConsentWithdrawal,
        &[
            "withdraw my consent",
            "withdraw consent",
            "withdrawing my consent",
            "revoke my consent",
            "revoke consent",
            "einwilligung widerrufen",
            "retirer mon consentement",
        ],
    ),
];

/// The one right `subject` and `text` ask for, or `None` when they name none or several.
pub fn classify(subject: &str, text: &str) -> Option<RequestKind> {
    let words = words(&format!("{subject}\n{text}"));
    let mut found: Option<RequestKind> = None;
    for (kind, phrases) in PHRASES {
        if phrases.iter().any(|p| contains_phrase(&words, p)) {
            if found.is_some() {
                return None;
            }
            found = Some(*kind);
        }
    }
    found
}

/// Lowercase words (letters and digits; anything else separates).
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let phrase: Vec<String> = self::words(phrase);
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_right_is_read_from_plain_words() {
        let cases = [
            ("Delete my account", "", Some(RequestKind::Erasure)),
            (
                "",
                "Please erase my data, I invoke the right to be forgotten.",
                Some(RequestKind::Erasure),
            ),
            (
                "Request",
                "Could I get a copy of my data please?",
                Some(RequestKind::Access),
            ),
            ("Subject access request", "", Some(RequestKind::Access)),
            (
                "",
                "My display name is wrong, please correct my name.",
                Some(RequestKind::Rectification),
            ),
            (
                "Restriction of processing",
                "",
                Some(RequestKind::Restriction),
            ),
            ("", "I object to profiling.", Some(RequestKind::Objection)),
            (
                "",
                "I withdraw my consent to analytics.",
                Some(RequestKind::ConsentWithdrawal),
            ),
            ("Bitte Konto löschen", "", Some(RequestKind::Erasure)),
            ("Supprimer mon compte", "", Some(RequestKind::Erasure)),
        ];
        for (subject, text, want) in cases {
            assert_eq!(classify(subject, text), want, "{subject:?} / {text:?}");
        }
    }

    #[test]
    fn none_or_several_rights_are_left_to_staff() {
        assert_eq!(classify("Hello", "I have a question about my order."), None);
        assert_eq!(
            classify("", "Send me a copy of my data, then delete my account."),
            None
        );
        // Whole words only: "restricted" in another sense, "objectively", "erasers".
        assert_eq!(classify("", "The erasers were objectively fine."), None);
    }
}
