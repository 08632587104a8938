//! `heepr ropa`: the record of processing activities (GDPR Art. 30), generated from the
//! policy files.

use anyhow::Context;
use heepr_compliance::Policies;

use super::args::{GlobalArgs, RopaArgs};
use super::load_policies;

/// Runs `heepr ropa`.
///
/// Errors: invalid policies; an unwritable `--out`.
pub fn run(global: &GlobalArgs, args: &RopaArgs) -> anyhow::Result<u8> {
    let policies = load_policies(&global.policies)?;
    let written = write_ropa(&policies, &args.out_dir(&global.data_dir))?;
    println!("record of processing written: {written}");
    Ok(0)
}

/// Writes `ropa.md` and `ropa.json` into `out` (`--out`, by default `DATA_DIR/ropa`; each
/// built under a temp name, then renamed); returns the paths written.
///
/// Errors: the directory cannot be created or written.
pub fn write_ropa(policies: &Policies, out: &std::path::Path) -> anyhow::Result<String> {
    let record = heepr_compliance::ropa::Ropa::build(policies);
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out {}: cannot create the directory", out.display()))?;
    let json = serde_json::to_string_pretty(&record)?;
    let md = record.to_markdown();
    let mut written = Vec::new();
    for (name, body) in [("ropa.md", md), ("ropa.json", json)] {
        let path = out.join(name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, body)
            .with_context(|| format!("--out {}: cannot write {name}", out.display()))?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("--out {}: cannot write {name}", out.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written.join(", "))
}
