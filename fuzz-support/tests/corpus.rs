//! Replays the committed corpus of every fuzz target (`fuzz/corpus/<target>/`) through the same function the
//! fuzzer runs, so that CI checks every input a fuzzing session found interesting without a nightly toolchain.

use std::path::Path;

/// A fuzz target's body.
type Target = fn(&[u8]);

/// The targets, by the name of their corpus folder.
const TARGETS: &[(&str, Target)] = &[
    ("abi", wapc_fuzz_support::abi::run),
    ("frame_reader", wapc_fuzz_support::frame_reader::run),
    ("transcode_forward", wapc_fuzz_support::transcode_forward::run),
    ("transcode_reverse", wapc_fuzz_support::transcode_reverse::run),
];

#[test]
fn every_committed_input_passes_its_target() {
    let corpus = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus"));
    for (target, run) in TARGETS {
        let folder = corpus.join(target);
        let mut inputs = 0;
        for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| run(&input)) {
                std::panic::resume_unwind(Box::new(format!("{target} failed on {}: {panic:?}", path.display())));
            }
            inputs += 1;
        }
        assert!(inputs > 0, "no corpus for {target}");
    }
}
