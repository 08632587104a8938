//! The export archive (right of access and portability): a `.tar.gz` of everything the data
//! map says is the subject's, built from the data map alone so a table or personal column
//! added later is exported without new code.
//!
//! Layout of the archive, in this order (deterministic; every entry a regular file, mode
//! 0644, owner 0, mtime = the generation time; no absolute paths, no `..`, no links):
//! - `README.txt`: every file and field explained in plain words (from the data map);
//! - `<section>.json`: one per export section, `{"section", "tables": {table: {"purpose",
//!   "rows": [...]}}}`; each row holds the table's exported personal columns. Columns marked
//!   `account_ref` show other people only by display name; columns marked `file` hold the
//!   file's path inside the archive (or `null` when the file is missing);
//! - `files/<table>-<row key>[-<column>]-<sanitised name>`: each stored file;
//! - `manifest.json`: format version, generation time, subject id, sections, and each
//!   file's size and SHA-256; files whose stored copy is missing are listed as missing.
//!
//! Memory stays bounded: rows are read in pages of [`PAGE_ROWS`] and written out one by one;
//! files are streamed. The archive is written under a temporary name in the output
//! directory and renamed when complete, so a crash never leaves a half archive under the
//! final name.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::AnyPool;

use crate::base::hashing_io::{HashingReader, HashingWriter};
use crate::policy::data_map::{Category, DataMap, LegalBasis, TableSpec};
use crate::subject::subject_rows::{self, ident, json_value, text_value};

/// Rows fetched per query while exporting.
pub const PAGE_ROWS: i64 = 500;
/// Version of the archive layout, in `manifest.json`.
pub const FORMAT_VERSION: u32 = 1;
/// The table holding accounts: the subject's own row and other people's display names.
pub const ACCOUNTS_TABLE: &str = "accounts";
/// Display names cached per export before the cache is cleared (bounds memory).
const NAME_CACHE_MAX: usize = 10_000;

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportJob<'a> {
    /// The data map driving the export.
    pub map: &'a DataMap,
    /// The data subject (account id).
    pub account_id: &'a str,
    /// Root that `file` columns' paths are relative to.
    pub data_dir: &'a Path,
    /// Directory the archive is written to (created if missing).
    pub out_dir: &'a Path,
    /// The archive's file name, e.g. `<request id>.tar.gz` (no directories).
    pub archive_name: &'a str,
    /// Generation time (Unix ms): in the manifest and every entry's mtime.
    pub generated_at_ms: i64,
}

