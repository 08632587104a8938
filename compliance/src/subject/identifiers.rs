//! How a data subject's identifiers (their email and display name) are found in other
//! people's text and in mail files, so erasure can redact or delete every copy.
//!
//! Policy: an erased person is gone from everything heepr keeps, except the records the
//! policy names as pseudonymised (issue 10, "Erasure reaches every copy"); conventions,
//! "Privacy engineering": normalise both sides the same way, decode what is encoded, never
//! touch a match inside an ordinary word. [`SubjectIdentifiers`] is built once per erasure
//! and applied to every row and file; each text is normalised once, and no pattern is
//! compiled per row.
//!
//! # The rule (for `policies/data_map.toml` to quote)
//!
//! **Match key.** The identifiers and the searched text are normalised the same way, one
//! grapheme cluster at a time: NFKD, full Unicode case folding, NFKD again; then
//! default-ignorable code points are dropped (soft hyphen, zero-width space and joiners,
//! variation selectors), and so are the nonspacing marks of Latin, Greek and Cyrillic
//! accents (script Inherited), Arabic harakat/tashkeel with hamza and madda marks, and
//! Hebrew points; Arabic tatweel is dropped; dotless `ı` becomes `i`; `’` `‘` `ʼ` become `'`;
//! the result is recomposed (NFC). Consequences:
//! - composed and decomposed accents are equal (`é` = `e` + U+0301), and so are accented and
//!   unaccented letters (`José` = `JOSE`, `Müller` = `Muller`, `ё` = `е`, `й` = `и`): a
//!   counterparty typing the name without its accents still names the person. Letters that
//!   Unicode does not decompose are distinct in the key (`ø`, `ł`, `đ`, `æ`), and `ü` is not
//!   `ue`; but a display name with such letters also gives the needles of its two usual
//!   spellings on keyboards without them (item 7 below);
//! - case: full folding, so `ÀNA` = `àna`, `ß` = `ẞ` = `ss` (`Strauß` = `STRAUSS`), Greek
//!   final `ς` = `σ` = `Σ` with the tonos gone (`Νίκος` = `ΝΙΚΟΣ`);
//! - Turkish: default (not Turkic) folding plus `ı` → `i` and the dot of `İ` dropped, so
//!   `I`, `İ`, `i`, `ı` are one letter (`IŞIK` = `Işık` = `isik`); Turkish words that differ
//!   only in that dot match each other, accepted for names;
//! - compatibility forms: fullwidth `Ａｎａ` = `Ana`, ligature `ﬁ` = `fi`, NBSP and the
//!   ideographic space are spaces;
//! - Arabic with and without tashkeel or tatweel is equal (`مُحَمَّد` = `محمد` = `محـمد`), and
//!   alef forms meet (`أ` `إ` `آ` = `ا`); teh marbuta and alef maksura stay distinct
//!   (`ة` ≠ `ه`, `ى` ≠ `ي`);
//! - Japanese voicing marks are kept (`か` ≠ `が`), and so are the vowel signs and viramas of
//!   Indic and Southeast Asian scripts.
//!
//! **Words and separators** (of the display name's key). A *word* is a run of letters and
//! digits, an apostrophe between two of them staying inside (`o'brien`); a word with no
//! letter (`2024`) is dropped. *Soft separators* are whitespace, dashes (Unicode Pd), `.`,
//! `_`, and the middle dots `·` `‧` `・`; every other character (emoji, symbols, brackets,
//! commas, slashes, quotes) is a *decoration* and ends a *group* (the words between
//! decorations). A word is *strong* when it has at least 3 letters, or 2 when it is in a
//! script written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer,
//! Myanmar, Bopomofo, Yi). A needle must have at least 3 letters in all, or 2 with such a
//! script, so a name of one or two letters ("Li", "Jo") is never a needle.
//!
//! **Needles.**
//! 1. The email address, whole, and its percent-encoded form (`ana%40example.com`).
//! 2. The display name as written, decorations included (`🚀 ana müller ✨`), when it has
//!    any, so it is replaced whole where it appears whole.
//! 3. The letter-only core: all words in order (`ana müller`).
//! 4. Each group of two or more words (`maría josé garcía lópez`).
//! 5. Each prefix and suffix of two or more words of a group that begins and ends with a
//!    strong word (`maría josé`, `maría josé garcía`, `garcía lópez`, `josé garcía lópez`);
//!    so particles and initials never start or end a partial run (`de la`, `la cruz`,
//!    `r tolkien` are not needles; `maría de la cruz` is).
//! 6. Only with [`SubjectIdentifiers::with_single_words`]: each strong word (`ana`,
//!    `müller`), for text where the subject is a party (a message on their own order says
//!    "Thanks Ana!"), never for whole-table scans, where it would hit every other Ana.
//! 7. The needles of the display name respelt as people type it without its letters
//!    ([`respellings`]): with the base letters (`ø`→`o`, `ł`→`l`, `đ`/`ð`→`d`, `ħ`→`h`,
//!    `ŧ`→`t`, `æ`→`ae`, `œ`→`oe`, `þ`→`th`: `Kåre Løvstad` = `Kare Lovstad`,
//!    `Łukasz` = `Lukasz`) and with German and Scandinavian digraphs (`ä`→`ae`, `ö`/`ø`→`oe`,
//!    `ü`→`ue`, `å`→`aa`: `Åsa Nyström` = `Aasa Nystroem`, `Müller` = `Mueller`).
//!
//! A run such as "José García", in the middle of a longer name, or the words of a name in
//! another order ("Müller, Ana") is not a needle unless item 6 applies.
//!
//! **Where a needle matches.** Between two parts of a name needle the text may have any
//! non-empty run of soft separators (`García-López` = `García López` = `garcía  lópez` =
//! `García.López`), or none where both sides are in a script written without spaces
//! (`山田 太郎` = `山田太郎`), or none where the text breaks the words without showing it: an
//! invisible character the key drops (zero-width space, word joiner, soft hyphen:
//! `Sofia\u{200B}Müller`) or a lower-to-upper case change (`SofiaMüller`); words glued in
//! one case (`sofiamuller`) are not matched, since they would hit ordinary words. A name needle must start and end at a Unicode word boundary
//! (UAX #29, computed on the key) so it never matches inside an ordinary word: `Ann` does
//! not match `Annual` or `planning`, `Ana` does not match `Banana` or `Ana2`.
//! Three additions: the punctuation UAX #29 keeps inside a word (apostrophe, `.`, `:`, `_`,
//! the middle dots) is a boundary on both sides (`Ana's`, `d'Ana`, `Ana Müller.pdf`,
//! `Kontakt:Ana`, `_ana_`, `ana_muller_cv.pdf`); an Arabic name may follow one or two of the proclitic letters و ف ب ل ك
//! (`ومحمد`, "and Muhammad"); a Korean name may be followed by more Hangul (particles and
//! honorifics attach: `김민준님`). Han, Hiragana and Thai have a word boundary between
//! every two characters, so a Chinese, Japanese or Thai name is found wherever its whole
//! string appears (`我是王小明的朋友`), never per character; Katakana runs stay one word
//! (`マリア` does not match `マリアナ`).
//!
//! An email needle must not touch a character that would continue an address: before it
//! no letter, digit, `@` or any of ``.!#$%&'*+/=?^_`{|}~-`` (for the percent-encoded form
//! only `.`, `%`, `+`, `-`, `_`, so `?u=ana%40example.com` matches); after it no letter,
//! digit, `@`, `-`, `_`, `+`, nor a `.` followed by a letter or digit. So
//! `xana@example.com`, `joe+ana@example.com` and `ana@example.com.evil.org` are other
//! addresses, while `mailto:ana@example.com.` matches. The address also matches with a
//! sub-address tag when it has none of its own (`ana+shop@example.com`), and with its `@`
//! and dots spelled out, in brackets or between spaces (`ana (at) example (dot) com`,
//! `ana[at]example[dot]com`, `ana dot b at example dot com`, `ana @ example.com`).
//!
//! **Replacing.** Overlapping matches resolve leftmost-longest; each match is replaced in
//! the original text, everything else kept byte for byte (the key keeps, per grapheme, its
//! offset in the original). A match must cover whole graphemes.
//!
//! **Mail files** ([`SubjectIdentifiers::mentioned_in_mail`]) are decoded before matching:
//! RFC 2047 encoded words in every header, quoted-printable and base64 bodies, every
//! multipart part and nested message, the part's charset (UTF-8, ISO-8859-x, Windows
//! code pages, Shift_JIS, GB 18030, ...), HTML with tags stripped and entities decoded,
//! and attachment file names (RFC 2231 included); the raw bytes are searched too.

