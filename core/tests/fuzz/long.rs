//! `npm run fuzz`: at least ten million inputs through every target (tests/fuzz/mod.rs), on every core,
//! within a time limit; new outcome classes are written to the corpus; ends with one line
//! `fuzz: N inputs, F failures`. Arguments: `--inputs N` (default 10,000,000), `--seconds S` (default 600),
//! `--seed X`.
#[path = "../fake/mod.rs"]
mod fake;
#[path = "mod.rs"]
mod fuzz;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let total = arg("--inputs", 10_000_000);
    let deadline = Instant::now() + Duration::from_secs(arg("--seconds", 600));
    let seed = arg("--seed", 0x5EED);
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/corpus");
    std::panic::set_hook(Box::new(|_| {})); // failures are reported below, once
    let done = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let classes = Arc::new(Mutex::new(BTreeSet::new()));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (done, failures, classes) = (done.clone(), failures.clone(), classes.clone());
            std::thread::spawn(move || {
                let seeds = fuzz::seeds();
                let mut rng = fuzz::Rng::new(seed ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut n = t;
                while n < total && Instant::now() < deadline {
                    match fuzz::one(&mut rng, n, &seeds) {
                        Ok((outcome, kept)) => {
                            let mut known = classes.lock().unwrap();
                            if known.len() < 5000 && known.insert(outcome.clone()) {
                                drop(known);
                                if let Some((prefix, text)) = kept {
                                    save(corpus, prefix, &text);
                                }
                            }
                        }
                        Err(f) => failures.lock().unwrap().push(f),
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    n += threads;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a fuzz worker");
    }
    let failures = failures.lock().unwrap();
    for f in failures.iter().take(10) {
        eprintln!(
            "FAILURE in {}: {}\n  input: {:?}",
            f.target, f.message, f.input
        );
    }
    eprintln!(
        "{} outcome classes, {:.1} s on {threads} threads",
        classes.lock().unwrap().len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "fuzz: {} inputs, {} failures",
        done.load(Ordering::Relaxed),
        failures.len()
    );
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}

/// An input with a new outcome class is interesting: it joins the corpus (bodies and records as text, flows by
/// their seed), named by its content's hash so a rerun adds no duplicates; `cargo test` replays them. To keep
/// the repository small: inputs up to 2 KiB, at most 50 of each kind.
fn save(corpus: &str, prefix: &str, text: &str) {
    const PER_KIND: usize = 50;
    let kept = std::fs::read_dir(corpus)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(prefix))
            })
            .count()
        })
        .unwrap_or(0);
    if text.len() > 2 * 1024 || kept >= PER_KIND {
        return;
    }
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let _ = std::fs::write(format!("{corpus}/{prefix}-{hash:016x}.txt"), text);
}
