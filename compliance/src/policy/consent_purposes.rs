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
    /// The product-improvement analytics and the consent they run on (policy: "Improve the
    /// product (aggregate, de-identified analytics)"); absent: no analytics run.
    #[serde(default)]
    pub analytics: Option<AnalyticsRule>,
}

/// How the aggregate analytics stay de-identified (`[analytics]` of `consents.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsRule {
    /// The purpose (a key of `purposes`) a member must have consented to, under its current
    /// wording, for their orders to be counted.
    pub purpose: String,
    /// k: the fewest distinct customers, and the fewest distinct owners, a stored figure may
    /// describe; a smaller group's figure is never stored. At least 2.
    pub min_group_size: u32,
    /// Why the figures are not personal data (for the record of processing).
    pub justification: String,
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
        if let Some(rule) = &file.analytics {
            let Some(purpose) = file.purposes.get(&rule.purpose) else {
                return Err(PolicyError::new(
                    path,
                    "analytics.purpose",
                    format!("`{}` is not a purpose of this file", rule.purpose),
                ));
            };
            if rule.min_group_size < 2 {
                return Err(PolicyError::new(
                    path,
                    "analytics.min_group_size",
                    "must be at least 2: a group of one is a person",
                ));
            }
            // The member consents to the wording, so the wording must state the k in force.
            if !purpose
                .description
                .contains(&format!("at least {}", rule.min_group_size))
            {
                return Err(PolicyError::new(
                    path,
                    format!("purposes.{}.description", rule.purpose),
                    format!(
                        "must tell members the minimum group size (\"at least {}\")",
                        rule.min_group_size
                    ),
                ));
            }
            if rule.justification.trim().is_empty() {
                return Err(PolicyError::new(
                    path,
                    "analytics.justification",
                    "must not be empty",
                ));
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PURPOSE: &str = "version = 1\n[purposes.product_analytics]\ntitle = \"t\"\ndescription = \"at least 5\"\nversion = \"1\"\n";

    fn parse(extra: &str) -> Result<ConsentPurposes, PolicyError> {
        ConsentPurposes::parse(Path::new("consents.toml"), &format!("{PURPOSE}{extra}"))
    }

    #[test]
    fn analytics_rule_is_checked() {
        let ok = parse(
            "[analytics]\npurpose = \"product_analytics\"\nmin_group_size = 5\njustification = \"j\"\n",
        );
        assert_eq!(
            ok.map(|f| f.analytics.map(|a| a.min_group_size)).ok(),
            Some(Some(5))
        );
        let unknown =
            parse("[analytics]\npurpose = \"nope\"\nmin_group_size = 5\njustification = \"j\"\n");
        assert!(unknown.is_err_and(|e| e.to_string().contains("analytics.purpose")));
        let one = parse(
            "[analytics]\npurpose = \"product_analytics\"\nmin_group_size = 1\njustification = \"j\"\n",
        );
        assert!(one.is_err_and(|e| e.to_string().contains("min_group_size")));
        assert!(parse("").is_ok_and(|f| f.analytics.is_none()));
    }
}
