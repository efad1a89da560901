//! Replaying a real kernel run (the modtrace format): load the kernel's state dump
//! into an [`Allocator`], run the same alloc/free script with the same gfp masks, and
//! write the results and the final state in the kernel module's own formats, so the
//! two can be compared record by record.
//!
//! One modelling choice the dumps cannot settle: which in-use pages the kernel could
//! migrate (PageLRU), which `move_freepages()` counts when a steal decides whether to
//! claim a pageblock. Pages in use before the run count as migratable when their
//! pageblock is MOVABLE (user and page-cache pages live there); pages the script
//! allocates do not (a module's `alloc_pages()` pages are not on an LRU list).

use std::collections::VecDeque;

use crate::alloc::{
    Allocator, Pcp, PcpPage, ZoneState, ZONE_BELOW_HIGH, ZONE_BOOSTED_WATERMARK,
    ZONE_RECLAIM_ACTIVE,
};
use crate::buddy::{BuddyZone, TraceSink, PAGEBLOCK_NO_MEMMAP};
use crate::event::Event;
use crate::import::modtrace::{self, AllocRecord, Op, StateDump};
use crate::types::gfp::Gfp;
use crate::types::{Kernel, MigrateType, Order, Pfn, MAX_ORDER, NR_PCP_LISTS, PAGEBLOCK_PAGES};

/// What a replay produces, each in the case's own format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOutput {
    /// `allocs.txt`.
    pub allocs: String,
    /// `after.txt`.
    pub after: String,
    /// `LABEL.txt` for each `D LABEL` op, in order.
    pub dumps: Vec<(String, String)>,
    /// `events.txt`: the ops with the tracepoint events the model emitted.
    pub events: String,
}

/// The type of a pcp list (`N` lists hold pages of every non-movable type).
fn list_type(pindex: usize) -> MigrateType {
    match pindex {
        12 => MigrateType::Unmovable,
        13 => MigrateType::Movable,
        p => MigrateType::from_index(p % 3).unwrap_or(MigrateType::Unmovable),
    }
}

/// Loading and printing kernel state dumps (the modtrace format) for an
/// [`Allocator`]: a trait, since the allocator lives in buddyscope-core and the dump
/// format here.
pub trait AllocatorDump: Sized {
    /// Loads a kernel state dump (`before.txt`) as an allocator of the dump's kernel:
    /// Linux 6.1 for a version-1 dump, 6.12 for version 2.
    fn from_dump(dump: &StateDump, watermark_boost_factor: u32) -> Result<Self, String>;

    /// The state in the dump format of the allocator's kernel (version 1 for Linux
    /// 6.1, version 2 for 6.12), labelled `label`. A 6.12 dump also has the check
    /// lines the 6.12 module prints when the state breaks an invariant of that kernel
    /// (`zone_check_lines()`).
    fn to_dump(&self, label: &str, run: u32) -> StateDump;
}

impl AllocatorDump for Allocator {
    fn from_dump(dump: &StateDump, watermark_boost_factor: u32) -> Result<Allocator, String> {
        // A dump's node is the allocator's `NodeState` (see `NodeDump`).
        let nodes = dump.nodes.clone();
        let mut zones = Vec::new();
        let mut cpu = None;
        for z in &dump.zones {
            zones.push(zone_from_dump(z, dump.kernel)?);
            if let Some(pcp) = z.pcps.iter().find(|p| p.current) {
                cpu = Some(pcp.cpu);
            }
        }
        let mut online_cpus: Vec<u32> = dump
            .nodes
            .iter()
            .flat_map(|n| n.cpus.iter().copied())
            .collect();
        crate::types::sort::sort(&mut online_cpus);
        online_cpus.dedup();
        // A dump comes from a running kernel large enough to group by mobility (the
        // dump format does not record the flag): `from_dump_parts` leaves it on.
        Ok(Allocator::from_dump_parts(
            dump.kernel,
            nodes,
            zones,
            cpu.or_else(|| online_cpus.first().copied()).unwrap_or(0),
            online_cpus,
            watermark_boost_factor,
        ))
    }

