//! The facts the published policies are rendered from ([`Facts`]): retention periods,
//! hosting, the export's sections, sub-processors and cookies, drawn from the other policy
//! files, so the privacy policy's text can never state a figure the code does not enforce.

use std::collections::BTreeMap;

use crate::policy::cookies::CookiePolicy;
use crate::policy::data_map::DataMap;
use crate::policy::retention_rules::{RetentionRules, period_words};
use crate::policy::subprocessors::SubprocessorList;

/// The facts a template may use, drawn from the policy files.
///
/// Inline: `effective`, `retention.RULE` (a rule's period, e.g. "12 months"),
/// `hosting.location`, `hosting.transfer`. Lists (alone on a line): `list.retention`,
/// `list.export`, `list.subprocessors`, `list.cookies`.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Inline placeholder → text.
    pub inline: BTreeMap<String, String>,
    /// List placeholder → bullets.
    pub lists: BTreeMap<String, Vec<String>>,
}

impl Facts {
    /// The facts of the given policy files (without `effective`, which is per version).
    pub fn new(
        data_map: &DataMap,
        retention: &RetentionRules,
        subprocessors: &SubprocessorList,
        cookies: &CookiePolicy,
    ) -> Facts {
        let mut facts = Facts::default();
        for (name, rule) in &retention.rules {
            if let Some(period) = period_words(rule) {
                facts.inline.insert(format!("retention.{name}"), period);
            }
        }
        facts.inline.insert(
            "hosting.location".into(),
            subprocessors.hosting.location.clone(),
        );
        facts.inline.insert(
            "hosting.transfer".into(),
            subprocessors.hosting.transfer.clone(),
        );
        let mut tables_by_rule: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        // Tables of personal data, and any table a rule with a period sweeps (a keyed hash
        // of a deleted account's address is not linked to anyone, but its period is a
        // promise the page must state).
        for (table, spec) in &data_map.tables {
            let swept = retention
                .rules
                .get(&spec.retention)
                .is_some_and(|rule| rule.has_period());
            if swept || spec.columns.values().any(|c| c.personal) {
                tables_by_rule
                    .entry(spec.retention.as_str())
                    .or_default()
                    .push(table.replace('_', " "));
            }
        }
        let retention_list = retention
            .rules
            .iter()
            .filter_map(|(name, rule)| {
                // A rule over files or whole accounts governs no table: it is named by its
                // own words ("unverified accounts", "backups").
                let tables = match tables_by_rule.get(name.as_str()) {
                    Some(tables) => tables.join(", "),
                    None if !rule.governs_tables() && rule.has_period() => name.replace('_', " "),
                    None => return None,
                };
                Some(match period_words(rule) {
                    Some(period) => format!(
                        "{tables}: {} (retention period: {period})",
                        rule.description
                    ),
                    None => format!("{tables}: {}", rule.description),
                })
            })
            .collect();
        facts.lists.insert("list.retention".into(), retention_list);
        facts
            .lists
            .insert("list.export".into(), export_sections(data_map));
        let subprocessor_list = subprocessors
            .subprocessors
            .iter()
            .map(|s| {
                let when = if s.when == "always" {
                    String::new()
                } else {
                    format!(", {}", s.when)
                };
                format!("{} - {} ({}){when}", s.service, s.name, s.location)
            })
            .collect();
        facts
            .lists
            .insert("list.subprocessors".into(), subprocessor_list);
        let cookie_list = cookies
            .cookies
            .iter()
            .map(|c| {
                format!(
                    "{}: {} Lifetime: {}",
                    c.names.join(" / "),
                    c.purpose,
                    c.lifetime
                )
            })
            .collect();
        facts.lists.insert("list.cookies".into(), cookie_list);
        facts
    }
}

/// The export archive's sections and the tables feeding each, e.g.
/// "points ledger (ledger_accounts, ledger_entries)", in section order.
pub fn export_sections(data_map: &DataMap) -> Vec<String> {
    let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (table, spec) in &data_map.tables {
        if spec.export != "none" {
            sections.entry(&spec.export).or_default().push(table);
        }
    }
    sections
        .into_iter()
        .map(|(section, tables)| format!("{} ({})", section.replace('_', " "), tables.join(", ")))
        .collect()
}
