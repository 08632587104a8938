//! `policies/privacy_policy.toml`: the published privacy policy, every version with its
//! effective date, its text a template whose facts (retention periods, the export's
//! sections, sub-processors, cookies, hosting) are filled from the other policy files. So the
//! page can never say 12 months while the sweep keeps 13: both read `retention.toml`.
//!
//! Text format: `## Title` lines are headings, `- item` lines bullets, other lines join into
//! paragraphs (a blank line ends one). Placeholders are `{{ name }}`; see [`Facts`] (in
//! [`crate::policy::facts`]).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::policy::error::{PolicyError, check_date, toml_error};
use crate::policy::facts::Facts;

/// The privacy policy file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyPolicy {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Page title.
    pub title: String,
    /// Every published version, oldest first; the last is current.
    pub versions: Vec<PolicyVersion>,
}

/// One published version of the policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyVersion {
    /// Version label (letters, digits, `-`, `.`), used in `/privacy/versions/{version}`.
    pub version: String,
    /// Effective date, `YYYY-MM-DD`; strictly later than the previous version's.
    pub effective: String,
    /// A material change: publishing it emails every active account (policy: "For material
    /// changes, we'll send a notification email to the address on your account").
    pub material: bool,
    /// What changed, one line (used in the change notice).
    pub summary: String,
    /// The text template.
    pub text: String,
}

/// One rendered block of policy text (plain text: the page escapes it). Serialised as
/// `{"heading": ".."}`, `{"paragraph": ".."}`, `{"bullets": [..]}` in the snapshot of a
/// published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph.
    Paragraph(String),
    /// A bullet list.
    Bullets(Vec<String>),
}

impl PrivacyPolicy {
    /// Parses and validates the text of `path` on its own (placeholders are checked against
    /// the other files by [`PrivacyPolicy::check_placeholders`]).
    ///
    /// Errors (file, key, reason): bad TOML or unknown keys; an unsupported version; no
    /// versions; a bad or repeated version label; a bad effective date or one not later than
    /// the previous version's; an empty summary or text.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let policy: PrivacyPolicy = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if policy.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        if policy.versions.is_empty() {
            return Err(PolicyError::new(
                path,
                "versions",
                "publish at least one version",
            ));
        }
        let mut previous: Option<&str> = None;
        let mut labels = BTreeSet::new();
        for (i, v) in policy.versions.iter().enumerate() {
            let key = |k: &str| format!("versions[{i}].{k}");
            let label_ok = !v.version.is_empty()
                && v.version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !label_ok {
                return Err(PolicyError::new(
                    path,
                    key("version"),
                    "a version label is letters, digits, '-' and '.'",
                ));
            }
            if !labels.insert(v.version.as_str()) {
                return Err(PolicyError::new(
                    path,
                    key("version"),
                    format!("version {:?} is published twice", v.version),
                ));
            }
            check_date(path, &key("effective"), &v.effective)?;
            if previous.is_some_and(|p| p >= v.effective.as_str()) {
                return Err(PolicyError::new(
                    path,
                    key("effective"),
                    "must be later than the previous version's effective date (versions are listed oldest first)",
                ));
            }
            previous = Some(&v.effective);
            for (k, val) in [("summary", &v.summary), ("text", &v.text)] {
                if val.trim().is_empty() {
                    return Err(PolicyError::new(path, key(k), "must not be empty"));
                }
            }
        }
        Ok(policy)
    }

    /// The version in force today (UTC): the last whose effective date has come. A version
    /// listed with a future date is announced, not yet in force.
    pub fn current(&self) -> Option<&PolicyVersion> {
        self.in_force_on(&chrono::Utc::now().format("%Y-%m-%d").to_string())
    }

    /// The version in force on `date` (`YYYY-MM-DD`): the last whose effective date is on or
    /// before it; the first version when none is yet.
    pub fn in_force_on(&self, date: &str) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective.as_str() <= date)
            .or_else(|| self.versions.first())
    }

    /// The version labelled `label`.
    pub fn find(&self, label: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.version == label)
    }

    /// Checks every version's text renders with `facts`.
    ///
    /// Errors: the first unknown or malformed placeholder, keyed `versions[i].text`.
    pub fn check_placeholders(&self, path: &Path, facts: &Facts) -> Result<(), PolicyError> {
        for (i, v) in self.versions.iter().enumerate() {
            render(v, facts)
                .map_err(|reason| PolicyError::new(path, format!("versions[{i}].text"), reason))?;
        }
        Ok(())
    }
}