    fn to_dump(&self, label: &str, run: u32) -> StateDump {
        let mut dump = StateDump {
            kernel: self.kernel(),
            label: label.to_string(),
            run,
            nodes: self.nodes().to_vec(),
            zones: self
                .zones()
                .iter()
                .map(|z| zone_to_dump(z, self.cpu(), self.kernel()))
                .collect(),
            extra: Vec::new(),
        };
        if self.kernel() == Kernel::V6_12 {
            dump.extra = check_lines(self, &dump);
        }
        dump
    }
}

/// The zone flags each kernel has (`enum zone_flags`): a dump with another bit set
/// cannot be loaded.
fn known_zone_flags(kernel: Kernel) -> u64 {
    match kernel {
        Kernel::V6_1 => ZONE_BOOSTED_WATERMARK | ZONE_RECLAIM_ACTIVE,
        Kernel::V6_12 => ZONE_BOOSTED_WATERMARK | ZONE_RECLAIM_ACTIVE | ZONE_BELOW_HIGH,
    }
}

/// `_watermark[WMARK_PROMO]`, which the model does not keep: 6.12's
/// `__setup_per_zone_wmarks()` sets it one more low-to-high step above high (with the
/// boost at 0), as it sets high one step above low.
fn promo_watermark(z: &ZoneState) -> u64 {
    let [_, low, high] = z.watermark;
    high.saturating_add(high.saturating_sub(low))
}

/// The raw type of the pageblock holding `pfn` (`None` where it has no memmap).
fn pageblock_mt(buddy: &BuddyZone, pfn: u64) -> Option<MigrateType> {
    let first = buddy.first_pageblock_pfn().0;
    let index = usize::try_from((pfn.checked_sub(first)?) >> crate::types::PAGEBLOCK_ORDER).ok()?;
    match buddy.pageblock_raw(index)? {
        PAGEBLOCK_NO_MEMMAP => None,
        raw => MigrateType::from_index(raw as usize),
    }
}

/// What a dump prints after a pcp page's pfn (`/X`) on list `pindex`: on 6.1 the
/// cached migratetype, on 6.12 the page's pageblock type (`free_pcppages_bulk()` reads
/// it when it drains), each when it differs from the list's type and always on the
/// `N` list (12).
fn pcp_suffix(pindex: usize, mt: Option<MigrateType>) -> Option<MigrateType> {
    mt.filter(|&mt| pindex == 12 || mt != list_type(pindex))
}

