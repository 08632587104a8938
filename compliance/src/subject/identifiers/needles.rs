//! Deriving the needles from a display name and an email, per the rule in the parent
//! module's doc ("Needles").

use unicode_segmentation::UnicodeSegmentation;

use super::key::{is_soft_separator, is_spaceless, key_of};

/// How a needle's ends must sit in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// An email address: the characters beside it must not continue an address.
    Email,
    /// An email address percent-encoded in a URL (`ana%40example.com`): as [`Kind::Email`],
    /// except that a query's `=` or `&` may precede it.
    EncodedEmail,
    /// Words of the display name: word boundaries at both ends, soft separators between.
    Name,
}

/// One needle: its parts in match-key form, matched in order with a gap between parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Needle {
    pub(super) kind: Kind,
    /// Never empty; an email needle has exactly one part.
    pub(super) parts: Vec<String>,
}

/// A word of the display name, in match-key form.
#[derive(Debug, Clone, Default)]
struct Word {
    text: String,
    /// Graphemes that start with a letter (digits do not count).
    letters: usize,
    /// Whether some letter is of a script written without spaces.
    spaceless: bool,
}

impl Word {
    /// A word that may begin or end a partial run, or stand alone: 3 letters, or 2 in a
    /// script without spaces (a Han character is a syllable).
    fn is_strong(&self) -> bool {
        self.letters >= 3 || (self.spaceless && self.letters >= 2)
    }
}

/// Whether the words together are long enough to be a needle: 3 letters, or 2 when one of
/// them is of a script without spaces; so a 1–2 letter name ("Li", "Jo") is never a needle.
fn long_enough(words: &[Word]) -> bool {
    let letters: usize = words.iter().map(|w| w.letters).sum();
    letters >= 3 || (letters >= 2 && words.iter().any(|w| w.spaceless))
}

/// What a grapheme of the name's key is, for splitting it into words and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Apostrophe,
    Soft,
    Hard,
}

fn class(g: &str) -> Class {
    match g.chars().next() {
        Some('\'') => Class::Apostrophe,
        Some(c) if c.is_alphanumeric() => Class::Word,
        Some(c) if is_soft_separator(c) => Class::Soft,
        _ => Class::Hard,
    }
}

/// The display name's groups of words: words are runs of letters and digits (an apostrophe
/// between two such characters stays inside: "o'brien"); a word without a letter ("2024")
/// is dropped and, like any character that is neither a soft separator nor part of a word
/// (emoji, symbols, brackets, commas, slashes, quotes), ends the group. The flag says
/// whether anything was dropped (the name is decorated).
fn groups(name_key: &str) -> (Vec<Vec<Word>>, bool) {
    let graphemes: Vec<&str> = name_key.graphemes(true).collect();
    let mut split = Splitter::default();
    for (i, g) in graphemes.iter().enumerate() {
        match class(g) {
            Class::Word => {
                split.word.text.push_str(g);
                if g.chars().next().is_some_and(char::is_alphabetic) {
                    split.word.letters += 1;
                }
                split.word.spaceless |= g.chars().any(is_spaceless);
            }
            Class::Apostrophe
                if !split.word.text.is_empty()
                    && graphemes
                        .get(i + 1)
                        .is_some_and(|n| class(n) == Class::Word) =>
            {
                split.word.text.push_str(g);
            }
            Class::Soft => split.end_word(false),
            Class::Apostrophe | Class::Hard => split.end_word(true),
        }
    }
    split.end_word(false);
    split.groups.retain(|g| !g.is_empty());
    (split.groups, split.decorated)
}

/// State of [`groups`].
#[derive(Default)]
struct Splitter {
    groups: Vec<Vec<Word>>,
    word: Word,
    decorated: bool,
}

impl Splitter {
    /// Ends the word being read; `hard` (or a word without letters) also ends the group.
    fn end_word(&mut self, hard: bool) {
        let done = std::mem::take(&mut self.word);
        let digits_only = !done.text.is_empty() && done.letters == 0;
        self.decorated |= hard || digits_only;
        if self.groups.is_empty() {
            self.groups.push(Vec::new());
        }
        if done.letters > 0
            && let Some(g) = self.groups.last_mut()
        {
            g.push(done);
        }
        if (hard || digits_only) && self.groups.last().is_some_and(|g| !g.is_empty()) {
            self.groups.push(Vec::new());
        }
    }
}

fn name_needle(words: &[Word]) -> Needle {
    Needle {
        kind: Kind::Name,
        parts: words.iter().map(|w| w.text.clone()).collect(),
    }
}

/// The needles of `display_name` (see the parent module's doc): the name as written, its
/// letter-only core, each group of two or more words, each prefix and suffix of such a group
/// that begins and ends with a strong word, and (when `single_words`) each strong word.
pub(super) fn name_needles(display_name: &str, single_words: bool) -> Vec<Needle> {
    let key = key_of(display_name);
    let (groups, decorated) = groups(&key);
    let core: Vec<Word> = groups.iter().flatten().cloned().collect();
    let mut out: Vec<Needle> = Vec::new();
    let mut push = |n: Needle| {
        if !out.contains(&n) {
            out.push(n);
        }
    };
    if !long_enough(&core) {
        return Vec::new();
    }
    // As written, decorations included, so "🚀 Ana Müller ✨" is replaced whole where it
    // appears whole; only worth a needle when the name has something the core drops.
    if decorated {
        push(Needle {
            kind: Kind::Name,
            parts: key.split_whitespace().map(str::to_string).collect(),
        });
    }
    push(name_needle(&core));
    for group in &groups {
        let n = group.len();
        if n >= 2 && long_enough(group) {
            push(name_needle(group));
        }
        for k in 2..n {
            let prefix = &group[..k];
            let suffix = &group[n - k..];
            for run in [prefix, suffix] {
                if run.first().is_some_and(Word::is_strong)
                    && run.last().is_some_and(Word::is_strong)
                {
                    push(name_needle(run));
                }
            }
        }
    }
    if single_words {
        for w in core.iter().filter(|w| w.is_strong()) {
            push(name_needle(std::slice::from_ref(w)));
        }
    }
    out
}

/// The needles of `email`: the address whole, and its percent-encoded form (`%40` for `@`,
/// as in links carrying the address in a query string). None when it is not an address.
pub(super) fn email_needles(email: &str) -> Vec<Needle> {
    let Some(key) = email_key(email) else {
        return Vec::new();
    };
    let Some((local, domain)) = key.rsplit_once('@') else {
        return Vec::new();
    };
    let encoded = format!("{local}%40{domain}");
    vec![
        Needle {
            kind: Kind::Email,
            parts: vec![key.clone()],
        },
        Needle {
            kind: Kind::EncodedEmail,
            parts: vec![encoded],
        },
    ]
}

/// `email` in match-key form, when it is an address (`local@domain`, no spaces).
pub(super) fn email_key(email: &str) -> Option<String> {
    let key = key_of(email.trim());
    let (local, domain) = key.rsplit_once('@')?;
    let usable = !local.is_empty() && !domain.is_empty() && !key.chars().any(char::is_whitespace);
    usable.then_some(key)
}