/// A finished archive.
#[derive(Debug, Clone, Serialize)]
pub struct ExportOutcome {
    /// Where the archive is.
    pub path: PathBuf,
    /// Its size (bytes).
    pub size_bytes: u64,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Section names, in archive order.
    pub sections: Vec<String>,
    /// Files included under `files/`.
    pub files: usize,
    /// File rows whose stored file was missing.
    pub missing_files: usize,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or directory could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The data map cannot drive an export (bad identifier).
    #[error("data map: {0}")]
    Policy(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One file entry of the manifest.
#[derive(Debug, Clone, Serialize)]
struct ManifestFile {
    path: String,
    size: u64,
    sha256: String,
}

/// A stored file the archive should contain.
#[derive(Debug, Clone)]
struct FileRef {
    archive_path: String,
    stored_path: String,
    table: String,
    key: String,
    column: String,
}

type Archive = tar::Builder<GzEncoder<HashingWriter<BufWriter<File>>>>;

/// Builds the archive for `job`.
///
/// Errors: [`ExportError::Io`] when the output directory cannot be created or written (the
/// temporary file is removed), [`ExportError::Db`], [`ExportError::Policy`]. A stored file
/// that is missing is not an error: the manifest lists it under `missing_files`.
pub async fn build(pool: &AnyPool, job: &ExportJob<'_>) -> Result<ExportOutcome, ExportError> {
    std::fs::create_dir_all(job.out_dir).map_err(io_err(job.out_dir))?;
    let final_path = job.out_dir.join(job.archive_name);
    let temp_path = job.out_dir.join(format!(".{}.partial", job.archive_name));
    let result = build_into(pool, job, &temp_path).await;
    match result {
        Ok(mut outcome) => {
            std::fs::rename(&temp_path, &final_path).map_err(io_err(&final_path))?;
            outcome.path = final_path;
            Ok(outcome)
        }
        Err(err) => {
            let _ = std::fs::remove_file(&temp_path);
            Err(err)
        }
    }
}

async fn build_into(
    pool: &AnyPool,
    job: &ExportJob<'_>,
    temp_path: &Path,
) -> Result<ExportOutcome, ExportError> {
    let file = File::create(temp_path).map_err(io_err(temp_path))?;
    let writer = HashingWriter::new(BufWriter::new(file));
    let mut tar = tar::Builder::new(GzEncoder::new(writer, Compression::default()));
    let mtime = u64::try_from(job.generated_at_ms / 1000).unwrap_or(0);
    let mut manifest_files = Vec::new();

    let sections = sections(job.map);
    let readme = readme(&sections);
    manifest_files.push(append_bytes(
        &mut tar,
        "README.txt",
        readme.as_bytes(),
        mtime,
        temp_path,
    )?);

    let mut file_refs = Vec::new();
    let mut names = NameCache::default();
    let scratch_path = temp_path.with_extension("section");
    for (section, tables) in &sections {
        let scratch = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&scratch_path)
            .map_err(io_err(&scratch_path))?;
        let mut out = HashingWriter::new(BufWriter::new(scratch));
        let written = write_section(
            pool,
            job,
            section,
            tables,
            &mut out,
            &mut file_refs,
            &mut names,
        )
        .await;
        let finished = written.and_then(|()| out.flush().map_err(io_err(&scratch_path)));
        if let Err(err) = finished {
            let _ = std::fs::remove_file(&scratch_path);
            return Err(err);
        }
        let (inner, size, sha256) = out.finish();
        let mut scratch = inner
            .into_inner()
            .map_err(|e| io_err(&scratch_path)(e.into_error()))?;
        scratch
            .seek(std::io::SeekFrom::Start(0))
            .map_err(io_err(&scratch_path))?;
        let path = format!("{section}.json");
        let mut header = entry_header(size, mtime);
        tar.append_data(&mut header, &path, &mut scratch)
            .map_err(io_err(&scratch_path))?;
        manifest_files.push(ManifestFile { path, size, sha256 });
    }
    let _ = std::fs::remove_file(&scratch_path);

    let mut missing = Vec::new();
    file_refs.sort_by(|a, b| a.archive_path.cmp(&b.archive_path));
    for r in &file_refs {
        match append_stored_file(&mut tar, job.data_dir, r, mtime)? {
            Ok(entry) => manifest_files.push(entry),
            Err(reason) => missing.push(json!({
                "path": r.archive_path, "table": r.table, "row": r.key, "column": r.column,
                "reason": reason,
            })),
        }
    }

    let manifest = json!({
        "format_version": FORMAT_VERSION,
        "generated_at": rfc3339(job.generated_at_ms),
        "generated_at_ms": job.generated_at_ms,
        "subject_id": job.account_id,
        "sections": sections.keys().collect::<Vec<_>>(),
        "files": manifest_files,
        "missing_files": missing,
    });
    let manifest_text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ExportError::Policy(format!("manifest: {e}")))?;
    append_bytes(&mut tar, "manifest.json", &manifest_text, mtime, temp_path)?;

    let gz = tar.into_inner().map_err(io_err(temp_path))?;
    let writer = gz.finish().map_err(io_err(temp_path))?;
    let (buffered, size_bytes, sha256) = writer.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| io_err(temp_path)(e.into_error()))?;
    file.sync_all().map_err(io_err(temp_path))?;
    Ok(ExportOutcome {
        path: temp_path.to_path_buf(),
        size_bytes,
        sha256,
        sections: sections.keys().cloned().collect(),
        files: file_refs.len() - missing.len(),
        missing_files: missing.len(),
    })
}

