//! Guests that stay inside their limits only because the limits count all of their memories and tables
//! together, and bound how many they have. Each must be refused with the exact typed error and leave the host
//! serving.

use wapc::errors::{Error, Resource, ResourceLimit};
use wapc::{DEFAULT_MAX_TABLE_ELEMENTS, ResourceLimits};

use crate::Host;

use super::{Check, assert_recovers, failure, host};
use crate::guests::wat_guest;
use crate::{Engine, Options};

/// The checks of this module.
pub const CHECKS: &[(&str, Check)] = &[
    ("limits::memories_are_limited_together", memories_are_limited_together),
    ("limits::tables_are_limited_together", tables_are_limited_together),
    ("limits::table_elements_are_capped_by_default", table_elements_are_capped_by_default),
    ("limits::declared_sizes_count_toward_the_limits", declared_sizes_count_toward_the_limits),
    ("limits::memory_and_table_counts_are_limited", memory_and_table_counts_are_limited),
];

/// The size of a WebAssembly page.
const PAGE: usize = 65536;

fn options(limits: ResourceLimits) -> Options {
    Options { limits: Some(limits), ..Options::default() }
}

/// A call of `bad` on a guest that runs `misbehaviour` with `items` must fail with exactly `refused`, and the
/// next call must succeed.
fn assert_refused(engine: &dyn Engine, misbehaviour: &str, items: &str, options: &Options, refused: ResourceLimit) {
    let (host, _) = host(engine, &wat_guest(misbehaviour, items), options);
    match failure(host.call("bad", b"")) {
        Error::ResourceLimit(limit) => assert_eq!(limit, refused, "for {misbehaviour}"),
        other => panic!("expected {refused}, got {other:?} for {misbehaviour}"),
    }
    assert_recovers(&host);
}

/// Making a host of a guest with `items` must fail with exactly `refused`.
fn assert_instantiation_refused(engine: &dyn Engine, items: &str, options: &Options, refused: ResourceLimit) {
    let provider = engine.provider(&wat_guest("(i32.const 0)", items), options).unwrap();
    match Host::new(provider, None) {
        Err(Error::ResourceLimit(limit)) => assert_eq!(limit, refused, "for {items}"),
        other => panic!("expected {refused}, got {other:?} for {items}"),
    }
}

/// Two more memories, each far below the limit, grown in turn: together with the guest's one page they pass
/// the 32-page limit at 33 pages (alone, each would reach 40).
fn memories_are_limited_together(engine: &dyn Engine) {
    let limits = ResourceLimits { max_memory_size: Some(32 * PAGE), ..ResourceLimits::DEFAULT };
    let grow_both = "(loop $grow
                       (drop (memory.grow $a (i32.const 8)))
                       (br_if $grow (i32.ne (memory.grow $b (i32.const 8)) (i32.const -1))))
                     (i32.const 0)";
    let refused = ResourceLimit { resource: Resource::Memory, requested: 33 * PAGE, limit: 32 * PAGE };
    assert_refused(engine, grow_both, "(memory $a 0) (memory $b 0)", &options(limits), refused);
}

/// Two tables grown in turn by 40 and 25 elements: together they pass the 100-element limit at 105 (alone,
/// the first would reach 120).
fn tables_are_limited_together(engine: &dyn Engine) {
    let limits = ResourceLimits { max_table_elements: Some(100), ..ResourceLimits::DEFAULT };
    let grow_both = "(loop $grow
                       (drop (table.grow $a (ref.null func) (i32.const 40)))
                       (br_if $grow (i32.ne (table.grow $b (ref.null func) (i32.const 25)) (i32.const -1))))
                     (i32.const 0)";
    let refused = ResourceLimit { resource: Resource::Table, requested: 105, limit: 100 };
    assert_refused(engine, grow_both, "(table $a 0 funcref) (table $b 0 funcref)", &options(limits), refused);
}

/// `table.grow` by 2^30 elements, which commits gigabytes where nothing caps it, under the default limits.
fn table_elements_are_capped_by_default(engine: &dyn Engine) {
    let grow = "(drop (table.grow $t (ref.null func) (i32.const 0x40000000))) (i32.const 0)";
    let refused = ResourceLimit { resource: Resource::Table, requested: 1 << 30, limit: DEFAULT_MAX_TABLE_ELEMENTS };
    assert_refused(engine, grow, "(table $t 0 funcref)", &Options::default(), refused);
}

/// Sizes a module declares are allocated at instantiation and count like growth.
fn declared_sizes_count_toward_the_limits(engine: &dyn Engine) {
    let limits = ResourceLimits { max_memory_size: Some(32 * PAGE), max_table_elements: Some(100) };
    let refused = ResourceLimit { resource: Resource::Memory, requested: 33 * PAGE, limit: 32 * PAGE };
    assert_instantiation_refused(engine, "(memory $big 32)", &options(limits), refused);
    let refused = ResourceLimit { resource: Resource::Table, requested: 110, limit: 100 };
    assert_instantiation_refused(engine, "(table 60 funcref) (table 50 funcref)", &options(limits), refused);

    let (host, _) = host(engine, &wat_guest("(i32.const 0)", "(memory $big 31) (table 60 funcref)"), &options(limits));
    assert_recovers(&host);
}

/// As many memories and tables as the limits allow work; one more of either is refused.
fn memory_and_table_counts_are_limited(engine: &dyn Engine) {
    // The guest has its own memory besides these.
    let memories = |n: usize| "(memory 0)".repeat(n - 1);
    let tables = |n: usize| "(table 0 funcref)".repeat(n);
    let most = [memories(ResourceLimits::MAX_MEMORIES), tables(ResourceLimits::MAX_TABLES)].concat();
    let (host, _) = host(engine, &wat_guest("(i32.const 0)", &most), &Options::default());
    assert_recovers(&host);

    let refused = ResourceLimit {
        resource: Resource::Memories,
        requested: ResourceLimits::MAX_MEMORIES + 1,
        limit: ResourceLimits::MAX_MEMORIES,
    };
    assert_instantiation_refused(engine, &memories(ResourceLimits::MAX_MEMORIES + 1), &Options::default(), refused);
    let refused = ResourceLimit {
        resource: Resource::Tables,
        requested: ResourceLimits::MAX_TABLES + 1,
        limit: ResourceLimits::MAX_TABLES,
    };
    assert_instantiation_refused(engine, &tables(ResourceLimits::MAX_TABLES + 1), &Options::default(), refused);
}
