//! `wapc bench`: an operation called over and over, on as many instances at once as asked, and how fast it went:
//! calls per second, and latency percentiles. A progress bar shows on a terminal; elsewhere only the summary.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wapc_pool::{Pool, PoolBuilder};

use crate::args::BenchArgs;
use crate::engine;
use crate::failure::Failure;
use crate::payload;

/// How often the progress bar moves.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// What one calling thread measured.
#[derive(Default)]
struct Measured {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<wapc::errors::Error>,
}

/// Runs `wapc bench`.
pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let payload = Arc::new(payload::read(&args.payload)?.bytes);
    let module = engine::module(&args.module)?;
    let concurrency = usize::from(args.concurrency);
    let mut pool = PoolBuilder::new().name("bench").min_instances(concurrency).max_instances(concurrency);
    if let Some(bridge) = engine::bridge(&args.engine)? {
        pool = pool.host_callback(bridge.host_callback());
    }
    // A WASI guest's output, a line per call perhaps, is not the benchmark's.
    let provider = engine::provider(&module, &args.engine, wapc::WasiStdio::Closed)?;
    let pool = Arc::new(pool.build(provider).map_err(Failure::from)?);
    // One call first: an operation that fails is reported as `wapc call` would, not measured.
    pool.call(&args.operation, &payload)?;

    let (calls, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (pool, payload, calls, stop) =
                (Arc::clone(&pool), Arc::clone(&payload), Arc::clone(&calls), Arc::clone(&stop));
            let operation = args.operation.clone();
            std::thread::spawn(move || call_until(&pool, &operation, &payload, &calls, &stop))
        })
        .collect();
    show_progress(args.duration, started, &calls);
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut all = Measured::default();
    for thread in threads {
        let measured = thread.join().map_err(|_| Failure::host("a calling thread panicked"))?;
        all.latencies.extend(measured.latencies);
        all.errors += measured.errors;
        all.first_error = all.first_error.or(measured.first_error);
    }
    println!("{}", summary(&mut all, elapsed, concurrency));
    match all.first_error {
        Some(error) => Err(Failure::from(error)),
        None => Ok(()),
    }
}

/// Calls until told to stop, timing each call.
fn call_until(pool: &Pool, operation: &str, payload: &[u8], calls: &AtomicU64, stop: &AtomicBool) -> Measured {
    let mut measured = Measured::default();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let result = pool.call(operation, payload);
        measured.latencies.push(started.elapsed());
        calls.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = result {
            measured.errors += 1;
            measured.first_error.get_or_insert(error);
        }
    }
    measured
}

/// Waits for `duration`, showing the calls made so far on a terminal.
fn show_progress(duration: Duration, started: Instant, calls: &AtomicU64) {
    if !std::io::stderr().is_terminal() {
        std::thread::sleep(duration);
        return;
    }
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let bar = indicatif::ProgressBar::new(millis);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {elapsed}/{duration} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    while started.elapsed() < duration {
        std::thread::sleep(PROGRESS_TICK.min(duration.saturating_sub(started.elapsed())));
        let elapsed = started.elapsed();
        let done = calls.load(Ordering::Relaxed);
        bar.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX).min(millis));
        bar.set_message(format!("{done} calls, {:.0}/s", done as f64 / elapsed.as_secs_f64().max(1e-9)));
    }
    bar.finish_and_clear();
}

/// The summary: calls, rate, errors, latency percentiles.
fn summary(measured: &mut Measured, elapsed: Duration, concurrency: usize) -> String {
    let latencies = &mut measured.latencies;
    latencies.sort_unstable();
    let percentile = |p: usize| {
        let index = (latencies.len() * p / 100).min(latencies.len().saturating_sub(1));
        latencies.get(index).copied().unwrap_or_default()
    };
    format!(
        "{} calls in {:.2?} with {concurrency} at once: {:.1} calls/s, {} failed\nlatency: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        measured.errors,
        percentile(50),
        percentile(90),
        percentile(99),
        latencies.last().copied().unwrap_or_default(),
    )
}
