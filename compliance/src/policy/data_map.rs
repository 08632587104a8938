//! `policies/data_map.toml`: what every table and column of the schema is.
//!
//! For each table: why it exists, how a row belongs to a data subject, which export section
//! it feeds, what erasure does to it and which retention rule bounds it. For each column:
//! personal or not, category and legal basis, erasure action. See the file's header for the
//! vocabulary; [`DataMap::parse`] rejects anything outside it.
//!
//! Keys (all documented in the file's header too):
//! - top level: `version`, `scrub_dirs` (data-dir folders whose files mentioning the
//!   subject are deleted on erasure, e.g. the mail spool);
//! - per table: `purpose`, `links` (`column`, or `column` + `via` + `subject_column`),
//!   `export` (section or `none`), `erasure` (`delete`/`update`/`keep`/`none`), `retention`,
//!   `key` (unique row key for paging, default `id`), `delete_if_null` (with `update`: rows
//!   whose column is NULL are deleted instead, e.g. pre-sale chats), `redact_everywhere`
//!   (text columns whose mentions of the subject are redacted in everyone's rows),
//!   `restore` (`roll_back`, `carry` or `chain`: what a backup restore does to the rows),
//!   `redact_contents` (a stored file's `path`/`sha256`/`size`/`mime`/`name` columns: files
//!   naming the subject are rewritten redacted or withheld), `columns`;
//! - per column: `personal`, `category`, `basis`, `erasure`
//!   (`keep`/`null`/`pseudonymise`/`redact`/`set`), `erased_value` (with `set`), `export`
//!   (`false` for secrets), `file` (a stored file's path: exported under `files/`, deleted
//!   with the row), `account_ref` (another account's id: exported as a display name),
//!   `description` (plain words for the export's README).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::policy::error::{PolicyError, toml_error};

/// The data map: table name → classification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataMap {
    /// File format version; only `1` is understood.
    pub version: u32,
    /// Every table of the migrated schema, by name.
    pub tables: BTreeMap<String, TableSpec>,
    /// Directories under the data dir that hold copies of personal data outside the
    /// database (the outgoing-mail spool): erasure deletes every file in them that mentions
    /// the subject's email or display name. Relative paths, no `..`.
    #[serde(default)]
    pub scrub_dirs: Vec<String>,
}

/// How one table is classified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Why the table exists (goes into the record of processing).
    pub purpose: String,
    /// How a row is tied to a data subject; empty when the table holds no personal data.
    pub links: Vec<SubjectLink>,
    /// Export archive section (`profile`, `sessions`, ...) or `none`.
    pub export: String,
    /// What erasure does to the subject's rows.
    pub erasure: TableErasure,
    /// Name of the retention rule in `retention.toml`.
    pub retention: String,
    /// The time column (Unix ms) the retention period counts from, for tables whose rule
    /// has a period (e.g. `finished_at` of the email log).
    pub retention_clock: Option<String>,
    /// Every column, by name.
    pub columns: BTreeMap<String, ColumnSpec>,
    /// The column that identifies a row uniquely (default `id`). Export and erasure page
    /// through a subject's rows in this column's order, so a personal table needs one.
    pub key: Option<String>,
    /// With `erasure = "update"`: the subject's rows whose value in this column is NULL are
    /// deleted instead of updated (e.g. `order_id` on conversations: a pre-sale chat that
    /// never became an order is deleted, an order's chat is kept for the counterparty).
    pub delete_if_null: Option<String>,
    /// Text columns where erasure also redacts the subject's email and display name in
    /// OTHER people's rows (copies naming the subject held for someone else, e.g. the body
    /// of an order email still queued for the counterparty), beyond the columns whose own
    /// erasure is `redact` (always searched everywhere: see [`Self::redacted_everywhere`]).
    /// Default: none.
    #[serde(default)]
    pub redact_everywhere: Vec<String>,
    /// A content-addressed stored file whose text erasure redacts in everyone's rows (a
    /// brief or deliverable naming the subject). Default: none.
    pub redact_contents: Option<StoredContents>,
    /// What restoring a backup does to the table (default `roll_back`): the privacy desk's
    /// own records are carried through a restore so that no request, hold or restriction
    /// made after the backup is forgotten (policy: "we'll respond within 30 days").
    #[serde(default)]
    pub restore: RestoreAction,
}