mod email_variants;
mod key;
mod mail;
mod needles;
#[cfg(test)]
mod tests;

use email_variants::EmailShape;
use key::{Keyed, is_arabic, is_arabic_proclitic, is_hangul, is_soft_separator, is_spaceless};
use needles::{Kind, Needle};

/// A data subject's identifiers, prepared for matching: the needles derived from their
/// email and display name by the rule in the module doc. Built once per erasure; cheap to
/// apply to millions of rows.
///
/// Holds personal data: never log it (its `Debug` shows only the number of needles).
#[derive(Clone)]
pub struct SubjectIdentifiers {
    email: String,
    display_name: String,
    /// Longest first (for [`Self::needles`]; matches are ordered by [`Self::find`]).
    needles: Vec<Needle>,
    /// The addresses' tagged and spelled-out forms.
    email_shapes: Vec<EmailShape>,
}

impl std::fmt::Debug for SubjectIdentifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectIdentifiers")
            .field("needles", &self.needles.len())
            .finish_non_exhaustive()
    }
}

impl SubjectIdentifiers {
    /// The needles of `email` (items 1) and `display_name` (items 2–5 of the rule). Either
    /// may be empty or unusable (no `@`; fewer than 3 letters): it then contributes none.
    /// Each may hold several values, one per line (the current one and those the person
    /// had before, see [`crate::subject::former_identifiers`]): each line contributes its
    /// needles.
    pub fn new(email: &str, display_name: &str) -> Self {
        Self::build(email, display_name, false)
    }

