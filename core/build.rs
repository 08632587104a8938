// Rebuild when a migration is added: `sqlx::migrate!` embeds the directory's files but
// cargo does not otherwise notice new ones.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
