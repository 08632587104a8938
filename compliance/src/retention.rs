//! `policies/retention.toml`: how long each kind of data is kept.
//!
//! Issue-level scope today: rule names, periods and justifications, validated at start-up.
//! Every table in the data map names one rule (checked in [`crate::policies`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::policies::{PolicyError, toml_error};

/// The retention rules, by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Rule name → rule.
    pub rules: BTreeMap<String, RetentionRule>,
}

/// One retention rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    /// What the rule keeps and for how long, in words published to data subjects.
    pub description: String,
    /// Why this period (for the record of processing).
    pub justification: String,
    /// Rows older than this many days are removed; `None` with no `period_months` means the
    /// data lives as long as the account (erasure removes it) or the system.
    pub period_days: Option<u32>,
    /// Rows older than this many calendar months are removed (e.g. email log: 12).
    pub period_months: Option<u32>,
}

impl RetentionRule {
    /// The period in words, e.g. "12 months", or "account lifetime".
    pub fn period_text(&self) -> String {
        match (self.period_days, self.period_months) {
            (Some(d), _) => format!("{d} days"),
            (None, Some(m)) => format!("{m} months"),
            (None, None) => "no fixed period".to_string(),
        }
    }
}

impl RetentionRules {
    /// Parses and validates the text of `path`.
    ///
    /// Errors: bad TOML or unknown keys; a rule with both `period_days` and `period_months`;
    /// an empty description or justification; an unsupported version.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let rules: RetentionRules = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if rules.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        for (name, rule) in &rules.rules {
            let key = |k: &str| format!("rules.{name}.{k}");
            if rule.period_days.is_some() && rule.period_months.is_some() {
                return Err(PolicyError::new(
                    path,
                    key("period_days"),
                    "give period_days or period_months, not both",
                ));
            }
            if rule.description.trim().is_empty() {
                return Err(PolicyError::new(
                    path,
                    key("description"),
                    "must not be empty",
                ));
            }
            if rule.justification.trim().is_empty() {
                return Err(PolicyError::new(
                    path,
                    key("justification"),
                    "must not be empty",
                ));
            }
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_periods_rejected() {
        let text = r#"version = 1
[rules.x]
description = "d"
justification = "j"
period_days = 1
period_months = 1
"#;
        let err = RetentionRules::parse(Path::new("r.toml"), text).err();
        assert_eq!(err.map(|e| e.key), Some("rules.x.period_days".to_string()));
    }

    #[test]
    fn unknown_key_rejected() {
        let text = "version = 1\n[rules.x]\ndescription = \"d\"\njustification = \"j\"\nperiod_weeks = 2\n";
        let err = RetentionRules::parse(Path::new("r.toml"), text).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("period_weeks"), "{msg}");
    }
}