    /// Adds each strong word of the display name as a needle (item 6 of the rule): for
    /// text where the subject is a party, not for scans of every row of a table.
    #[must_use]
    pub fn with_single_words(self) -> Self {
        Self::build(&self.email, &self.display_name, true)
    }

    fn build(email: &str, display_name: &str, single_words: bool) -> Self {
        let emails = || email.lines().map(str::trim).filter(|l| !l.is_empty());
        let mut needles: Vec<Needle> = emails().flat_map(needles::email_needles).collect();
        for name in display_name.lines().filter(|l| !l.trim().is_empty()) {
            needles.extend(needles::name_needles(name, single_words));
            for respelt in respellings(name) {
                needles.extend(needles::name_needles(&respelt, single_words));
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.parts.iter().map(String::len).sum::<usize>()));
        SubjectIdentifiers {
            email: email.to_string(),
            display_name: display_name.to_string(),
            email_shapes: emails()
                .filter_map(|e| needles::email_key(e).and_then(|k| EmailShape::of(&k)))
                .collect(),
            needles,
        }
    }

    /// `true` when nothing can match (no usable email, a name under 3 letters).
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The needles in match-key form, parts joined by one space, longest first: for tests
    /// and for showing an operator what an erasure looks for. Personal data: never log them.
    pub fn needles(&self) -> Vec<String> {
        self.needles.iter().map(|n| n.parts.join(" ")).collect()
    }