/// What restoring a backup does to one table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreAction {
    /// The rows go back to what the backup holds (the marketplace's state of that day).
    #[default]
    RollBack,
    /// The rows as they were just before the restore are written back over the backup's:
    /// requests and their evidence, legal holds, restrictions, notes, export archives,
    /// closed-address hashes. A row whose parent row (its account) the backup lacks is
    /// reported, not written.
    Carry,
    /// The hash-chained audit log: the entries appended after the backup are appended
    /// again when they continue the restored chain (only `audit_log`).
    Chain,
}

/// The columns describing a content-addressed stored file (bytes under the data dir at
/// [`content_path`](crate::subject::erasure::content_path) of their SHA-256), so erasure
/// can replace a file naming the subject by a redacted copy (or a notice) and point the row
/// at it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredContents {
    /// The stored file's path, relative to the data dir (a `file = true` column).
    pub path: String,
    /// The bytes' SHA-256, lower-case hex.
    pub sha256: String,
    /// The bytes' length (bytes).
    pub size: String,
    /// The sniffed MIME type: decides how the file is read and whether it can be rewritten
    /// (`subject::erasure::formats`); set to `text/plain` when the file is withheld.
    pub mime: String,
    /// (optional) The file's name as shown for download: a withheld file's name gets
    /// [`WITHHELD_SUFFIX`] so the notice downloads as text.
    #[serde(default)]
    pub name: Option<String>,
}

/// Appended to a withheld file's name (see [`StoredContents::name`]).
pub const WITHHELD_SUFFIX: &str = ".removed.txt";

impl TableSpec {
    /// The columns erasure searches in every row, whoever it belongs to: those listed in
    /// `redact_everywhere` and every column whose erasure is `redact`, in name order. Why
    /// the second: free text the subject writes in their own rows is free text anyone
    /// writes in theirs, so another person's row can name the subject there too (an
    /// owner's agent tagged with a customer's name; fresh tester, issue 10).
    pub fn redacted_everywhere(&self) -> Vec<&str> {
        let mut cols: Vec<&str> = self
            .redact_everywhere
            .iter()
            .map(String::as_str)
            .chain(
                self.columns
                    .iter()
                    .filter(|(_, c)| c.erasure == Some(ColumnErasure::Redact))
                    .map(|(n, _)| n.as_str()),
            )
            .collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// The unique row key column: `key`, or `id` when not given.
    pub fn key_column(&self) -> &str {
        self.key.as_deref().unwrap_or("id")
    }

    /// Columns that go into the export archive, in name order.
    pub fn exported_columns(&self) -> Vec<(&str, &ColumnSpec)> {
        self.columns
            .iter()
            .filter(|(_, c)| c.exported())
            .map(|(n, c)| (n.as_str(), c))
            .collect()
    }

    /// Columns holding stored-file paths (`file = true`), in name order.
    pub fn file_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|(_, c)| c.file == Some(true))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// A path from a row to the account id of the data subject it belongs to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectLink {
    /// Column of this table: the account id itself, or (with `via`) a key into another table.
    pub column: String,
    /// `table.key` that `column` points at, when the account id lives one table away.
    pub via: Option<String>,
    /// With `via`: the column of that table holding the account id. Without it, the row
    /// belongs to every subject the other table's row belongs to through that table's own
    /// links (e.g. an order message belongs to the order's customer and to the owner of the
    /// order's agent), so a party reached through any link is found.
    pub subject_column: Option<String>,
}

