//! Demo files (`files`): one real small text, PNG or PDF file per account, as briefs by
//! customers or deliverables by owners on the first orders. The rows name blobs by SHA-256;
//! [`write_files`] writes those blobs under `DATA_DIR/files` (call it with the same seed and
//! account count).

use std::path::Path;

use anyhow::Context;
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};

use super::agents::DemoAgent;
use super::bulk::Rows;
use super::orders::PlacedOrder;
use super::seed::{BASE_MS, demo_id};
use crate::market::files::{sniff, stored_path};

/// The demo file number `i` of `seed`: `(name, bytes)`, a real text, PNG or PDF file.
pub fn demo_file(seed: u64, i: usize) -> (String, Vec<u8>) {
    match i % 3 {
        0 => (
            format!("brief-{i}.txt"),
            format!(
                "Demo brief {i} (seed {seed}).\nPlease write about topic {}.\n",
                i % 97
            )
            .into_bytes(),
        ),
        1 => (format!("sketch-{i}.png"), png(i as u32 ^ seed as u32)),
        _ => (
            format!("report-{i}.pdf"),
            pdf(&format!("Demo report {i} seed {seed}")),
        ),
    }
}

/// A 1x1 RGB PNG of a colour derived from `colour`.
fn png(colour: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let [r, g, b, _] = colour.to_be_bytes();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&[0, r, g, b]);
    let data = z.finish().unwrap_or_default();
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A one-page PDF showing `text`.
fn pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// How many demo files `account_count` accounts get (one per account).
pub fn file_count(account_count: usize) -> usize {
    account_count
}

/// Writes the blobs of the demo files under `data_dir/files` (content-addressed, as uploads).
pub fn write_files(data_dir: &Path, seed: u64, account_count: usize) -> anyhow::Result<usize> {
    for i in 0..file_count(account_count) {
        let (_, bytes) = demo_file(seed, i);
        let sha = hex::encode(Sha256::digest(&bytes));
        let path = data_dir.join(stored_path(&sha));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, &bytes)?;
    }
    Ok(file_count(account_count))
}

/// The `files` rows of the first `count` demo files, attached in turn to `orders`.
pub fn rows(
    rng: &mut StdRng,
    seed: u64,
    count: usize,
    orders: &[PlacedOrder],
    agents: &[DemoAgent],
) -> Rows {
    let mut files = Rows::new(
        "files",
        &[
            "id",
            "uploader_id",
            "order_id",
            "thread_id",
            "purpose",
            "content_sha256",
            "stored_path",
            "size_bytes",
            "mime_type",
            "original_name",
            "created_at",
        ],
    );
    for f in 0..count {
        let order = &orders[f % orders.len()];
        let (name, bytes) = demo_file(seed, f);
        let mime = sniff(&bytes);
        let deliverable = f % 2 == 1 && order.delivered;
        let (uploader, purpose) = if deliverable {
            (agents[order.agent].owner.clone(), "deliverable")
        } else {
            (order.customer.clone(), "brief")
        };
        files.push(vec![
            demo_id(rng).into(),
            uploader.into(),
            Some(order.id.clone()).into(),
            Option::<String>::None.into(),
            purpose.into(),
            hex::encode(Sha256::digest(&bytes)).into(),
            stored_path(&hex::encode(Sha256::digest(&bytes))).into(),
            (bytes.len() as i64).into(),
            mime.into(),
            name.into(),
            BASE_MS.into(),
        ]);
    }
    files
}
