//! Erasure's file work: a stored file goes with the last row naming it, and files in the
//! data map's `scrub_dirs` (the mail spool) that mention the subject are deleted. Only
//! relative paths inside the data dir are ever touched.

use std::path::Path;

use sqlx::AnyConnection;

use super::job::ErasureError;
use crate::policy::data_map::DataMap;
use crate::subject::identifiers::SubjectIdentifiers;
use crate::subject::subject_rows::ident;

/// Whether any row of any table of `map` still names `stored` in a `file` column (content
/// stored once for several uploads). Run inside the erasure's write transaction, the rows
/// it just deleted do not count; the retention sweep runs it after each batch's commit.
pub(crate) async fn still_used(
    conn: &mut AnyConnection,
    map: &DataMap,
    stored: &str,
) -> Result<bool, ErasureError> {
    for (name, table) in &map.tables {
        for col in table.file_columns() {
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {} = $1",
                ident(name).map_err(ErasureError::Policy)?,
                ident(col).map_err(ErasureError::Policy)?
            );
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(stored)
                .fetch_one(&mut *conn)
                .await?;
            if n > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Deletes the stored file `stored` (a path relative to `data_dir`); `true` when a file was
/// deleted, `false` when it was already gone or the path leads outside the data dir.
///
/// Errors: [`ErasureError::Io`] when the file exists but cannot be removed.
pub(crate) fn delete_stored(data_dir: &Path, stored: &str) -> Result<bool, ErasureError> {
    let rel = Path::new(stored);
    if !rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Ok(false); // never touch anything outside the data dir
    }
    let full = data_dir.join(rel);
    match std::fs::remove_file(&full) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ErasureError::Io {
            path: full.display().to_string(),
            source,
        }),
    }
}

/// Deletes the files in `map.scrub_dirs` (under `data_dir`) that mention the subject: a
/// gzip-compressed tar archive (someone else's export) is read entry by entry, names and
/// contents decompressed; any other file is read as a mail message (MIME headers,
/// quoted-printable and base64 bodies decoded, [`SubjectIdentifiers::mentioned_in_mail`])
/// and as raw text. Returns how many were deleted.
///
/// Errors: [`ErasureError::Io`] when a directory cannot be listed or a file removed.
pub(super) fn scrub_dirs(
    map: &DataMap,
    data_dir: &Path,
    ids: &SubjectIdentifiers,
) -> Result<u64, ErasureError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut deleted = 0;
    for dir in &map.scrub_dirs {
        let full = data_dir.join(dir);
        let entries = match std::fs::read_dir(&full) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(ErasureError::Io {
                    path: full.display().to_string(),
                    source,
                });
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            if mentions(&path, ids) {
                match std::fs::remove_file(&path) {
                    Ok(()) => deleted += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(ErasureError::Io {
                            path: path.display().to_string(),
                            source,
                        });
                    }
                }
            }
        }
    }
    Ok(deleted)
}

/// Whether the file at `path` names the subject (see [`scrub_dirs`]). A file that cannot
/// be read (gone meanwhile, a partial archive) counts as not naming them.
fn mentions(path: &Path, ids: &SubjectIdentifiers) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 2];
    let gzip = std::io::Read::read_exact(&mut file, &mut magic).is_ok() && magic == [0x1f, 0x8b];
    if gzip {
        return archive_mentions(path, ids).unwrap_or(false);
    }
    std::fs::read(path).is_ok_and(|bytes| ids.mentioned_in_mail(&bytes))
}

/// Bytes of an archive entry searched at once; consecutive windows overlap by
/// [`WINDOW_OVERLAP`] bytes, so a mention across a window's edge is found.
const WINDOW: usize = 1 << 20;
/// Longer than any needle an email or display name gives (both are length-limited).
const WINDOW_OVERLAP: usize = 4096;

/// Streams a `.tar.gz` (memory bounded by [`WINDOW`], whatever the archive's size): each
/// entry's path and content, as text.
pub(super) fn archive_mentions(path: &Path, ids: &SubjectIdentifiers) -> std::io::Result<bool> {
    use std::io::Read;
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut buf = vec![0u8; WINDOW + WINDOW_OVERLAP];
    for entry in archive.entries()? {
        let mut entry = entry?;
        if ids.mentioned_in_bytes(&entry.path_bytes()) {
            return Ok(true);
        }
        let mut kept = 0;
        loop {
            let n = entry.read(&mut buf[kept..])?;
            if n == 0 {
                break;
            }
            let filled = kept + n;
            if ids.mentioned_in_bytes(&buf[..filled]) {
                return Ok(true);
            }
            kept = filled.min(WINDOW_OVERLAP);
            buf.copy_within(filled - kept..filled, 0);
        }
    }
    Ok(false)
}
