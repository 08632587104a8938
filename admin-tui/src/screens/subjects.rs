//! Data subjects by account id, fetched once each: the queue shows and searches their
//! emails (masked for support), the detail and the dialog name them.

use std::collections::{HashMap, HashSet};

use crate::action::Effect;
use crate::api::{ApiError, Subject};

/// Subjects known and being fetched.
#[derive(Debug, Clone, Default)]
pub struct Subjects {
    /// Subjects by account id.
    pub known: HashMap<String, Subject>,
    /// Account ids being fetched.
    pub pending: HashSet<String>,
}

impl Subjects {
    /// The subject's email (masked for support), `…` until loaded.
    pub fn email(&self, account_id: &str) -> &str {
        self.known.get(account_id).map_or("…", |s| s.email.as_str())
    }

    /// Whether the subject's email contains `needle` (already lower-case).
    pub fn email_contains(&self, account_id: &str, needle: &str) -> bool {
        self.known
            .get(account_id)
            .is_some_and(|s| s.email.to_lowercase().contains(needle))
    }

    /// Fetches for the subjects of `account_ids` not known or pending, in id order.
    pub fn fetch<'a>(&mut self, account_ids: impl Iterator<Item = &'a str>) -> Vec<Effect> {
        let mut wanted: Vec<String> = account_ids
            .filter(|a| !self.known.contains_key(*a) && !self.pending.contains(*a))
            .map(str::to_string)
            .collect();
        wanted.sort();
        wanted.dedup();
        wanted
            .into_iter()
            .map(|a| {
                self.pending.insert(a.clone());
                Effect::LoadSubject(a)
            })
            .collect()
    }

    /// Records a fetch's answer (a failed fetch leaves `…` shown).
    pub fn loaded(&mut self, account_id: String, result: Result<Subject, ApiError>) {
        self.pending.remove(&account_id);
        if let Ok(s) = result {
            self.known.insert(account_id, s);
        }
    }

    /// Records a subject that came with another answer (a request's detail).
    pub fn insert(&mut self, subject: &Subject) {
        self.known
            .insert(subject.account_id.clone(), subject.clone());
    }

    /// Whether a fetch is running.
    pub fn loading(&self) -> bool {
        !self.pending.is_empty()
    }
}
