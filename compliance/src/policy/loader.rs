//! Loading `policies/` at start-up: every policy file parsed and validated on its own, then
//! against each other (a table's retention rule exists and governs tables, a rule is used,
//! a description's figures match its period, the privacy policy's placeholders are known).

use std::path::{Path, PathBuf};

use crate::policy::consent_purposes::ConsentPurposes;
use crate::policy::cookies::CookiePolicy;
use crate::policy::data_map::DataMap;
use crate::policy::error::PolicyError;
use crate::policy::facts::Facts;
use crate::policy::privacy_policy::PrivacyPolicy;
use crate::policy::retention_rules::{self, RetentionRules};
use crate::policy::subprocessors::SubprocessorList;

/// The data map file's name inside the policies directory.
pub const DATA_MAP_FILE: &str = "data_map.toml";
/// The retention rules file's name inside the policies directory.
pub const RETENTION_FILE: &str = "retention.toml";
/// The published privacy policy's file name.
pub const PRIVACY_POLICY_FILE: &str = "privacy_policy.toml";
/// The terms of service's file name (same format as the privacy policy).
pub const TERMS_FILE: &str = "terms.toml";
/// The acceptable use policy's file name (same format as the privacy policy).
pub const ACCEPTABLE_USE_FILE: &str = "acceptable_use.toml";
/// The cookie list's file name.
pub const COOKIES_FILE: &str = "cookies.toml";
/// The sub-processor list's file name.
pub const SUBPROCESSORS_FILE: &str = "subprocessors.toml";
/// The consent purposes' file name.
pub const CONSENTS_FILE: &str = "consents.toml";

/// Every policy heepr runs by, loaded and validated.
#[derive(Debug, Clone)]
pub struct Policies {
    /// Where the files were read from.
    pub dir: PathBuf,
    /// What every table and column is and how it is exported and erased.
    pub data_map: DataMap,
    /// How long each kind of data is kept.
    pub retention: RetentionRules,
    /// The published privacy policy, every version.
    pub privacy_policy: PrivacyPolicy,
    /// The terms of service, every version; sign-up accepts the one in force.
    pub terms: PrivacyPolicy,
    /// The acceptable use policy, every version (part of the terms).
    pub acceptable_use: PrivacyPolicy,
    /// Every cookie heepr can set.
    pub cookies: CookiePolicy,
    /// Sub-processors and hosting.
    pub subprocessors: SubprocessorList,
    /// What members can consent to.
    pub consent_purposes: ConsentPurposes,
}

impl Policies {
    /// Reads and validates every policy file of `dir`: `data_map.toml`, `retention.toml`,
    /// `privacy_policy.toml`, `terms.toml`, `acceptable_use.toml`, `cookies.toml`,
    /// `subprocessors.toml`, `consents.toml`.
    ///
    /// Errors: the first problem found, as a [`PolicyError`] naming file, key and reason
    /// (missing file, bad TOML, unknown key, unknown enum value, a table naming a retention
    /// rule that does not exist, a rule no table uses, a retention description whose figure
    /// disagrees with its period, a period stated in any policy text that no rule with that
    /// period enforces, an unknown placeholder in the text of the privacy policy, the terms or
    /// the acceptable use policy).
    pub fn load(dir: &Path) -> Result<Policies, PolicyError> {
        let data_map_path = dir.join(DATA_MAP_FILE);
        let retention_path = dir.join(RETENTION_FILE);
        let data_map = DataMap::parse(&data_map_path, &read(&data_map_path)?)?;
        let retention = RetentionRules::parse(&retention_path, &read(&retention_path)?)?;
        let privacy_path = dir.join(PRIVACY_POLICY_FILE);
        let privacy_policy = PrivacyPolicy::parse(&privacy_path, &read(&privacy_path)?)?;
        let terms_path = dir.join(TERMS_FILE);
        let terms = PrivacyPolicy::parse(&terms_path, &read(&terms_path)?)?;
        let acceptable_use_path = dir.join(ACCEPTABLE_USE_FILE);
        let acceptable_use =
            PrivacyPolicy::parse(&acceptable_use_path, &read(&acceptable_use_path)?)?;
        let cookies_path = dir.join(COOKIES_FILE);
        let cookies = CookiePolicy::parse(&cookies_path, &read(&cookies_path)?)?;
        let subprocessors_path = dir.join(SUBPROCESSORS_FILE);
        let subprocessors =
            SubprocessorList::parse(&subprocessors_path, &read(&subprocessors_path)?)?;
        let consents_path = dir.join(CONSENTS_FILE);
        let consent_purposes = ConsentPurposes::parse(&consents_path, &read(&consents_path)?)?;
        let policies = Policies {
            dir: dir.to_path_buf(),
            data_map,
            retention,
            privacy_policy,
            terms,
            acceptable_use,
            cookies,
            subprocessors,
            consent_purposes,
        };
        policies.cross_check()?;
        retention_rules::check_retention_figures(&retention_path, &policies.retention)?;
        for file in [
            DATA_MAP_FILE,
            RETENTION_FILE,
            PRIVACY_POLICY_FILE,
            TERMS_FILE,
            ACCEPTABLE_USE_FILE,
            COOKIES_FILE,
            SUBPROCESSORS_FILE,
            CONSENTS_FILE,
        ] {
            let path = dir.join(file);
            retention_rules::check_stated_periods(&path, &read(&path)?, &policies.retention)?;
        }
        let facts = policies.facts();
        policies
            .privacy_policy
            .check_placeholders(&privacy_path, &facts)?;
        policies.terms.check_placeholders(&terms_path, &facts)?;
        policies
            .acceptable_use
            .check_placeholders(&acceptable_use_path, &facts)?;
        Ok(policies)
    }

