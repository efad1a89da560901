//! The kmem trace importer against a real Linux 6.1 boot trace
//! (tests/data/traces/boot-early.trace.gz, see about.txt there) and hand-written
//! lines.
//!
//! The expected counts were found independently of the importer, on the
//! decompressed fixture (`zcat boot-early.trace.gz > be.trace`):
//!
//! - event lines: `awk '{print $5}' be.trace | sort | uniq -c` (matches about.txt);
//! - lines per CPU: `grep -c ' \[000\] .*mm_page_alloc: ' be.trace` (19124) and the
//!   same with `[001]` (823);
//! - `grep -c 'gfp_flags=none' be.trace` (2), `grep -n 'GFP_KERNEL_ACCOUNT|__GFP_ZERO$'`
//!   (first at line 41042);
//! - frees matched: a separate Python script that reads `pfn=0x..` and ` order=N` by
//!   regex, keeps a dict pfn -> order of live allocations (an allocation drops any
//!   live one it overlaps), and classifies each free as matched, order mismatch,
//!   inside a live allocation, or unknown: 388 mm_page_free matched, 0
//!   mm_page_free_batched matched, 1 inside (line 37914, the tail page of the order-2
//!   allocation at line 37913), 0 mismatched, 3814 unknown (3617 mm_page_free + 197
//!   mm_page_free_batched; first at lines 45..49), 1 allocation over a live one
//!   (line 38457). On the first 3000 lines: 1425 allocations, 9 unknown frees, 1552
//!   zone_locked, 2 extfrag.

use buddyscope_engine::import::kmemtrace::{
    import_trace, reason, ImportedTrace, TraceOp, ALLOC_OVER_LIVE,
};
use buddyscope_engine::limits::{TRACE_BYTES_MAX, TRACE_LINES_MAX};

const FIXTURE_GZ: &[u8] = include_bytes!("../data/traces/boot-early.trace.gz");

/// Decompresses a gzip member (RFC 1952) with miniz_oxide, the engine's own
/// dependency.
fn gunzip(data: &[u8]) -> Vec<u8> {
    assert!(data.len() > 18 && data[0] == 0x1f && data[1] == 0x8b && data[2] == 8);
    let flags = data[3];
    let mut at = 10;
    if flags & 0x04 != 0 {
        let xlen = usize::from(data[at]) | usize::from(data[at + 1]) << 8;
        at += 2 + xlen;
    }
    for bit in [0x08, 0x10] {
        if flags & bit != 0 {
            while data[at] != 0 {
                at += 1;
            }
            at += 1;
        }
    }
    if flags & 0x02 != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec(&data[at..data.len() - 8]).expect("inflate")
}

fn fixture() -> String {
    String::from_utf8(gunzip(FIXTURE_GZ)).expect("utf-8")
}

