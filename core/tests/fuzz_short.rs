//! A short, bounded fuzz pass for `cargo test`: the committed corpus (`tests/fuzz/corpus/`), then a fixed
//! number of random inputs from a fixed seed, so the run is the same every time. `npm run fuzz` runs the
//! long one.
#![cfg(not(target_arch = "wasm32"))]

mod fake;
mod fuzz;

use fuzz::{one, targets, Rng};

#[test]
fn the_corpus_keeps_its_invariants() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let outcome = if name.starts_with("record-") {
            fuzz::guarded("record", &text, || targets::record(&text))
        } else if name.starts_with("flow-") {
            let seed: u64 = text.trim().parse().unwrap();
            fuzz::guarded("flow", &text, || targets::flow(&mut Rng::new(seed)))
        } else {
            fuzz::guarded("body", &text, || targets::body(&text))
        };
        if let Err(f) = outcome {
            panic!("{name}: {}", f.message);
        }
        seen += 1;
    }
    assert!(seen >= 10, "the corpus has inputs ({seen})");
}

#[test]
fn a_short_random_pass_keeps_every_invariant() {
    let seeds = fuzz::seeds();
    let mut rng = Rng::new(0x7E5D_4B1C);
    for n in 0..20_000 {
        if let Err(f) = one(&mut rng, n, &seeds).map(|_| ()) {
            panic!("{} failed on input {:?}: {}", f.target, f.input, f.message);
        }
    }
}

#[test]
fn the_invariants_can_fail() {
    // The checks are real: a profile that is not a fixed point, or a record that is not one, is caught.
    assert!(fuzz::guarded("body", "", || {
        assert_eq!(1, 2, "broken on purpose");
        String::new()
    })
    .is_err());
    let bad = r#"{"err":0,"data":{"open_id":"o1","avatar_url":"javascript:x"}}"#;
    assert!(targets::body(bad).starts_with("INVALID_PROFILE/avatar_url"));
}
