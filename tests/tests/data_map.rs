//! The data map classifies the migrated schema exactly, on both backends.

use anyhow::Result;
use heepr_compliance::Policies;
use heepr_compliance::schema::{self, Mismatch};
use heepr_tests::{Backend, TestDb, backend_test, policies_dir};

backend_test!(data_map_classifies_every_table_and_column);
async fn data_map_classifies_every_table_and_column(backend: Backend) -> Result<()> {
    let test_db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let columns = schema::read_columns(&test_db.db).await?;
    assert!(columns.contains_key("accounts") && columns.contains_key("_sqlx_migrations"));
    let mismatches = schema::compare(&policies.data_map, &columns);
    assert!(
        mismatches.is_empty(),
        "data map and schema disagree:\n{mismatches:#?}"
    );
    Ok(())
}

backend_test!(completeness_check_catches_unclassified_and_stale_entries);
async fn completeness_check_catches_unclassified_and_stale_entries(backend: Backend) -> Result<()> {
    let test_db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    sqlx::query("ALTER TABLE accounts ADD COLUMN phone TEXT")
        .execute(test_db.db.pool())
        .await?;
    sqlx::query("CREATE TABLE shadow_profiles (id TEXT PRIMARY KEY)")
        .execute(test_db.db.pool())
        .await?;
    let mut map = policies.data_map.clone();
    if let Some(sessions) = map.tables.get_mut("sessions") {
        let spec = sessions.columns.get("ip").cloned();
        if let Some(spec) = spec {
            sessions.columns.insert("fingerprint".into(), spec);
        }
    }
    let columns = schema::read_columns(&test_db.db).await?;
    let mismatches = schema::compare(&map, &columns);
    assert!(mismatches.contains(&Mismatch::UnclassifiedColumn {
        table: "accounts".into(),
        column: "phone".into()
    }));
    assert!(mismatches.contains(&Mismatch::UnclassifiedTable("shadow_profiles".into())));
    assert!(mismatches.contains(&Mismatch::UnknownColumn {
        table: "sessions".into(),
        column: "fingerprint".into()
    }));
    Ok(())
}
