//! Verdict's CPU kernels for its scoring models (`src/score/`): the loops over plain f32 rows that
//! candle does not give at the speed wanted, with no candle and no Verdict types in them.
//!
//! - [`int8`]: int8 matrix products (weights per output channel, activations per row), by AVX-512
//!   VNNI, AVX2 or a portable loop.
//! - [`rows`]: row-wise passes done in place in one sweep each: a bias and an activation (GELU,
//!   quick GELU, GELU's tanh form, `ReLU`), softmax (with an additive mask or without), layer norm.
//!
//! A crate of its own so that it is compiled optimized in every profile (the workspace's
//! `[profile.dev.package.verdict-kernels]`): the debug build that `scripts/demo.sh` opens and the
//! tests run would otherwise take these loops unoptimized, tens of times slower (pulp's vector
//! dispatch and the intrinsics are calls there): `--int8` `MiniLM` on the 36-sample demo took 99 s
//! instead of about 2.
//!
//! Entry points are plain functions, not generic ones, so that their code is generated here,
//! under this crate's optimization, and not in the caller's crate.

pub mod int8;
pub mod rows;
