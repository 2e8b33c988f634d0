//! The sample view's word diff (`verdict::ui::diff::word_runs`) on long responses: the time to
//! diff two generated texts of a given size, for three kinds of pair, and how much of each side
//! it marks (so that a faster diff that marks everything shows itself).
//!
//! ```sh
//! cargo run --release --example diff_bench            # 2 KB, 20 KB and 100 KB responses
//! cargo run --release --example diff_bench -- 100000  # one size, in bytes
//! ```
//!
//! The pairs: `revised` (B is A with about one word in twenty replaced, inserted or deleted, in
//! scattered places), `dense` (one word in five: nearly every sentence edited), `unrelated` (two
//! independent texts over the same vocabulary, as two models' answers to one prompt are),
//! `shared` (every other paragraph the same, the rest unrelated).
//! Deterministic: the same inputs on every run.

use std::time::{Duration, Instant};
use verdict::ui::diff::{Marked, word_runs};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A small deterministic generator (xorshift64*), so the inputs need no crate and never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// 3,000 made-up words; frequent words are drawn more often (roughly Zipf), as in real prose.
fn vocabulary() -> Vec<String> {
    let syllables = ["ka", "lo", "mi", "ter", "an", "so", "ve", "ri", "pu", "den", "ol", "ia", "th", "e", "s"];
    let mut rng = Rng(0x5eed);
    let mut words: Vec<String> =
        ["the", "a", "of", "and", "is", "to", "in", "it", "that", "with"].iter().map(|w| (*w).to_owned()).collect();
    while words.len() < 3000 {
        let n = 1 + rng.below(3);
        words.push((0..n).map(|_| syllables[rng.below(syllables.len())]).collect());
    }
    words
}

fn word(rng: &mut Rng, vocab: &[String]) -> String {
    // The minimum of two draws favours the front of the list: common words repeat a lot.
    let i = rng.below(vocab.len()).min(rng.below(vocab.len())).min(rng.below(vocab.len()));
    vocab[i].clone()
}

/// One paragraph of about `bytes` bytes: sentences with capitals, commas and full stops.
fn paragraph(rng: &mut Rng, vocab: &[String], bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes {
        let n = 6 + rng.below(14);
        for i in 0..n {
            let mut w = word(rng, vocab);
            if i == 0 {
                w[..1].make_ascii_uppercase();
            }
            out.push_str(&w);
            out.push_str(if i + 1 == n {
                ". "
            } else if rng.below(8) == 0 {
                ", "
            } else {
                " "
            });
        }
    }
    out.trim_end().to_owned()
}

fn text(rng: &mut Rng, vocab: &[String], bytes: usize) -> String {
    let mut paras = Vec::new();
    let mut len = 0;
    while len < bytes {
        let size = 400 + rng.below(600);
        let p = paragraph(rng, vocab, size);
        len += p.len() + 2;
        paras.push(p);
    }
    paras.join("\n\n")
}

/// `a` with about one word in `every` replaced, deleted or followed by a new word.
fn revise(rng: &mut Rng, vocab: &[String], a: &str, every: usize) -> String {
    let mut out = Vec::new();
    for w in a.split(' ') {
        match rng.below(3 * every) {
            0 => out.push(word(rng, vocab)),
            1 => {}
            2 => {
                out.push(w.to_owned());
                out.push(word(rng, vocab));
            }
            _ => out.push(w.to_owned()),
        }
    }
    out.join(" ")
}

fn pair(kind: &str, bytes: usize) -> (String, String) {
    let vocab = vocabulary();
    let mut rng = Rng(0xd1ff ^ bytes as u64);
    let a = text(&mut rng, &vocab, bytes);
    let b = match kind {
        "revised" => revise(&mut rng, &vocab, &a, 20),
        "dense" => revise(&mut rng, &vocab, &a, 5),
        "unrelated" => text(&mut rng, &vocab, bytes),
        _ => a
            .split("\n\n")
            .enumerate()
            .map(|(i, p)| if i % 2 == 0 { p.to_owned() } else { paragraph(&mut rng, &vocab, p.len()) })
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    (a, b)
}

/// Share of a side's characters inside marks.
fn marked_share(m: &Marked) -> f64 {
    let marked: usize = m.marks.iter().map(std::ops::Range::len).sum();
    marked as f64 / m.text.chars().count().max(1) as f64
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().nth(1) {
        Some(s) => vec![s.parse().expect("a size in bytes")],
        None => vec![2_000, 20_000, 100_000],
    };
    println!("| pair | bytes A / B | words A / B | runs | median ms | min ms | max ms | marked A / B |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for bytes in sizes {
        for kind in ["revised", "dense", "unrelated", "shared"] {
            let (a, b) = pair(kind, bytes);
            let runs = if bytes > 50_000 { 9 } else { 31 };
            let mut times = Vec::with_capacity(runs);
            let mut last = None;
            for _ in 0..runs {
                let started = Instant::now();
                let out = word_runs(&a, &b);
                times.push(started.elapsed());
                last = Some(out);
            }
            times.sort();
            let (ma, mb) = last.expect("ran");
            println!(
                "| {kind} | {} / {} | {} / {} | {runs} | {} | {} | {} | {:.0} % / {:.0} % |",
                a.len(),
                b.len(),
                a.split_whitespace().count(),
                b.split_whitespace().count(),
                ms(times[runs / 2]),
                ms(times[0]),
                ms(times[runs - 1]),
                marked_share(&ma) * 100.0,
                marked_share(&mb) * 100.0,
            );
        }
    }
}