fn zone_from_dump(z: &modtrace::ZoneDump, kernel: Kernel) -> Result<ZoneState, String> {
    let name = format!("zone {} {}", z.nid, z.zone.name());
    let unknown = z.flags & !known_zone_flags(kernel);
    if unknown != 0 {
        return Err(format!(
            "{name}: flags={:#x} has bits {unknown:#x}, which Linux {} does not define",
            z.flags,
            kernel.name()
        ));
    }
    let mut buddy =
        BuddyZone::all_in_use(z.start_pfn, z.spanned).map_err(|e| format!("{name}: {e}"))?;
    buddy.set_kernel(kernel);
    for (index, block) in z.pageblocks.iter().enumerate() {
        buddy.set_pageblock_raw(index, block.map_or(PAGEBLOCK_NO_MEMMAP, |mt| mt as u8));
    }
    for (order, lists) in z.free.iter().enumerate() {
        let order =
            Order::new(order as u32).ok_or(format!("{name}: order {order} is too large"))?;
        for (mt, pfns) in lists.iter().enumerate() {
            let mt = MigrateType::from_index(mt).ok_or(format!("{name}: bad migratetype {mt}"))?;
            for &pfn in pfns {
                buddy
                    .load_free_block(Pfn(pfn), order, mt)
                    .map_err(|e| format!("{name}: free block {pfn} of order {order}: {e}"))?;
            }
        }
    }
    let mut pcps = Vec::new();
    for p in &z.pcps {
        let mut lists = vec![VecDeque::new(); NR_PCP_LISTS];
        for ((pindex, pages), list) in p.lists.iter().enumerate().zip(lists.iter_mut()) {
            let order = crate::alloc::pindex_to_order(pindex);
            for page in pages {
                buddy
                    .load_in_use(Pfn(page.pfn), order)
                    .map_err(|e| format!("{name}: pcp page {} on list {pindex}: {e}", page.pfn))?;
                let migratetype = match kernel {
                    Kernel::V6_1 => page.cached.unwrap_or(list_type(pindex)),
                    // 6.12 caches no migratetype in a pcp page: `/X` is the page's
                    // pageblock type, which the pageblocks line already holds (and
                    // must agree with), and the drain reads it from there.
                    Kernel::V6_12 => {
                        let block = pageblock_mt(&buddy, page.pfn);
                        let expected = pcp_suffix(pindex, block);
                        if page.cached != expected {
                            let show = |mt: Option<MigrateType>| {
                                mt.map_or(String::from("no `/X`"), |mt| {
                                    format!("`/{}`", modtrace::mt_letter(mt))
                                })
                            };
                            return Err(format!(
                                "{name}: pcp page {} on list {pindex} shows {} but its \
                                 pageblock is {} in the pageblocks line, which makes it {}",
                                page.pfn,
                                show(page.cached),
                                block.map_or('-', modtrace::mt_letter),
                                show(expected)
                            ));
                        }
                        list_type(pindex)
                    }
                };
                list.push_back(PcpPage {
                    pfn: page.pfn,
                    migratetype,
                });
            }
        }
        let (free_factor, tuning) = match kernel {
            Kernel::V6_1 => {
                let free_factor = u32::try_from(p.free_factor).map_err(|_| {
                    format!(
                        "{name}: cpu {}: free_factor={} is too large",
                        p.cpu, p.free_factor
                    )
                })?;
                (free_factor, None)
            }
            Kernel::V6_12 => (0, Some(p.tuning.unwrap_or_default())),
        };
        pcps.push(Pcp {
            cpu: p.cpu,
            count: p.count,
            high: p.high,
            batch: p.batch,
            free_factor,
            expire: p.expire,
            lists,
            tuning,
        });
    }
    // Pages in use before the run: migratable where their pageblock is MOVABLE.
    let start = z.start_pfn;
    for pfn in start..start + z.spanned {
        let pfn = Pfn(pfn);
        if buddy.is_reserved_page(pfn) && buddy.pageblock_type(pfn) == MigrateType::Movable {
            buddy.set_page_movable(pfn, true);
        }
    }
    let (pageset_high_max, nr_free_highatomic) = match kernel {
        Kernel::V6_1 => (z.pageset_high, 0),
        Kernel::V6_12 => (z.pageset_high_max, z.nr_free_highatomic),
    };
    let state = ZoneState {
        nid: z.nid,
        zone: z.zone,
        buddy,
        spanned: z.spanned,
        present: z.present,
        managed: z.managed,
        watermark: [z.min, z.low, z.high],
        watermark_boost: z.boost,
        nr_reserved_highatomic: z.nr_reserved_highatomic,
        flags: z.flags,
        nr_isolate_pageblock: z.nr_isolate_pageblock,
        percpu_drift_mark: z.percpu_drift_mark,
        pageset_high: z.pageset_high,
        pageset_high_max,
        pageset_batch: z.pageset_batch,
        nr_free_highatomic,
        lowmem_reserve: z.lowmem_reserve,
        free_pages_global: z.nr_free_pages_global,
        cpu_stats: z.cpu_stats.clone(),
        pcps,
        recorder: Default::default(),
    };
    if kernel == Kernel::V6_12 {
        // Printed by version 2 but not kept: WMARK_PROMO follows from the other
        // watermarks, and the model has no unaccepted memory.
        let promo = promo_watermark(&state);
        if z.promo != promo {
            return Err(format!(
                "{name}: promo={} but low={} and high={} make WMARK_PROMO {promo} (6.12's \
                 __setup_per_zone_wmarks() puts it one low-to-high step above high)",
                z.promo, z.low, z.high
            ));
        }
        if z.unaccepted != 0 {
            return Err(format!(
                "{name}: unaccepted={}: the model has no unaccepted memory (the pages a \
                 TDX or SEV-SNP guest accepts on first use)",
                z.unaccepted
            ));
        }
    }
    Ok(state)
}

