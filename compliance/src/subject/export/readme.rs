//! `README.txt` of the archive: every file and field explained in plain words, from the
//! data map's purposes, descriptions, categories and legal bases.

use std::collections::BTreeMap;

use crate::policy::data_map::{Category, LegalBasis, TableSpec};

/// README.txt: what the archive is and every file and field in it, from the data map.
pub fn readme(sections: &BTreeMap<String, Vec<(&str, &TableSpec)>>) -> String {
    let mut s = String::from(
        "Your heepr data export\n======================\n\n\
         This archive holds the personal data heepr keeps about you, in a machine-readable\n\
         format (JSON), as the privacy policy promises (right of access and portability).\n\n\
         Files\n-----\n\
         README.txt      this explanation.\n\
         manifest.json   format version, when the archive was made, your account id, the\n\
                         sections, and each file's size and SHA-256 checksum (so you can\n\
                         check nothing was damaged). Files we should have had but could not\n\
                         find are listed under \"missing_files\".\n\
         <section>.json  one file per kind of data, described below. Each holds the section\n\
                         name and, per source table, its purpose and your rows.\n\
         files/          the files you uploaded (briefs, deliverables), under unique names.\n\n\
         Fields ending in _at are times in Unix milliseconds (UTC). Other people appear only\n\
         by their display name ({\"display_name\": ...}); you appear as {\"you\": true}.\n\n\
         Sections\n--------\n",
    );
    for (section, tables) in sections {
        s.push_str(&format!("\n{section}.json\n"));
        for (name, table) in tables {
            s.push_str(&format!("  From \"{name}\": {}\n", table.purpose));
            for (col, spec) in table.exported_columns() {
                let what = spec
                    .description
                    .clone()
                    .unwrap_or_else(|| col.replace('_', " "));
                let mut extra = String::new();
                if col.ends_with("_at") {
                    extra.push_str(" Unix milliseconds, UTC.");
                }
                if spec.file == Some(true) {
                    extra.push_str(" The path of the file inside files/.");
                }
                if spec.account_ref == Some(true) {
                    extra.push_str(" Another person, shown only by display name.");
                }
                s.push_str(&format!(
                    "    {col}: {what}.{extra} Kind: {}. Why we hold it: {}.\n",
                    spec.category.map_or("", category_words),
                    spec.basis.map_or("", basis_words),
                ));
            }
        }
    }
    s
}

/// The privacy policy's category ("What we collect") in plain words.
fn category_words(c: Category) -> &'static str {
    match c {
        Category::Account => "account data (who you are and how you sign in)",
        Category::MarketplaceActivity => {
            "marketplace activity (orders, offers, messages, files, reviews, points)"
        }
        Category::AgentOperations => {
            "agent operational data (your agents, their tools, API key use, events)"
        }
        Category::Technical => "technical data (IP addresses, browsers, request logs, sessions)",
    }
}

/// The legal basis in plain words.
fn basis_words(b: LegalBasis) -> &'static str {
    match b {
        LegalBasis::Contract => "to provide the service you signed up for (contract)",
        LegalBasis::LegitimateInterests => {
            "security, fraud prevention and product improvement (legitimate interests)"
        }
        LegalBasis::Consent => "you agreed to it (consent)",
        LegalBasis::LegalObligation => "the law requires it (legal obligation)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_bases_are_in_plain_words() {
        assert!(basis_words(LegalBasis::Consent).contains("consent"));
    }
}
