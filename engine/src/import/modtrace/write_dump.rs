//! The dump writer: a [`StateDump`] printed line for line as the kernel module prints
//! it.

use core::fmt::Write as _;

use super::{mt_letter, pcp_list_kind, NodeDump, PcpDump, StateDump, ZoneDump};
use crate::text::format_cpulist;
use crate::types::{Kernel, MigrateType, NR_ORDERS, NR_PCP_LISTS};

/// Writes the dump exactly in the kernel module's format of the dump's
/// [`StateDump::kernel`] (version 1 for Linux 6.1, version 2 for 6.12): `dump begin
/// LABEL run=N t_ns=0` ... `dump end LABEL`, one `\n` after every line. For every dump the module
/// printed, `write_dump(&parse_dump(x)?)` equals `x` except the `t_ns` value.
///
/// Missing free lists and pcp lists print as empty ones (the format always has 55 and
/// 14); lists beyond those counts are not printed.
pub fn write_dump(dump: &StateDump) -> String {
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!("dump begin {} run={} t_ns=0", dump.label, dump.run));
    for node in &dump.nodes {
        write_node(&mut lines, node);
        for zone in dump.zones.iter().filter(|z| z.nid == node.nid) {
            write_zone(&mut lines, zone, dump.kernel);
        }
    }
    // Zones of no listed node cannot come from the parser; print them rather than
    // lose them.
    for zone in dump
        .zones
        .iter()
        .filter(|z| !dump.nodes.iter().any(|n| n.nid == z.nid))
    {
        write_zone(&mut lines, zone, dump.kernel);
    }
    let last = lines.len().saturating_sub(1);
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        for extra in &dump.extra {
            if extra.after.min(last) == index {
                out.push_str(&extra.line);
                out.push('\n');
            }
        }
    }
    let _ = writeln!(out, "dump end {}", dump.label);
    out
}

fn write_node(lines: &mut Vec<String>, node: &NodeDump) {
    lines.push(format!(
        "node {} start_pfn={} spanned={} present={} kswapd_order={} \
         kswapd_highest_zoneidx={} kswapd_failures={} cpus={}",
        node.nid,
        node.start_pfn,
        node.spanned,
        node.present,
        node.kswapd_order,
        node.kswapd_highest_zoneidx,
        node.kswapd_failures,
        format_cpulist(&node.cpus)
    ));
    for (kind, list) in [
        ("fallback", &node.fallback),
        ("nofallback", &node.nofallback),
    ] {
        let mut line = format!("zonelist {} {kind} :", node.nid);
        for (nid, zone) in list {
            let _ = write!(line, " {nid}/{}", zone.name());
        }
        lines.push(line);
    }
}