/// Export sections → tables feeding them, both in name order (tables with links only).
pub fn sections(map: &DataMap) -> BTreeMap<String, Vec<(&str, &TableSpec)>> {
    let mut out: BTreeMap<String, Vec<(&str, &TableSpec)>> = BTreeMap::new();
    for (name, table) in &map.tables {
        if table.export != "none" && !table.links.is_empty() {
            out.entry(table.export.clone())
                .or_default()
                .push((name.as_str(), table));
        }
    }
    out
}

fn entry_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_bytes(
    tar: &mut Archive,
    path: &str,
    bytes: &[u8],
    mtime: u64,
    temp_path: &Path,
) -> Result<ManifestFile, ExportError> {
    let mut reader = HashingReader::new(bytes);
    let mut header = entry_header(bytes.len() as u64, mtime);
    tar.append_data(&mut header, path, &mut reader)
        .map_err(io_err(temp_path))?;
    let (size, sha256) = reader.finish();
    Ok(ManifestFile {
        path: path.to_string(),
        size,
        sha256,
    })
}

/// Appends a stored file; the inner `Err` is the reason it is missing.
fn append_stored_file(
    tar: &mut Archive,
    data_dir: &Path,
    r: &FileRef,
    mtime: u64,
) -> Result<Result<ManifestFile, String>, ExportError> {
    let rel = Path::new(&r.stored_path);
    let safe = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !safe {
        return Ok(Err("stored path is not inside the data directory".into()));
    }
    let full = data_dir.join(rel);
    let file = match File::open(&full) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err("the stored file is missing".into()));
        }
        Err(e) => return Ok(Err(format!("the stored file cannot be read: {e}"))),
    };
    let meta = file.metadata().map_err(io_err(&full))?;
    if !meta.is_file() {
        return Ok(Err("the stored path is not a regular file".into()));
    }
    let mut reader = HashingReader::new(file);
    let mut header = entry_header(meta.len(), mtime);
    tar.append_data(&mut header, &r.archive_path, &mut reader)
        .map_err(io_err(&full))?;
    let (size, sha256) = reader.finish();
    Ok(Ok(ManifestFile {
        path: r.archive_path.clone(),
        size,
        sha256,
    }))
}

fn write_json<W: Write>(out: &mut W, value: &Value, path: &Path) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| io_err(path)(e.into()))
}

async fn write_section<W: Write>(
    pool: &AnyPool,
    job: &ExportJob<'_>,
    section: &str,
    tables: &[(&str, &TableSpec)],
    out: &mut W,
    file_refs: &mut Vec<FileRef>,
    names: &mut NameCache,
) -> Result<(), ExportError> {
    let p = job.out_dir;
    let w = |out: &mut W, s: &str| out.write_all(s.as_bytes()).map_err(io_err(p));
    w(out, "{\"section\":")?;
    write_json(out, &Value::from(section), p)?;
    w(out, ",\"tables\":{")?;
    for (i, (table_name, table)) in tables.iter().enumerate() {
        if i > 0 {
            w(out, ",")?;
        }
        write_json(out, &Value::from(*table_name), p)?;
        w(out, ":{\"purpose\":")?;
        write_json(out, &Value::from(table.purpose.as_str()), p)?;
        w(out, ",\"rows\":[")?;
        write_table_rows(pool, job, table_name, table, out, file_refs, names).await?;
        w(out, "\n]}")?;
    }
    w(out, "}}\n")
}

