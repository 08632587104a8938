//! The match key: the one normalisation applied to the subject's identifiers and to the
//! text searched, grapheme by grapheme, with the map back to the original bytes.
//!
//! The key of a grapheme cluster is: NFKD, full Unicode case folding (default, not Turkic),
//! NFKD again (folding can produce decomposable text), then drop default-ignorable code
//! points (soft hyphen, zero-width space and joiners, variation selectors), drop the
//! nonspacing marks listed in [`is_stripped_mark`], map dotless `ı` to `i`, map the
//! apostrophe look-alikes to `'`, and recompose (NFC). The rule itself is stated, for
//! quoting, in the parent module's doc.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use icu_casemap::CaseMapperBorrowed;
use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, Script};
use icu_properties::{CodePointMapData, CodePointSetData};
use unicode_segmentation::UnicodeSegmentation;

/// Most non-ASCII graphemes are one character, and a script has few of them: their keys
/// are kept (per thread, bounded) so millions of rows are not normalised character by
/// character anew.
const SINGLE_CHAR_KEYS_MAX: usize = 4096;

thread_local! {
    static SINGLE_CHAR_KEYS: RefCell<HashMap<char, Box<str>>> = RefCell::new(HashMap::new());
}

/// Appends the match key of one grapheme cluster (or any short string) to `out`.
pub(super) fn push_key(grapheme: &str, out: &mut String) {
    if grapheme.is_ascii() {
        // NFKD is the identity on ASCII and full case folding of ASCII is its lowercase.
        out.extend(grapheme.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    let mut chars = grapheme.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        compute_key(grapheme, out);
        return;
    };
    SINGLE_CHAR_KEYS.with_borrow_mut(|keys| {
        if let Some(k) = keys.get(&c) {
            out.push_str(k);
            return;
        }
        let from = out.len();
        compute_key(grapheme, out);
        if keys.len() >= SINGLE_CHAR_KEYS_MAX {
            keys.clear();
        }
        keys.insert(c, out.get(from..).unwrap_or_default().into());
    });
}

/// The key of a non-ASCII grapheme, computed (see the module doc).
fn compute_key(grapheme: &str, out: &mut String) {
    let nfkd = DecomposingNormalizerBorrowed::new_nfkd();
    let first = nfkd.normalize(grapheme);
    let folded = CaseMapperBorrowed::new().fold_string(&first);
    let decomposed = nfkd.normalize(&folded);
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let kept: String = decomposed
        .chars()
        .filter(|&c| !ignorable.contains(c) && !is_stripped_mark(c) && c != TATWEEL)
        .map(|c| match c {
            // Dotless ı: Turkish "IŞIK" folds to "işik" by default casing, "ışık" keeps ı;
            // one letter for matching so both meet.
            'ı' => 'i',
            '\u{2019}' | '\u{2018}' | '\u{02BC}' => '\'',
            other => other,
        })
        .collect();
    out.push_str(&ComposingNormalizerBorrowed::new_nfc().normalize(&kept));
}

/// The match key of a whole string (for needles): graphemes keyed one by one, so a needle
/// is normalised exactly like the text it is searched in.
pub(super) fn key_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() {
        push_key(text, &mut out);
    } else {
        for g in text.graphemes(true) {
            push_key(g, &mut out);
        }
    }
    out
}

/// ARABIC TATWEEL (kashida): a stretching stroke, not a letter.
const TATWEEL: char = '\u{0640}';

/// Nonspacing marks that matching ignores: accents of Latin, Greek and Cyrillic letters
/// (script Inherited, e.g. U+0301, U+0308, U+0306; so é = e, ё = е, ί = ι), Arabic
/// harakat/tashkeel and hamza/madda marks (so مُحَمَّد = محمد, أ = إ = آ = ا), Hebrew points.
/// Kept: the Japanese voicing marks U+3099/U+309A (か ≠ が), and the vowel signs and
/// viramas of Indic and Southeast Asian scripts, which are letters of the word.
fn is_stripped_mark(c: char) -> bool {
    if c == '\u{3099}' || c == '\u{309A}' {
        return false;
    }
    if CodePointMapData::<GeneralCategory>::new().get(c) != GeneralCategory::NonspacingMark {
        return false;
    }
    let script = CodePointMapData::<Script>::new().get(c);
    script == Script::Inherited || script == Script::Arabic || script == Script::Hebrew
}

/// Whether `c` belongs to a script written without spaces between words (Han, kana,
/// Hangul, Thai, Lao, Khmer, Myanmar, Bopomofo, Yi): a name in it is matched as a whole
/// string, two of its characters are enough for a needle, and two of its words may touch.
pub(super) fn is_spaceless(c: char) -> bool {
    if c == 'ー' || c == '々' {
        return true;
    }
    let s = CodePointMapData::<Script>::new().get(c);
    [
        Script::Han,
        Script::Hiragana,
        Script::Katakana,
        Script::Hangul,
        Script::Thai,
        Script::Lao,
        Script::Khmer,
        Script::Myanmar,
        Script::Bopomofo,
        Script::Yi,
    ]
    .contains(&s)
}

/// Whether `c` is a Hangul letter (Korean particles attach to the name they follow).
pub(super) fn is_hangul(c: char) -> bool {
    CodePointMapData::<Script>::new().get(c) == Script::Hangul
}

