#!/usr/bin/env python3
"""Finds the kernel source line of every modelled function and every decision.

Usage:
    scripts/kernel-lines.py --linux-6.1 DIR_OR_TARBALL --linux-6.12 DIR_OR_TARBALL [--out FILE]
    scripts/kernel-lines.py --check ...      (compare with the table in the engine, write nothing)

Each source is Debian's kernel source: the extracted tree of `linux-source-X` (a
directory holding mm/ and include/linux/), its `usr/src/linux-source-X.tar.xz`, or
the `.deb` itself. The pinned packages are `linux-source-6.1=6.1.192-3` and
`linux-source-6.12=6.12.95-1~bpo12+1` (scripts/setup.sh, `ensure_kernel_source`).

What it finds, per kernel:
  * every modelled function's definition: the names the engine passes to
    `traced(…, "name", …)` (or to `trace.enter("name")`) and every name `Event::kernel_function()` returns, read
    from core/src and engine/src. A definition is an unindented line holding `name(` that is
    followed by a `{` at column 0 before any `;` (kernel style), preferring a .c
    file over a header (a header's copy is the stub for a disabled option).
  * every decision: for each event (and sub-kind) the line that takes it, given
    below as identifiers only: (function, anchor identifier, nth occurrence of the
    anchor in the function's body, comments and strings left out).

No kernel source text goes into the output: only function names, identifiers, file
paths and line numbers. It writes core/src/event/source_lines.rs and prints a
summary of what was found and what is missing on each kernel.
"""

import argparse
import io
import os
import re
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DEFAULT = os.path.join(ROOT, "core", "src", "event", "source_lines.rs")

# The Debian packages the table is pinned to, with the upstream tag Elixir shows.
KERNELS = {
    "6.1": {"package": "linux-source-6.1", "version": "6.1.192-3", "tag": "v6.1.192", "rust": "V6_1"},
    "6.12": {"package": "linux-source-6.12", "version": "6.12.95-1~bpo12+1", "tag": "v6.12.95", "rust": "V6_12"},
}

# Where definitions are looked for (relative to the tree's root).
SEARCH = ["mm", "include/linux", "fs/drop_caches.c"]

# A model name whose kernel function has another name in one kernel. Each is the
# same function under a new name, never a stand-in:
#  - 6.12's allocation entry points gained `_noprof` (memory allocation profiling,
#    6.10): `__alloc_pages()` is a macro over `__alloc_pages_noprof()`, and so on.
#  - `shrink_page_list()` became `shrink_folio_list()` in 6.1 (the folio
#    conversion); the engine keeps the older, better-known name.
#  - 6.1 has `del_page_from_free_list()`; 6.10 split the free-page accounting out
#    and the list removal became `__del_page_from_free_list()`.
ALIASES = {
    "6.1": {
        "shrink_page_list": "shrink_folio_list",
        "__del_page_from_free_list": "del_page_from_free_list",
    },
    "6.12": {
        "__alloc_pages": "__alloc_pages_noprof",
        "__alloc_pages_bulk": "alloc_pages_bulk_noprof",
        "alloc_pages_exact": "alloc_pages_exact_noprof",
        "alloc_contig_range": "alloc_contig_range_noprof",
        "shrink_page_list": "shrink_folio_list",
    },
}

BOTH = ("6.1", "6.12")
V61 = ("6.1",)
V612 = ("6.12",)

