//! The record of processing activities (GDPR Art. 30), generated from the policy files:
//! categories of personal data, purposes, legal bases, recipients (sub-processors),
//! transfers outside the EEA/UK and retention periods. `heepr ropa` writes it as Markdown
//! and JSON; it is never written by hand, so it cannot drift from the data map.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::policy::data_map::{Category, LegalBasis};
use crate::policy::loader::Policies;
use crate::policy::retention_rules::period_words;

/// The controller named in the record.
pub const CONTROLLER: &str = "heepr Marketplace";
/// The controller's privacy contact (policy: "Privacy questions: privacy@heepr.ai").
pub const PRIVACY_CONTACT: &str = "privacy@heepr.ai";

/// The whole record.
#[derive(Debug, Clone, Serialize)]
pub struct Ropa {
    /// Who is responsible.
    pub controller: String,
    /// Where to write about it.
    pub contact: String,
    /// Effective date of the privacy policy in force.
    pub privacy_policy_effective: String,
    /// One record per category of personal data in the data map.
    pub categories: Vec<CategoryRecord>,
    /// Transfers outside the EEA/UK: heepr's hosting and each sub-processor.
    pub transfers: Vec<TransferRecord>,
}

/// What heepr processes in one category of personal data.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRecord {
    /// Data map category (`account`, `marketplace_activity`, ...).
    pub category: String,
    /// Every table holding personal columns of this category.
    pub processing: Vec<ProcessingRecord>,
    /// Legal bases used for this category.
    pub legal_bases: Vec<String>,
    /// Sub-processors receiving this category ("service: name").
    pub recipients: Vec<String>,
}

/// One table's processing within a category.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessingRecord {
    /// Table name.
    pub table: String,
    /// Why it exists (data map).
    pub purpose: String,
    /// The personal columns of this category.
    pub data: Vec<String>,
    /// Their legal bases.
    pub legal_bases: Vec<String>,
    /// Retention rule name.
    pub retention_rule: String,
    /// Retention period in words ("12 months"), or the rule's description when it has none.
    pub retention: String,
    /// Why that period.
    pub retention_justification: String,
}

/// A transfer of personal data outside the EEA/UK.
#[derive(Debug, Clone, Serialize)]
pub struct TransferRecord {
    /// Who receives it (heepr's hosting or a sub-processor).
    pub recipient: String,
    /// Where.
    pub location: String,
    /// Under which safeguard.
    pub safeguard: String,
    /// When ("always" or the condition).
    pub when: String,
}

/// The data map's name for a category.
pub fn category_name(category: Category) -> &'static str {
    match category {
        Category::Account => "account",
        Category::MarketplaceActivity => "marketplace_activity",
        Category::AgentOperations => "agent_operations",
        Category::Technical => "technical",
    }
}

/// The data map's name for a legal basis.
pub fn basis_name(basis: LegalBasis) -> &'static str {
    match basis {
        LegalBasis::Contract => "contract",
        LegalBasis::LegitimateInterests => "legitimate_interests",
        LegalBasis::Consent => "consent",
        LegalBasis::LegalObligation => "legal_obligation",
    }
}

impl Ropa {
    /// Builds the record from loaded (and therefore validated) policies.
    pub fn build(policies: &Policies) -> Ropa {
        let mut by_category: BTreeMap<Category, Vec<ProcessingRecord>> = BTreeMap::new();
        for (table, spec) in &policies.data_map.tables {
            let mut per_category: BTreeMap<Category, (Vec<String>, BTreeSet<LegalBasis>)> =
                BTreeMap::new();
            for (column, col) in &spec.columns {
                if let (true, Some(category), Some(basis)) = (col.personal, col.category, col.basis)
                {
                    let entry = per_category.entry(category).or_default();
                    entry.0.push(column.clone());
                    entry.1.insert(basis);
                }
            }
            let rule = policies.retention.rules.get(&spec.retention);
            for (category, (data, bases)) in per_category {
                by_category
                    .entry(category)
                    .or_default()
                    .push(ProcessingRecord {
                        table: table.clone(),
                        purpose: spec.purpose.clone(),
                        data,
                        legal_bases: bases.into_iter().map(|b| basis_name(b).into()).collect(),
                        retention_rule: spec.retention.clone(),
                        retention: rule
                            .map(|r| period_words(r).unwrap_or_else(|| r.description.clone()))
                            .unwrap_or_default(),
                        retention_justification: rule
                            .map(|r| r.justification.clone())
                            .unwrap_or_default(),
                    });
            }
        }
        let categories = by_category
            .into_iter()
            .map(|(category, processing)| {
                let legal_bases: BTreeSet<String> = processing
                    .iter()
                    .flat_map(|p| p.legal_bases.iter().cloned())
                    .collect();
                CategoryRecord {
                    category: category_name(category).into(),
                    legal_bases: legal_bases.into_iter().collect(),
                    recipients: policies
                        .subprocessors
                        .receiving(category)
                        .into_iter()
                        .map(|s| format!("{}: {}", s.service, s.name))
                        .collect(),
                    processing,
                }
            })
            .collect();
        let hosting = &policies.subprocessors.hosting;
        let mut transfers = vec![TransferRecord {
            recipient: "heepr's servers (hosting)".into(),
            location: hosting.location.clone(),
            safeguard: hosting.transfer.clone(),
            when: "always".into(),
        }];
        transfers.extend(
            policies
                .subprocessors
                .subprocessors
                .iter()
                .map(|s| TransferRecord {
                    recipient: format!("{}: {}", s.service, s.name),
                    location: s.location.clone(),
                    safeguard: s.transfer.clone(),
                    when: s.when.clone(),
                }),
        );
        Ropa {
            controller: CONTROLLER.into(),
            contact: PRIVACY_CONTACT.into(),
            privacy_policy_effective: policies
                .privacy_policy
                .current()
                .map(|v| v.effective.clone())
                .unwrap_or_default(),
            categories,
            transfers,
        }
    }

    /// The record as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Record of processing activities (GDPR Art. 30)\n");
        let _ = writeln!(md, "- Controller: {}", self.controller);
        let _ = writeln!(md, "- Contact: {}", self.contact);
        let _ = writeln!(
            md,
            "- Privacy policy in force since: {}",
            self.privacy_policy_effective
        );
        let _ = writeln!(
            md,
            "- Generated from policies/ (data_map.toml, retention.toml, subprocessors.toml)\n"
        );
        for c in &self.categories {
            let _ = writeln!(md, "## Category: {}\n", c.category);
            let _ = writeln!(md, "- Legal bases: {}", c.legal_bases.join(", "));
            let _ = writeln!(md, "- Recipients: {}\n", c.recipients.join("; "));
            let _ = writeln!(
                md,
                "| Table | Purpose | Data | Legal basis | Retention |\n|---|---|---|---|---|"
            );
            for p in &c.processing {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} ({}) |",
                    p.table,
                    p.purpose.replace('|', "/"),
                    p.data.join(", "),
                    p.legal_bases.join(", "),
                    p.retention.replace('|', "/"),
                    p.retention_rule
                );
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(md, "## Transfers outside the EEA/UK\n");
        let _ = writeln!(
            md,
            "| Recipient | Location | Safeguard | When |\n|---|---|---|---|"
        );
        for t in &self.transfers {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                t.recipient, t.location, t.safeguard, t.when
            );
        }
        md
    }
}
