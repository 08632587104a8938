//! Handlers are adapters: no SQL in `core/src/http/`. A handler parses, calls a domain
//! function and renders; every statement lives in the module that owns its table
//! (issue 15). This test fails when a query reaches `http/` again, and proves on planted
//! examples that it would notice one.

use std::path::{Path, PathBuf};

/// The lines of `text` that run SQL through sqlx: `sqlx::query...` calls, or `query`
/// functions imported from sqlx (`use sqlx::{query, ...}`).
fn sql_sites(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or_default();
            code.contains("sqlx::query")
                || (code.trim_start().starts_with("use sqlx") && code.contains("query"))
        })
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .collect()
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every SQL site under `dir`, as `file:line: code`.
fn sql_in(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    for file in rust_files(dir)? {
        let text = std::fs::read_to_string(&file)?;
        for (line, code) in sql_sites(&text) {
            found.push(format!("{}:{line}: {code}", file.display()));
        }
    }
    Ok(found)
}

#[test]
fn http_runs_no_sql() -> std::io::Result<()> {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    assert!(
        !rust_files(&http)?.is_empty(),
        "no sources under {}",
        http.display()
    );
    let found = sql_in(&http)?;
    assert!(
        found.is_empty(),
        "SQL in http/: move it to the module that owns the table\n{}",
        found.join("\n")
    );
    Ok(())
}

#[test]
fn a_planted_query_is_found() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let nested = dir.path().join("pages");
    std::fs::create_dir_all(&nested)?;
    std::fs::write(dir.path().join("clean.rs"), "fn ok() {}\n")?;
    std::fs::write(
        nested.join("planted.rs"),
        "async fn h(pool: &AnyPool) {\n    // sqlx::query in a comment is fine\n    \
         let n: i64 = sqlx::query_scalar(\"SELECT 1\").fetch_one(pool).await?;\n}\n",
    )?;
    std::fs::write(
        dir.path().join("imported.rs"),
        "use sqlx::{query, Row};\nfn f() {}\n",
    )?;
    let found = sql_in(dir.path())?;
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].ends_with("imported.rs:1: use sqlx::{query, Row};"));
    assert!(found[1].contains("planted.rs:3: let n: i64 = sqlx::query_scalar"));
    Ok(())
}