    /// The byte ranges of `text` that name the subject, in order and not overlapping.
    pub fn find(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        if self.needles.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let keyed = Keyed::new(text);
        let mut found: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            let Some(first) = needle.parts.first().filter(|p| !p.is_empty()) else {
                continue;
            };
            let mut from = 0;
            while let Some(i) = keyed
                .key
                .get(from..)
                .and_then(|rest| rest.find(first.as_str()))
            {
                let start = from + i;
                if let Some(end) = match_at(&keyed, needle, start)
                    && let Some(range) = keyed.original_range(start, end)
                {
                    found.push(range);
                }
                from = start + keyed.char_at(start).map_or(1, char::len_utf8);
            }
        }
        for shape in &self.email_shapes {
            found.extend(
                shape
                    .find(&keyed)
                    .into_iter()
                    .filter_map(|(start, end)| keyed.original_range(start, end)),
            );
        }
        // Leftmost-longest: by start, the longest first, then skip what overlaps.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        for (start, end) in found {
            if out.last().is_none_or(|last| start >= last.end) {
                out.push(start..end);
            }
        }
        out
    }

    /// `text` with every match replaced by `replacement` and every other byte kept; `None`
    /// when nothing matched or the result equals `text` (so a rerun over already redacted
    /// text rewrites nothing).
    pub fn redact(&self, text: &str, replacement: &str) -> Option<String> {
        let ranges = self.find(text);
        if ranges.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len() + ranges.len() * replacement.len());
        let mut last = 0;
        for r in ranges {
            out.push_str(text.get(last..r.start)?);
            out.push_str(replacement);
            last = r.end;
        }
        out.push_str(text.get(last..)?);
        (out != text).then_some(out)
    }

    /// Whether `text` names the subject.
    pub fn mentioned_in(&self, text: &str) -> bool {
        !self.find(text).is_empty()
    }

    /// Whether `bytes`, read as UTF-8 (invalid sequences replaced), name the subject: for
    /// files that are not mail. Encoded content is not decoded; see
    /// [`Self::mentioned_in_mail`].
    pub fn mentioned_in_bytes(&self, bytes: &[u8]) -> bool {
        self.mentioned_in(&String::from_utf8_lossy(bytes))
    }

    /// Whether a raw RFC 5322 message (an `.eml` file of the mail spool) names the subject
    /// anywhere: its raw bytes, or any decoded header value, text or HTML part, attachment
    /// file name or text-like attachment, in nested messages too (see the module doc).
    pub fn mentioned_in_mail(&self, raw: &[u8]) -> bool {
        if self.needles.is_empty() {
            return false;
        }
        self.mentioned_in_bytes(raw) || mail::any_text(raw, &mut |t| self.mentioned_in(t))
    }

    /// A raw RFC 5322 message with the subject redacted, for a message kept as someone
    /// else's evidence: `None` when [`Self::mentioned_in_mail`] finds no mention; otherwise
    /// the message's decoded plain text (headers a person reads, text bodies, attachment
    /// names; see `mail::plain_text`) with every match replaced by `replacement`, or, when
    /// the bytes are not a message, the raw text redacted. A mention only in what the plain
    /// text leaves out (a `Received` header, an attachment's content) is gone with it.
    pub fn redact_mail(&self, raw: &str, replacement: &str) -> Option<String> {
        if !self.mentioned_in_mail(raw.as_bytes()) {
            return None;
        }
        match mail::plain_text(raw.as_bytes()) {
            Some(text) => Some(self.redact(&text, replacement).unwrap_or(text)),
            None => self.redact(raw, replacement),
        }
    }
}

