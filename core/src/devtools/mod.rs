//! Developer tools linked into the `heepr` binary behind the `devtools` cargo feature (on by
//! default; `cargo build --release -p heepr-core --no-default-features` builds a service
//! without them): `heepr demo-data` ([`demo`]), `heepr bench-export` ([`bench_export`]) and
//! `heepr bench-sweep` ([`bench_sweep`]). Each owns its command-line flags.
//!
//! May use everything below `cli` (`platform` to `runtime`); only `cli` uses it.

pub mod bench_export;
pub mod bench_sweep;
pub mod demo;
