//! `policies/subprocessors.toml`: who processes personal data for heepr, where, and under
//! which transfer safeguard. Published on the sub-processors page and listed as recipients
//! and transfers in the record of processing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::policy::data_map::Category;
use crate::policy::error::{PolicyError, check_date, toml_error};

/// The sub-processors file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubprocessorList {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Effective date of this list (`YYYY-MM-DD`).
    pub effective: String,
    /// Where heepr itself is hosted.
    pub hosting: Hosting,
    /// Every sub-processor, in the order published.
    pub subprocessors: Vec<Subprocessor>,
}

/// Where heepr's own servers run (policy: "Our servers are hosted in the United States").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Hosting {
    /// Country or region.
    pub location: String,
    /// Safeguard for transfers from the EEA/UK (e.g. Standard Contractual Clauses).
    pub transfer: String,
}

/// One sub-processor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subprocessor {
    /// What it does for heepr.
    pub service: String,
    /// Who it is.
    pub name: String,
    /// Categories of personal data it receives (data map categories).
    pub categories: Vec<Category>,
    /// Where it processes the data.
    pub location: String,
    /// Transfer safeguard from the EEA/UK.
    pub transfer: String,
    /// When it receives data: "always" or the condition.
    pub when: String,
}

impl SubprocessorList {
    /// Parses and validates the text of `path`.
    ///
    /// Errors (file, key, reason): bad TOML, unknown keys or categories; an unsupported
    /// version; a bad effective date; an empty field; a sub-processor with no category.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let list: SubprocessorList = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if list.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        check_date(path, "effective", &list.effective)?;
        for (k, v) in [
            ("hosting.location", &list.hosting.location),
            ("hosting.transfer", &list.hosting.transfer),
        ] {
            if v.trim().is_empty() {
                return Err(PolicyError::new(path, k, "must not be empty"));
            }
        }
        for (i, sp) in list.subprocessors.iter().enumerate() {
            let key = |k: &str| format!("subprocessors[{i}].{k}");
            for (k, v) in [
                ("service", &sp.service),
                ("name", &sp.name),
                ("location", &sp.location),
                ("transfer", &sp.transfer),
                ("when", &sp.when),
            ] {
                if v.trim().is_empty() {
                    return Err(PolicyError::new(path, key(k), "must not be empty"));
                }
            }
            if sp.categories.is_empty() {
                return Err(PolicyError::new(
                    path,
                    key("categories"),
                    "name the categories of personal data it receives",
                ));
            }
        }
        Ok(list)
    }

    /// The sub-processors that receive `category`.
    pub fn receiving(&self, category: Category) -> Vec<&Subprocessor> {
        self.subprocessors
            .iter()
            .filter(|s| s.categories.contains(&category))
            .collect()
    }
}
