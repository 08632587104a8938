//! The operator commands (`heepr dsr ...`, `heepr staff create`, `heepr audit verify`),
//! parsed by the real clap definition and run in-process against a real database.

mod privacy_support;

use anyhow::{Context, Result};
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::*;

async fn operator_commands_export_erase_and_verify(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_d, account) = app.member("Dora Cli", "dora.cli@example.com").await?;
    let dora = account["id"].as_str().context("id")?.to_string();

    heepr(
        &app,
        &[
            "staff",
            "create",
            "--email",
            "ops@heepr.example",
            "--role",
            "support",
        ],
    )
    .await?;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM staff_accounts WHERE role = $1",
            "support"
        )
        .await?,
        1
    );
    assert!(
        heepr(
            &app,
            &[
                "staff",
                "create",
                "--email",
                "x@heepr.example",
                "--role",
                "root"
            ]
        )
        .await
        .is_err()
    );

    let out = app.test_db.data_dir.path().join("dora.tar.gz");
    let out_s = out.display().to_string();
    heepr(
        &app,
        &[
            "dsr",
            "export",
            "--email",
            "DORA.CLI@example.com",
            "--out",
            &out_s,
        ],
    )
    .await?;
    let names = gnu_tar_list(&out)?;
    assert!(
        names.iter().any(|n| n.ends_with(" profile.json")),
        "{names:?}"
    );
    let err = heepr(&app, &["dsr", "export", "--email", "nobody@example.com"]).await;
    assert!(format!("{:?}", err.err()).contains("no active account"));

    heepr(
        &app,
        &[
            "dsr",
            "erase",
            "--email",
            "dora.cli@example.com",
            "--preview",
        ],
    )
    .await?;
    assert!(
        !heepr_compliance::erasure::is_erased(app.pool(), &dora).await?,
        "preview erased"
    );
    heepr(
        &app,
        &["dsr", "erase", "--email", "dora.cli@example.com", "--yes"],
    )
    .await?;
    assert!(heepr_compliance::erasure::is_erased(app.pool(), &dora).await?);
    heepr(&app, &["dsr", "list", "--json"]).await?;
    heepr(&app, &["dsr", "list", "--status", "completed"]).await?;
    assert!(
        heepr(&app, &["dsr", "list", "--status", "lost"])
            .await
            .is_err()
    );
    let id = latest_request(&app, &dora, "erasure").await?;
    heepr(&app, &["dsr", "show", &id]).await?;
    assert!(
        heepr(&app, &["dsr", "show", "no-such-request"])
            .await
            .is_err()
    );

    heepr(&app, &["audit", "verify"]).await?;
    sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .execute(app.pool())
        .await?;
    let err = heepr(&app, &["audit", "verify"])
        .await
        .err()
        .context("tampering not reported")?;
    let msg = format!("{err:#}");
    assert!(msg.contains("BROKEN at entry 2"), "{msg}");
    Ok(())
}
backend_test!(operator_commands_export_erase_and_verify);
