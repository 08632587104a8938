pub async fn generate(_db: &heepr_compliance::Db, _n: u32, _seed: u64) -> anyhow::Result<String> {
    Ok(String::new())
}
