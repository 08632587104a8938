//! Building the `.tar.gz`: README first, one JSON entry per section (each staged in a
//! scratch file, so memory stays bounded), the stored files in name order, the manifest
//! last; every entry a regular file with a fixed mode, owner and mtime. Written under a
//! temporary name and renamed when complete. Stored files that are already compressed go
//! in level-0 gzip members ([`super::gzip_members`]), and appending the stored files (the
//! bulk of the work) runs on a blocking thread, off the async runtime.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Component, Path};

use super::gzip_members::{MemberWriter, worth_compressing};
use flate2::Compression;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyPool;

use super::job::{ExportError, ExportJob, ExportOutcome, io_err};
use super::readme::readme;
use super::sections::{FileRef, NameCache, sections, write_section};
use crate::base::clock::rfc3339;
use crate::base::hashing_io::{HashingReader, HashingWriter};

/// Version of the archive layout, in `manifest.json`.
pub const FORMAT_VERSION: u32 = 1;

/// One file entry of the manifest.
#[derive(Debug, Clone, Serialize)]
struct ManifestFile {
    path: String,
    size: u64,
    sha256: String,
}

type Archive = tar::Builder<MemberWriter<HashingWriter<BufWriter<File>>>>;

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
    let mut tar = tar::Builder::new(MemberWriter::new(writer, Compression::default()));
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

    file_refs.sort_by(|a, b| a.archive_path.cmp(&b.archive_path));
    let data_dir = job.data_dir.to_path_buf();
    let refs = std::mem::take(&mut file_refs);
    let appended = tokio::task::spawn_blocking(move || {
        let mut files = Vec::new();
        let mut missing = Vec::new();
        for r in &refs {
            match append_stored_file(&mut tar, &data_dir, r, mtime)? {
                Ok(entry) => files.push(entry),
                Err(reason) => missing.push(json!({
                    "path": r.archive_path, "table": r.table, "row": r.key, "column": r.column,
                    "reason": reason,
                })),
            }
        }
        tar.get_mut()
            .set_level(Compression::default())
            .map_err(io_err(&data_dir))?;
        Ok::<_, ExportError>((tar, refs, files, missing))
    })
    .await
    .map_err(|e| io_err(temp_path)(std::io::Error::other(e)))?;
    let (mut tar, refs, files, missing) = appended?;
    file_refs = refs;
    manifest_files.extend(files);

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
    let mut file = file;
    let level = match worth_compressing(&mut file).map_err(io_err(&full))? {
        true => Compression::default(),
        false => Compression::none(),
    };
    file.seek(std::io::SeekFrom::Start(0))
        .map_err(io_err(&full))?;
    tar.get_mut().set_level(level).map_err(io_err(&full))?;
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