fn first_lines(text: &str, n: usize) -> String {
    let mut out = String::new();
    for line in text.lines().take(n) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn op_at_line(t: &ImportedTrace, line: usize) -> &TraceOp {
    t.ops
        .iter()
        .find(|op| match op {
            TraceOp::Alloc { line: l, .. } | TraceOp::Free { line: l, .. } => *l == line,
        })
        .unwrap_or_else(|| panic!("no op for line {line}"))
}

fn examples(t: &ImportedTrace, reason: &str) -> Vec<usize> {
    t.skipped
        .iter()
        .find(|s| s.reason == reason)
        .map(|s| s.examples.clone())
        .unwrap_or_default()
}

#[test]
fn whole_boot_trace_counts() {
    let text = fixture();
    assert_eq!(text.lines().count(), 48_161);
    let t = import_trace(&text).expect("import");

    assert_eq!(t.used_count("mm_page_alloc"), 19_947);
    assert_eq!(t.used_count("mm_page_free"), 388);
    assert_eq!(t.used_count("mm_page_free_batched"), 0);
    assert_eq!(t.ops.len(), 19_947 + 388);

    assert_eq!(t.informational_count("mm_page_pcpu_drain"), 2_461);
    assert_eq!(t.informational_count("mm_page_alloc_extfrag"), 22);
    assert_eq!(t.informational_count("mm_page_alloc_zone_locked"), 21_516);
    assert_eq!(t.informational_count(ALLOC_OVER_LIVE), 1);

    assert_eq!(t.skipped_count(reason::FREE_UNKNOWN), 3_814);
    assert_eq!(examples(&t, reason::FREE_UNKNOWN), vec![45, 46, 47, 48, 49]);
    assert_eq!(t.skipped_count(reason::FREE_INSIDE), 1);
    assert_eq!(examples(&t, reason::FREE_INSIDE), vec![37_914]);
    assert_eq!(t.skipped_count(reason::FREE_ORDER_MISMATCH), 0);
    // Nothing else is skipped: 48,161 lines = 12 header + used + informational + skipped.
    assert_eq!(t.skipped_total(), 3_815);
    let used: u64 = t.used.iter().map(|(_, c)| c).sum();
    let info = 2_461 + 22 + 21_516;
    assert_eq!(12 + used + info + t.skipped_total(), 48_161);

    // CPUs kept.
    let on = |cpu: u32| {
        t.ops
            .iter()
            .filter(|op| matches!(op, TraceOp::Alloc { cpu: c, .. } if *c == cpu))
            .count()
    };
    assert_eq!(on(0), 19_124);
    assert_eq!(on(1), 823);
    // No failed allocations in this trace (about.txt).
    assert!(t
        .ops
        .iter()
        .all(|op| !matches!(op, TraceOp::Alloc { pfn: None, .. })));
    // Every free points at an earlier allocation of the same pfn and order.
    for op in &t.ops {
        if let TraceOp::Free {
            pfn,
            order,
            alloc_index,
            ..
        } = op
        {
            let index = alloc_index.expect("matched");
            match &t.ops[index] {
                TraceOp::Alloc {
                    pfn: p, order: o, ..
                } => {
                    assert_eq!((*p, *o), (Some(*pfn), *order));
                }
                other => panic!("free points at {other:?}"),
            }
        }
    }
}

#[test]
fn hand_checked_lines() {
    let t = import_trace(&fixture()).expect("import");
    // Line 14: `<idle>-0 [000] d..1. 0.470381: mm_page_alloc: page=00000000b1feb976
    // pfn=0x8af6 order=1 migratetype=0 gfp_flags=__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP`:
    // 0x2000 | 0x10000 | 0x40000 (gfp_types.h).
    assert_eq!(
        op_at_line(&t, 14),
        &TraceOp::Alloc {
            cpu: 0,
            pfn: Some(0x8af6),
            order: 1,
            migratetype: 0,
            gfp: 0x52000,
            gfp_text: "__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP".into(),
            line: 14,
        }
    );
    // Line 20: gfp_flags=none.
    assert!(matches!(
        op_at_line(&t, 20),
        TraceOp::Alloc {
            pfn: Some(0x8afa),
            gfp: 0,
            ..
        }
    ));
    // Line 41042, CPU 1: GFP_KERNEL_ACCOUNT|__GFP_ZERO = (__GFP_RECLAIM 0xc00 | __GFP_IO
    // 0x40 | __GFP_FS 0x80 | __GFP_ACCOUNT 0x400000) | __GFP_ZERO 0x100 = 0x400dc0.
    assert!(matches!(
        op_at_line(&t, 41_042),
        TraceOp::Alloc {
            cpu: 1,
            pfn: Some(0xd4a6),
            order: 1,
            migratetype: 0,
            gfp: 0x400dc0,
            ..
        }
    ));
    // Line 37913, CPU 1: GFP_ATOMIC|__GFP_ZERO = (__GFP_HIGH 0x20 | __GFP_ATOMIC 0x200 |
    // __GFP_KSWAPD_RECLAIM 0x800) | 0x100 = 0xb20, order 2.
    assert!(matches!(
        op_at_line(&t, 37_913),
        TraceOp::Alloc {
            cpu: 1,
            pfn: Some(0xd55c),
            order: 2,
            gfp: 0xb20,
            ..
        }
    ));
    // Line 37903 (CPU 1) frees the order-0 page allocated at line 37664.
    let TraceOp::Free {
        cpu,
        pfn,
        order,
        alloc_index: Some(index),
        batched: false,
        ..
    } = op_at_line(&t, 37_903)
    else {
        panic!("line 37903 is not a matched free");
    };
    assert_eq!((*cpu, *pfn, *order), (1, 0xd78e, 0));
    assert!(matches!(t.ops[*index], TraceOp::Alloc { line: 37_664, .. }));
    // Line 40599 frees the order-4 allocation at line 38467.
    let TraceOp::Free {
        pfn,
        order,
        alloc_index: Some(index),
        ..
    } = op_at_line(&t, 40_599)
    else {
        panic!("line 40599 is not a matched free");
    };
    assert_eq!((*pfn, *order), (0xdca0, 4));
    assert!(matches!(t.ops[*index], TraceOp::Alloc { line: 38_467, .. }));
}

#[test]
fn first_3000_lines() {
    let text = first_lines(&fixture(), 3000);
    let t = import_trace(&text).expect("import");
    assert_eq!(t.used_count("mm_page_alloc"), 1_425);
    assert_eq!(t.used_count("mm_page_free"), 0);
    assert_eq!(t.skipped_count(reason::FREE_UNKNOWN), 9);
    assert_eq!(t.skipped_total(), 9);
    assert_eq!(t.informational_count("mm_page_alloc_zone_locked"), 1_552);
    assert_eq!(t.informational_count("mm_page_alloc_extfrag"), 2);
    assert_eq!(t.informational_count("mm_page_pcpu_drain"), 0);
}

const PERF: &str = "\
perf  6429 [000]    22.498450:             kmem:mm_page_alloc: page=0x176a17 pfn=1534487 order=0 migratetype=0 gfp_flags=GFP_KERNEL
\tffffffffbe23e32e __alloc_pages_nodemask+0x22e (/lib/modules/5.1.0-rc3+/build/vmlinux)
 kworker/u4:1-x  45 [003]  1.000000: kmem:mm_page_alloc: page=0xffffea0000cd0a00 pfn=0x3334 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP
bash 77 [002] 1.5: kmem:mm_page_free: page=0x176a17 pfn=0x176a17 order=0
bash 77 [001] 1.6: kmem:mm_page_free_batched: page=0xffffea0000cd0a00 pfn=0x3334 order=0
bash 77 [001] 1.7: kmem:mm_page_alloc_zone_locked: page=0x1 pfn=0x1 order=0 migratetype=1 percpu_refill=1
bash 77 [001] 1.8: sched:sched_switch: prev_comm=bash
";

#[test]
fn perf_script_layout() {
    let t = import_trace(PERF).expect("import");
    assert_eq!(
        t.ops[0],
        TraceOp::Alloc {
            cpu: 0,
            pfn: Some(1_534_487),
            order: 0,
            migratetype: 0,
            gfp: 0xcc0,
            gfp_text: "GFP_KERNEL".into(),
            line: 1,
        }
    );
    // GFP_HIGHUSER_MOVABLE|__GFP_COMP = 0xcc0 | __GFP_HARDWALL 0x100000 | __GFP_HIGHMEM
    // 0x2 | __GFP_MOVABLE 0x8 | 0x40000.
    assert!(matches!(
        t.ops[1],
        TraceOp::Alloc {
            cpu: 3,
            pfn: Some(0x3334),
            order: 2,
            migratetype: 1,
            gfp: 0x140cca,
            line: 3,
            ..
        }
    ));
    assert_eq!(
        t.ops[2],
        TraceOp::Free {
            cpu: 2,
            pfn: 0x176a17,
            order: 0,
            alloc_index: Some(0),
            batched: false,
            line: 4
        }
    );
    assert_eq!(t.ops.len(), 3);
    // The batched order-0 free of the order-2 allocation's head page.
    assert_eq!(examples(&t, reason::FREE_ORDER_MISMATCH), vec![5]);
    assert_eq!(examples(&t, reason::CALLCHAIN), vec![2]);
    assert_eq!(examples(&t, reason::NOT_KMEM), vec![7]);
    assert_eq!(t.informational_count("mm_page_alloc_zone_locked"), 1);
}

const HAND: &str = "# tracer: nop\r
#\r
\r
          <idle>-0       [000] d..1.     0.1: mm_page_free: page=00000000aaaaaaaa pfn=0x1234 order=0\r
   my task-with -dash-7  [001] .....     0.2: mm_page_alloc: page=0000000000000000 pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT\r
              sh-1       [001] .....     0.3: mm_page_alloc: page=00000000bbbbbbbb pfn=0x2000 order=3 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_SKIP_KASAN_POISON|0x10000000\r
              sh-1       [001] .....     0.4: mm_page_alloc: page=00000000bbbbbbbb pfn=zz order=3 migratetype=0 gfp_flags=GFP_KERNEL\r
              sh-1       [001] .....     0.5: mm_page_alloc: page=00000000bbbbbbbb pfn=0x3000 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_BOGUS\r
              sh-1       [001] .....     0.6: mm_page_free: page=00000000bbbbbbbb pfn=0x2003 order=0\r
              sh-1       [001] .....     0.7: mm_page_free: page=00000000bbbbbbbb pfn=0x2000\r
CPU:1 [LOST 20 EVENTS]\r
              sh-1       [001] .....     0.8: mm_page_alloc: page=00000000bbbbbbbb pfn=0x4000 order=11 migratetype=0 gfp_flags=GFP_KERNEL\r
              sh-1             .....     0.9: mm_page_alloc: page=00000000bbbbbbbb pfn=0x5000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\r
hello world\r
              sh-1       [001] .....     1.0: mm_page_free: page=00000000bbbbbbbb pfn=0x2000 order=3\r
              sh-1       [000] .....     1.1: mm_page_free: page=00000000bbbbbbbb pfn=0x2000 order=3";

#[test]
fn hand_written_lines() {
    let t = import_trace(HAND).expect("import");
    // A free of a pfn never allocated: skipped with its reason and line number.
    assert_eq!(t.skipped_count(reason::FREE_UNKNOWN), 2);
    assert_eq!(examples(&t, reason::FREE_UNKNOWN), vec![4, 16]);
    // A failed allocation (null page) from a task whose name has spaces and dashes.
    assert_eq!(
        t.ops[0],
        TraceOp::Alloc {
            cpu: 1,
            pfn: None,
            order: 9,
            migratetype: 1,
            // GFP_TRANSHUGE_LIGHT = __GFP_IO 0x40 | __GFP_FS 0x80 | __GFP_HARDWALL 0x100000 |
            // __GFP_HIGHMEM 0x2 | __GFP_MOVABLE 0x8 | __GFP_COMP 0x40000 | __GFP_NOMEMALLOC
            // 0x80000 | __GFP_NOWARN 0x2000.
            gfp: 0x1c20ca,
            gfp_text: "GFP_TRANSHUGE_LIGHT".into(),
            line: 5,
        }
    );
    // KASAN name from the extra table and a hex remainder.
    assert!(matches!(
        t.ops[1],
        TraceOp::Alloc {
            pfn: Some(0x2000),
            order: 3,
            gfp: 0x1400_0cc0,
            line: 6,
            ..
        }
    ));
    assert_eq!(examples(&t, reason::GARBLED_ALLOC), vec![7]);
    assert_eq!(examples(&t, reason::UNKNOWN_GFP), vec![8]);
    assert_eq!(examples(&t, reason::FREE_INSIDE), vec![9]);
    assert_eq!(examples(&t, reason::GARBLED_FREE), vec![10]);
    assert_eq!(examples(&t, reason::LOST_EVENTS), vec![11]);
    assert_eq!(examples(&t, reason::ORDER_TOO_HIGH), vec![12]);
    assert_eq!(examples(&t, reason::NO_CPU), vec![13]);
    assert_eq!(examples(&t, reason::NOT_EVENT), vec![14]);
    assert_eq!(
        t.ops[2],
        TraceOp::Free {
            cpu: 1,
            pfn: 0x2000,
            order: 3,
            alloc_index: Some(1),
            batched: false,
            line: 15
        }
    );
    assert_eq!(t.ops.len(), 3);
    assert_eq!(t.skipped_total(), 10);
}

#[test]
fn limits() {
    let big = " ".repeat(TRACE_BYTES_MAX + 1);
    let err = import_trace(&big).unwrap_err();
    assert!(err.message.contains("64 MiB"), "{err}");
    let many = "\n".repeat(TRACE_LINES_MAX + 1);
    let err = import_trace(&many).unwrap_err();
    assert_eq!(err.line, TRACE_LINES_MAX + 1);
    assert!(err.to_string().contains("4000000 lines"), "{err}");
    let ok = "\n".repeat(TRACE_LINES_MAX);
    assert_eq!(import_trace(&ok).expect("fits"), ImportedTrace::default());
    assert_eq!(import_trace("").expect("empty"), ImportedTrace::default());
}

#[test]
fn no_panic_on_prefixes_and_mutations() {
    let text = first_lines(&fixture(), 3000);
    let mut end = 0;
    while end < text.len() {
        if text.is_char_boundary(end) {
            let t = import_trace(&text[..end]).expect("prefix");
            assert!(t.ops.len() <= 3000);
        }
        end += 997;
    }
    // Byte mutations (ASCII replacements keep it valid UTF-8) of a smaller excerpt,
    // plus the hand-written and perf lines.
    let mut base = first_lines(&text, 300).into_bytes();
    base.extend_from_slice(HAND.as_bytes());
    base.push(b'\n');
    base.extend_from_slice(PERF.as_bytes());
    const ALPHABET: &[u8] = b"0123456789abcdefx[]:=| \n\r#-.()GFP_zLOST";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut bytes = base.clone();
        let edits = 1 + (next() % 40) as usize;
        for _ in 0..edits {
            let at = (next() % bytes.len() as u64) as usize;
            let with = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
            match next() % 3 {
                0 => bytes[at] = with,
                1 => bytes.insert(at, with),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        let text = String::from_utf8(bytes).expect("ascii");
        let t = import_trace(&text).expect("mutation");
        for op in &t.ops {
            if let TraceOp::Free {
                alloc_index: Some(i),
                ..
            } = op
            {
                assert!(matches!(t.ops[*i], TraceOp::Alloc { .. }));
            }
        }
    }
}
