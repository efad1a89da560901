//! `buddyscope-bench probe [ROUNDS]`: is this machine's speed steady right now?
//!
//! The benchmark's timed runs (native and wasm) move between a fast and a slow level
//! for stretches of a few hundred milliseconds, inside one process whose memory does
//! not move (docs/performance.md, "Noise"). This probe runs four small loops one after
//! the other, ROUNDS times (default 300, about 4 s), and prints how each one's time
//! spreads and how closely it follows the memory-bound loop:
//!
//! - `chain`: one dependent multiply-xor chain, bound by the latency of the
//!   multiplier, not by how many instructions a cycle the core can issue;
//! - `parallel`: six add-xor updates an iteration that hardly wait on each other
//!   (several issue in one cycle), bound by how many instructions the core issues;
//! - `l1`: random increments in an 8 KiB array (the first-level cache);
//! - `memory`: random increments in a 16 MiB array (beyond a core's own caches).
//!
//! A loop whose time spreads and follows `memory` is slowed by something the loops
//! share with the rest of the host (a busy sibling hardware thread, the shared cache
//! and memory), not by this process: nothing else of the probe changes between rounds.

use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 300;
const NAMES: [&str; 4] = ["chain", "parallel", "l1", "memory"];

/// One step of a 64-bit linear congruential generator.
fn lcg(x: u64) -> u64 {
    x.wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
}

fn timed(f: impl FnOnce() -> u64) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_secs_f64() * 1e3
}

fn chain(seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..1_500_000 {
        x = lcg(x);
        x ^= x >> 17;
    }
    x
}

fn parallel(seed: u64) -> u64 {
    let (mut a, mut b, mut c, mut d, mut e, mut f) = (seed, 2u64, 3u64, 4u64, 5u64, 6u64);
    for i in 0..3_000_000u64 {
        a = a.wrapping_add(b ^ i);
        b = b.wrapping_add(c ^ a);
        c = c.wrapping_add(d ^ i);
        d = d.wrapping_add(e ^ c);
        e = e.wrapping_add(f ^ i);
        f = f.wrapping_add(a ^ e);
        black_box((a, b, c, d, e, f));
    }
    a ^ b ^ c ^ d ^ e ^ f
}

fn scatter(cells: &mut [u32], seed: u64, steps: usize) -> u64 {
    let mut x = seed;
    let n = cells.len() as u64;
    for _ in 0..steps {
        x = lcg(x);
        if let Some(cell) = cells.get_mut(((x >> 20) % n) as usize) {
            *cell = cell.wrapping_add(1);
        }
    }
    x
}

/// The `q`-quantile of `sorted` (nearest rank below); NaN if it is empty.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * q).floor() as usize;
    sorted.get(at).copied().unwrap_or(f64::NAN)
}

/// Pearson's correlation of two equally long series; NaN where either is constant.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    ab / (aa * bb).sqrt()
}

/// One line per loop: min, 10th percentile, median, 90th percentile and max in ms,
/// the 90th over the 10th percentile, and the correlation with `memory`.
fn report(times: &[Vec<f64>; 4]) -> String {
    let mut out = format!(
        "{:<9} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>7}  {:>10}\n",
        "loop", "min", "p10", "median", "p90", "max", "p90/p10", "vs memory"
    );
    for (name, samples) in NAMES.iter().zip(times) {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let (p10, p90) = (quantile(&sorted, 0.1), quantile(&sorted, 0.9));
        out += &format!(
            "{:<9} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2}  {:>7.2}  {:>10.2}\n",
            name,
            quantile(&sorted, 0.0),
            p10,
            quantile(&sorted, 0.5),
            p90,
            quantile(&sorted, 1.0),
            p90 / p10,
            correlation(samples, &times[3]),
        );
    }
    out
}

pub fn run(args: &[String]) -> Result<String, String> {
    let rounds = match args.first() {
        None => ROUNDS,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 10 => n,
            _ => {
                return Err(format!(
                    "probe: ROUNDS is a whole number of at least 10, not `{text}`"
                ))
            }
        },
    };
    let mut small = vec![0u32; 8 << 10 >> 2];
    let mut large: Vec<u32> = (0..16u32 << 20 >> 2).collect();
    let mut times: [Vec<f64>; 4] = Default::default();
    for round in 0..rounds {
        let seed = round as u64 + 1;
        let row = [
            timed(|| chain(seed)),
            timed(|| parallel(seed)),
            timed(|| scatter(&mut small, seed, 1_000_000)),
            timed(|| scatter(&mut large, seed, 300_000)),
        ];
        for (samples, ms) in times.iter_mut().zip(row) {
            samples.push(ms);
        }
    }
    Ok(format!(
        "{rounds} rounds, each loop once a round (ms)\n{}",
        report(&times)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_by_rank() {
        let sorted: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(quantile(&sorted, 0.0), 1.0);
        assert_eq!(quantile(&sorted, 0.1), 2.0);
        assert_eq!(quantile(&sorted, 0.5), 6.0);
        assert_eq!(quantile(&sorted, 0.9), 10.0);
        assert_eq!(quantile(&sorted, 1.0), 11.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn correlation_follows_the_series() {
        let a = [1.0, 2.0, 4.0, 3.0];
        assert!((correlation(&a, &[2.0, 4.0, 8.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &[-1.0, -2.0, -4.0, -3.0]) + 1.0).abs() < 1e-12);
        assert!(correlation(&a, &[5.0; 4]).is_nan());
    }

    #[test]
    fn rounds_are_checked() {
        assert!(run(&["9".to_string()]).unwrap_err().contains("at least 10"));
        assert!(run(&["x".to_string()]).unwrap_err().contains("`x`"));
        let text = run(&["10".to_string()]).unwrap();
        assert!(text.starts_with("10 rounds"));
        for name in NAMES {
            assert!(text.lines().any(|l| l.starts_with(name)), "{text}");
        }
    }
}
