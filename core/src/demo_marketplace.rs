//! Marketplace demo data for `heepr demo-data`: agents, API keys, agent events, pre-sale
//! threads and messages, offers, orders in every state with their escrow ledger, order
//! messages, files and reviews, deterministic from the seed.
//!
//! Volumes scale with the accounts given: per 2,000 accounts, 300 agents, 10,000 orders,
//! 100,000 messages, 2,000 files (small real text, PNG and PDF files), plus reviews, offers,
//! keys and events. Everything is computed in memory first, then written in one transaction
//! with multi-row `INSERT`s in chunks; the ledger stays balanced (customers who run short get
//! a `demo_grant` from the issuer, which the escrow invariant counts like a bonus).
//!
//! The file rows name blobs by SHA-256; [`write_files`] writes those blobs under
//! `DATA_DIR/files` (call it with the same seed and account count).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use heepr_compliance::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::identity::api_keys;
use crate::ledger::{ISSUER, TransferKind, escrow_ledger_account, member_ledger_account};
use crate::market::agents::CATEGORIES;
use crate::platform::tokens::hash_secret;

/// 2026-01-01T00:00:00Z: demo times are spread over the 180 days after it.
const BASE_MS: i64 = 1_767_225_600_000;
const HOUR_MS: i64 = 3_600_000;
/// Most bound values per multi-row INSERT. Far below both backends' limits: SQLite through
/// `Any` slows down sharply with very large statements (measured: 30,000 values per statement
/// was 20 times slower than 1,000).
const MAX_PARAMS: usize = 1_000;

/// One bound value of a demo row.
#[derive(Debug, Clone)]
enum V {
    T(String),
    I(i64),
    /// NULL in a text column.
    N,
    /// NULL in a BIGINT column (PostgreSQL types the parameter).
    NI,
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::T(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::T(s)
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V::I(i)
    }
}
impl From<Option<String>> for V {
    fn from(o: Option<String>) -> Self {
        o.map_or(V::N, V::T)
    }
}
impl From<Option<i64>> for V {
    fn from(o: Option<i64>) -> Self {
        o.map_or(V::NI, V::I)
    }
}

/// Rows for one table, in column order.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Rows {
            table,
            columns,
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<V>) {
        self.rows.push(row);
    }

    /// Writes the rows in chunks of multi-row INSERTs. Table and column names are constants.
    async fn write(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> anyhow::Result<()> {
        let per_chunk = (MAX_PARAMS / self.columns.len()).max(1);
        for chunk in self.rows.chunks(per_chunk) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.table,
                self.columns.join(", ")
            );
            let mut n = 0;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..self.columns.len() {
                    n += 1;
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${n}"));
                }
                sql.push(')');
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    query = match v {
                        V::T(t) => query.bind(t.clone()),
                        V::I(i) => query.bind(*i),
                        V::N => query.bind(Option::<String>::None),
                        V::NI => query.bind(Option::<i64>::None),
                    };
                }
            }
            query
                .execute(&mut **tx)
                .await
                .with_context(|| format!("inserting demo rows into {}", self.table))?;
        }
        Ok(())
    }
}

/// A deterministic id from the seed's stream (UUID-shaped, version 7 bits set).
fn demo_id(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.random();
    let mut b = uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .into_bytes();
    b[6] = (b[6] & 0x0f) | 0x70;
    uuid::Uuid::from_bytes(b).to_string()
}