/// Whether `c` is an Arabic letter (prepositions and "and" attach to the name they precede).
pub(super) fn is_arabic(c: char) -> bool {
    CodePointMapData::<Script>::new().get(c) == Script::Arabic
}

/// The one-letter Arabic proclitics: و (and), ف (so), ب (with), ل (for), ك (like).
pub(super) fn is_arabic_proclitic(c: char) -> bool {
    matches!(c, 'و' | 'ف' | 'ب' | 'ل' | 'ك')
}

/// A soft separator (in the match key): the characters that may stand between two words of
/// a name, interchangeably: whitespace, dashes (general category Pd), full stop, underscore
/// (`ana_muller` as a handle or file name), middle dots.
pub(super) fn is_soft_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '.' | '_' | '\u{00B7}' | '\u{2027}' | '\u{30FB}')
        || CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::DashPunctuation
}

/// A text in match-key form, with the map from key offsets back to the original's.
pub(super) struct Keyed<'t> {
    original: &'t str,
    /// The match key of the whole text: the keys of its graphemes, concatenated.
    pub(super) key: String,
    /// Per grapheme, in order: (start in `key`, start in `original`), then the sentinel
    /// (`key.len()`, `original.len()`). Empty for ASCII text, whose key has the same offsets.
    map: Vec<(usize, usize)>,
    /// UAX #29 word boundaries of `key`, computed the first time a candidate needs them.
    bounds: OnceCell<Vec<usize>>,
}

impl<'t> Keyed<'t> {
    /// Keys `original` once; every needle is then searched in the key.
    pub(super) fn new(original: &'t str) -> Self {
        if original.is_ascii() {
            return Keyed {
                original,
                key: original.to_ascii_lowercase(),
                map: Vec::new(),
                bounds: OnceCell::new(),
            };
        }
        let mut key = String::with_capacity(original.len() + original.len() / 4);
        let mut map = Vec::with_capacity(original.len() / 2 + 1);
        for (at, g) in original.grapheme_indices(true) {
            map.push((key.len(), at));
            push_key(g, &mut key);
        }
        map.push((key.len(), original.len()));
        Keyed {
            original,
            key,
            map,
            bounds: OnceCell::new(),
        }
    }

    /// Whether `at` (an offset in `key`) is a UAX #29 word boundary.
    pub(super) fn is_word_boundary(&self, at: usize) -> bool {
        if at == 0 || at == self.key.len() {
            return true;
        }
        let bounds = self.bounds.get_or_init(|| {
            self.key
                .split_word_bound_indices()
                .map(|(i, _)| i)
                .collect()
        });
        bounds.binary_search(&at).is_ok()
    }

    /// Whether the text breaks between two words at key offset `at` with no visible
    /// separator: an invisible character dropped from the key sits there (a zero-width
    /// space, a word joiner, a soft hyphen: `Ana\u{200B}Müller`), or the case changes from
    /// lower to upper (`AnaMüller`). A name's words may meet there; words merely glued in
    /// one case (`anamuller`) are not matched, as they would also hit ordinary words.
    pub(super) fn is_hidden_break(&self, at: usize) -> bool {
        if self.map.is_empty() {
            let bytes = self.original.as_bytes();
            return at > 0
                && bytes.get(at - 1).is_some_and(u8::is_ascii_lowercase)
                && bytes.get(at).is_some_and(u8::is_ascii_uppercase);
        }
        // The graphemes whose key starts at `at`: more than one means some have empty keys.
        let first = self.map.partition_point(|&(k, _)| k < at);
        let past = self.map.partition_point(|&(k, _)| k <= at);
        if past.saturating_sub(first) >= 2 {
            return true;
        }
        let (Some(&(_, here)), Some(&(_, before))) = (
            self.map.get(first),
            first.checked_sub(1).and_then(|i| self.map.get(i)),
        ) else {
            return false;
        };
        let next = self.original.get(here..).and_then(|s| s.chars().next());
        let prev = self
            .original
            .get(before..here)
            .and_then(|s| s.chars().next_back());
        prev.is_some_and(char::is_lowercase) && next.is_some_and(char::is_uppercase)
    }

    /// The character of the key ending at `at`.
    pub(super) fn char_before(&self, at: usize) -> Option<char> {
        self.key.get(..at)?.chars().next_back()
    }

    /// The character of the key starting at `at`.
    pub(super) fn char_at(&self, at: usize) -> Option<char> {
        self.key.get(at..)?.chars().next()
    }

    /// The original byte range of the key range `start..end`, when both ends fall on
    /// grapheme keys' edges (a match that would split a grapheme's key, e.g. half of the
    /// "fi" a ligature ﬁ expands to, maps to nothing and is not a match).
    pub(super) fn original_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if self.map.is_empty() {
            return Some((start, end)).filter(|_| start < end && end <= self.original.len());
        }
        if start >= end {
            return None;
        }
        // The last grapheme whose key starts at or before `start` is the non-empty one that
        // starts there (graphemes with an empty key share their successor's offset).
        let first = self
            .map
            .partition_point(|&(k, _)| k <= start)
            .checked_sub(1)?;
        let (k_first, o_first) = *self.map.get(first)?;
        // The grapheme holding the match's last key byte must end exactly at `end`.
        let last = self.map.partition_point(|&(k, _)| k < end).checked_sub(1)?;
        let (k_next, o_next) = *self.map.get(last + 1)?;
        (k_first == start && k_next == end).then_some((o_first, o_next))
    }
}
