//! The dump parser: one `dump begin` ... `dump end` block, strict, into a
//! [`StateDump`].

use super::fields::{dec_i64, dec_u64, hex_u64, mt_token, shown, Cursor, Fields};
use super::{mt_letter, pcp_list_kind, CpuStat, ExtraLine, FormatError, NodeDump};
use super::{PcpDump, PcpPage, StateDump, ZoneDump};
use crate::alloc::PcpTuning;
use crate::limits::{MODTRACE_CPUS_MAX, MODTRACE_PAGEBLOCKS_MAX};
use crate::text::format_cpulist;
use crate::types::{Kernel, MigrateType, ZoneType, NR_ORDERS, NR_PCP_LISTS};

/// Parses one state dump (one `before.txt`, `after.txt` or `LABEL.txt`) of either
/// format version: 1 (Linux 6.1) or 2 (Linux 6.12). The version is told from the
/// first `zone` line (`pageset_high=` or `pageset_high_min=`), and every `zone` and
/// `pcp` line of the dump must then be of that version. `t_ns` is read and dropped:
/// it is a timestamp, not state.
pub fn parse_dump(text: &str) -> Result<StateDump, FormatError> {
    DumpParser::new(text).parse()
}

struct DumpParser<'a> {
    cur: Cursor<'a>,
    extra: Vec<ExtraLine>,
    /// Typed lines consumed so far (`dump begin` is line 0).
    consumed: usize,
    /// The format version, once the first `zone` line has told it.
    kernel: Option<Kernel>,
}

/// The format version's number and the kernel it is, for messages.
fn version_name(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::V6_1 => "version 1 (Linux 6.1)",
        Kernel::V6_12 => "version 2 (Linux 6.12)",
    }
}

fn is_extra(line: &str) -> bool {
    let record = line.split(' ').next().unwrap_or("");
    record == "warn" || record == "note"
}

impl<'a> DumpParser<'a> {
    fn new(text: &'a str) -> DumpParser<'a> {
        DumpParser {
            cur: Cursor::new(text),
            extra: Vec::new(),
            consumed: 0,
            kernel: None,
        }
    }

    /// Moves `warn`/`note` lines ahead of the cursor into `extra`.
    fn skip_extras(&mut self) {
        while let Some((_, line)) = self.cur.peek() {
            if !is_extra(line) {
                break;
            }
            self.cur.next();
            self.extra.push(ExtraLine {
                after: self.consumed.saturating_sub(1),
                line: line.to_string(),
            });
        }
    }

    /// The record type of the next typed line.
    fn peek_record(&mut self) -> Option<&'a str> {
        self.skip_extras();
        self.cur
            .peek()
            .map(|(_, line)| line.split(' ').next().unwrap_or(""))
    }