/// `name` spelt with base letters and with digraphs (item 7 of the rule), each only when it
/// differs from `name`.
fn respellings(name: &str) -> Vec<String> {
    // Decomposed input (`o` + U+0308) is composed first, so `ö` is one character.
    let composed: String = icu_normalizer::ComposingNormalizerBorrowed::new_nfc()
        .normalize(name)
        .into_owned();
    let mut out: Vec<String> = Vec::new();
    let maps: [fn(char) -> Option<&'static str>; 2] = [base_letters, digraphs];
    for map in maps {
        let respelt: String = composed
            .chars()
            .map(|c| map(c).map_or_else(|| c.to_string(), str::to_owned))
            .collect();
        if respelt != composed && !out.contains(&respelt) {
            out.push(respelt);
        }
    }
    out
}

/// The base-letter spelling of a letter Unicode does not decompose.
fn base_letters(c: char) -> Option<&'static str> {
    Some(match c {
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ħ' | 'Ħ' => "h",
        'ŧ' | 'Ŧ' => "t",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

/// The German and Scandinavian digraph spelling of a letter, else its base letters.
fn digraphs(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'Ä' => "ae",
        'ö' | 'Ö' | 'ø' | 'Ø' => "oe",
        'ü' | 'Ü' => "ue",
        'å' | 'Å' => "aa",
        other => return base_letters(other),
    })
}

/// Where `needle` matches in `keyed` when its first part starts at `start`: the end offset
/// (in the key), or `None`.
fn match_at(keyed: &Keyed<'_>, needle: &Needle, start: usize) -> Option<usize> {
    let (first, rest) = needle.parts.split_first()?;
    let starts_ok = match needle.kind {
        Kind::Email => email_start_ok(keyed.char_before(start), ".!#$%&'*+/=?^_`{|}~-"),
        Kind::EncodedEmail => email_start_ok(keyed.char_before(start), ".%+-_"),
        Kind::Name => name_start_ok(keyed, start, first),
    };
    if !starts_ok {
        return None;
    }
    let mut pos = start + first.len();
    let mut prev = first;
    for part in rest {
        let gap_start = pos;
        while let Some(c) = keyed.char_at(pos).filter(|&c| is_soft_separator(c)) {
            pos += c.len_utf8();
        }
        let touching = prev.chars().next_back().is_some_and(is_spaceless)
            && part.chars().next().is_some_and(is_spaceless);
        if pos == gap_start && !touching && !keyed.is_hidden_break(pos) {
            return None;
        }
        if !keyed.key.get(pos..)?.starts_with(part.as_str()) {
            return None;
        }
        pos += part.len();
        prev = part;
    }
    let ends_ok = match needle.kind {
        Kind::Email | Kind::EncodedEmail => {
            let next = keyed.char_at(pos);
            let after_next = next.and_then(|c| keyed.char_at(pos + c.len_utf8()));
            email_end_ok(next, after_next)
        }
        Kind::Name => name_end_ok(keyed, pos, prev),
    };
    ends_ok.then_some(pos)
}

/// The punctuation UAX #29 keeps inside a word when letters surround it (MidLetter,
/// MidNumLet, Single_Quote: "can't", "e.g.", "k:a") but which separates a name from what
/// is glued to it: "Ana's", "d'Ana", "Ana Müller.pdf", "Kontakt:Ana".
fn is_mid_word_punct(c: char) -> bool {
    matches!(
        c,
        '\'' | '.'
            | ':'
            | '_'
            | '\u{00B7}'
            | '\u{0387}'
            | '\u{055F}'
            | '\u{05F4}'
            | '\u{2027}'
            | '\u{FE13}'
            | '\u{FE55}'
    )
}

/// Whether a name needle whose first part is `first` may start at `start`.
fn name_start_ok(keyed: &Keyed<'_>, start: usize, first: &str) -> bool {
    if keyed.is_word_boundary(start) || keyed.char_before(start).is_some_and(is_mid_word_punct) {
        return true;
    }
    if !first.chars().next().is_some_and(is_arabic) {
        return false;
    }
    // One or two proclitic letters, themselves starting a word.
    let mut at = start;
    for _ in 0..2 {
        match keyed.char_before(at) {
            Some(c) if is_arabic_proclitic(c) => at -= c.len_utf8(),
            _ => return false,
        }
        if keyed.is_word_boundary(at) {
            return true;
        }
    }
    false
}

/// Whether a name needle whose last part is `last` may end at `end`.
fn name_end_ok(keyed: &Keyed<'_>, end: usize, last: &str) -> bool {
    let next = keyed.char_at(end);
    keyed.is_word_boundary(end)
        || next.is_some_and(is_mid_word_punct)
        || (next.is_some_and(is_hangul) && last.chars().next_back().is_some_and(is_hangul))
}

/// Whether the character before an email needle leaves it a whole address: not a letter,
/// digit, `@` or one of `also_address` (characters an address's local part may hold).
fn email_start_ok(before: Option<char>, also_address: &str) -> bool {
    before.is_none_or(|c| !c.is_alphanumeric() && c != '@' && !also_address.contains(c))
}

/// Whether the character after an email needle (`next`, then `after_next`) leaves it a
/// whole address: not a letter, digit, `@`, `-`, `_`, `+`, nor a `.` that a letter or digit
/// follows (the domain would go on); a full stop ending a sentence is fine.
fn email_end_ok(next: Option<char>, after_next: Option<char>) -> bool {
    let Some(c) = next else {
        return true;
    };
    !(c.is_alphanumeric()
        || matches!(c, '@' | '-' | '_' | '+')
        || (c == '.' && after_next.is_some_and(char::is_alphanumeric)))
}