const FIRST: &[&str] = &[
    "Nova", "Quill", "Atlas", "Echo", "Sage", "Pixel", "Orbit", "Cinder", "Maple", "Delta", "Juno",
    "Rook",
];
const SECOND: &[&str] = &[
    "Writer",
    "Analyst",
    "Coder",
    "Designer",
    "Researcher",
    "Translator",
    "Marketer",
    "Helper",
    "Scout",
    "Smith",
];
const TAGS: &[&str] = &[
    "blog",
    "seo",
    "python",
    "rust",
    "excel",
    "logo",
    "french",
    "summaries",
    "ads",
    "data",
    "legal",
    "email",
];
const SKILLS: &[&str] = &[
    "web search",
    "markdown",
    "code execution",
    "spreadsheets",
    "image generation",
    "translation memory",
    "citations",
];
const LINES: &[&str] = &[
    "Thanks, starting now.",
    "Could you share an example of the tone you like?",
    "Here is a first outline.",
    "Looks good, please continue.",
    "I added the sources at the end.",
    "Can you shorten the intro?",
    "Done, see the attached file.",
    "Great work, thank you!",
    "Is a table fine for the results?",
    "Yes, a table is perfect.",
];

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
        let path = data_dir.join(crate::market::files::stored_path(&sha));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, &bytes)?;
    }
    Ok(file_count(account_count))
}

struct DemoAgent {
    id: String,
    owner: String,
    name: String,
    price: i64,
    hours: i64,
    rating_total: i64,
    reviews: i64,
    completed: i64,
    refunded: i64,
}

/// Ledger moves collected in memory (ids from their own seeded stream).
struct Ledger {
    rng: StdRng,
    balances: BTreeMap<String, i64>,
    transfers: Vec<Vec<V>>,
    entries: Vec<Vec<V>>,
    escrows: Vec<String>,
}

impl Ledger {
    fn transfer(
        &mut self,
        kind: TransferKind,
        reference: &str,
        from: &str,
        to: &str,
        amount: i64,
        at: i64,
    ) {
        let id = demo_id(&mut self.rng);
        self.transfers.push(vec![
            id.clone().into(),
            kind.as_str().into(),
            reference.into(),
            at.into(),
        ]);
        for (account, delta) in [(from, -amount), (to, amount)] {
            self.entries.push(vec![
                demo_id(&mut self.rng).into(),
                id.clone().into(),
                account.into(),
                delta.into(),
                at.into(),
            ]);
            *self.balances.entry(account.to_owned()).or_insert(0) += delta;
        }
    }
}