# Every decision: (name, kernels, function, anchor identifier, nth occurrence; -1 is
# the last). The name is the Rust `Decision` variant. A decision whose function or
# anchor is not found in a kernel is listed as missing there. Why each anchor is the
# decision is said next to it.
DECISIONS = [
    # The free list of this order and type is empty: the lookup came back empty.
    ("AreaEmpty", BOTH, "__rmqueue_smallest", "get_page_from_free_area", 1),
    # A block big enough was found: it comes off its free list.
    ("TakeBlock", V61, "__rmqueue_smallest", "del_page_from_free_list", 1),
    ("TakeBlock", V612, "__rmqueue_smallest", "page_del_and_expand", 1),
    # expand() puts the upper half back on the free list of the order below.
    ("SplitHalf", V61, "expand", "add_to_free_list", 1),
    ("SplitHalf", V612, "expand", "__add_to_free_list", 1),
    # rmqueue() returns its page (from a per-cpu list or the buddy lists).
    ("Allocated", BOTH, "rmqueue", "page", -1),
    # No order had a block: the function gives up.
    ("NoBlock", BOTH, "__rmqueue_smallest", "NULL", -1),
    # No fallback type had a block at any order allowed.
    ("NoFallback", V61, "__rmqueue_fallback", "false", 2),
    # The slow path gives up: the allocation failure is reported and NULL returned.
    ("AllocFailed", BOTH, "__alloc_pages_slowpath", "warn_alloc", -1),
    # __free_one_page() takes the free buddy off its list to merge with it.
    ("Merge", V61, "__free_one_page", "del_page_from_free_list", 1),
    ("Merge", V612, "__free_one_page", "__del_page_from_free_list", 1),
    # The merged block goes on a free list: at the head, or at the tail.
    ("AddFreeHead", V61, "__free_one_page", "add_to_free_list", 1),
    ("AddFreeHead", V612, "__free_one_page", "__add_to_free_list", 1),
    # To the tail because the caller asked (FPI_TO_TAIL), or because
    # buddy_merge_likely() expects the next-order buddy to be freed soon.
    ("AddFreeTailRequested", BOTH, "__free_one_page", "FPI_TO_TAIL", 1),
    ("AddFreeTailMergeLikely", BOTH, "__free_one_page", "buddy_merge_likely", 1),
    # The request enters the allocator: the context is prepared.
    ("AllocStart", BOTH, "__alloc_pages", "prepare_alloc_pages", 1),
    # __alloc_pages() reports the page it returns (the mm_page_alloc tracepoint).
    ("PageAlloc", BOTH, "__alloc_pages", "trace_mm_page_alloc", 1),
    # A zone's watermark is checked (the order-0 shortcut, then the full check).
    ("WatermarkCheck", BOTH, "zone_watermark_fast", "__zone_watermark_ok", 1),
    # No zone had a page without fragmenting: retry with ALLOC_NOFRAGMENT cleared.
    ("NoFragmentRetry", BOTH, "get_page_from_freelist", "ALLOC_NOFRAGMENT", -1),
    # The zonelist walk passes over the zones of nodes outside the nodemask.
    ("ZoneNotInNodemask", BOTH, "get_page_from_freelist", "for_next_zone_zonelist_nodemask", 1),
    # The per-cpu list is refilled one block at a time from __rmqueue().
    ("PcpRefill", BOTH, "rmqueue_bulk", "__rmqueue", 1),
    # A page is taken from the head of the per-cpu list.
    ("PcpTake", BOTH, "__rmqueue_pcplist", "list_first_entry", 1),
    # A freed page goes on the per-cpu list.
    ("PcpFree", BOTH, "free_unref_page_commit", "list_add", 1),
    # The buddy lists are taken under the zone lock.
    ("ZoneLocked", BOTH, "rmqueue_buddy", "__rmqueue_smallest", 1),
    # A drained page goes back to the buddy lists.
    ("PcpDrain", BOTH, "free_pcppages_bulk", "__free_one_page", 1),
    # 6.1's steal_suitable_fallback(): which way a fallback block goes.
    ("StealHighatomic", V61, "steal_suitable_fallback", "is_migrate_highatomic", 1),
    ("StealWholeBlocks", V61, "steal_suitable_fallback", "change_pageblock_range", 1),
    ("StealBlockOnly", V61, "steal_suitable_fallback", "whole_block", 2),
    ("StealPageblock", V61, "steal_suitable_fallback", "set_pageblock_migratetype", 1),
    # 6.12's try_to_steal_block() claims whole blocks, or a pageblock, or refuses.
    ("ClaimWhole", V612, "try_to_steal_block", "change_pageblock_range", 1),
    ("ClaimPageblock", V612, "try_to_steal_block", "__move_freepages_block", 1),
    ("StealBlock", V612, "__rmqueue_steal", "page_del_and_expand", 1),
    ("ClaimRefused", V612, "try_to_steal_block", "is_migrate_highatomic", 1),
    ("ClaimNone", V612, "__rmqueue_claim", "NULL", -1),
    ("StealNone", V612, "__rmqueue_steal", "NULL", -1),
    # A block taken off a fallback list.
    ("BlockTaken", BOTH, "__del_page_from_free_list", "list_del", 1),
    # 6.12's per-cpu batch and high sizes.
    # The value each returns (the last use of the variable it returns).
    ("PcpAllocSize", V612, "nr_pcp_alloc", "batch", -1),
    ("PcpHigh", BOTH, "nr_pcp_high", "high", -1),
    ("BelowHighCheck", V612, "get_page_from_freelist", "ZONE_BELOW_HIGH", 1),
    ("BelowHighCleared", V612, "free_unref_page_commit", "ZONE_BELOW_HIGH", 1),
    # A pageblock becomes a highatomic reserve.
    ("HighatomicReserve", V61, "reserve_highatomic_pageblock", "set_pageblock_migratetype", 1),
    ("HighatomicReserve", V612, "reserve_highatomic_pageblock", "move_freepages_block", 1),
    ("HighatomicUnreserve", V61, "unreserve_highatomic_pageblock", "set_pageblock_migratetype", 1),
    ("HighatomicUnreserve", V612, "unreserve_highatomic_pageblock", "move_freepages_block", 1),
    ("PageSplit", BOTH, "split_page", "set_page_refcounted", 1),
        # The pages past the size asked for are freed one by one.
    ("AllocExact", BOTH, "make_alloc_exact", "__free_pages_ok", 1),
    ("PageblockIsolated", V61, "set_migratetype_isolate", "set_pageblock_migratetype", 1),
    ("PageblockIsolated", V612, "set_migratetype_isolate", "move_freepages_block_isolate", 1),
    ("IsolationRefused", BOTH, "set_migratetype_isolate", "EBUSY", 1),
    ("PageblockUnisolated", BOTH, "unset_migratetype_isolate", "set_pageblock_migratetype", 1),
    ("FreePageSplit", V61, "split_free_page", "__free_one_page", 1),
    ("ContigMigrated", BOTH, "migrate_pages", "migrate_pages_batch", 1),
        # migrate_pages() returns how many pages it could not move.
    ("ContigMigrateFailed", BOTH, "migrate_pages", "rc_gather", -1),
    ("TestPagesIsolated", BOTH, "test_pages_isolated", "__test_page_isolated_in_pageblock", 1),
    ("FreePageTaken", BOTH, "__isolate_free_page", "del_page_from_free_list", 1),
    ("TakenOffBuddy", BOTH, "take_page_off_buddy", "break_down_buddy_pages", 1),
    ("SlowPath", BOTH, "__alloc_pages", "__alloc_pages_slowpath", 1),
    ("NotModelled", BOTH, "__alloc_pages_slowpath", "__alloc_pages_direct_compact", 1),
    ("KswapdWake", BOTH, "wakeup_kswapd", "wake_up_interruptible", 1),
    ("KswapdNotWoken", BOTH, "wakeup_kswapd", "pgdat_balanced", 1),
    ("PageFree", BOTH, "free_pages_prepare", "trace_mm_page_free", 1),
        # The reclaimed pages are freed together at the end of the list.
    ("Reclaimed", V61, "shrink_page_list", "free_unref_page_list", 1),
    ("Reclaimed", V612, "shrink_page_list", "free_unref_folios", -1),
    ("DirectReclaim", BOTH, "__alloc_pages_direct_reclaim", "__perform_reclaim", 1),
    ("KswapdRun", BOTH, "balance_pgdat", "pgdat_balanced", 1),
    ("KswapdRound", BOTH, "balance_pgdat", "kswapd_shrink_node", 1),
    ("BoostCleared", BOTH, "balance_pgdat", "watermark_boost", -1),
    ("KswapdTrySleep", BOTH, "kswapd_try_to_sleep", "prepare_kswapd_sleep", 1),
    ("Migrated", BOTH, "migrate_pages", "migrate_pages_batch", 1),
    ("Compacted", BOTH, "compact_zone", "migrate_pages", 1),
    ("OomDecision", BOTH, "__alloc_pages_may_oom", "out_of_memory", 1),
    ("OfflinePages", BOTH, "offline_pages", "start_isolate_page_range", 1),
    ("OnlinePages", BOTH, "online_pages", "online_pages_range", 1),
    ("HotplugFailed", BOTH, "offline_pages", "failed_removal_isolated", 1),
    ("OfflineDone", BOTH, "offline_pages", "adjust_present_page_count", 1),
    ("OnlineDone", BOTH, "online_pages", "adjust_present_page_count", 1),
    ("ZonelistsRebuilt", BOTH, "build_all_zonelists", "build_all_zonelists_init", 1),
    ("WatermarksRecomputed", BOTH, "init_per_zone_wmark_min", "setup_per_zone_wmarks", 1),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--linux-6.1", dest="k61", required=True)
    ap.add_argument("--linux-6.12", dest="k612", required=True)
    ap.add_argument("--out", default=OUT_DEFAULT)
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args()

    names = modelled_functions()
    tables = {}
    for kernel, src in (("6.1", args.k61), ("6.12", args.k612)):
        try:
            tree = load_tree(src, KERNELS[kernel]["package"])
        except (OSError, tarfile.TarError, ValueError) as err:
            sys.exit(f"kernel-lines: cannot read the {kernel} source {src}: {err}")
        tables[kernel] = find_all(kernel, tree, names)

    rust = render(tables, names)
    for kernel in KERNELS:
        funcs, decisions, missing_f, missing_d = tables[kernel]
        print(f"linux {kernel} ({KERNELS[kernel]['package']} {KERNELS[kernel]['version']}): "
              f"functions {len(funcs)}/{len(names)} found, decisions {len(decisions)} found")
        if missing_f:
            print(f"  functions missing: {', '.join(missing_f)}")
        if missing_d:
            print(f"  decisions missing: {', '.join(missing_d)}")
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except OSError as err:
            sys.exit(f"kernel-lines: cannot read {args.out}: {err}")
        if current != rust:
            sys.exit(f"kernel-lines: {args.out} differs from what the source gives: regenerate it")
        print(f"{os.path.relpath(args.out, ROOT)} is up to date")
        return
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(rust)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")


def modelled_functions():
    """The names passed to traced() in core/src and engine/src and returned by kernel_function()."""
    names = set()
    traced = re.compile(r'\btraced\(\s*[\w.&* ]+?\s*,\s*"(\w+)"', re.S)
    # The few frames entered by hand (a frame that spans an early return).
    entered = re.compile(r'\.enter\(\s*"(\w+)"\s*\)')
    walks = [os.walk(os.path.join(ROOT, crate, "src")) for crate in ("core", "engine")]
    for dirpath, _, files in (entry for walk in walks for entry in walk):
        for name in files:
            if not name.endswith(".rs"):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                text = f.read()
            # Unit tests trace made-up frames ("outer", "inner"): leave them out.
            text = text.split("#[cfg(test)]")[0]
            names.update(traced.findall(text))
            names.update(entered.findall(text))
    with open(os.path.join(ROOT, "core", "src", "event", "mod.rs"), encoding="utf-8") as f:
        text = f.read()
    body = text.split("pub fn kernel_function(&self)", 1)[1].split("\n    }\n", 1)[0]
    names.update(re.findall(r'=>\s*\{?\s*"(\w+)"', body))
    return sorted(names)


def load_tree(src, package):
    """{relative path: list of lines} for the files under SEARCH."""
    if os.path.isdir(src):
        tree = {}
        for part in SEARCH:
            path = os.path.join(src, part)
            if os.path.isfile(path):
                tree[part] = read_lines(path)
            for dirpath, _, files in os.walk(path):
                for name in files:
                    if name.endswith((".c", ".h")):
                        full = os.path.join(dirpath, name)
                        tree[os.path.relpath(full, src)] = read_lines(full)
        if not any(p.startswith("mm/") for p in tree):
            raise ValueError("no mm/ folder in it")
        return tree
    if src.endswith(".deb"):
        return tree_from_tarball(tarball_from_deb(src), package)
    with open(src, "rb") as f:
        return tree_from_tarball(f.read(), package)


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def tarball_from_deb(path):
    """The linux-source tarball inside a .deb (an ar archive holding data.tar.*)."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"!<arch>\n"):
        raise ValueError("not a .deb (ar) archive")
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as outer:
                for member in outer:
                    if re.match(r"\./usr/src/linux-source-[\d.]+\.tar\.xz$|usr/src/linux-source-[\d.]+\.tar\.xz$", member.name):
                        extracted = outer.extractfile(member)
                        if extracted is not None:
                            return extracted.read()
            raise ValueError("no usr/src/linux-source-*.tar.xz in the .deb")
        pos += 60 + size + (size % 2)
    raise ValueError("no data.tar in the .deb")


def tree_from_tarball(blob, package):
    tree = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tar:
        for member in tar:
            parts = member.name.split("/", 1)
            if len(parts) != 2 or not member.isfile():
                continue
            rel = parts[1]
            if not any(rel == p or rel.startswith(p + "/") for p in SEARCH):
                continue
            if not rel.endswith((".c", ".h")):
                continue
            extracted = tar.extractfile(member)
            if extracted is not None:
                tree[rel] = extracted.read().decode("utf-8", "replace").split("\n")
    if not tree:
        raise ValueError(f"no mm/ files in the {package} tarball")
    return tree


def index_definitions(tree):
    """{name: [(path, line index)]} of every unindented line with `name(` on it."""
    index = {}
    call = re.compile(r"(\w+)\(")
    for path in sorted(tree):
        for i, line in enumerate(tree[path]):
            if not line or line[0] in " \t#/*" or "(" not in line:
                continue
            for name in set(call.findall(line)):
                index.setdefault(name, []).append((path, i))
    return index


def find_definition(tree, index, name):
    """(path, line number, end line number) of name's definition, or None."""
    hits = []
    for path, i in index.get(name, []):
        lines = tree[path]
        for j in range(i, min(i + 20, len(lines))):
            if ";" in strip_code(lines[j]):
                break
            if lines[j].startswith("{"):
                end = next((k for k in range(j + 1, len(lines)) if lines[k].startswith("}")), None)
                if end is not None:
                    hits.append((path, i + 1, end + 1))
                break
    if not hits:
        return None
    # A .c file's definition over a header's (a header's is a stub for a disabled
    # option, or the inline itself when no .c file has it); then mm/page_alloc.c's;
    # then the first.
    hits.sort(key=lambda h: (not h[0].endswith(".c"), h[0] != "mm/page_alloc.c"))
    return hits[0]


def strip_code(line):
    """The line without string literals and comments (one line at a time)."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    line = re.sub(r"/\*.*?\*/", " ", line)
    return line.split("//")[0].split("/*")[0]


def find_anchor(lines, start, end, anchor, nth):
    """The line number of the nth occurrence of identifier anchor in lines[start..end]."""
    ident = re.compile(r"(?<![\w])" + re.escape(anchor) + r"(?![\w])")
    found = []
    in_comment = False
    for number in range(start + 1, end + 1):
        text = lines[number - 1]
        if in_comment:
            if "*/" not in text:
                continue
            text = text.split("*/", 1)[1]
            in_comment = False
        code = strip_code(text)
        if "/*" in re.sub(r"/\*.*?\*/", " ", text) and "*/" not in text.split("/*", 1)[1]:
            in_comment = True
        found.extend(number for _ in ident.finditer(code))
    if not found:
        return None
    if nth == -1:
        return found[-1]
    return found[nth - 1] if 0 < nth <= len(found) else None


def find_all(kernel, tree, names):
    aliases = ALIASES[kernel]
    index = index_definitions(tree)
    funcs, missing_f = {}, []
    for name in names:
        real = aliases.get(name, name)
        hit = find_definition(tree, index, real)
        if hit is None:
            missing_f.append(name)
        else:
            funcs[name] = (real,) + hit
    decisions, missing_d = {}, []
    for decision, kernels, function, anchor, nth in DECISIONS:
        if kernel not in kernels:
            continue
        real = aliases.get(function, function)
        found = funcs.get(function)
        if found is None:
            place = find_definition(tree, index, real)
            found = (real,) + place if place else None
        hit = found
        line = None
        if hit is not None:
            _, path, start, end = hit
            line = find_anchor(tree[path], start, end, anchor, nth)
        if line is None:
            missing_d.append(f"{decision} ({function}: {anchor})")
        else:
            decisions[decision] = (real, path, line, anchor)
    all_decisions = sorted({d[0] for d in DECISIONS})
    for decision in all_decisions:
        if decision not in decisions and not any(m.split(" ")[0] == decision for m in missing_d):
            missing_d.append(f"{decision} (not in this kernel)")
    return funcs, decisions, missing_f, missing_d


def render(tables, names):
    all_decisions = []
    for d in DECISIONS:
        if d[0] not in all_decisions:
            all_decisions.append(d[0])
    out = []
    w = out.append
    w("// @generated by scripts/kernel-lines.py: do not edit. Regenerate with")
    w("//   python3 scripts/kernel-lines.py --linux-6.1 DIR --linux-6.12 DIR")
    w("// (docs/source-lines.md). Read from Debian's kernel source: "
      + ", ".join(f"{k['package']} {k['version']}" for k in KERNELS.values()) + ".")
    w("// Only function names, identifiers, file paths and line numbers: no kernel text.")
    w("")
    w("//! Where each modelled kernel function and each decision is in the kernel source.")
    w("")
    w("use crate::types::Kernel;")
    w("")
    w("/// One decision an event tells, in the order the script lists them.")
    w("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]")
    w("pub enum Decision {")
    for d in all_decisions:
        w(f"    {d},")
    w("}")
    w("")
    w("impl Decision {")
    w("    /// Every decision.")
    w(f"    pub const ALL: [Decision; {len(all_decisions)}] = [")
    for d in all_decisions:
        w(f"        Decision::{d},")
    w("    ];")
    w("}")
    w("")
    w("/// The Debian package version each table was read from.")
    w("pub fn debian_version(kernel: Kernel) -> &'static str {")
    w("    match kernel {")
    for k in KERNELS.values():
        w(f"        Kernel::{k['rust']} => \"{k['version']}\",")
    w("    }")
    w("}")
    w("")
    w("/// Every modelled function's name (as the engine traces it).")
    w(f"pub const MODELLED_FUNCTIONS: [&str; {len(names)}] = [")
    for n in names:
        w(f"    \"{n}\",")
    w("];")
    w("")
    w("/// A function's definition: (model name, kernel name, file, line, last line).")
    w("pub type FunctionRow = (&'static str, &'static str, &'static str, u32, u32);")
    w("")
    w("/// A decision: (decision, kernel function, file, line, anchor identifier).")
    w("pub type DecisionRow = (Decision, &'static str, &'static str, u32, &'static str);")
    for kernel, k in KERNELS.items():
        funcs, decisions, missing_f, missing_d = tables[kernel]
        suffix = k["rust"]
        w("")
        w(f"/// Linux {kernel}'s functions ({k['package']} {k['version']}), by model name.")
        w(f"pub const FUNCTIONS_{suffix}: [FunctionRow; {len(funcs)}] = [")
        for name in sorted(funcs):
            real, path, start, end = funcs[name]
            w(f"    (\"{name}\", \"{real}\", \"{path}\", {start}, {end}),")
        w("];")
        w("")
        w(f"/// Modelled functions with no definition in Linux {kernel}'s source.")
        w(f"pub const MISSING_FUNCTIONS_{suffix}: [&str; {len(missing_f)}] = [")
        for name in missing_f:
            w(f"    \"{name}\",")
        w("];")
        w("")
        w(f"/// Linux {kernel}'s decisions.")
        w(f"pub const DECISIONS_{suffix}: [DecisionRow; {len(decisions)}] = [")
        for d in all_decisions:
            if d in decisions:
                real, path, line, anchor = decisions[d]
                w(f"    (Decision::{d}, \"{real}\", \"{path}\", {line}, \"{anchor}\"),")
        w("];")
    w("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
