//! `policies/consents.toml`: what a member can consent to, each with the version of its
//! wording. Policy: "consent (where required ...)"; "withdraw consent at any time".

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::policy::error::{PolicyError, toml_error};

/// The consent purposes file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentPurposes {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Purpose key (stored in the `consents` table) → purpose.
    pub purposes: BTreeMap<String, ConsentPurpose>,
}

/// One thing a member can consent to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentPurpose {
    /// Short title for the dashboard.
    pub title: String,
    /// What the member agrees to, in full.
    pub description: String,
    /// Version of this wording; recorded with each consent.
    pub version: String,
}

impl ConsentPurposes {
    /// Parses and validates the text of `path`.
    ///
    /// Errors (file, key, reason): bad TOML or unknown keys; an unsupported version; a
    /// purpose key that is not lowercase letters and underscores; an empty field.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let file: ConsentPurposes = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if file.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        for (name, purpose) in &file.purposes {
            let key = |k: &str| format!("purposes.{name}.{k}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            {
                return Err(PolicyError::new(
                    path,
                    format!("purposes.{name}"),
                    "a purpose key is lowercase letters, digits and underscores",
                ));
            }
            for (k, v) in [
                ("title", &purpose.title),
                ("description", &purpose.description),
                ("version", &purpose.version),
            ] {
                if v.trim().is_empty() {
                    return Err(PolicyError::new(path, key(k), "must not be empty"));
                }
            }
        }
        Ok(file)
    }
}
