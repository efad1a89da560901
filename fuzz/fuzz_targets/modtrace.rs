//! The real-kernel run formats (`import::modtrace`): `parse_dump` (both format
//! versions, Linux 6.1's 1 and 6.12's 2), `parse_header`, `parse_allocs`,
//! `parse_events` and `parse_workload` take any text without panicking; a dump, an
//! allocs file or an events file that parses writes back to text that parses to the
//! same records; a dump that loads as an allocator (`Allocator::from_dump`) prints as
//! a dump of the same kernel that loads again and prints the same.
#![no_main]
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::import::modtrace::{
    canonical_op, free_targets, parse_allocs, parse_dump, parse_events, parse_header,
    parse_workload, write_allocs, write_dump, write_events, AllocatorDump, Op,
};
use libfuzzer_sys::fuzz_target;

/// Zones up to this many pages in all are loaded (a zone's page states take a byte a
/// page; the parser alone accepts zones of up to 2^32 pages).
const LOAD_PAGES_MAX: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(dump) = parse_dump(text) {
        let written = write_dump(&dump);
        let again = parse_dump(&written)
            .unwrap_or_else(|e| panic!("a written dump is refused: {e}\n{written}"));
        assert_eq!(again, dump, "dump round trip\n{written}");
        let pages: u64 = dump.zones.iter().map(|z| z.spanned).fold(0, u64::saturating_add);
        if pages <= LOAD_PAGES_MAX {
            if let Ok(allocator) = Allocator::from_dump(&dump, 15_000) {
                let printed = allocator.to_dump(&dump.label, dump.run);
                assert_eq!(printed.kernel, dump.kernel, "the dump's kernel is kept");
                let reloaded = Allocator::from_dump(&printed, 15_000)
                    .unwrap_or_else(|e| panic!("a printed state does not load: {e}"));
                assert_eq!(
                    write_dump(&reloaded.to_dump(&dump.label, dump.run)),
                    write_dump(&printed),
                    "load/print round trip"
                );
            }
        }
    }
    if let Ok(records) = parse_allocs(text) {
        let written = write_allocs(&records);
        assert_eq!(parse_allocs(&written).as_ref(), Ok(&records), "allocs round trip");
    }
    if let Ok(records) = parse_events(text) {
        let written = write_events(&records);
        assert_eq!(parse_events(&written).as_ref(), Ok(&records), "events round trip");
    }
    let _ = parse_header(text);
    if let Ok(ops) = parse_workload(text) {
        for op in &ops {
            if let Op::Free(specs) = op {
                let _ = free_targets(specs, 1000);
            }
            let _ = canonical_op(op);
        }
    }
});