    /// The next typed line, which must be a `record` line.
    /// `what` describes the expected line for an error message; it is only built
    /// when there is an error.
    fn expect(
        &mut self,
        record: &str,
        what: impl FnOnce() -> String,
    ) -> Result<Fields<'a>, FormatError> {
        self.skip_extras();
        let Some((ln, line)) = self.cur.next() else {
            return Err(self
                .cur
                .end_error(format!("the input ends early: expected {}", what())));
        };
        self.consumed += 1;
        let f = Fields::new(ln, line);
        if f.record != record {
            return Err(f.err(format!(
                "expected {}, found a `{}` line",
                what(),
                shown(f.record)
            )));
        }
        Ok(f)
    }

    fn parse(mut self) -> Result<StateDump, FormatError> {
        if let Some((ln, line)) = self.cur.peek().filter(|(_, line)| is_extra(line)) {
            return Err(FormatError {
                line: ln,
                message: format!(
                    "expected `dump begin LABEL run=N t_ns=T`, found `{}`",
                    shown(line)
                ),
            });
        }
        let mut f = self.expect("dump", || "`dump begin LABEL run=N t_ns=T`".into())?;
        f.literal("begin")?;
        let label = f.token("the dump label")?.to_string();
        let run = f.key_u32("run")?;
        f.key_u64("t_ns")?;
        f.end()?;
        let mut dump = StateDump {
            label,
            run,
            ..StateDump::default()
        };
        loop {
            match self.peek_record() {
                Some("node") => {
                    let node = self.parse_node(&dump)?;
                    dump.nodes.push(node);
                }
                Some("zone") => {
                    let zone = self.parse_zone(&dump)?;
                    dump.zones.push(zone);
                }
                Some("dump") => break,
                Some(other) => {
                    let line = self.cur.peek().map_or(0, |(ln, _)| ln);
                    return Err(FormatError {
                        line,
                        message: format!(
                            "unknown or misplaced record `{}` (expected `node`, `zone` or \
                             `dump end {}`)",
                            shown(other),
                            shown(&dump.label)
                        ),
                    });
                }
                None => break,
            }
        }
        let end_what = format!("`dump end {}`", shown(&dump.label));
        let mut f = self.expect("dump", || end_what.clone())?;
        f.literal("end")?;
        let label = f.token("the dump label")?;
        if label != dump.label {
            return Err(f.expected(&end_what, &format!("dump end {label}")));
        }
        f.end()?;
        if let Some((ln, line)) = self.cur.next() {
            return Err(FormatError {
                line: ln,
                message: format!(
                    "a line after `dump end {}`: `{}`",
                    shown(&dump.label),
                    shown(line)
                ),
            });
        }
        dump.extra = self.extra;
        dump.kernel = self.kernel.unwrap_or_default();
        Ok(dump)
    }

    fn parse_node(&mut self, dump: &StateDump) -> Result<NodeDump, FormatError> {
        let mut f = self.expect("node", || "a `node` line".into())?;
        let nid = f.u32("the node id")?;
        if let Some(prev) = dump.nodes.last() {
            if nid <= prev.nid {
                return Err(f.err(format!(
                    "node {nid} after node {}: nodes come in ascending order",
                    prev.nid
                )));
            }
        }
        let mut node = NodeDump {
            nid,
            start_pfn: f.key_u64("start_pfn")?,
            spanned: f.key_u64("spanned")?,
            present: f.key_u64("present")?,
            kswapd_order: f.key_u32("kswapd_order")?,
            kswapd_highest_zoneidx: f.key_u32("kswapd_highest_zoneidx")?,
            kswapd_failures: f.key_u32("kswapd_failures")?,
            kswapd_woken: false,
            cpus: Vec::new(),
            fallback: Vec::new(),
            nofallback: Vec::new(),
        };
        let cpus = f.value("cpus")?;
        node.cpus = parse_cpulist(cpus)
            .ok_or_else(|| f.expected("`cpus=` a CPU list in the kernel's form (0-3,6)", cpus))?;
        f.end()?;
        node.fallback = self.parse_zonelist(nid, "fallback")?;
        node.nofallback = self.parse_zonelist(nid, "nofallback")?;
        Ok(node)
    }

    fn parse_zonelist(
        &mut self,
        nid: u32,
        kind: &str,
    ) -> Result<Vec<(u32, ZoneType)>, FormatError> {
        let mut f = self.expect("zonelist", || {
            format!("`zonelist {nid} {kind} : NID/ZONE ...`")
        })?;
        let got = f.u32("the node id")?;
        if got != nid {
            return Err(f.err(format!("zonelist of node {got} after the node {nid} line")));
        }
        f.literal(kind)?;
        f.literal(":")?;
        let mut list = Vec::new();
        for item in f.items("NID/ZONE")? {
            let entry = item.split_once('/').and_then(|(n, z)| {
                let n = u32::try_from(dec_u64(n)?).ok()?;
                Some((n, ZoneType::from_name(z)?))
            });
            list.push(entry.ok_or_else(|| f.expected("NID/ZONE", item))?);
        }
        Ok(list)
    }

    fn parse_zone(&mut self, dump: &StateDump) -> Result<ZoneDump, FormatError> {
        let mut f = self.expect("zone", || "a `zone` line".into())?;
        let nid = f.u32("the node id")?;
        let zone = f.zone_type()?;
        match dump.nodes.last() {
            Some(node) if node.nid == nid => {}
            _ => {
                return Err(f.err(format!(
                    "zone {nid} {} outside its node's block",
                    zone.name()
                )))
            }
        }
        let mut z = ZoneDump {
            nid,
            zone,
            zid: f.key_u32("zid")?,
            start_pfn: f.key_u64("start_pfn")?,
            end_pfn: f.key_u64("end_pfn")?,
            spanned: f.key_u64("spanned")?,
            present: f.key_u64("present")?,
            managed: f.key_u64("managed")?,
            min: f.key_u64("min")?,
            low: f.key_u64("low")?,
            high: f.key_u64("high")?,
            boost: f.key_u64("boost")?,
            nr_reserved_highatomic: f.key_u64("nr_reserved_highatomic")?,
            flags: f.key_hex_u64("flags")?,
            nr_isolate_pageblock: f.key_u64("nr_isolate_pageblock")?,
            percpu_drift_mark: f.key_u64("percpu_drift_mark")?,
            ..ZoneDump::default()
        };
        // Version 1 has `pageset_high=`, version 2 `pageset_high_min=
        // pageset_high_max=` here; the first zone line sets the dump's version.
        let next = f.toks.clone().next().unwrap_or("");
        let kernel = if next.starts_with("pageset_high_min=") {
            Kernel::V6_12
        } else if next.starts_with("pageset_high=") {
            Kernel::V6_1
        } else {
            return Err(f.missing(
                "`pageset_high=` (format version 1, Linux 6.1) or `pageset_high_min=` \
                 (format version 2, Linux 6.12)",
                f.toks.clone().next(),
            ));
        };
        match self.kernel {
            Some(dump_kernel) if dump_kernel != kernel => {
                return Err(f.err(format!(
                    "this `zone` line is in format {} but the dump's first one is in {}",
                    version_name(kernel),
                    version_name(dump_kernel)
                )))
            }
            _ => self.kernel = Some(kernel),
        }
        match kernel {
            Kernel::V6_1 => {
                z.pageset_high = f.key_u64("pageset_high")?;
                z.pageset_batch = f.key_u64("pageset_batch")?;
            }
            Kernel::V6_12 => {
                z.pageset_high = f.key_u64("pageset_high_min")?;
                z.pageset_high_max = f.key_u64("pageset_high_max")?;
                z.pageset_batch = f.key_u64("pageset_batch")?;
                z.nr_free_highatomic = f.key_u64("nr_free_highatomic")?;
                z.promo = f.key_u64("promo")?;
                z.unaccepted = f.key_u64("unaccepted")?;
            }
        }
        f.end()?;
        let id = format!("{nid} {}", zone.name());

        let mut f = self.expect("lowmem_reserve", || format!("`lowmem_reserve {id} : ...`"))?;
        f.zone_id(&z)?;
        f.literal(":")?;
        z.lowmem_reserve = fixed_numbers(&mut f, "lowmem_reserve entries")?;

        self.parse_nr_free_pages(&mut z, &id)?;

        let mut f = self.expect("nr_free", || format!("`nr_free {id} : ...`"))?;
        f.zone_id(&z)?;
        f.literal(":")?;
        z.nr_free = fixed_numbers(&mut f, "nr_free counts (orders 0..10)")?;

        for order in 0..NR_ORDERS {
            for mt in MigrateType::ALL {
                self.parse_free(&mut z, &id, order, mt)?;
            }
        }

        let mut f = self.expect("buddy_pages", || format!("`buddy_pages {id} N`"))?;
        f.zone_id(&z)?;
        z.buddy_pages = f.u64("the page count")?;
        f.end()?;

        while self.peek_record() == Some("pcp") {
            let pcp = self.parse_pcp(&z, &id)?;
            z.pcps.push(pcp);
        }
        self.parse_pageblocks(&mut z, &id)?;
        Ok(z)
    }

    fn parse_nr_free_pages(&mut self, z: &mut ZoneDump, id: &str) -> Result<(), FormatError> {
        let mut f = self.expect("nr_free_pages", || {
            format!("`nr_free_pages {id} global= snapshot= cpuN_diff= cpuN_threshold=`")
        })?;
        f.zone_id(z)?;
        z.nr_free_pages_global = f.key_i64("global")?;
        z.nr_free_pages_snapshot = f.key_i64("snapshot")?;
        while let Some(tok) = f.toks.next() {
            let stat = tok
                .split_once('=')
                .and_then(|(key, value)| {
                    let cpu = key.strip_prefix("cpu")?.strip_suffix("_diff")?;
                    Some((u32::try_from(dec_u64(cpu)?).ok()?, dec_i64(value)?))
                })
                .ok_or_else(|| f.expected("`cpuN_diff=D`", tok))?;
            let key = format!("cpu{}_threshold", stat.0);
            let threshold = f.key_i64(&key)?;
            z.cpu_stats.push(CpuStat {
                cpu: stat.0,
                diff: stat.1,
                threshold,
            });
        }
        Ok(())
    }

    fn parse_free(
        &mut self,
        z: &mut ZoneDump,
        id: &str,
        order: usize,
        mt: MigrateType,
    ) -> Result<(), FormatError> {
        let letter = mt_letter(mt);
        let what = || {
            format!(
                "`free {id} {order} {letter} COUNT : ...` (55 free lines per zone: orders \
                 0..10 × U M R H I)"
            )
        };
        let mut f = self.expect("free", what)?;
        f.zone_id(z)?;
        let got_order = f.token("the order")?;
        let got_mt = f.token("the migratetype letter")?;
        if dec_u64(got_order) != u64::try_from(order).ok() || mt_token(got_mt) != Some(mt) {
            return Err(f.expected(&what(), &format!("free {id} {got_order} {got_mt}")));
        }
        let count = f.u64("the list length")?;
        f.literal(":")?;
        let items = f.items("a pfn")?;
        if u64::try_from(items.len()).ok() != Some(count) {
            return Err(f.err(format!(
                "`free`: the list has {} pfns but COUNT is {count}",
                items.len()
            )));
        }
        let mut list = Vec::new();
        for item in items {
            if item.ends_with('!') {
                // The module's sign of a corrupt free list; the engine could not load it.
                return Err(f.err(format!(
                    "`free`: pfn `{}` is marked `!` (not a buddy page of this order and \
                     zone), which a loadable state never has",
                    shown(item)
                )));
            }
            list.push(dec_u64(item).ok_or_else(|| f.expected("a pfn", item))?);
        }
        if let Some(slot) = z.free.get_mut(order).and_then(|l| l.get_mut(mt.index())) {
            *slot = list;
        }
        Ok(())
    }

    fn parse_pcp(&mut self, z: &ZoneDump, id: &str) -> Result<PcpDump, FormatError> {
        let mut f = self.expect("pcp", || format!("a `pcp {id} cpu=...` line"))?;
        f.zone_id(z)?;
        let cpu = f.key_u32("cpu")?;
        let current = match f.value("current")? {
            "0" => false,
            "1" => true,
            other => return Err(f.expected("`current=0` or `current=1`", other)),
        };
        let count = f.key_u64("count")?;
        let high = f.key_u64("high")?;
        let mut pcp = match self.kernel.unwrap_or_default() {
            Kernel::V6_1 => PcpDump {
                cpu,
                current,
                count,
                high,
                batch: f.key_u64("batch")?,
                free_factor: f.key_u64("free_factor")?,
                tuning: None,
                expire: f.key_u64("expire")?,
                lists: Vec::new(),
            },
            Kernel::V6_12 => {
                let high_min = f.key_u64("high_min")?;
                let high_max = f.key_u64("high_max")?;
                let batch = f.key_u64("batch")?;
                let flags = f.value("flags")?;
                let flags = hex_u64(flags)
                    .and_then(|v| u8::try_from(v).ok())
                    .ok_or_else(|| f.expected("`flags=0x...` (8-bit lowercase hex)", flags))?;
                let tuning = PcpTuning {
                    high_min,
                    high_max,
                    flags,
                    alloc_factor: f.key_u32("alloc_factor")?,
                    free_count: f.key_u64("free_count")?,
                };
                PcpDump {
                    cpu,
                    current,
                    count,
                    high,
                    batch,
                    free_factor: 0,
                    tuning: Some(tuning),
                    expire: f.key_u64("expire")?,
                    lists: Vec::new(),
                }
            }
        };
        f.end()?;
        for pindex in 0..NR_PCP_LISTS {
            pcp.lists.push(self.parse_pcplist(z, id, cpu, pindex)?);
        }
        Ok(pcp)
    }

    fn parse_pcplist(
        &mut self,
        z: &ZoneDump,
        id: &str,
        cpu: u32,
        pindex: usize,
    ) -> Result<Vec<PcpPage>, FormatError> {
        let (order, letter) = pcp_list_kind(pindex).unwrap_or((0, '?'));
        let what = || {
            format!(
                "`pcplist {id} {cpu} {pindex} {order} {letter} COUNT : ...` ({NR_PCP_LISTS} \
                 pcplist lines per pcp line)"
            )
        };
        let mut f = self.expect("pcplist", what)?;
        f.zone_id(z)?;
        let mut head = [""; 4];
        for slot in &mut head {
            *slot = f.token("the pcplist CPU PINDEX ORDER LMT fields")?;
        }
        let [got_cpu, got_pindex, got_order, got_letter] = head;
        let mut letters = got_letter.chars();
        let matches = dec_u64(got_cpu) == Some(u64::from(cpu))
            && dec_u64(got_pindex) == u64::try_from(pindex).ok()
            && dec_u64(got_order) == Some(u64::from(order))
            && letters.next() == Some(letter)
            && letters.next().is_none();
        if !matches {
            let found = format!("pcplist {id} {}", head.join(" "));
            return Err(f.expected(&what(), &found));
        }
        let count = f.u64("the list length")?;
        f.literal(":")?;
        let items = f.items("a pfn")?;
        if u64::try_from(items.len()).ok() != Some(count) {
            return Err(f.err(format!(
                "`pcplist`: the list has {} pfns but COUNT is {count}",
                items.len()
            )));
        }
        let mut list = Vec::new();
        for item in items {
            let page = match item.split_once('/') {
                Some((pfn, mt)) => dec_u64(pfn).zip(mt_token(mt)).map(|(pfn, mt)| PcpPage {
                    pfn,
                    cached: Some(mt),
                }),
                None => dec_u64(item).map(|pfn| PcpPage { pfn, cached: None }),
            };
            list.push(
                page.ok_or_else(|| f.expected("`PFN` or `PFN/X` (X one of U M R H I)", item))?,
            );
        }
        Ok(list)
    }

    fn parse_pageblocks(&mut self, z: &mut ZoneDump, id: &str) -> Result<(), FormatError> {
        let mut f = self.expect("pageblocks", || {
            format!("`pageblocks {id} first_pfn= nr= : ...` (or a `pcp` line)")
        })?;
        f.zone_id(z)?;
        z.pageblocks_first_pfn = f.key_u64("first_pfn")?;
        let nr = f.key_u64("nr")?;
        f.literal(":")?;
        if nr > MODTRACE_PAGEBLOCKS_MAX {
            return Err(f.err(format!(
                "`nr={nr}` is above the limit of {MODTRACE_PAGEBLOCKS_MAX} pageblocks"
            )));
        }
        let mut runs: Vec<(Option<MigrateType>, u64)> = Vec::new();
        let mut total: u64 = 0;
        for item in f.items("a run such as `M28` or `-3`")? {
            let run = item.split_at_checked(1).and_then(|(letter, count)| {
                let mt = match letter {
                    "-" => None,
                    _ => Some(mt_token(letter)?),
                };
                Some((mt, dec_u64(count).filter(|&c| c > 0)?))
            });
            let (mt, count) = run.ok_or_else(|| {
                f.expected("a run LETTERCOUNT (U M R H I or -, count from 1)", item)
            })?;
            if runs.last().is_some_and(|&(prev, _)| prev == mt) {
                return Err(f.expected("a run of a type other than the previous run's", item));
            }
            total = total.saturating_add(count);
            runs.push((mt, count));
        }
        if total != nr {
            return Err(f.err(format!(
                "`pageblocks`: the runs cover {total} pageblocks but nr={nr}"
            )));
        }
        for (mt, count) in runs {
            for _ in 0..count {
                z.pageblocks.push(mt);
            }
        }
        Ok(())
    }
}