/// What erasure does to a table's rows that belong to the erased subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableErasure {
    /// Delete the rows.
    Delete,
    /// Keep the rows and apply each personal column's [`ColumnErasure`].
    Update,
    /// Keep the rows unchanged: they identify nobody once the account is pseudonymised.
    Keep,
    /// The table holds no personal data.
    None,
}

/// Whether and how a column is personal data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Whether the value is personal data.
    pub personal: bool,
    /// The policy's category (personal columns only).
    pub category: Option<Category>,
    /// The legal basis for processing (personal columns only).
    pub basis: Option<LegalBasis>,
    /// Erasure action (only in tables whose erasure is `update`).
    pub erasure: Option<ColumnErasure>,
    /// `false` for secrets the subject never sees (hashes); exported otherwise.
    pub export: Option<bool>,
    /// `true` when the value is a path, relative to the data dir, of a file the subject
    /// stored (brief, deliverable): the export copies the file under `files/`, and erasure
    /// that deletes the row deletes the file too, unless another row of any table still
    /// names the same path (content stored once for several uploads).
    pub file: Option<bool>,
    /// `true` when the value is another account's id (counterparty, author): the export
    /// shows other people only by their display name, never by id or email; erasure
    /// rewrites (`null`, `pseudonymise`, `set`) the column only in rows where it holds the
    /// erased person's own id, so a row reached through another link (an order through the
    /// agent's owner) keeps the other party's id.
    pub account_ref: Option<bool>,
    /// With `erasure = "set"`: the fixed value written on erasure (e.g. `closed`).
    pub erased_value: Option<String>,
    /// `true` when the value is a raw RFC 5322 message (an emailed request's evidence):
    /// erasure searches it decoded, as it searches the mail spool's files (encoded words,
    /// quoted-printable, base64, charsets), and replaces a message naming the subject by
    /// its decoded text with every mention redacted, since an encoded original cannot be
    /// rewritten in place. Personal columns only.
    pub mail: Option<bool>,
    /// What the value is, in plain words for the export's README (default: the column name
    /// in words).
    pub description: Option<String>,
}

impl ColumnSpec {
    /// Whether the column goes into the subject's export archive.
    pub fn exported(&self) -> bool {
        self.personal && self.export.unwrap_or(true)
    }
}

/// The privacy policy's categories of personal data ("What we collect").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Display name, email, hashed password, sign-in provider profile.
    Account,
    /// Orders, offers, messages, files, reviews, points.
    MarketplaceActivity,
    /// Agent profiles, declared tools, API key usage, worker events.
    AgentOperations,
    /// IP addresses, user agents, request logs, sessions.
    Technical,
}

/// GDPR Art. 6 legal bases the policy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// To provide the service the subject signed up for.
    Contract,
    /// Security, fraud prevention, product improvement.
    LegitimateInterests,
    /// Where required, e.g. non-essential cookies.
    Consent,
    /// Responding to lawful requests, tax records.
    LegalObligation,
}

/// What erasure does to one column of a kept row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnErasure {
    /// Leave the value (it identifies nobody on its own).
    Keep,
    /// Set to NULL.
    Null,
    /// Replace with the subject's stable random pseudonym.
    Pseudonymise,
    /// Keep the text but redact the subject's email and display name inside it.
    Redact,
    /// Set to the column's fixed `erased_value` (e.g. an account's status to `closed`).
    Set,
}