/// The typed lines of a zone block before its `buddy_pages` line: `zone`,
/// `lowmem_reserve`, `nr_free_pages`, `nr_free` and the 55 `free` lines.
const ZONE_LINES_BEFORE_BUDDY_PAGES: usize = 4 + crate::types::NR_ORDERS * MigrateType::ALL.len();

/// The check lines of a 6.12 dump, each placed after the line the module prints it
/// after, in the order `write_dump` prints the zones (by node, then any zone of no
/// listed node).
fn check_lines(allocator: &Allocator, dump: &StateDump) -> Vec<modtrace::ExtraLine> {
    let mut extra = Vec::new();
    // Typed lines so far: `dump begin` is line 0.
    let mut line = 0usize;
    let zone_block = |index: usize, line: &mut usize, extra: &mut Vec<modtrace::ExtraLine>| {
        let (Some(z), Some(zd)) = (allocator.zones().get(index), dump.zones.get(index)) else {
            return;
        };
        let start = *line + 1;
        let (notes, warn) = zone_check_lines(z);
        let last_free = start + ZONE_LINES_BEFORE_BUDDY_PAGES - 1;
        for note in notes {
            extra.push(modtrace::ExtraLine {
                after: last_free,
                line: note,
            });
        }
        if let Some(warn) = warn {
            extra.push(modtrace::ExtraLine {
                after: last_free + 1,
                line: warn,
            });
        }
        // + buddy_pages, one pcp line and NR_PCP_LISTS pcplist lines per CPU, and
        // the pageblocks line.
        *line = last_free + 1 + zd.pcps.len() * (1 + NR_PCP_LISTS) + 1;
    };
    for node in &dump.nodes {
        line += 3;
        for (index, _) in dump
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.nid == node.nid)
        {
            zone_block(index, &mut line, &mut extra);
        }
    }
    for (index, _) in dump
        .zones
        .iter()
        .enumerate()
        .filter(|(_, z)| !dump.nodes.iter().any(|n| n.nid == z.nid))
    {
        zone_block(index, &mut line, &mut extra);
    }
    extra
}

/// The two invariants the 6.12 module checks in a zone, as the lines it prints when
/// they fail: a `note freelist-vs-pageblock` for every free block and every
/// pageblock it covers whose type is not the free list's (6.10's free lists are
/// type-pure: `move_to_free_list()` moves a retyped pageblock's blocks), walked as
/// the `free` lines are; and a `warn nr_free_highatomic-mismatch` when the pages on
/// the HIGHATOMIC lists are not `nr_free_highatomic`, which `account_freepages()`
/// keeps.
fn zone_check_lines(z: &ZoneState) -> (Vec<String>, Option<String>) {
    let buddy = &z.buddy;
    let id = format!("{} {}", z.nid, z.zone.name());
    let letter = |mt: Option<MigrateType>| mt.map_or('-', modtrace::mt_letter);
    let mut notes = Vec::new();
    for order in Order::all() {
        let pages = 1u64 << order.get();
        for mt in MigrateType::ALL {
            for pfn in buddy.free_list(order, mt) {
                let mut block = pfn.0 & !(PAGEBLOCK_PAGES - 1);
                while block < pfn.0 + pages {
                    let block_mt = pageblock_mt(buddy, block);
                    if block_mt != Some(mt) {
                        notes.push(format!(
                            "note freelist-vs-pageblock {id} order={} mt={} pfn={} \
                             pageblock_pfn={block} pageblock_mt={}",
                            order.get(),
                            modtrace::mt_letter(mt),
                            pfn.0,
                            letter(block_mt)
                        ));
                    }
                    block += PAGEBLOCK_PAGES;
                }
            }
        }
    }
    let lists: u64 = Order::all()
        .map(|order| (buddy.free_list(order, MigrateType::HighAtomic).len() as u64) << order.get())
        .sum();
    let warn = (lists != z.nr_free_highatomic).then(|| {
        format!(
            "warn nr_free_highatomic-mismatch {id} lists={lists} nr_free_highatomic={}",
            z.nr_free_highatomic
        )
    });
    (notes, warn)
}