    /// The facts the published policies are rendered from (see [`Facts`]).
    pub fn facts(&self) -> Facts {
        Facts::new(
            &self.data_map,
            &self.retention,
            &self.subprocessors,
            &self.cookies,
        )
    }

    fn cross_check(&self) -> Result<(), PolicyError> {
        let map_file = self.dir.join(DATA_MAP_FILE);
        for (table_name, table) in &self.data_map.tables {
            let Some(rule) = self.retention.rules.get(&table.retention) else {
                return Err(PolicyError::new(
                    &map_file,
                    format!("tables.{table_name}.retention"),
                    format!(
                        "names retention rule {:?}, which {} does not define",
                        table.retention, RETENTION_FILE
                    ),
                ));
            };
            if !rule.governs_tables() {
                return Err(PolicyError::new(
                    &map_file,
                    format!("tables.{table_name}.retention"),
                    format!(
                        "rule {:?} governs a file store or accounts, not tables",
                        table.retention
                    ),
                ));
            }
            if rule.has_period() && table.retention_clock.is_none() {
                return Err(PolicyError::new(
                    &map_file,
                    format!("tables.{table_name}.retention_clock"),
                    format!(
                        "rule {:?} removes rows after {}: name the time column the period counts from",
                        table.retention,
                        rule.period_text()
                    ),
                ));
            }
        }
        for (rule_name, rule) in &self.retention.rules {
            if !rule.governs_tables() {
                continue;
            }
            let used = self
                .data_map
                .tables
                .values()
                .any(|t| &t.retention == rule_name);
            if !used {
                return Err(PolicyError::new(
                    &self.dir.join(RETENTION_FILE),
                    format!("rules.{rule_name}"),
                    format!(
                        "no table in {DATA_MAP_FILE} uses this rule, and it names no store or accounts"
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, PolicyError> {
    std::fs::read_to_string(path)
        .map_err(|e| PolicyError::new(path, "", format!("cannot read the file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_policies() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
    }

    #[test]
    fn shipped_policies_load() -> Result<(), PolicyError> {
        let policies = Policies::load(&repo_policies())?;
        assert!(policies.data_map.tables.contains_key("accounts"));
        assert!(policies.terms.current().is_some());
        assert!(policies.acceptable_use.current().is_some());
        Ok(())
    }

    #[test]
    fn terms_with_an_unknown_placeholder_stop_start_up() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        for entry in std::fs::read_dir(repo_policies())? {
            let entry = entry?;
            std::fs::copy(entry.path(), dir.path().join(entry.file_name()))?;
        }
        let terms = std::fs::read_to_string(dir.path().join(TERMS_FILE))?;
        std::fs::write(
            dir.path().join(TERMS_FILE),
            terms.replacen("{{ effective }}", "{{ effective_date }}", 1),
        )?;
        let err = Policies::load(dir.path()).err().ok_or("accepted")?;
        assert!(err.file.ends_with(TERMS_FILE), "{err}");
        assert_eq!(err.key, "versions[0].text");
        Ok(())
    }

    #[test]
    fn missing_dir_names_the_file() {
        let err = Policies::load(Path::new("/nonexistent/policies")).err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("data_map.toml"), "{err}");
        assert!(err.contains("cannot read"), "{err}");
    }

    #[test]
    fn table_naming_unknown_rule_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let map = std::fs::read_to_string(repo_policies().join(DATA_MAP_FILE))?;
        let map = map.replacen("retention = \"email_log\"", "retention = \"forever\"", 1);
        std::fs::write(dir.path().join(DATA_MAP_FILE), map)?;
        for file in [
            RETENTION_FILE,
            PRIVACY_POLICY_FILE,
            TERMS_FILE,
            ACCEPTABLE_USE_FILE,
            COOKIES_FILE,
            SUBPROCESSORS_FILE,
            CONSENTS_FILE,
        ] {
            std::fs::copy(repo_policies().join(file), dir.path().join(file))?;
        }
        let err = Policies::load(dir.path()).err().ok_or("accepted")?;
        assert_eq!(err.key, "tables.email_log.retention");
        assert!(err.reason.contains("\"forever\""), "{}", err.reason);
        Ok(())
    }
}
