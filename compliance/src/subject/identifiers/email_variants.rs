//! The subject's email address written so a plain search misses it: with a sub-address tag
//! (`ana+shop@example.com` for `ana@example.com`, which most providers deliver to the same
//! mailbox) or with its `@` and dots spelled out (`ana (at) example (dot) com`,
//! `ana[at]example[dot]com`, `ana at example dot com`, `ana @ example.com`).
//!
//! Matched on the match key (lower case, odd spaces made spaces), with the same rule at
//! both ends as the plain address: nothing that would continue an address may touch it.

use super::key::Keyed;

/// The spelled-out forms of `@` and `.` inside brackets (`(at)`, `[dot]`, ...).
const BRACKETS: [(char, char); 4] = [('(', ')'), ('[', ']'), ('{', '}'), ('<', '>')];

/// An address split where its separators may be spelled out.
#[derive(Debug, Clone)]
pub(super) struct EmailShape {
    /// The local part's dot-separated pieces (`ana.mueller` → `ana`, `mueller`).
    local: Vec<String>,
    /// The domain's labels.
    domain: Vec<String>,
    /// Whether a `+tag` may follow the local part (the address has none of its own).
    tag_allowed: bool,
}

impl EmailShape {
    /// The shape of an address already in match-key form; `None` when it is not one.
    pub(super) fn of(email_key: &str) -> Option<Self> {
        let (local, domain) = email_key.rsplit_once('@')?;
        let pieces = |s: &str, sep: char| -> Option<Vec<String>> {
            let v: Vec<String> = s.split(sep).map(str::to_string).collect();
            v.iter().all(|p| !p.is_empty()).then_some(v)
        };
        if email_key.chars().any(char::is_whitespace) {
            return None;
        }
        Some(EmailShape {
            local: pieces(local, '.')?,
            domain: pieces(domain, '.')?,
            tag_allowed: !local.contains('+'),
        })
    }

    /// The key ranges of `keyed` holding the address in one of the variant forms (the
    /// plain form too: overlaps are resolved by the caller).
    pub(super) fn find(&self, keyed: &Keyed<'_>) -> Vec<(usize, usize)> {
        let Some(first) = self.local.first() else {
            return Vec::new();
        };
        let key = keyed.key.as_str();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(i) = key.get(from..).and_then(|rest| rest.find(first.as_str())) {
            let start = from + i;
            if super::email_start_ok(keyed.char_before(start), ".!#$%&'*+/=?^_`{|}~-")
                && let Some(end) = self.match_from(key, start)
            {
                let next = keyed.char_at(end);
                let after_next = next.and_then(|c| keyed.char_at(end + c.len_utf8()));
                if super::email_end_ok(next, after_next) {
                    out.push((start, end));
                }
            }
            from = start + keyed.char_at(start).map_or(1, char::len_utf8);
        }
        out
    }

    /// The end of the address when one starts at `start`.
    fn match_from(&self, key: &str, start: usize) -> Option<usize> {
        let mut p = start;
        for (i, piece) in self.local.iter().enumerate() {
            if i > 0 {
                p = separator(key, p, '.', "dot")?;
            }
            p = literal(key, p, piece)?;
        }
        if self.tag_allowed && key.get(p..)?.starts_with('+') {
            let tag = key.get(p + 1..)?;
            let len: usize = tag
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .map(char::len_utf8)
                .sum();
            if len == 0 {
                return None;
            }
            p += 1 + len;
        }
        p = separator(key, p, '@', "at")?;
        for (i, label) in self.domain.iter().enumerate() {
            if i > 0 {
                p = separator(key, p, '.', "dot")?;
            }
            p = literal(key, p, label)?;
        }
        Some(p)
    }
}

fn literal(key: &str, at: usize, text: &str) -> Option<usize> {
    key.get(at..)?.starts_with(text).then_some(at + text.len())
}

fn spaces(key: &str, at: usize) -> usize {
    key.get(at..).map_or(0, |rest| {
        rest.chars()
            .take_while(|c| c.is_whitespace())
            .map(char::len_utf8)
            .sum()
    })
}

/// After `at`: the separator `sign` itself (spaces around it allowed for `@`), the `word`
/// in brackets (`(at)`, `[ dot ]`, spaces around allowed), or the bare `word` between
/// spaces (` at `). Returns where the next piece starts.
fn separator(key: &str, at: usize, sign: char, word: &str) -> Option<usize> {
    if key.get(at..)?.starts_with(sign) {
        return Some(at + sign.len_utf8());
    }
    let lead = spaces(key, at);
    let p = at + lead;
    let rest = key.get(p..)?;
    if sign == '@' && rest.starts_with(sign) {
        let q = p + sign.len_utf8();
        return Some(q + spaces(key, q));
    }
    for (open, close) in BRACKETS {
        if rest.starts_with(open) {
            let q = p + open.len_utf8();
            let q = q + spaces(key, q);
            let q = literal(key, q, word)?;
            let q = q + spaces(key, q);
            let q = literal(key, q, close.encode_utf8(&mut [0; 4]))?;
            return Some(q + spaces(key, q));
        }
    }
    if lead > 0 && rest.starts_with(word) {
        let q = p + word.len();
        let trail = spaces(key, q);
        return (trail > 0).then_some(q + trail);
    }
    None
}