impl DataMap {
    /// Parses and validates the text of `path`.
    ///
    /// Errors (file, key, reason): bad TOML, unknown keys or values, a personal column with
    /// no category or basis, a column erasure action in a table that deletes or keeps rows
    /// (overlapping rules), a personal column with no erasure action in an `update` table
    /// (missing rule), a personal table with no subject link, a link to an unknown column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, PolicyError> {
        let map: DataMap = toml::from_str(text).map_err(|e| toml_error(path, e))?;
        if map.version != 1 {
            return Err(PolicyError::new(
                path,
                "version",
                "only version 1 is supported",
            ));
        }
        for (name, table) in &map.tables {
            map.validate_table(path, name, table)?;
        }
        for (i, dir) in map.scrub_dirs.iter().enumerate() {
            let p = Path::new(dir);
            let plain = !dir.is_empty()
                && p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !plain {
                return Err(PolicyError::new(
                    path,
                    format!("scrub_dirs[{i}]"),
                    "must be a relative path inside the data dir, without ..",
                ));
            }
        }
        Ok(map)
    }

    fn validate_table(
        &self,
        path: &Path,
        name: &str,
        table: &TableSpec,
    ) -> Result<(), PolicyError> {
        let key = |k: &str| format!("tables.{name}.{k}");
        if table.purpose.trim().is_empty() {
            return Err(PolicyError::new(path, key("purpose"), "must not be empty"));
        }
        if table.columns.is_empty() {
            return Err(PolicyError::new(
                path,
                key("columns"),
                "must list every column",
            ));
        }
        if table.restore == RestoreAction::Chain && name != "audit_log" {
            return Err(PolicyError::new(
                path,
                key("restore"),
                "\"chain\" is only for the audit log (audit_log)",
            ));
        }
        let has_personal = table.columns.values().any(|c| c.personal);
        if has_personal && table.links.is_empty() {
            return Err(PolicyError::new(
                path,
                key("links"),
                "a table with personal columns must say how rows link to a data subject",
            ));
        }
        if has_personal && table.erasure == TableErasure::None {
            return Err(PolicyError::new(
                path,
                key("erasure"),
                "a table with personal columns needs delete, update or keep",
            ));
        }
        if !has_personal && table.erasure != TableErasure::None {
            return Err(PolicyError::new(
                path,
                key("erasure"),
                "a table with no personal columns must say erasure = \"none\"",
            ));
        }
        if table.export != "none" && !is_section_name(&table.export) {
            return Err(PolicyError::new(
                path,
                key("export"),
                "must be \"none\" or a section name of lowercase letters and underscores",
            ));
        }
        if let Some(clock) = &table.retention_clock
            && !table.columns.contains_key(clock)
        {
            return Err(PolicyError::new(
                path,
                key("retention_clock"),
                format!("{clock:?} is not a column of {name}"),
            ));
        }
        for (i, link) in table.links.iter().enumerate() {
            self.validate_link(path, name, table, i, link)?;
        }
        for (col_name, col) in &table.columns {
            validate_column(path, name, table.erasure, col_name, col)?;
        }
        if let Some(col) = &table.delete_if_null {
            if table.erasure != TableErasure::Update {
                return Err(PolicyError::new(
                    path,
                    key("delete_if_null"),
                    "applies only to tables whose erasure is \"update\"",
                ));
            }
            if !table.columns.contains_key(col) {
                return Err(PolicyError::new(
                    path,
                    key("delete_if_null"),
                    format!("{col:?} is not a column of {name}"),
                ));
            }
        }
        for (i, col) in table.redact_everywhere.iter().enumerate() {
            if !table.columns.get(col).is_some_and(|c| c.personal) {
                return Err(PolicyError::new(
                    path,
                    key(&format!("redact_everywhere[{i}]")),
                    format!("{col:?} is not a personal column of {name}"),
                ));
            }
        }
        if let Some(contents) = &table.redact_contents {
            for (field, col) in [
                ("path", &contents.path),
                ("sha256", &contents.sha256),
                ("size", &contents.size),
                ("mime", &contents.mime),
            ]
            .into_iter()
            .chain(contents.name.as_ref().map(|n| ("name", n)))
            {
                if !table.columns.contains_key(col) {
                    return Err(PolicyError::new(
                        path,
                        key(&format!("redact_contents.{field}")),
                        format!("{col:?} is not a column of {name}"),
                    ));
                }
            }
            if table.columns.get(&contents.path).and_then(|c| c.file) != Some(true) {
                return Err(PolicyError::new(
                    path,
                    key("redact_contents.path"),
                    format!("{:?} is not a file column of {name}", contents.path),
                ));
            }
        }
        if has_personal && !table.columns.contains_key(table.key_column()) {
            return Err(PolicyError::new(
                path,
                key("key"),
                format!(
                    "{:?} is not a column of {name}: a personal table needs a unique row key (add key = \"column\")",
                    table.key_column()
                ),
            ));
        }
        Ok(())
    }

    fn validate_link(
        &self,
        path: &Path,
        name: &str,
        table: &TableSpec,
        index: usize,
        link: &SubjectLink,
    ) -> Result<(), PolicyError> {
        let key = format!("tables.{name}.links[{index}]");
        if !table.columns.contains_key(&link.column) {
            return Err(PolicyError::new(
                path,
                format!("{key}.column"),
                format!("{:?} is not a column of {name}", link.column),
            ));
        }
        match (&link.via, &link.subject_column) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(PolicyError::new(path, key, "subject_column needs via")),
            (Some(via), subject_column) => {
                let Some((other, other_key)) = via.split_once('.') else {
                    return Err(PolicyError::new(
                        path,
                        format!("{key}.via"),
                        "must be table.column",
                    ));
                };
                let Some(other_table) = self.tables.get(other) else {
                    return Err(PolicyError::new(
                        path,
                        format!("{key}.via"),
                        format!("table {other:?} is not in the data map"),
                    ));
                };
                if subject_column.is_none() && (other_table.links.is_empty() || other == name) {
                    return Err(PolicyError::new(
                        path,
                        format!("{key}.via"),
                        format!(
                            "without subject_column, {other} must be another table with links of its own"
                        ),
                    ));
                }
                for col in std::iter::once(other_key).chain(subject_column.as_deref()) {
                    if !other_table.columns.contains_key(col) {
                        return Err(PolicyError::new(
                            path,
                            format!("{key}.via"),
                            format!("{col:?} is not a column of {other}"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// Personal columns of `table`, in name order.
    pub fn personal_columns<'a>(&'a self, table: &str) -> Vec<(&'a str, &'a ColumnSpec)> {
        self.tables
            .get(table)
            .map(|t| {
                t.columns
                    .iter()
                    .filter(|(_, c)| c.personal)
                    .map(|(n, c)| (n.as_str(), c))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn validate_column(
    path: &Path,
    table: &str,
    table_erasure: TableErasure,
    name: &str,
    col: &ColumnSpec,
) -> Result<(), PolicyError> {
    let key = |k: &str| format!("tables.{table}.columns.{name}.{k}");
    if col.personal {
        if col.category.is_none() {
            return Err(PolicyError::new(
                path,
                key("category"),
                "a personal column needs a category",
            ));
        }
        if col.basis.is_none() {
            return Err(PolicyError::new(
                path,
                key("basis"),
                "a personal column needs a legal basis",
            ));
        }
    } else if col.category.is_some()
        || col.basis.is_some()
        || col.export.is_some()
        || col.description.is_some()
        || col.mail.is_some()
    {
        return Err(PolicyError::new(
            path,
            key("personal"),
            "category, basis, export, description and mail apply to personal columns only",
        ));
    }
    if (col.erasure == Some(ColumnErasure::Set)) != col.erased_value.is_some() {
        return Err(PolicyError::new(
            path,
            key("erased_value"),
            "erased_value goes with erasure = \"set\", and only with it",
        ));
    }
    match (table_erasure, col.erasure) {
        (TableErasure::Update, None) if col.personal => Err(PolicyError::new(
            path,
            key("erasure"),
            "the table's erasure is \"update\": every personal column needs keep, null, pseudonymise, redact or set",
        )),
        (TableErasure::Update, Some(action)) if !col.personal && action != ColumnErasure::Keep => {
            Err(PolicyError::new(
                path,
                key("erasure"),
                "a column that is not personal can only be kept",
            ))
        }
        (TableErasure::Update, _) => Ok(()),
        (_, Some(_)) => Err(PolicyError::new(
            path,
            key("erasure"),
            "column erasure actions apply only when the table's erasure is \"update\" (the table's rule already covers this column)",
        )),
        (_, None) => Ok(()),
    }
}

fn is_section_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "version = 1\n";

    fn parse(body: &str) -> Result<DataMap, PolicyError> {
        DataMap::parse(Path::new("data_map.toml"), &format!("{HEADER}{body}"))
    }

    const GOOD: &str = r#"
[tables.people]
purpose = "p"
links = [{ column = "id" }]
export = "profile"
erasure = "update"
retention = "r"
[tables.people.columns]
id = { personal = true, category = "account", basis = "contract", erasure = "keep" }
name = { personal = true, category = "account", basis = "contract", erasure = "pseudonymise" }
"#;

    #[test]
    fn good_map_parses() -> Result<(), PolicyError> {
        let map = parse(GOOD)?;
        assert_eq!(map.personal_columns("people").len(), 2);
        Ok(())
    }

    #[test]
    fn restore_chain_is_only_for_the_audit_log() -> Result<(), PolicyError> {
        let carried = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\nrestore = \"carry\"",
        );
        assert_eq!(
            parse(&carried)?.tables["people"].restore,
            RestoreAction::Carry
        );
        let chained = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\nrestore = \"chain\"",
        );
        let err = parse(&chained).err().map(|e| e.key);
        assert_eq!(err, Some("tables.people.restore".to_string()));
        Ok(())
    }

    #[test]
    fn missing_column_erasure_in_update_table() {
        let body = GOOD.replace(", erasure = \"pseudonymise\"", "");
        let err = parse(&body).err();
        assert_eq!(
            err.map(|e| e.key),
            Some("tables.people.columns.name.erasure".to_string())
        );
    }

    #[test]
    fn overlapping_erasure_rules_rejected() {
        let body = GOOD.replace("erasure = \"update\"", "erasure = \"delete\"");
        let err = parse(&body).err();
        let err = err.map(|e| (e.key, e.reason)).unwrap_or_default();
        assert_eq!(err.0, "tables.people.columns.id.erasure");
        assert!(err.1.contains("apply only when"), "{}", err.1);
    }

    #[test]
    fn unknown_category_names_the_value() {
        let body = GOOD.replace(
            "category = \"account\", basis = \"contract\", erasure = \"keep\"",
            "category = \"hobbies\", basis = \"contract\", erasure = \"keep\"",
        );
        let msg = parse(&body)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("hobbies"), "{msg}");
    }

    #[test]
    fn personal_table_needs_links() {
        let body = GOOD.replace("links = [{ column = \"id\" }]", "links = []");
        assert_eq!(
            parse(&body).err().map(|e| e.key),
            Some("tables.people.links".to_string())
        );
    }

    #[test]
    fn delete_if_null_needs_update_and_a_column() {
        let body = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\ndelete_if_null = \"nope\"",
        );
        assert_eq!(
            parse(&body).err().map(|e| e.key),
            Some("tables.people.delete_if_null".to_string())
        );
        let ok = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\ndelete_if_null = \"name\"",
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn redact_everywhere_names_personal_columns() {
        let bad = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\nredact_everywhere = [\"nickname\"]",
        );
        assert_eq!(
            parse(&bad).err().map(|e| e.key),
            Some("tables.people.redact_everywhere[0]".to_string())
        );
        let ok = GOOD.replace(
            "retention = \"r\"",
            "retention = \"r\"\nredact_everywhere = [\"name\"]",
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn link_to_unknown_column() {
        let body = GOOD.replace(
            "links = [{ column = \"id\" }]",
            "links = [{ column = \"owner\" }]",
        );
        assert_eq!(
            parse(&body).err().map(|e| e.key),
            Some("tables.people.links[0].column".to_string())
        );
    }
}