/// Exactly `N` numbers to the end of the line.
fn fixed_numbers<const N: usize>(f: &mut Fields<'_>, what: &str) -> Result<[u64; N], FormatError> {
    let items = f.items("a number")?;
    if items.len() != N {
        return Err(f.err(format!(
            "`{}`: expected {N} {what}, found {}",
            shown(f.record),
            items.len()
        )));
    }
    let mut out = [0; N];
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = dec_u64(item).ok_or_else(|| f.expected("a decimal number", item))?;
    }
    Ok(out)
}

/// The `cpus=` list of a `node` line, only in the kernel's own `%*pbl` form.
///
/// Not `text::parse_cpulist`, which reads what people type (spaces around items,
/// leading zeros) and stops at `CPUS_MAX` (8192, NR_CPUS of the reference kernel):
/// a dump must write back byte for byte, and the traced machine's
/// CPU numbers are bounded only by `MODTRACE_CPUS_MAX` (65536). The writer's
/// `text::format_cpulist` is the same `%*pbl` form, so this checks against it.
fn parse_cpulist(s: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    if !s.is_empty() {
        for part in s.split(',') {
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (dec_u64(a)?, dec_u64(b)?),
                None => {
                    let cpu = dec_u64(part)?;
                    (cpu, cpu)
                }
            };
            let first = u32::try_from(first).ok()?;
            let last = u32::try_from(last).ok()?;
            if first > last || last >= MODTRACE_CPUS_MAX {
                return None;
            }
            cpus.extend(first..=last);
            if cpus.len() > MODTRACE_CPUS_MAX as usize {
                return None;
            }
        }
    }
    // Only the kernel's own form, so that it prints back unchanged.
    (format_cpulist(&cpus) == s).then_some(cpus)
}