async fn write_table_rows<W: Write>(
    pool: &AnyPool,
    job: &ExportJob<'_>,
    table_name: &str,
    table: &TableSpec,
    out: &mut W,
    file_refs: &mut Vec<FileRef>,
    names: &mut NameCache,
) -> Result<(), ExportError> {
    let cond = subject_rows::condition(job.map, table)
        .map_err(ExportError::Policy)?
        .ok_or_else(|| ExportError::Policy(format!("{table_name} has no links")))?;
    let columns = table.exported_columns();
    let key = ident(table.key_column()).map_err(ExportError::Policy)?;
    let mut select = vec![key.clone()];
    for (name, _) in &columns {
        select.push(ident(name).map_err(ExportError::Policy)?);
    }
    let base = format!(
        "SELECT {} FROM {} WHERE {cond}",
        select.join(", "),
        ident(table_name).map_err(ExportError::Policy)?
    );
    let file_columns = table.file_columns();
    let mut cursor: Option<Value> = None;
    let mut first = true;
    loop {
        let rows = match &cursor {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} ORDER BY {key} LIMIT $2"
                )))
                .bind(job.account_id)
                .bind(PAGE_ROWS)
                .fetch_all(pool)
                .await?
            }
            Some(c) => {
                let q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{base} AND {key} > $2 ORDER BY {key} LIMIT $3"
                )))
                .bind(job.account_id);
                let q = match c {
                    Value::Number(n) => q.bind(n.as_i64().unwrap_or(i64::MAX)),
                    other => q.bind(other.as_str().unwrap_or_default().to_string()),
                };
                q.bind(PAGE_ROWS).fetch_all(pool).await?
            }
        };
        let Some(last) = rows.last() else { break };
        cursor = Some(json_value(last, 0));
        for row in &rows {
            let row_key = text_value(row, 0).unwrap_or_default();
            let mut obj = Map::new();
            for (i, (name, spec)) in columns.iter().enumerate() {
                let mut value = json_value(row, i + 1);
                if spec.account_ref == Some(true) {
                    value = names.display(pool, job.account_id, &value).await?;
                }
                if spec.file == Some(true)
                    && let Value::String(stored) = &value
                {
                    let archive_path = archive_file_name(
                        table_name,
                        &row_key,
                        (file_columns.len() > 1).then_some(*name),
                        stored,
                    );
                    file_refs.push(FileRef {
                        archive_path: archive_path.clone(),
                        stored_path: stored.clone(),
                        table: table_name.to_string(),
                        key: row_key.clone(),
                        column: (*name).to_string(),
                    });
                    value = Value::from(archive_path);
                }
                obj.insert((*name).to_string(), value);
            }
            out.write_all(if first { b"\n" } else { b",\n" })
                .map_err(io_err(job.out_dir))?;
            first = false;
            write_json(out, &Value::Object(obj), job.out_dir)?;
        }
        if (rows.len() as i64) < PAGE_ROWS {
            break;
        }
    }
    Ok(())
}

/// Other people's display names, looked up once each (bounded cache).
#[derive(Debug, Default)]
struct NameCache(HashMap<String, Value>);

impl NameCache {
    /// `value` (an account id) as the subject sees it: their own id as `{"you": true}`,
    /// anyone else's as `{"display_name": ...}`. An erased person's id, already replaced by
    /// their pseudonym on kept records, shows as that pseudonym.
    async fn display(
        &mut self,
        pool: &AnyPool,
        subject: &str,
        value: &Value,
    ) -> Result<Value, sqlx::Error> {
        let Value::String(id) = value else {
            return Ok(value.clone());
        };
        if id == subject {
            return Ok(json!({"you": true}));
        }
        if let Some(v) = self.0.get(id) {
            return Ok(v.clone());
        }
        let mut name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        if name.is_none() {
            name = sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE pseudonym = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        }
        let v = json!({"display_name": name});
        if self.0.len() >= NAME_CACHE_MAX {
            self.0.clear();
        }
        self.0.insert(id.clone(), v.clone());
        Ok(v)
    }
}

/// `files/<table>-<key>[-<column>]-<name>`: unique per row and column, built from internal
/// ids and a sanitised file name (letters, digits, `.`, `_`, `-`; at most 100 characters),
/// never from the stored path's directories.
pub fn archive_file_name(table: &str, key: &str, column: Option<&str>, stored: &str) -> String {
    let base = stored.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_start_matches('.').chars().take(100).collect();
    if name.is_empty() {
        name = "file".into();
    }
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match column {
        Some(col) => format!("files/{table}-{key}-{col}-{name}"),
        None => format!("files/{table}-{key}-{name}"),
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

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
    fn archive_names_are_sanitised() {
        assert_eq!(
            archive_file_name("files", "01-ab", None, "uploads/x/../../etc/pass wd.txt"),
            "files/files-01-ab-pass_wd.txt"
        );
        assert_eq!(
            archive_file_name("t", "k", Some("brief"), "/abs/..."),
            "files/t-k-brief-file"
        );
        assert!(basis_words(LegalBasis::Consent).contains("consent"));
    }
}