/// Renders `version`'s text with `facts` into blocks.
///
/// Errors: the reason, for an unclosed `{{`, an unknown placeholder, or a list placeholder
/// that is not alone on its line.
pub fn render(version: &PolicyVersion, facts: &Facts) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut bullets: Vec<String> = Vec::new();
    let flush =
        |blocks: &mut Vec<Block>, paragraph: &mut Vec<String>, bullets: &mut Vec<String>| {
            if !paragraph.is_empty() {
                blocks.push(Block::Paragraph(paragraph.join(" ")));
                paragraph.clear();
            }
            if !bullets.is_empty() {
                blocks.push(Block::Bullets(std::mem::take(bullets)));
            }
        };
    for raw in version.text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut blocks, &mut paragraph, &mut bullets);
        } else if let Some(list) = line
            .strip_prefix("{{")
            .and_then(|l| l.strip_suffix("}}"))
            .map(str::trim)
            .filter(|l| l.starts_with("list."))
        {
            let items = facts
                .lists
                .get(list)
                .ok_or_else(|| format!("unknown list placeholder {{{{ {list} }}}}"))?;
            if !paragraph.is_empty() {
                blocks.push(Block::Paragraph(paragraph.join(" ")));
                paragraph.clear();
            }
            bullets.extend(items.iter().cloned());
        } else if let Some(heading) = line.strip_prefix("## ") {
            flush(&mut blocks, &mut paragraph, &mut bullets);
            blocks.push(Block::Heading(fill(heading, version, facts)?));
        } else if let Some(item) = line.strip_prefix("- ") {
            if !paragraph.is_empty() {
                blocks.push(Block::Paragraph(paragraph.join(" ")));
                paragraph.clear();
            }
            bullets.push(fill(item, version, facts)?);
        } else {
            if !bullets.is_empty() {
                blocks.push(Block::Bullets(std::mem::take(&mut bullets)));
            }
            paragraph.push(fill(line, version, facts)?);
        }
    }
    flush(&mut blocks, &mut paragraph, &mut bullets);
    Ok(blocks)
}

/// Replaces the inline placeholders of `line`.
fn fill(line: &str, version: &PolicyVersion, facts: &Facts) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed placeholder in {line:?}"))?;
        let name = after[..end].trim();
        let value = if name == "effective" {
            version.effective.clone()
        } else if name.starts_with("list.") {
            return Err(format!("{{{{ {name} }}}} must stand alone on its own line"));
        } else {
            facts.inline.get(name).cloned().ok_or_else(|| {
                format!(
                    "unknown placeholder {{{{ {name} }}}} (known: effective, {})",
                    facts.inline.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> PolicyVersion {
        PolicyVersion {
            version: "v1".into(),
            effective: "2026-05-20".into(),
            material: false,
            summary: "s".into(),
            text: text.into(),
        }
    }

    #[test]
    fn text_becomes_headings_paragraphs_and_bullets() -> Result<(), String> {
        let mut facts = Facts::default();
        facts
            .inline
            .insert("retention.x".into(), "12 months".into());
        facts
            .lists
            .insert("list.cookies".into(), vec!["a".into(), "b".into()]);
        let blocks = render(
            &version(
                "Effective {{ effective }}.\n\n## Keep\nKept {{retention.x}},\nthen gone.\n- one\n{{ list.cookies }}\n",
            ),
            &facts,
        )?;
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph("Effective 2026-05-20.".into()),
                Block::Heading("Keep".into()),
                Block::Paragraph("Kept 12 months, then gone.".into()),
                Block::Bullets(vec!["one".into(), "a".into(), "b".into()]),
            ]
        );
        Ok(())
    }

    #[test]
    fn bad_placeholders_are_named() {
        let facts = Facts::default();
        let unknown = render(&version("{{ retention.nope }}"), &facts).err();
        assert!(unknown.unwrap_or_default().contains("retention.nope"));
        let inline_list = render(&version("see {{ list.cookies }}"), &facts).err();
        assert!(inline_list.unwrap_or_default().contains("alone"));
        let unclosed = render(&version("{{ effective"), &facts).err();
        assert!(unclosed.unwrap_or_default().contains("unclosed"));
    }

    #[test]
    fn versions_must_be_in_date_order() {
        let text = r#"version = 1
title = "t"
[[versions]]
version = "b"
effective = "2026-06-01"
material = false
summary = "s"
text = "x"
[[versions]]
version = "a"
effective = "2026-05-01"
material = true
summary = "s"
text = "x"
"#;
        let err = PrivacyPolicy::parse(Path::new("p.toml"), text).err();
        assert_eq!(
            err.map(|e| e.key),
            Some("versions[1].effective".to_string())
        );
    }

    #[test]
    fn a_future_version_is_not_yet_in_force() {
        let text = r#"version = 1
title = "t"
[[versions]]
version = "a"
effective = "2026-05-20"
material = false
summary = "s"
text = "x"

[[versions]]
version = "b"
effective = "2027-01-01"
material = true
summary = "s"
text = "y"
"#;
        let policy = PrivacyPolicy::parse(Path::new("p.toml"), text).ok();
        let label = |d: &str| {
            policy
                .as_ref()
                .and_then(|p| p.in_force_on(d))
                .map(|v| v.version.clone())
        };
        assert_eq!(label("2026-11-29").as_deref(), Some("a"));
        assert_eq!(label("2027-01-01").as_deref(), Some("b"));
    }
}
