//! Names of stored files inside the archive: built from internal ids and a sanitised file
//! name, never from the stored path's directories, so no entry can escape `files/`.

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
    }
}