fn write_zone(lines: &mut Vec<String>, z: &ZoneDump, kernel: Kernel) {
    let id = format!("{} {}", z.nid, z.zone.name());
    let mut line = format!(
        "zone {id} zid={} start_pfn={} end_pfn={} spanned={} present={} managed={} min={} \
         low={} high={} boost={} nr_reserved_highatomic={} flags={:#x} \
         nr_isolate_pageblock={} percpu_drift_mark={}",
        z.zid,
        z.start_pfn,
        z.end_pfn,
        z.spanned,
        z.present,
        z.managed,
        z.min,
        z.low,
        z.high,
        z.boost,
        z.nr_reserved_highatomic,
        z.flags,
        z.nr_isolate_pageblock,
        z.percpu_drift_mark,
    );
    let _ = match kernel {
        Kernel::V6_1 => write!(
            line,
            " pageset_high={} pageset_batch={}",
            z.pageset_high, z.pageset_batch
        ),
        Kernel::V6_12 => write!(
            line,
            " pageset_high_min={} pageset_high_max={} pageset_batch={} nr_free_highatomic={} \
             promo={} unaccepted={}",
            z.pageset_high,
            z.pageset_high_max,
            z.pageset_batch,
            z.nr_free_highatomic,
            z.promo,
            z.unaccepted
        ),
    };
    lines.push(line);
    lines.push(numbers_line(
        &format!("lowmem_reserve {id}"),
        &z.lowmem_reserve,
    ));
    let mut stats = format!(
        "nr_free_pages {id} global={} snapshot={}",
        z.nr_free_pages_global, z.nr_free_pages_snapshot
    );
    for stat in &z.cpu_stats {
        let _ = write!(
            stats,
            " cpu{0}_diff={1} cpu{0}_threshold={2}",
            stat.cpu, stat.diff, stat.threshold
        );
    }
    lines.push(stats);
    lines.push(numbers_line(&format!("nr_free {id}"), &z.nr_free));
    for order in 0..NR_ORDERS {
        for mt in MigrateType::ALL {
            lines.push(free_line(&id, z, order, mt));
        }
    }
    lines.push(format!("buddy_pages {id} {}", z.buddy_pages));
    for pcp in &z.pcps {
        write_pcp(lines, &id, pcp, kernel);
    }
    let mut blocks = format!(
        "pageblocks {id} first_pfn={} nr={} :",
        z.pageblocks_first_pfn,
        z.pageblocks.len()
    );
    for (mt, count) in runs(&z.pageblocks) {
        let _ = write!(blocks, " {}{count}", mt.map_or('-', mt_letter));
    }
    lines.push(blocks);
}

fn free_line(id: &str, z: &ZoneDump, order: usize, mt: MigrateType) -> String {
    let empty = Vec::new();
    let list = z
        .free
        .get(order)
        .and_then(|lists| lists.get(mt.index()))
        .unwrap_or(&empty);
    let mut line = format!("free {id} {order} {} {} :", mt_letter(mt), list.len());
    for pfn in list {
        let _ = write!(line, " {pfn}");
    }
    line
}

fn write_pcp(lines: &mut Vec<String>, id: &str, pcp: &PcpDump, kernel: Kernel) {
    let mut line = format!(
        "pcp {id} cpu={} current={} count={} high={}",
        pcp.cpu,
        u8::from(pcp.current),
        pcp.count,
        pcp.high
    );
    let _ = match kernel {
        Kernel::V6_1 => write!(line, " batch={} free_factor={}", pcp.batch, pcp.free_factor),
        Kernel::V6_12 => {
            let t = pcp.tuning.unwrap_or_default();
            write!(
                line,
                " high_min={} high_max={} batch={} flags={:#x} alloc_factor={} free_count={}",
                t.high_min, t.high_max, pcp.batch, t.flags, t.alloc_factor, t.free_count
            )
        }
    };
    let _ = write!(line, " expire={}", pcp.expire);
    lines.push(line);
    let empty = Vec::new();
    for pindex in 0..NR_PCP_LISTS {
        let (order, letter) = pcp_list_kind(pindex).unwrap_or((0, '?'));
        let list = pcp.lists.get(pindex).unwrap_or(&empty);
        let mut line = format!(
            "pcplist {id} {} {pindex} {order} {letter} {} :",
            pcp.cpu,
            list.len()
        );
        for page in list {
            let _ = write!(line, " {}", page.pfn);
            if let Some(mt) = page.cached {
                let _ = write!(line, "/{}", mt_letter(mt));
            }
        }
        lines.push(line);
    }
}

fn numbers_line(prefix: &str, values: &[u64]) -> String {
    let mut line = format!("{prefix} :");
    for value in values {
        let _ = write!(line, " {value}");
    }
    line
}

/// Run-length encoding of pageblock types: maximal runs, as the module prints them.
fn runs(blocks: &[Option<MigrateType>]) -> Vec<(Option<MigrateType>, usize)> {
    let mut out: Vec<(Option<MigrateType>, usize)> = Vec::new();
    for &block in blocks {
        match out.last_mut() {
            Some((mt, count)) if *mt == block => *count += 1,
            _ => out.push((block, 1)),
        }
    }
    out
}