/// Generates the marketplace for `accounts` (ids of existing active accounts) in one
/// transaction; returns a one-line report of what it wrote.
///
/// Errors: fewer than 4 accounts; database failures (nothing is written then).
pub async fn generate_marketplace(
    db: &Db,
    seed: u64,
    accounts: &[String],
) -> anyhow::Result<String> {
    anyhow::ensure!(
        accounts.len() >= 4,
        "the marketplace demo needs at least 4 accounts"
    );
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6865_6570_725f_6d6b);
    let n = accounts.len();
    let agent_count = (n * 3 / 20).max(1);
    let order_count = n * 5;
    let thread_count = n;
    let files_total = file_count(n);
    let owners = &accounts[..(agent_count / 2).max(1)];
    let customers = &accounts[owners.len()..];

    let mut ledger = Ledger {
        rng: StdRng::seed_from_u64(seed ^ 0x6c65_6467_6572),
        balances: BTreeMap::new(),
        transfers: Vec::new(),
        entries: Vec::new(),
        escrows: Vec::new(),
    };
    // Existing balances of the members involved, and the issuer's.
    for id in accounts
        .iter()
        .map(|a| member_ledger_account(a))
        .chain([ISSUER.to_owned()])
    {
        let balance: Option<i64> =
            sqlx::query_scalar("SELECT balance FROM ledger_accounts WHERE id = $1")
                .bind(&id)
                .fetch_optional(db.pool())
                .await?;
        ledger.balances.insert(id, balance.unwrap_or(0));
    }
    let mut known: std::collections::BTreeSet<String> =
        sqlx::query_scalar::<_, String>("SELECT id FROM ledger_accounts WHERE kind = 'member'")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect();
    let mut new_members = Rows::new(
        "ledger_accounts",
        &["id", "kind", "account_id", "balance", "created_at"],
    );

    // Agents.
    let mut agents: Vec<DemoAgent> = (0..agent_count)
        .map(|i| DemoAgent {
            id: demo_id(&mut rng),
            owner: owners[i % owners.len()].clone(),
            name: format!(
                "{} {} {}",
                FIRST[i % FIRST.len()],
                SECOND[(i / FIRST.len()) % SECOND.len()],
                i + 1
            ),
            price: 10 * rng.random_range(2..=30),
            hours: [12, 24, 48, 72, 168][rng.random_range(0..5)],
            rating_total: 0,
            reviews: 0,
            completed: 0,
            refunded: 0,
        })
        .collect();

    let mut threads = Rows::new(
        "presale_threads",
        &[
            "id",
            "agent_id",
            "customer_id",
            "created_at",
            "last_message_at",
        ],
    );
    let mut presale_msgs = Rows::new(
        "presale_messages",
        &[
            "id",
            "thread_id",
            "author_id",
            "author_role",
            "body",
            "created_at",
        ],
    );
    let mut offers = Rows::new(
        "offers",
        &[
            "id",
            "thread_id",
            "agent_id",
            "customer_id",
            "scope",
            "price_points",
            "delivery_hours",
            "expires_at",
            "status",
            "order_id",
            "created_at",
            "decided_at",
        ],
    );
    let mut orders = Rows::new(
        "orders",
        &[
            "id",
            "agent_id",
            "customer_id",
            "status",
            "price_points",
            "answers",
            "offer_id",
            "delivery_hours",
            "deadline_at",
            "revision_limit",
            "revisions_used",
            "revision_reason",
            "accepted_at",
            "delivered_at",
            "closed_at",
            "created_at",
            "updated_at",
        ],
    );
    let mut order_msgs = Rows::new(
        "order_messages",
        &[
            "id",
            "order_id",
            "author_id",
            "author_role",
            "body",
            "created_at",
        ],
    );
    let mut reviews = Rows::new(
        "reviews",
        &[
            "id",
            "order_id",
            "agent_id",
            "customer_id",
            "rating",
            "body",
            "reply_body",
            "replied_at",
            "created_at",
        ],
    );
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
    let mut events = Rows::new(
        "agent_events",
        &["id", "agent_id", "order_id", "kind", "detail", "created_at"],
    );
    let mut keys = Rows::new(
        "api_keys",
        &[
            "id",
            "agent_id",
            "prefix",
            "key_hash",
            "created_at",
            "last_used_at",
            "revoked_at",
        ],
    );
    let mut escrow_rows = Rows::new(
        "ledger_accounts",
        &["id", "kind", "account_id", "balance", "created_at"],
    );

    // Pre-sale threads: 10 messages each, an offer in every other one.
    let mut thread_pairs: Vec<(String, usize, String)> = Vec::new();
    let mut seen_pairs = std::collections::BTreeSet::new();
    while thread_pairs.len() < thread_count && seen_pairs.len() < customers.len() * agents.len() {
        let a = rng.random_range(0..agents.len());
        let c = customers[rng.random_range(0..customers.len())].clone();
        if !seen_pairs.insert((a, c.clone())) {
            continue;
        }
        let tid = demo_id(&mut rng);
        let start = BASE_MS + rng.random_range(0..150) * 24 * HOUR_MS;
        for m in 0..10 {
            let (author, role) = if m % 2 == 0 {
                (c.clone(), "customer")
            } else {
                (
                    agents[a].owner.clone(),
                    if m % 4 == 1 { "owner" } else { "agent" },
                )
            };
            presale_msgs.push(vec![
                demo_id(&mut rng).into(),
                tid.clone().into(),
                author.into(),
                role.into(),
                LINES[(m + a) % LINES.len()].into(),
                (start + m as i64 * 60_000).into(),
            ]);
        }
        threads.push(vec![
            tid.clone().into(),
            agents[a].id.clone().into(),
            c.clone().into(),
            start.into(),
            (start + 9 * 60_000).into(),
        ]);
        thread_pairs.push((tid, a, c));
    }

    // Orders in every state, with escrow and settlement.
    let statuses = [
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "in_progress",
        "placed",
        "delivered",
        "revision_requested",
        "cancelled",
        "refunded",
        "refunded",
    ];
    let mut order_ids = Vec::new();
    let mut grant = 0;
    for i in 0..order_count {
        let status = statuses[i % statuses.len()];
        let from_offer = i % 10 == 0 && i / 10 < thread_pairs.len();
        let (a, customer) = if from_offer {
            let (_, a, c) = &thread_pairs[i / 10];
            (*a, c.clone())
        } else {
            (
                rng.random_range(0..agents.len()),
                customers[rng.random_range(0..customers.len())].clone(),
            )
        };
        let id = demo_id(&mut rng);
        let created = BASE_MS + rng.random_range(0..150 * 24) * HOUR_MS;
        let price = agents[a].price;
        let member = member_ledger_account(&customer);
        if known.insert(member.clone()) {
            new_members.push(vec![
                member.clone().into(),
                "member".into(),
                customer.clone().into(),
                0.into(),
                BASE_MS.into(),
            ]);
        }
        if ledger.balances.get(&member).copied().unwrap_or(0) < price {
            grant += 1;
            ledger.transfer(
                TransferKind::DemoGrant,
                &format!("demo:{grant}"),
                ISSUER,
                &member,
                1_000,
                created,
            );
        }
        let escrow = escrow_ledger_account(&id);
        ledger.escrows.push(escrow.clone());
        ledger.balances.insert(escrow.clone(), 0);
        ledger.transfer(
            TransferKind::OrderEscrow,
            &id,
            &member,
            &escrow,
            price,
            created,
        );
        let terminal = matches!(status, "completed" | "cancelled" | "refunded");
        let accepted = (!matches!(status, "placed" | "cancelled")).then_some(created + HOUR_MS);
        let delivered = matches!(status, "completed" | "delivered" | "revision_requested")
            .then_some(created + 6 * HOUR_MS);
        let closed = terminal.then_some(created + 8 * HOUR_MS);
        let settled_at = closed.unwrap_or(created);
        match status {
            "completed" => {
                let owner = member_ledger_account(&agents[a].owner);
                if known.insert(owner.clone()) {
                    new_members.push(vec![
                        owner.clone().into(),
                        "member".into(),
                        agents[a].owner.clone().into(),
                        0.into(),
                        BASE_MS.into(),
                    ]);
                }
                ledger.transfer(
                    TransferKind::EscrowRelease,
                    &id,
                    &escrow,
                    &owner,
                    price,
                    settled_at,
                );
                agents[a].completed += 1;
                if i % 3 != 0 {
                    let rating = [5, 5, 4, 5, 3, 4, 5, 2, 5, 4][i % 10];
                    agents[a].rating_total += rating;
                    agents[a].reviews += 1;
                    let reply = (i % 4 == 0).then(|| "Thank you for the order!".to_owned());
                    let replied = reply.as_ref().map(|_| settled_at + HOUR_MS);
                    reviews.push(vec![
                        demo_id(&mut rng).into(),
                        id.clone().into(),
                        agents[a].id.clone().into(),
                        customer.clone().into(),
                        rating.into(),
                        LINES[i % LINES.len()].into(),
                        reply.into(),
                        replied.into(),
                        (settled_at + 30 * 60_000).into(),
                    ]);
                }
            }
            "cancelled" | "refunded" => {
                ledger.transfer(
                    TransferKind::EscrowRefund,
                    &id,
                    &escrow,
                    &member,
                    price,
                    settled_at,
                );
                if status == "refunded" {
                    agents[a].refunded += 1;
                }
            }
            _ => {}
        }
        let offer_id = if from_offer {
            let (tid, _, _) = &thread_pairs[i / 10];
            let oid = demo_id(&mut rng);
            offers.push(vec![
                oid.clone().into(),
                tid.clone().into(),
                agents[a].id.clone().into(),
                customer.clone().into(),
                "Custom scope as discussed".into(),
                price.into(),
                agents[a].hours.into(),
                (created + 48 * HOUR_MS).into(),
                "accepted".into(),
                Some(id.clone()).into(),
                (created - HOUR_MS).into(),
                Some(created).into(),
            ]);
            Some(oid)
        } else {
            None
        };
        // Active orders get a deadline far ahead so the demo is not refunded at once.
        let deadline = if terminal || delivered.is_some() {
            created + agents[a].hours * HOUR_MS
        } else {
            BASE_MS + 400 * 24 * HOUR_MS
        };
        let revision =
            (status == "revision_requested").then(|| "Please shorten the introduction.".to_owned());
        orders.push(vec![
            id.clone().into(),
            agents[a].id.clone().into(),
            customer.clone().into(),
            status.into(),
            price.into(),
            format!("{{\"topic\":\"Demo topic {}\"}}", i % 500).into(),
            offer_id.into(),
            agents[a].hours.into(),
            deadline.into(),
            2.into(),
            0.into(),
            revision.into(),
            accepted.into(),
            delivered.into(),
            closed.into(),
            created.into(),
            settled_at.into(),
        ]);
        // Eight messages per order.
        for m in 0..8 {
            let (author, role) = if m % 2 == 0 {
                (customer.clone(), "customer")
            } else {
                (agents[a].owner.clone(), "agent")
            };
            order_msgs.push(vec![
                demo_id(&mut rng).into(),
                id.clone().into(),
                author.into(),
                role.into(),
                LINES[(m + i) % LINES.len()].into(),
                (created + m as i64 * 20 * 60_000).into(),
            ]);
        }
        if accepted.is_some() {
            events.push(vec![
                demo_id(&mut rng).into(),
                agents[a].id.clone().into(),
                Some(id.clone()).into(),
                "accept".into(),
                "".into(),
                (created + HOUR_MS).into(),
            ]);
        }
        order_ids.push((id, a, customer, delivered.is_some()));
    }
    // Offers still open or declined in threads without an order.
    for (t, (tid, a, c)) in thread_pairs
        .iter()
        .enumerate()
        .skip(order_count.div_ceil(10))
    {
        if t % 2 == 0 {
            let status = if t % 4 == 0 { "open" } else { "declined" };
            offers.push(vec![
                demo_id(&mut rng).into(),
                tid.clone().into(),
                agents[*a].id.clone().into(),
                c.clone().into(),
                "A shorter version for less".into(),
                (agents[*a].price / 2).max(1).into(),
                agents[*a].hours.into(),
                (BASE_MS + 400 * 24 * HOUR_MS).into(),
                status.into(),
                Option::<String>::None.into(),
                BASE_MS.into(),
                (status == "declined").then_some(BASE_MS + HOUR_MS).into(),
            ]);
        }
    }
    // Files: briefs by customers and deliverables by owners on the first orders.
    for f in 0..files_total {
        let (order_id, a, customer, delivered) = &order_ids[f % order_ids.len()];
        let (name, bytes) = demo_file(seed, f);
        let mime = crate::market::files::sniff(&bytes);
        let deliverable = f % 2 == 1 && *delivered;
        let (uploader, purpose) = if deliverable {
            (agents[*a].owner.clone(), "deliverable")
        } else {
            (customer.clone(), "brief")
        };
        files.push(vec![
            demo_id(&mut rng).into(),
            uploader.into(),
            Some(order_id.clone()).into(),
            Option::<String>::None.into(),
            purpose.into(),
            hex::encode(Sha256::digest(&bytes)).into(),
            crate::market::files::stored_path(&hex::encode(Sha256::digest(&bytes))).into(),
            (bytes.len() as i64).into(),
            mime.into(),
            name.into(),
            BASE_MS.into(),
        ]);
    }
    // Keys and heartbeats.
    for (i, agent) in agents.iter().enumerate() {
        for k in 0..2 {
            let key = format!(
                "{}{:0>40}",
                api_keys::KEY_PREFIX,
                format!("{seed:x}{i:x}{k}")
            );
            let revoked = (k == 0 && i % 3 == 0).then_some(BASE_MS + 24 * HOUR_MS);
            keys.push(vec![
                demo_id(&mut rng).into(),
                agent.id.clone().into(),
                key.chars().take(12).collect::<String>().into(),
                hash_secret(&key).into(),
                BASE_MS.into(),
                Some(BASE_MS + HOUR_MS).into(),
                revoked.into(),
            ]);
        }
        for h in 0..5 {
            events.push(vec![
                demo_id(&mut rng).into(),
                agent.id.clone().into(),
                Option::<String>::None.into(),
                "heartbeat".into(),
                "".into(),
                (BASE_MS + h * HOUR_MS).into(),
            ]);
        }
    }

    let mut agent_rows = Rows::new(
        "agents",
        &[
            "id",
            "owner_id",
            "name",
            "description",
            "category",
            "tags",
            "skills",
            "private_notes",
            "price_points",
            "delivery_hours",
            "revision_limit",
            "order_form",
            "wizard_step",
            "status",
            "rating_total",
            "review_count",
            "completed_orders",
            "refunded_orders",
            "last_heartbeat_at",
            "published_at",
            "created_at",
            "updated_at",
        ],
    );
    for (i, a) in agents.iter().enumerate() {
        let tags = format!(
            "[\"{}\",\"{}\"]",
            TAGS[i % TAGS.len()],
            TAGS[(i * 7 + 3) % TAGS.len()]
        );
        let skills = format!(
            "[\"{}\",\"{}\"]",
            SKILLS[i % SKILLS.len()],
            SKILLS[(i + 2) % SKILLS.len()]
        );
        let form = r#"[{"name":"topic","label":"Topic","type":"text","required":true,"max_length":200},{"name":"brief","label":"Brief","type":"file"}]"#;
        agent_rows.push(vec![
            a.id.clone().into(),
            a.owner.clone().into(),
            a.name.clone().into(),
            format!(
                "{} takes {} work, delivered in {} hours.",
                a.name,
                CATEGORIES[i % CATEGORIES.len()].1,
                a.hours
            )
            .into(),
            CATEGORIES[i % CATEGORIES.len()].0.into(),
            tags.into(),
            skills.into(),
            "Runs on a private model; keys kept locally.".into(),
            a.price.into(),
            a.hours.into(),
            2.into(),
            form.into(),
            5.into(),
            "published".into(),
            a.rating_total.into(),
            a.reviews.into(),
            a.completed.into(),
            a.refunded.into(),
            Some(BASE_MS + 4 * HOUR_MS).into(),
            Some(BASE_MS).into(),
            BASE_MS.into(),
            BASE_MS.into(),
        ]);
    }
    for escrow in &ledger.escrows {
        escrow_rows.push(vec![
            escrow.clone().into(),
            "escrow".into(),
            V::N,
            ledger.balances.get(escrow).copied().unwrap_or(0).into(),
            BASE_MS.into(),
        ]);
    }
    let mut transfers = Rows::new(
        "ledger_transfers",
        &["id", "kind", "reference", "created_at"],
    );
    transfers.rows = std::mem::take(&mut ledger.transfers);
    let mut entries = Rows::new(
        "ledger_entries",
        &[
            "id",
            "transfer_id",
            "ledger_account_id",
            "amount",
            "created_at",
        ],
    );
    entries.rows = std::mem::take(&mut ledger.entries);

    let mut tx = db.begin_write().await?;
    for rows in [
        &new_members,
        &agent_rows,
        &keys,
        &threads,
        &presale_msgs,
        &orders,
        &offers,
        &order_msgs,
        &reviews,
        &files,
        &events,
        &escrow_rows,
        &transfers,
        &entries,
    ] {
        rows.write(&mut tx).await?;
    }
    for (account, balance) in &ledger.balances {
        if account.starts_with("member:") || account == ISSUER {
            sqlx::query("UPDATE ledger_accounts SET balance = $1 WHERE id = $2")
                .bind(*balance)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(format!(
        "marketplace: {} agents, {} api keys, {} agent events, {} orders, {} offers, {} pre-sale threads, {} messages, {} files, {} reviews",
        agents.len(),
        keys.rows.len(),
        events.rows.len(),
        orders.rows.len(),
        offers.rows.len(),
        threads.rows.len(),
        presale_msgs.rows.len() + order_msgs.rows.len(),
        files.rows.len(),
        reviews.rows.len()
    ))
}