fn zone_to_dump(z: &ZoneState, current_cpu: u32, kernel: Kernel) -> modtrace::ZoneDump {
    let buddy = &z.buddy;
    let free: Vec<Vec<Vec<u64>>> = Order::all()
        .map(|order| {
            MigrateType::ALL
                .iter()
                .map(|&mt| buddy.free_list(order, mt).iter().map(|p| p.0).collect())
                .collect()
        })
        .collect();
    let mut nr_free = [0u64; MAX_ORDER as usize];
    let mut buddy_pages = 0u64;
    for (order, slot) in Order::all().zip(nr_free.iter_mut()) {
        let n = u64::from(buddy.nr_free(order));
        *slot = n;
        buddy_pages += n << order.get();
    }
    let pcps = z
        .pcps
        .iter()
        .map(|p| modtrace::PcpDump {
            cpu: p.cpu,
            current: p.cpu == current_cpu,
            count: p.count,
            high: p.high,
            batch: p.batch,
            free_factor: u64::from(p.free_factor),
            tuning: match kernel {
                Kernel::V6_1 => None,
                Kernel::V6_12 => Some(p.tuning.unwrap_or_default()),
            },
            expire: p.expire,
            lists: p
                .lists
                .iter()
                .enumerate()
                .map(|(pindex, list)| {
                    list.iter()
                        .map(|page| modtrace::PcpPage {
                            pfn: page.pfn,
                            cached: match kernel {
                                Kernel::V6_1 => pcp_suffix(pindex, Some(page.migratetype)),
                                Kernel::V6_12 => pcp_suffix(pindex, pageblock_mt(buddy, page.pfn)),
                            },
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    let (pageset_high_max, nr_free_highatomic, promo) = match kernel {
        Kernel::V6_1 => (0, 0, 0),
        Kernel::V6_12 => (z.pageset_high_max, z.nr_free_highatomic, promo_watermark(z)),
    };
    let pageblocks = (0..buddy.pageblock_count())
        .map(|i| match buddy.pageblock_raw(i) {
            Some(PAGEBLOCK_NO_MEMMAP) | None => None,
            Some(raw) => MigrateType::from_index(raw as usize),
        })
        .collect();
    modtrace::ZoneDump {
        nid: z.nid,
        zone: z.zone,
        zid: z.zone.index() as u32,
        start_pfn: buddy.start_pfn().0,
        end_pfn: buddy.end_pfn().0,
        spanned: z.spanned,
        present: z.present,
        managed: z.managed,
        min: z.watermark[0],
        low: z.watermark[1],
        high: z.watermark[2],
        boost: z.watermark_boost,
        nr_reserved_highatomic: z.nr_reserved_highatomic,
        flags: z.flags,
        nr_isolate_pageblock: z.nr_isolate_pageblock,
        percpu_drift_mark: z.percpu_drift_mark,
        pageset_high: z.pageset_high,
        pageset_high_max,
        pageset_batch: z.pageset_batch,
        nr_free_highatomic,
        promo,
        unaccepted: 0,
        lowmem_reserve: z.lowmem_reserve,
        nr_free_pages_global: z.free_pages_global,
        nr_free_pages_snapshot: z.free_pages_snapshot(),
        cpu_stats: z.cpu_stats.clone(),
        nr_free,
        free,
        buddy_pages,
        pcps,
        pageblocks_first_pfn: buddy.first_pageblock_pfn().0,
        pageblocks,
    }
}

/// Collects the tracepoint events of the kernel module's `e` lines.
struct EventLines(Vec<String>);

impl TraceSink for EventLines {
    fn emit(&mut self, event: Event) {
        let letter = |mt: MigrateType| modtrace::mt_letter(mt);
        let line = match event {
            Event::PageAlloc {
                pfn,
                order,
                migratetype,
                gfp,
            } => format!("e alloc {} {order} {} {gfp:#x}", pfn.0, letter(migratetype)),
            Event::PageFree { pfn, order } => format!("e free {} {order}", pfn.0),
            Event::ZoneLocked {
                pfn,
                order,
                migratetype,
                pcp,
            } => {
                format!(
                    "e buddy {} {order} {} {}",
                    pfn.0,
                    letter(migratetype),
                    u8::from(pcp)
                )
            }
            Event::PcpDrain {
                pfn,
                order,
                migratetype,
                ..
            } => format!("e drain {} {order} {}", pfn.0, letter(migratetype)),
            Event::Steal {
                pfn,
                alloc_order,
                fallback_order,
                alloc_migratetype,
                fallback_migratetype,
                claimed,
                ..
            } => format!(
                "e steal {} {alloc_order} {fallback_order} {} {} {}",
                pfn.0,
                letter(alloc_migratetype),
                letter(fallback_migratetype),
                u8::from(claimed)
            ),
            _ => return,
        };
        self.0.push(line);
    }
}

/// The gfp mask of an op's letter, from the header.
fn gfp_of(header: &modtrace::Header, mt: char, thisnode: bool) -> Result<Gfp, String> {
    let base = match mt {
        'U' => header.gfp_u,
        'M' => header.gfp_m,
        'R' => header.gfp_r,
        'H' => header.gfp_h,
        other => {
            return Err(format!(
                "unknown migratetype letter `{other}` in the workload"
            ))
        }
    };
    Ok(Gfp(if thisnode {
        base | header.gfp_thisnode
    } else {
        base
    }))
}

/// Reads `watermark_boost_factor` from a case's `vm.txt`, if it has one.
pub fn boost_factor_from_vm(vm: &str) -> Option<u32> {
    vm.lines()
        .find_map(|l| l.strip_prefix("/proc/sys/vm/watermark_boost_factor = "))
        .and_then(|v| v.trim().parse().ok())
}

/// Runs a case: `before` (the dump), `header`, `workload`, and optionally `vm` (for
/// watermark_boost_factor; the kernel default 15000 otherwise).
pub fn replay(
    before: &str,
    header: &str,
    workload: &str,
    vm: Option<&str>,
) -> Result<ReplayOutput, String> {
    let dump = modtrace::parse_dump(before).map_err(|e| format!("before.txt: {e}"))?;
    let header = modtrace::parse_header(header).map_err(|e| format!("header.txt: {e}"))?;
    let ops = modtrace::parse_workload(workload).map_err(|e| format!("workload.txt: {e}"))?;
    if header.kernel != dump.kernel && !dump.zones.is_empty() {
        return Err(format!(
            "header.txt is format version {} (Linux {}) but before.txt is version {} \
             (Linux {})",
            format_version(header.kernel),
            header.kernel.name(),
            format_version(dump.kernel),
            dump.kernel.name()
        ));
    }
    let boost = vm.and_then(boost_factor_from_vm).unwrap_or(15_000);
    let mut allocator = Allocator::from_dump(&dump, boost)?;
    run_script(&mut allocator, &header, &ops, dump.run)
}

/// The number of the module's format for a kernel: 1 for Linux 6.1, 2 for 6.12.
fn format_version(kernel: Kernel) -> u32 {
    match kernel {
        Kernel::V6_1 => 1,
        Kernel::V6_12 => 2,
    }
}

/// The gfp masks the kernel module uses for its script letters on `kernel`: `U`
/// GFP_NOWAIT, `M` GFP_NOWAIT with __GFP_MOVABLE|__GFP_HIGHMEM, `R` GFP_NOWAIT with
/// __GFP_RECLAIMABLE, `H` GFP_ATOMIC, each with __GFP_NOWARN; `t` adds
/// __GFP_THISNODE. GFP_ATOMIC is 0xa20 on 6.1 and 0x820 on 6.12, which no longer has
/// __GFP_ATOMIC (removed in 6.3); the other masks are the same.
pub fn module_header(kernel: Kernel) -> modtrace::Header {
    modtrace::Header {
        gfp_u: 0x2800,
        gfp_m: 0x280a,
        gfp_r: 0x2810,
        gfp_h: match kernel {
            Kernel::V6_1 => 0x2a20,
            Kernel::V6_12 => 0x2820,
        },
        gfp_thisnode: 0x200000,
        kernel,
        constants: String::new(),
        ops: Vec::new(),
        nallocs: None,
        errors: Vec::new(),
    }
}

/// Runs a script in the module's language on `allocator`, producing the module's
/// records, dumps and events.
pub fn run_script(
    allocator: &mut Allocator,
    header: &modtrace::Header,
    ops: &[Op],
    run: u32,
) -> Result<ReplayOutput, String> {
    let header = header.clone();
    let mut records = Vec::new();
    let mut events = Vec::new();
    let mut dumps = Vec::new();
    // Allocation index -> (pfn, order) while live.
    let mut allocations: Vec<Option<(Pfn, Order)>> = Vec::new();
    let mut freed: Vec<bool> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let text = modtrace::canonical_op(op);
        records.push(AllocRecord::Op {
            index,
            text: text.clone(),
        });
        let mut lines = EventLines(Vec::new());
        // As `&mut dyn TraceSink`, the sink type the session replays and steps
        // through calls with: one compiled copy of the allocation paths serves both
        // (docs/performance.md).
        let mut sink: &mut dyn TraceSink = &mut lines;
        match op {
            Op::Alloc {
                order,
                mt,
                thisnode,
                count,
                node,
            } => {
                let gfp = gfp_of(&header, *mt, *thisnode)?;
                for _ in 0..*count {
                    let idx = allocations.len() as u64;
                    let result = allocator
                        .alloc_pages_node(*node, gfp, *order, &mut sink)
                        .map_err(|e| format!("op {index} `{text}`: {e}"))?;
                    allocations.push(result.map(|a| (a.pfn, a.order)));
                    freed.push(false);
                    records.push(AllocRecord::Alloc {
                        idx,
                        op: index,
                        order: *order,
                        mt: *mt,
                        nid: *node,
                        result: result.map(|a| (a.pfn.0, a.node, a.zone)),
                    });
                }
            }
            Op::Free(specs) => {
                for target in modtrace::free_targets(specs, allocations.len() as u64) {
                    let idx = target.idx;
                    let slot = allocations.get(idx as usize).copied();
                    let why = match slot {
                        None => Some("none"),
                        Some(None) => Some("null"),
                        Some(Some(_)) if freed.get(idx as usize).copied().unwrap_or(false) => {
                            Some("freed")
                        }
                        Some(Some(_)) => None,
                    };
                    if let Some(why) = why {
                        // `F all` and `F rall` pass over dead allocations silently;
                        // only an index the script names is recorded as a skip.
                        if target.explicit {
                            records.push(AllocRecord::Skip {
                                idx,
                                op: index,
                                why: why.to_string(),
                            });
                        }
                        continue;
                    }
                    let Some(Some((pfn, order))) = slot else {
                        continue;
                    };
                    allocator
                        .free_pages(pfn, u32::from(order.get()), &mut sink)
                        .map_err(|e| format!("op {index} `{text}`: {e}"))?;
                    if let Some(flag) = freed.get_mut(idx as usize) {
                        *flag = true;
                    }
                    records.push(AllocRecord::Free {
                        idx,
                        op: index,
                        pfn: pfn.0,
                        order: u32::from(order.get()),
                    });
                }
            }
            Op::Dump(label) => {
                dumps.push((
                    label.clone(),
                    modtrace::write_dump(&allocator.to_dump(label, run)),
                ));
            }
        }
        events.push(format!("o {index} {text}"));
        events.extend(lines.0);
    }
    Ok(ReplayOutput {
        allocs: modtrace::write_allocs(&records),
        after: modtrace::write_dump(&allocator.to_dump("after", run)),
        dumps,
        events: events.join("\n") + "\n",
    })
}
