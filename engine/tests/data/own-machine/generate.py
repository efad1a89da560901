#!/usr/bin/env python3
"""Writes the look-alike files of this folder (see README.md). Everything here is
invented: hostnames, serial numbers, UUIDs, counts. The formats are the kernels'
own (RHEL 8's 4.18, Debian 6's 2.6.32, SUSE's 5.14, Debian 12's 6.1). Rerun it
from this folder: `python3 generate.py`. Deterministic (no randomness)."""
import os

DMA_END, DMA32_END = 0x1000, 0x100000
ZONES = ["DMA", "DMA32", "Normal", "Movable", "Device"]


def w(path, text):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)


def zones_of(node_ranges, movable_from=None):
    """{node: {zone: dict(start, spanned, present)}} as free_area_init() derives them
    (zone spans clamped to the node's span); movable_from[node] = first movable pfn."""
    out = {}
    for node, ranges in node_ranges.items():
        nstart = min(s for s, e in ranges)
        nend = max(e for s, e in ranges)
        mv = (movable_from or {}).get(node)
        bounds = {"DMA": (0, DMA_END), "DMA32": (DMA_END, DMA32_END), "Normal": (DMA32_END, 1 << 52)}
        if mv is not None:
            bounds["Normal"] = (DMA32_END, mv)
            bounds["Movable"] = (mv, 1 << 52)
        z = {}
        for name, (lo, hi) in bounds.items():
            s, e = max(lo, nstart), min(hi, nend)
            if s >= e:
                continue
            present = sum(max(0, min(e, re) - max(s, rs)) for rs, re in ranges)
            if present == 0:
                continue
            z[name] = dict(start=s, spanned=e - s, present=present)
        out[node] = z
    return out


def memmap(spanned, present, page_bytes=64):
    pages = present if spanned > present + (present >> 4) else spanned
    return (pages * page_bytes + 4095) // 4096


def mem(s, e):
    return "[mem 0x%016x-0x%016x]" % (s << 12, (e << 12) - 1)


def cpulist(cpus):
    out, i = [], 0
    cpus = sorted(cpus)
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(out)


def numactl_h(node_cpus, sizes_mb, free_mb, dist, old=False):
    n = len(node_cpus)
    ids = sorted(node_cpus)
    lines = ["available: %d nodes (%s)" % (n, "0" if n == 1 else "0-%d" % (n - 1))]
    for i in ids:
        lines.append("node %d cpus: %s" % (i, " ".join(map(str, node_cpus[i]))))
        lines.append("node %d size: %d MB" % (i, sizes_mb[i]))
        lines.append("node %d free: %d MB" % (i, free_mb[i]))
    lines.append("node distances:")
    lines.append("node " + "".join("%3d " % i for i in ids))
    for i in ids:
        lines.append("%3d: " % i + "".join("%3d " % d for d in dist[i]))
    return "\n".join(lines) + "\n"


NODE_STATS_418 = ["nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
                  "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon",
                  "nr_isolated_file", "workingset_nodes", "workingset_refault", "workingset_activate",
                  "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
                  "nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem",
                  "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_anon_transparent_hugepages",
                  "nr_unstable", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied",
                  "nr_written"]
ZONE_STATS_418 = ["nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
                  "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
                  "nr_zone_write_pending", "nr_mlock", "nr_page_table_pages", "nr_kernel_stack",
                  "nr_bounce", "nr_zspages", "nr_free_cma", "numa_hit", "numa_miss", "numa_foreign",
                  "numa_interleave", "numa_local", "numa_other"]
NODE_STATS_6 = ["nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
                "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon",
                "nr_isolated_file", "workingset_nodes", "workingset_refault_anon",
                "workingset_refault_file", "workingset_activate_anon", "workingset_activate_file",
                "workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim",
                "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
                "nr_writeback_temp", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
                "nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
                "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
                "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
                "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
                "nr_sec_page_table_pages", "nr_swapcached"]
ZONE_STATS_6 = ["nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
                "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
                "nr_zone_write_pending", "nr_mlock", "nr_bounce", "nr_zspages", "nr_free_cma",
                "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other"]


def stat(name, value):
    return "\n      %-12s %d" % (name, value)


def free_lists(managed, seed):
    """Buddy counts per order 0-10 for a zone with `managed` pages: at most 78% free."""
    counts = []
    for order in range(10):
        raw = (seed * 7919 + order * 104729) % 97
        counts.append(raw * managed // ((1 << order) * 2000))
    counts.append(managed * 3 // 10 >> 10)
    return counts


def watermarks(managed_by_zone, min_free_kbytes, wsf=10):
    """(min, low, high) per key as __setup_per_zone_wmarks() shares min_free_kbytes."""
    total = sum(managed_by_zone.values())
    pages_min = min_free_kbytes >> 2
    out = {}
    for key, managed in managed_by_zone.items():
        tmp = pages_min * managed // total if total else 0
        gap = max(tmp >> 2, managed * wsf // 10000)
        out[key] = (tmp, tmp + gap, tmp + 2 * gap)
    return out


def zoneinfo(nodes, zones, managed, node_cpus_online, version, min_free_kbytes, batch_high, seed=1,
             ratio=(256, 256, 32, 0, 0)):
    """Text of /proc/zoneinfo. `zones` from zones_of(); managed[(node, zone)]."""
    six = not version.startswith("4.")
    node_stats = NODE_STATS_6 if six else NODE_STATS_418
    zone_stats = ZONE_STATS_6 if six else ZONE_STATS_418
    wm = watermarks({k: v for k, v in managed.items()}, min_free_kbytes)
    cpus = sorted(node_cpus_online)
    out = []
    free_by_zone = {}
    for node in nodes:
        first = True
        for zi, zname in enumerate(ZONES):
            z = zones[node].get(zname)
            m = managed.get((node, zname), 0)
            out.append("Node %d, zone %8s" % (node, zname))
            populated = z is not None
            if populated and first:
                first = False
                out.append("\n  per-node stats")
                for i, name in enumerate(node_stats):
                    out.append(stat(name, (seed * 31 + i * 977 + node * 13) % 5000 if i % 3 else 0))
            lo, mi, hi = wm.get((node, zname), (0, 0, 0))
            buddy = free_lists(m, seed + node * 5 + zi) if populated else [0] * 11
            free = sum(c << o for o, c in enumerate(buddy))
            free_by_zone[(node, zname)] = buddy
            out.append("\n  pages free     %d" % free)
            if six:
                out.append("\n        boost    0")
            out.append("\n        min      %d\n        low      %d\n        high     %d" % (lo, mi, hi))
            out.append("\n        spanned  %d\n        present  %d\n        managed  %d" % (
                z["spanned"] if z else 0, z["present"] if z else 0, m))
            if six:
                out.append("\n        cma      0")
            prot = []
            for j in range(len(ZONES)):
                above = sum(managed.get((node, ZONES[k]), 0) for k in range(zi + 1, j + 1))
                prot.append(above // ratio[zi] if j > zi and ratio[zi] else 0)
            if not populated:
                prot = [0] * len(ZONES) if not six else prot
            out.append("\n        protection: (%s)" % ", ".join(map(str, prot)))
            if not populated:
                out.append("\n")
                continue
            for i, name in enumerate(zone_stats):
                value = free if name == "nr_free_pages" else ((seed + i * 389 + zi * 17) % 3000 if i % 4 else 0)
                out.append(stat(name, value))
            out.append("\n  pagesets")
            batch, high = batch_high(zname, m)
            for c in cpus:
                out.append("\n    cpu: %d\n              count: %d\n              high:  %d\n              batch: %d"
                           % (c, (c * 37 + zi * 11) % max(1, high // 2 + 1) if high else 0, high, batch))
                out.append("\n  vm stats threshold: %d" % (4 if zname == "DMA" else 40))
            out.append("\n  node_unreclaimable:  0\n  start_pfn:           %d\n" % z["start"])
    return "".join(out), free_by_zone


def buddyinfo(nodes, zones, free_by_zone):
    lines = []
    for node in nodes:
        for zname in ZONES:
            if zname in zones[node]:
                lines.append("Node %d, zone %8s " % (node, zname)
                             + "".join("%6d " % c for c in free_by_zone[(node, zname)]))
    return "\n".join(lines) + "\n"


def pagetypeinfo(nodes, zones, free_by_zone):
    types = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"]
    out = []
    for node in nodes:
        out.append("Page block order: 9\nPages per block:  512\n\n")
        out.append("Free pages count per migrate type at order " + "".join("%6d " % o for o in range(11)) + "\n")
        for zname in ZONES:
            if zname not in zones[node]:
                continue
            counts = free_by_zone[(node, zname)]
            for t in types:
                if t == "Movable":
                    row = [c - c // 4 - c // 8 for c in counts]
                elif t == "Unmovable":
                    row = [c // 4 for c in counts]
                elif t == "Reclaimable":
                    row = [c // 8 for c in counts]
                else:
                    row = [0] * 11
                out.append("Node %4d, zone %8s, type %12s " % (node, zname, t) + "".join("%6d " % c for c in row) + "\n")
        out.append("\nNumber of blocks type     " + "".join("%12s " % t for t in types) + "\n")
        for zname in ZONES:
            z = zones[node].get(zname)
            if not z:
                continue
            blocks = (z["present"] + 511) // 512
            un, re = max(1, blocks // 40), max(0, blocks // 200)
            row = [un, blocks - un - re, re, 0, 0]
            out.append("Node %d, zone %8s " % (node, zname) + "".join("%12d " % c for c in row) + "\n")
    return "".join(out)


def stamp_lines(lines, start=0.0, step=0.0):
    out, t = [], start
    for i, (t_abs, msg) in enumerate(lines):
        out.append("[%12.6f] %s" % (t_abs, msg))
    return out


def batch_418(zname, managed):
    if zname == "DMA":
        return 1, 0
    return 63, 378


# ---------------------------------------------------------------------------------
# 1. RHEL 8 sosreport: 2 sockets, 32 CPUs, 32 GiB, 4.18.0-553 (invented host).
# ---------------------------------------------------------------------------------
def rhel8():
    root = "rhel8-sosreport/sosreport-dbhost07-2026-12-01-qzxkbpe/"
    release = "4.18.0-553.22.1.el8_10.x86_64"
    ranges = {0: [(0x1, 0xa0), (0x100, 0x6b7ff), (0x6f7ff, 0x6f800), (0x100000, 0x480000)],
              1: [(0x480000, 0x880000)]}
    node_cpus = {0: list(range(0, 8)) + list(range(16, 24)), 1: list(range(8, 16)) + list(range(24, 32))}
    zones = zones_of(ranges)
    managed = {(0, "DMA"): 3976, (0, "DMA32"): 382689, (0, "Normal"): 3570188, (1, "Normal"): 4127744}
    present_total = sum(z["present"] for n in zones.values() for z in n.values())
    freed = [("SMP alternatives", 32), ("initrd", 30912), ("unused decrypted", 2040),
             ("unused kernel", 2396), ("unused kernel", 2012), ("unused kernel", 1696)]
    freed_k = sum(k for _, k in freed)
    at_init = sum(managed.values()) - freed_k // 4
    reserved_k = (present_total - at_init) * 4
    cmdline = ("BOOT_IMAGE=(hd0,gpt2)/vmlinuz-%s root=/dev/mapper/rhel-root ro crashkernel=auto "
               "resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet" % release)
    L = []
    t0 = [
        "Linux version %s (mockbuild@x86-vm-08.build.eng.bos.redhat.com) (gcc version 8.5.0 20210514 (Red Hat 8.5.0-22) (GCC)) #1 SMP Wed Sep 25 09:13:18 EDT 2024" % release,
        "Command line: " + cmdline,
        "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
        "x86/fpu: Supporting XSAVE feature 0x002: 'SSE registers'",
        "x86/fpu: Supporting XSAVE feature 0x004: 'AVX registers'",
        "x86/fpu: Enabled xstate features 0x7, context size is 832 bytes, using 'standard' format.",
        "BIOS-provided physical RAM map:",
        "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable",
        "BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved",
        "BIOS-e820: [mem 0x0000000000100000-0x000000006b7fefff] usable",
        "BIOS-e820: [mem 0x000000006b7ff000-0x000000006f7fefff] reserved",
        "BIOS-e820: [mem 0x000000006f7ff000-0x000000006f7fffff] usable",
        "BIOS-e820: [mem 0x000000006f800000-0x000000008fffffff] reserved",
        "BIOS-e820: [mem 0x00000000fed1c000-0x00000000fed44fff] reserved",
        "BIOS-e820: [mem 0x00000000ff000000-0x00000000ffffffff] reserved",
        "BIOS-e820: [mem 0x0000000100000000-0x000000087fffffff] usable",
        "NX (Execute Disable) protection: active",
        "SMBIOS 3.2.0 present.",
        "DMI: Dell Inc. PowerEdge R640/0X45NX, BIOS 2.19.1 06/05/2024",
        "tsc: Detected 2100.000 MHz processor",
        "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved",
        "e820: remove [mem 0x000a0000-0x000fffff] usable",
        "last_pfn = 0x880000 max_arch_pfn = 0x400000000",
        "MTRR default type: uncachable",
        "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ",
        "last_pfn = 0x6f800 max_arch_pfn = 0x400000000",
        "Using GB pages for direct mapping",
        "RAMDISK: [mem 0x3160c000-0x332cbfff]",
        "ACPI: Early table checksum verification disabled",
        "ACPI: RSDP 0x00000000000FE320 000024 (v02 DELL  )",
        "ACPI: SRAT 0x000000006D5A4000 0002A0 (v03 DELL   PE_SC3   00000001 INTL 20150818)",
        "ACPI: SLIT 0x000000006D5A3000 00002D (v01 DELL   PE_SC3   00000001 INTL 20150818)",
        "SRAT: PXM 0 -> APIC 0x00 -> Node 0",
        "SRAT: PXM 1 -> APIC 0x20 -> Node 1",
        "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]",
        "ACPI: SRAT: Node 0 PXM 0 [mem 0x100000000-0x47fffffff]",
        "ACPI: SRAT: Node 1 PXM 1 [mem 0x480000000-0x87fffffff]",
        "NUMA: Initialized distance table, cnt=2",
        "NUMA: Node 0 [mem 0x00000000-0x7fffffff] + [mem 0x100000000-0x47fffffff] -> [mem 0x00000000-0x47fffffff]",
        "NODE_DATA(0) allocated [mem 0x47ffd5000-0x47fffffff]",
        "NODE_DATA(1) allocated [mem 0x87ffd4000-0x87fffefff]",
        "Reserving 192MB of memory at 592MB for crashkernel (System RAM: 32767MB)",
        "Zone ranges:",
        "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
        "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]",
        "  Normal   [mem 0x0000000100000000-0x000000087fffffff]",
        "  Device   empty",
        "Movable zone start for each node",
        "Early memory node ranges",
    ]
    for node, rs in ranges.items():
        for s, e in rs:
            t0.append("  node %3d: %s" % (node, mem(s, e)))
    t0.append("Zeroed struct page in unavailable ranges: 16482 pages")
    for node, rs in ranges.items():
        s0, e0 = rs[0][0], rs[-1][1]
        t0.append("Initmem setup node %d %s" % (node, mem(s0, e0)))
        t0.append("On node %d totalpages: %d" % (node, sum(z["present"] for z in zones[node].values())))
        for zname in ZONES:
            z = zones[node].get(zname)
            if not z:
                continue
            t0.append("  %s zone: %d pages used for memmap" % (zname, memmap(z["spanned"], z["present"])))
            if zname == "DMA":
                t0.append("  DMA zone: 25 pages reserved")
            t0.append("  %s zone: %d pages, LIFO batch:%d" % (zname, z["present"], 0 if zname == "DMA" else 63))
    t0 += [
        "ACPI: PM-Timer IO Port: 0x508",
        "smpboot: Allowing 32 CPUs, 0 hotplug CPUs",
        "PM: Registered nosave memory: [mem 0x00000000-0x00000fff]",
        "setup_percpu: NR_CPUS:8192 nr_cpumask_bits:32 nr_cpu_ids:32 nr_node_ids:2",
        "percpu: Embedded 55 pages/cpu s188416 r8192 d28672 u262144",
        "pcpu-alloc: s188416 r8192 d28672 u262144 alloc=1*2097152",
        "pcpu-alloc: [0] 00 01 02 03 04 05 06 07 16 17 18 19 20 21 22 23 ",
        "pcpu-alloc: [1] 08 09 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ",
        "Built 2 zonelists, mobility grouping on.  Total pages: %d" % (present_total - sum(memmap(z["spanned"], z["present"]) for n in zones.values() for z in n.values()) - 25),
        "Policy zone: Normal",
        "Kernel command line: " + cmdline,
        "Specific versions of hardware are certified with Red Hat Enterprise Linux 8. Please see the list of hardware certified with Red Hat Enterprise Linux 8 at https://catalog.redhat.com.",
        "Memory: %dK/%dK available (12293K kernel code, 5865K rwdata, 8544K rodata, 2396K init, 16804K bss, %dK reserved, 0K cma-reserved)" % (at_init * 4, present_total * 4, reserved_k),
        "SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=32, Nodes=2",
        "ftrace: allocating 40978 entries in 161 pages",
        "rcu: Hierarchical RCU implementation.",
    ]
    lines = [(0.0, m) for m in t0]
    late = [
        (0.010000, "Freeing SMP alternatives memory: 32K"),
        (0.262118, "smp: Bringing up secondary CPUs ..."),
        (0.262118, "x86: Booting SMP configuration:"),
        (0.262119, ".... node  #0, CPUs:        #1  #2  #3  #4  #5  #6  #7"),
        (0.318305, ".... node  #1, CPUs:    #8  #9 #10 #11 #12 #13 #14 #15"),
        (0.371421, ".... node  #0, CPUs:   #16 #17 #18 #19 #20 #21 #22 #23"),
        (0.421522, ".... node  #1, CPUs:   #24 #25 #26 #27 #28 #29 #30 #31"),
        (0.471112, "smp: Brought up 2 nodes, 32 CPUs"),
        (0.471112, "smpboot: Max logical packages: 2"),
        (0.471113, "smpboot: Total of 32 processors activated (134400.00 BogoMIPS)"),
        (0.512344, "node 0 initialised, 3582910 pages in 25ms"),
        (0.518101, "node 1 initialised, 4140061 pages in 31ms"),
        (1.523411, "Freeing initrd memory: 30912K"),
        (2.915550, "Freeing unused decrypted memory: 2040K"),
        (2.916333, "Freeing unused kernel memory: 2396K"),
        (2.922201, "Freeing unused kernel memory: 2012K"),
        (2.923417, "Freeing unused kernel memory: 1696K"),
        (2.931005, "Run /init as init process"),
        (4.201554, "XFS (dm-0): Mounting V5 Filesystem"),
        (11.412203, "IPv6: ADDRCONF(NETDEV_UP): eno1: link is not ready"),
    ]
    lines += late
    dmesg = "\n".join(stamp_lines(lines)) + "\n"
    w(root + "sos_commands/kernel/dmesg", dmesg)
    # sos 4.6 and later also keep `dmesg -T` (the same ring buffer, wall-clock stamps).
    boot = 1733036000  # invented boot time, rendered by hand below
    def T(sec):
        base = 21 * 3600 + 33 * 60 + 20 + int(sec)
        return "[Sun Dec  1 %02d:%02d:%02d 2026]" % (base // 3600, base // 60 % 60, base % 60)
    w(root + "sos_commands/kernel/dmesg_-T", "\n".join("%s %s" % (T(t), m) for t, m in lines) + "\n")
    w(root + "proc/cmdline", cmdline + "\n")
    zi, free = zoneinfo([0, 1], zones, managed, [c for n in node_cpus.values() for c in n], "4.18", 90112, batch_418)
    w(root + "proc/zoneinfo", zi)
    w(root + "proc/buddyinfo", buddyinfo([0, 1], zones, free))
    w(root + "proc/pagetypeinfo", pagetypeinfo([0, 1], zones, free))
    w(root + "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n")
    dist = {0: [10, 21], 1: [21, 10]}
    for node in (0, 1):
        d = root + "sys/devices/system/node/node%d/" % node
        w(d + "cpulist", cpulist(node_cpus[node]) + "\n")
        w(d + "distance", " ".join(map(str, dist[node])) + "\n")
    # numactl's "size" is the node's MemTotal: its managed pages, in whole MiB.
    sizes = {n: sum(m for (node, _), m in managed.items() if node == n) * 4 // 1024 for n in (0, 1)}
    w(root + "sos_commands/numa/numactl_--hardware",
      numactl_h(node_cpus, sizes, {0: 1722, 1: 2288}, dist))
    w(root + "sos_commands/kernel/uname_-a",
      "Linux dbhost07.example.net %s #1 SMP Wed Sep 25 09:13:18 EDT 2024 x86_64 x86_64 x86_64 GNU/Linux\n" % release)
    w(root + "sos_commands/kernel/sysctl_-a",
      "vm.admin_reserve_kbytes = 8192\nvm.min_free_kbytes = 90112\nvm.watermark_scale_factor = 10\n"
      "vm.lowmem_reserve_ratio = 256\t256\t32\t0\t0\nvm.numa_zonelist_order = Node\n"
      "vm.percpu_pagelist_fraction = 0\nvm.zone_reclaim_mode = 0\n")
    w(root + "sos_commands/memory/free", "              total        used        free      shared  buff/cache   available\n"
      "Mem:       32338388    27101520     1649820       49780     3587048     4710440\n"
      "Swap:       8388604      210432     8178172\n")
    w(root + "version.txt", "sos report version: 4.7.2\n")




# ---------------------------------------------------------------------------------
# 2. Sun Fire X4600 M2 look-alike: 8 Opteron sockets, 2 cores each, 4 GiB per node,
#    Debian 6's 2.6.32 (early_node_map[] era, hex pfns, `Memory: ...k` lowercase).
# ---------------------------------------------------------------------------------
def x4600():
    ranges = {0: [(0x10, 0x9f), (0x100, 0xdfee0), (0x100000, 0x120000)]}
    for n in range(1, 8):
        ranges[n] = [(0x120000 + (n - 1) * 0x100000, 0x220000 + (n - 1) * 0x100000)]
    end = ranges[7][0][1]
    L = [
        "Initializing cgroup subsys cpuset",
        "Initializing cgroup subsys cpu",
        "Linux version 2.6.32-5-amd64 (Debian 2.6.32-48squeeze6) (jmm@debian.org) (gcc version 4.3.5 (Debian 4.3.5-4) ) #1 SMP Mon Feb 25 00:26:11 UTC 2013",
        "Command line: BOOT_IMAGE=/boot/vmlinuz-2.6.32-5-amd64 root=UUID=6a1f0d3c-2b7e-4c55-9d1a-0e3f5b7c9a21 ro quiet",
        "KERNEL supported cpus:",
        "  Intel GenuineIntel",
        "  AMD AuthenticAMD",
        "  Centaur CentaurHauls",
        "BIOS-provided physical RAM map:",
        " BIOS-e820: 0000000000000000 - 000000000009f000 (usable)",
        " BIOS-e820: 000000000009f000 - 00000000000a0000 (reserved)",
        " BIOS-e820: 00000000000e0000 - 0000000000100000 (reserved)",
        " BIOS-e820: 0000000000100000 - 00000000dfee0000 (usable)",
        " BIOS-e820: 00000000dfee0000 - 00000000dfef0000 (ACPI data)",
        " BIOS-e820: 00000000dfef0000 - 00000000dff00000 (ACPI NVS)",
        " BIOS-e820: 00000000dff00000 - 00000000e0000000 (reserved)",
        " BIOS-e820: 00000000fec00000 - 00000000fec10000 (reserved)",
        " BIOS-e820: 00000000fee00000 - 00000000fee01000 (reserved)",
        " BIOS-e820: 0000000100000000 - 0000000820000000 (usable)",
        "DMI 2.5 present.",
        "last_pfn = 0x820000 max_arch_pfn = 0x400000000",
        "x86 PAT enabled: cpu 0, old 0x7040600070406, new 0x7010600070106",
        "last_pfn = 0xdfee0 max_arch_pfn = 0x400000000",
        "init_memory_mapping: 0000000000000000-00000000dfee0000",
        "init_memory_mapping: 0000000100000000-0000000820000000",
        "RAMDISK: 37a5b000 - 37fefe3c",
        "ACPI: RSDP 00000000000f7d30 00024 (v02 SUN   )",
        "ACPI: SRAT 00000000dfee3ac0 00290 (v01 SUN    X4600 M2 00000001 SUN  00000001)",
        "Scanning NUMA topology in Northbridge 24",
        "Number of physical nodes 8",
    ]
    for n in range(8):
        base = 0 if n == 0 else ranges[n][0][0] << 12
        limit = ranges[n][-1][1] << 12
        L.append("Node %d MemBase %016x Limit %016x" % (n, base, limit))
    L.append("Using node hash shift of 32")
    for n in range(8):
        base = 0 if n == 0 else ranges[n][0][0] << 12
        L.append("Bootmem setup node %d %016x-%016x" % (n, base, ranges[n][-1][1] << 12))
        L.append("  NODE_DATA [%016x - %016x]" % (base + 0x12000, base + 0x16fff))
        L.append("  bootmap [%016x -  %016x] pages 21" % (base + 0x17000, base + 0x2bfff))
    L += [
        "Zone PFN ranges:",
        "  DMA      0x%08x -> 0x%08x" % (0x10, 0x1000),
        "  DMA32    0x%08x -> 0x%08x" % (0x1000, 0x100000),
        "  Normal   0x%08x -> 0x%08x" % (0x100000, end),
        "Movable zone start PFN for each node",
        "early_node_map[%d] active PFN ranges" % sum(len(r) for r in ranges.values()),
    ]
    for n, rs in ranges.items():
        for s, e in rs:
            L.append("  %3d: 0x%08x -> 0x%08x" % (n, s, e))
    zones = zones_of(ranges)
    for n in range(8):
        L.append("On node %d totalpages: %d" % (n, sum(z["present"] for z in zones[n].values())))
        for zname in ("DMA", "DMA32", "Normal"):
            z = zones[n].get(zname)
            if not z:
                continue
            L.append("  %s zone: %d pages used for memmap" % (zname, memmap(z["spanned"], z["present"], 56)))
            if zname == "DMA":
                L.append("  DMA zone: 102 pages reserved")
            L.append("  %s zone: %d pages, LIFO batch:%d" % (zname, z["present"] - memmap(z["spanned"], z["present"], 56) - (102 if zname == "DMA" else 0), 0 if zname == "DMA" else 31))
    present = sum(z["present"] for n in zones.values() for z in n.values())
    L += [
        "ACPI: PM-Timer IO Port: 0x1008",
        "ACPI: LAPIC (acpi_id[0x00] lapic_id[0x00] enabled)",
        "SMP: Allowing 16 CPUs, 0 hotplug CPUs",
        "PERCPU: Embedded 30 pages/cpu @ffff880028200000 s90328 r8192 d24360 u131072",
        "pcpu-alloc: s90328 r8192 d24360 u131072 alloc=1*2097152",
        "pcpu-alloc: [0] 00 01 [1] 02 03 [2] 04 05 [3] 06 07 ",
        "pcpu-alloc: [4] 08 09 [5] 10 11 [6] 12 13 [7] 14 15 ",
        "Built 8 zonelists in Zone order, mobility grouping on.  Total pages: %d" % (present - present * 56 // 4096 - 102),
        "Policy zone: Normal",
        "Kernel command line: BOOT_IMAGE=/boot/vmlinuz-2.6.32-5-amd64 root=UUID=6a1f0d3c-2b7e-4c55-9d1a-0e3f5b7c9a21 ro quiet",
        "PID hash table entries: 4096 (order: 3, 32768 bytes)",
        "Checking aperture...",
        "Node 0: aperture @ 9c000000 size 32 MB",
        "Memory: %dk/%dk available (3075k kernel code, 525440k absent, 733652k reserved, 1863k data, 584k init)" % (present * 4 - 733652, end * 4),
        "SLUB: Genslabs=14, HWalign=64, Order=0-3, MinObjects=0, CPUs=16, Nodes=8",
        "Booting processor 1 APIC 0x1 ip 0x6000",
        "Brought up 16 CPUs",
        "Total of 16 processors activated (83204.58 BogoMIPS).",
        "Freeing unused kernel memory: 584k freed",
    ]
    t = 0.0
    out = []
    for i, m in enumerate(L):
        if m.startswith("Booting processor"):
            t = 0.312044
        elif m.startswith("Brought up"):
            t = 0.890512
        elif m.startswith("Freeing unused"):
            t = 2.331876
        out.append("[%12.6f] %s" % (t, m))
    w("x4600-2.6.32/dmesg", "\n".join(out) + "\n")
    # The same boot as Debian 6's rsyslog wrote it to /var/log/messages: a syslog
    # prefix before each stamp, rsyslog's own lines, and daemons that started while
    # klogd copied the ring buffer.
    syslog = ["Mar  4 09:17:%02d x4600-lab kernel: %s" % (31 + (1 if i > 60 else 0), line) for i, line in enumerate(out)]
    syslog.insert(0, "Mar  4 09:17:31 x4600-lab kernel: imklog 4.6.4, log source = /proc/kmsg started.")
    syslog.insert(0, "Mar  4 09:17:31 x4600-lab rsyslogd: [origin software=\"rsyslogd\" swVersion=\"4.6.4\" x-pid=\"1694\" x-info=\"http://www.rsyslog.com\"] (re)start")
    syslog.insert(40, "Mar  4 09:17:31 x4600-lab acpid: starting up with proc fs")
    syslog.append("Mar  4 09:17:33 x4600-lab ntpd[1802]: ntpd 4.2.6p2@1.2194-o Sun Oct 17 13:35:13 UTC 2010 (1)")
    w("x4600-2.6.32/messages", "\n".join(syslog) + "\n")
    node_cpus = {n: [2 * n, 2 * n + 1] for n in range(8)}
    # MemTotal: present pages less the 56-byte memmap and a little more on node 0.
    sizes = {n: sum(z["present"] - memmap(z["spanned"], z["present"], 56) for z in zones[n].values()) * 4 // 1024
             - (60 if n == 0 else 0) for n in range(8)}
    dist = {i: [10 if i == j else 20 for j in range(8)] for i in range(8)}
    w("x4600-2.6.32/numactl-H", numactl_h(node_cpus, sizes, {n: 3600 - 37 * n for n in range(8)}, dist))


# ---------------------------------------------------------------------------------
# 3. A 16-socket HPE-style server, 768 GiB per socket (12 TiB), SUSE's 5.14,
#    captured with `dmesg -T`; numactl -H for the distances (4 chassis of 4 sockets).
# ---------------------------------------------------------------------------------
GIB = 1 << 18  # pages


def hp12t():
    ranges = {0: [(0x1, 0x99), (0x100, 0x6f8ff), (0x100000, 0x100000 + 766 * GIB)]}
    for n in range(1, 16):
        s = 0x100000 + 766 * GIB + (n - 1) * 768 * GIB
        ranges[n] = [(s, s + 768 * GIB)]
    zones = zones_of(ranges)
    release = "5.14.21-150500.55.39-default"
    cmdline = "BOOT_IMAGE=/boot/vmlinuz-%s root=UUID=0b7c4e1a-55d2-4f0e-8a3b-c2d9e61f4a70 splash=silent mitigations=auto quiet crashkernel=1024M,high crashkernel=512M,low" % release
    L = [
        "microcode: microcode updated early to revision 0x2b000590, date = 2024-02-01",
        "Linux version %s (geeko@buildhost) (gcc (SUSE Linux) 7.5.0, GNU ld (GNU Binutils; SUSE Linux Enterprise 15) 2.41.0.20230908-150100.7.46) #1 SMP PREEMPT_DYNAMIC Fri Nov 15 11:52:34 UTC 2024 (c3c6e1b)" % release,
        "Command line: " + cmdline,
        "BIOS-provided physical RAM map:",
        "BIOS-e820: [mem 0x0000000000000000-0x0000000000098fff] usable",
        "BIOS-e820: [mem 0x0000000000099000-0x00000000000fffff] reserved",
        "BIOS-e820: [mem 0x0000000000100000-0x000000006f8fefff] usable",
        "BIOS-e820: [mem 0x000000006f8ff000-0x000000008fffffff] reserved",
        "BIOS-e820: [mem 0x0000000100000000-0x%016x] usable" % ((ranges[15][0][1] << 12) - 1),
        "NX (Execute Disable) protection: active",
        "SMBIOS 3.2 present.",
        "DMI: HPE Superdome Flex/Superdome Flex, BIOS Bundle:3.50.30 SFW:IP147.007.004.000.2402010602 02/01/2024",
        "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved",
        "e820: remove [mem 0x000a0000-0x000fffff] usable",
        "last_pfn = 0x%x max_arch_pfn = 0x400000000" % ranges[15][0][1],
        "ACPI: SRAT 0x000000006F8D2000 0009F8 (v03 HPE    Server   00000001 HPE  00000001)",
        "ACPI: SLIT 0x000000006F8D1000 00012C (v01 HPE    Server   00000001 HPE  00000001)",
    ]
    for n in range(16):
        for s, e in ranges[n]:
            if s >= 0x100000 or n:
                L.append("ACPI: SRAT: Node %d PXM %d [mem 0x%x-0x%x]" % (n, n, s << 12, (e << 12) - 1))
            elif s == 0x1:
                L.append("ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]")
    L.append("NUMA: Initialized distance table, cnt=16")
    for n in range(16):
        L.append("NODE_DATA(%d) allocated [mem 0x%x-0x%x]" % (n, (ranges[n][-1][1] << 12) - 0x2b000, (ranges[n][-1][1] << 12) - 1))
    L += ["Zone ranges:",
          "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
          "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]",
          "  Normal   [mem 0x0000000100000000-0x%016x]" % ((ranges[15][0][1] << 12) - 1),
          "  Device   empty",
          "Movable zone start for each node",
          "Early memory node ranges"]
    for n in range(16):
        for s, e in ranges[n]:
            L.append("  node %3d: %s" % (n, mem(s, e)))
    for n in range(16):
        L.append("Initmem setup node %d %s" % (n, mem(ranges[n][0][0], ranges[n][-1][1])))
    L += ["On node 0, zone DMA: 1 pages in unavailable ranges",
          "On node 0, zone DMA: 103 pages in unavailable ranges",
          "On node 0, zone DMA32: %d pages in unavailable ranges" % (0x100000 - 0x6f8ff),
          "ACPI: PM-Timer IO Port: 0x508",
          "smpboot: Allowing 896 CPUs, 0 hotplug CPUs",
          "setup_percpu: NR_CPUS:8192 nr_cpumask_bits:896 nr_cpu_ids:896 nr_node_ids:16"]
    present = sum(z["present"] for n in zones.values() for z in n.values())
    mm = sum(memmap(z["spanned"], z["present"]) for n in zones.values() for z in n.values())
    L += ["Built 16 zonelists, mobility grouping on.  Total pages: %d" % (present - mm),
          "Policy zone: Normal",
          "Kernel command line: " + cmdline,
          "Memory: 12629817676K/%dK available (14344K kernel code, 3271K rwdata, 10340K rodata, 4520K init, 10844K bss, %dK reserved, 0K cma-reserved)"
          % (present * 4, present * 4 - 12629817676),
          "smp: Bringing up secondary CPUs ...",
          "smp: Brought up 16 nodes, 896 CPUs",
          "Freeing unused kernel image (initmem) memory: 4520K"]
    def T(i):
        sec = 0 if i < len(L) - 3 else 21 + i - (len(L) - 3)
        return "[Sat Dec  5 06:12:%02d 2026]" % (7 + sec)
    w("hpe-16node-12T/dmesg-T", "\n".join("%s %s" % (T(i), m) for i, m in enumerate(L)) + "\n")
    node_cpus = {n: list(range(28 * n, 28 * n + 28)) + list(range(448 + 28 * n, 448 + 28 * n + 28)) for n in range(16)}
    dist = {i: [10 if i == j else (16 if i // 4 == j // 4 else 20) for j in range(16)] for i in range(16)}
    # MemTotal: present pages less the memmap (each node's own) and, on node 0, the
    # kernel and crashkernel reservations.
    sizes = {n: sum(z["present"] - memmap(z["spanned"], z["present"]) for z in zones[n].values()) * 4 // 1024
             - (1700 if n == 0 else 0) for n in range(16)}
    w("hpe-16node-12T/numactl-H", numactl_h(node_cpus, sizes, {n: sizes[n] - 5000 - 11 * n for n in range(16)}, dist))


# ---------------------------------------------------------------------------------
# 4. The 8 x 64 GiB movable_node server of ../import/, as `journalctl -k` shows its
#    boot (Debian 12's systemd: no header line), and `numactl -H` of it.
# ---------------------------------------------------------------------------------
def movable_journal():
    text = open("../import/movable-node-8x64G.snapshot").read()
    dmesg = text.split("==> dmesg <==\n", 1)[1].split("\n==> ", 1)[0]
    out = []
    for line in dmesg.splitlines():
        if not line.strip():
            continue
        stamp, msg = line.split("] ", 1)
        secs = float(stamp.strip("[ "))
        out.append("Dec 04 02:41:%02d stor-node-12 kernel: %s" % (17 + int(secs), msg))
    w("movable-node-8x64G/journalctl-k", "\n".join(out) + "\n")
    node_cpus = {n: [2 * n, 2 * n + 1] for n in range(8)}
    dist = {i: [10 if i == j else 21 for j in range(8)] for i in range(8)}
    # Every node's memmap sits on node 0 under movable_node (the `Memory:` line's
    # 8786324K reserved): node 0's MemTotal is 64 GiB less that, nodes 1-7 keep 64 GiB.
    sizes = {0: (16777216 - 32 - 97 - 262176 + 262144 - 8786324 // 4) * 4 // 1024}
    sizes.update({n: 65536 for n in range(1, 8)})
    w("movable-node-8x64G/numactl-H", numactl_h(node_cpus, sizes, {n: sizes[n] - 400 - 3 * n for n in range(8)}, dist))


# ---------------------------------------------------------------------------------
# 5. A 24 TiB machine booted `numa=off` (one node, one 24 TiB Normal zone), Debian
#    12's 6.1, `dmesg -t` (no stamps): beyond the per-page model's zone limit.
# ---------------------------------------------------------------------------------
def numa_off_24t():
    top = 0x100000 + 24 * 1024 * GIB - 2 * GIB
    cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=9d3e1c7a-0f42-4b8e-a6d5-3c1b2e7f8a90 ro quiet numa=off"
    ranges = [(0x1, 0x99), (0x100, 0x6f8ff), (0x100000, top)]
    present = sum(e - s for s, e in ranges)
    L = [
        "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)",
        "Command line: " + cmdline,
        "BIOS-provided physical RAM map:",
        "BIOS-e820: [mem 0x0000000000000000-0x0000000000098fff] usable",
        "BIOS-e820: [mem 0x0000000000099000-0x00000000000fffff] reserved",
        "BIOS-e820: [mem 0x0000000000100000-0x000000006f8fefff] usable",
        "BIOS-e820: [mem 0x000000006f8ff000-0x000000008fffffff] reserved",
        "BIOS-e820: [mem 0x0000000100000000-0x%016x] usable" % ((top << 12) - 1),
        "DMI: HPE Superdome Flex/Superdome Flex, BIOS Bundle:3.50.30 SFW:IP147.007.004.000.2402010602 02/01/2024",
        "last_pfn = 0x%x max_arch_pfn = 0x400000000" % top,
        "NUMA turned off",
        "Faking a node at [mem 0x0000000000000000-0x%016x]" % ((top << 12) - 1),
        "NODE_DATA(0) allocated [mem 0x%x-0x%x]" % ((top << 12) - 0x2b000, (top << 12) - 1),
        "Zone ranges:",
        "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
        "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]",
        "  Normal   [mem 0x0000000100000000-0x%016x]" % ((top << 12) - 1),
        "  Device   empty",
        "Movable zone start for each node",
        "Early memory node ranges",
    ] + ["  node %3d: %s" % (0, mem(s, e)) for s, e in ranges] + [
        "Initmem setup node 0 %s" % mem(1, top),
        "On node 0, zone DMA: 1 pages in unavailable ranges",
        "On node 0, zone DMA: 103 pages in unavailable ranges",
        "On node 0, zone DMA32: %d pages in unavailable ranges" % (0x100000 - 0x6f8ff),
        "smpboot: Allowing 896 CPUs, 0 hotplug CPUs",
        "setup_percpu: NR_CPUS:8192 nr_cpumask_bits:896 nr_cpu_ids:896 nr_node_ids:1",
        "Built 1 zonelists, mobility grouping on.  Total pages: %d" % (present - present // 64),
        "Policy zone: Normal",
        "Kernel command line: " + cmdline,
        "smp: Brought up 1 node, 896 CPUs",
    ]
    w("numa-off-24T/dmesg-t", "\n".join(L) + "\n")


# ---------------------------------------------------------------------------------
# 6. Bare /proc files as collectors keep them (one file each, no headers): a 1-node
#    16 GiB Debian 12 laptop (6.1), and the contradicting pair used with the
#    RHEL 8 dmesg.
# ---------------------------------------------------------------------------------
def batch_6(zname, managed):
    if zname == "DMA":
        return 1, 0
    return 63, max(4 * 63, managed // 1000)


def collector():
    ranges = {0: [(0x1, 0x9f), (0x100, 0x8c5d9), (0x8f7ff, 0x8f800), (0x100000, 0x46e800)]}
    zones = zones_of(ranges)
    managed = {(0, "DMA"): 3840, (0, "DMA32"): 558911, (0, "Normal"): 3540284}
    zi, free = zoneinfo([0], zones, managed, list(range(8)), "6.1", 67584, batch_6, seed=4)
    w("collector-laptop-6.1/zoneinfo", zi)
    w("collector-laptop-6.1/buddyinfo", buddyinfo([0], zones, free))
    w("collector-laptop-6.1/pagetypeinfo", pagetypeinfo([0], zones, free))
    # The same zoneinfo as people also send it: gzipped (logrotate, a collector's
    # archive), and saved by PowerShell's `>` (UTF-16 LE with a byte-order mark).
    import gzip
    with open("collector-laptop-6.1/zoneinfo.gz", "wb") as f:
        f.write(gzip.compress(zi.encode(), mtime=0))
    with open("collector-laptop-6.1/zoneinfo.utf16", "wb") as f:
        f.write(zi.replace("\n", "\r\n").encode("utf-16"))
    # Not text at all: the first bytes of an ELF core file (what `cp /proc/kcore` gives).
    with open("collector-laptop-6.1/kcore-head.bin", "wb") as f:
        f.write(b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x04\x00\x3e\x00\x01\x00\x00\x00" + bytes(range(256)))


# ---------------------------------------------------------------------------------
# 7. Seven kmem trace snippets, each as the kernel (or perf) of its era prints it.
#    Each op is (comm, pid, cpu, time, event, fields); pfns below 2 GiB so the
#    default replay machine stays small.
# ---------------------------------------------------------------------------------
HDR_OLD = "# tracer: nop\n#\n#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n#              | |       |          |         |\n"
HDR_4 = ("# tracer: nop\n#\n# entries-in-buffer/entries-written: %d/%d   #P:%d\n#\n"
         "#                              _-----=> irqs-off\n"
         "#                             / _----=> need-resched\n"
         "#                            | / _---=> hardirq/softirq\n"
         "#                            || / _--=> preempt-depth\n"
         "#                            ||| /     delay\n"
         "#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION\n"
         "#              | |       |   ||||       |         |\n")
HDR_6 = ("# tracer: nop\n#\n# entries-in-buffer/entries-written: %d/%d   #P:%d\n#\n"
         "#                                _-----=> irqs-off/BH-disabled\n"
         "#                               / _----=> need-resched\n"
         "#                              | / _---=> hardirq/softirq\n"
         "#                              || / _--=> preempt-depth\n"
         "#                              ||| / _-=> migrate-disable\n"
         "#                              |||| /     delay\n"
         "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
         "#              | |         |   |||||     |         |\n")
NULL_OLD = "          (null)"  # %p of NULL, padded to the pointer width


def vmemmap(pfn, size=64):
    return "ffffea%010x" % (pfn * size)


def hashed(pfn):
    return "%016x" % ((pfn * 2654435761 + 0x5bd1e995) & 0xffffffff)


def trace_old(ops):
    """2.6.32 and 3.0: `comm-pid [cpu] secs: event: fields`."""
    return HDR_OLD + "".join("%16s-%-5d [%03d] %12.6f: %s: %s\n" % op for op in ops)


def trace_4(ops, cpus):
    return HDR_4 % (len(ops), len(ops), cpus) + "".join(
        "%16s-%-5d [%03d] %s %12.6f: %s: %s\n" % op for op in ops)


def trace_6(ops, cpus):
    return HDR_6 % (len(ops), len(ops), cpus) + "".join(
        "%16s-%-7d [%03d] %s %12.6f: %s: %s\n" % op for op in ops)


def traces():
    # 1. 2.6.32 (Debian 6): old free names, 56-byte struct page, decimal pfns.
    p = lambda pfn: vmemmap(pfn, 56)
    t1 = [
        ("bash", 2411, 0, 1523.283452, "mm_page_alloc", "page=%s pfn=301807 order=0 migratetype=2 gfp_flags=GFP_HIGHUSER_MOVABLE" % p(301807)),
        ("bash", 2411, 0, 1523.283460, "mm_page_alloc", "page=%s pfn=301808 order=0 migratetype=2 gfp_flags=GFP_HIGHUSER_MOVABLE" % p(301808)),
        ("bash", 2411, 0, 1523.283511, "mm_page_alloc_zone_locked", "page=%s pfn=412160 order=2 migratetype=0 percpu_refill=0" % p(412160)),
        ("bash", 2411, 0, 1523.283514, "mm_page_alloc", "page=%s pfn=412160 order=2 migratetype=0 gfp_flags=GFP_KERNEL|GFP_REPEAT|GFP_COMP" % p(412160)),
        ("bash", 2411, 0, 1523.290871, "mm_page_free_direct", "page=%s pfn=301807 order=0" % p(301807)),
        ("kswapd0", 35, 1, 1523.291003, "mm_pagevec_free", "page=%s pfn=301808 order=0 cold=0" % p(301808)),
        ("kswapd0", 35, 1, 1523.291010, "mm_pagevec_free", "page=%s pfn=289002 order=0 cold=1" % p(289002)),
        ("<idle>", 0, 1, 1523.301992, "mm_page_free_direct", "page=%s pfn=289001 order=0" % p(289001)),
        ("<idle>", 0, 1, 1523.302101, "mm_page_pcpu_drain", "page=%s pfn=289001 order=0 migratetype=0" % p(289001)),
        ("sshd", 2398, 1, 1523.310446, "mm_page_alloc", "page=%s pfn=412200 order=0 migratetype=0 gfp_flags=GFP_NOFS" % p(412200)),
        ("bash", 2411, 0, 1523.312004, "mm_page_free_direct", "page=%s pfn=412160 order=2" % p(412160)),
    ]
    w("traces/1-2.6.32-ftrace-old-names.txt", trace_old(t1))
    # 2. 3.0 (old names still; renamed in 3.3): a failed order-3 atomic allocation.
    p = lambda pfn: vmemmap(pfn, 56)
    t2 = [
        ("ksoftirqd/1", 9, 1, 88412.004110, "mm_page_alloc", "page=%s order=3 migratetype=0 gfp_flags=GFP_ATOMIC|GFP_NOWARN|GFP_COMP" % NULL_OLD),
        ("ksoftirqd/1", 9, 1, 88412.004131, "mm_page_alloc", "page=%s pfn=401408 order=0 migratetype=0 gfp_flags=GFP_ATOMIC" % p(401408)),
        ("ksoftirqd/1", 9, 1, 88412.004377, "mm_page_alloc", "page=%s pfn=401409 order=0 migratetype=0 gfp_flags=GFP_ATOMIC" % p(401409)),
        ("nfsd", 1907, 0, 88412.010882, "mm_pagevec_free", "page=%s pfn=401408 order=0 cold=0" % p(401408)),
        ("nfsd", 1907, 0, 88412.010890, "mm_pagevec_free", "page=%s pfn=401409 order=0 cold=0" % p(401409)),
        ("nfsd", 1907, 0, 88412.011021, "mm_page_free_direct", "page=%s pfn=380000 order=1" % p(380000)),
    ]
    # 3.0's mm_page_alloc prints `pfn=%lu` as `page ? page_to_pfn(page) : 0`.
    t2[0] = t2[0][:5] + ("page=%s pfn=0 order=3 migratetype=0 gfp_flags=GFP_ATOMIC|GFP_NOWARN|GFP_COMP" % NULL_OLD,)
    w("traces/2-3.0-ftrace-failed-null.txt", trace_old(t2))
    # 3. 3.10 (RHEL 7): new names, `cold=`, irq-flags columns, a failed THP.
    p = lambda pfn: vmemmap(pfn, 64)
    t3 = [
        ("khugepaged", 61, 2, "....", 8323.417001, "mm_page_alloc", "page=%s pfn=0 order=9 migratetype=2 gfp_flags=GFP_TRANSHUGE|GFP_OTHER_NODE" % NULL_OLD),
        ("java", 30121, 2, "....", 8323.417052, "mm_page_alloc", "page=%s pfn=140800 order=0 migratetype=2 gfp_flags=GFP_HIGHUSER_MOVABLE" % p(140800)),
        ("java", 30121, 2, "....", 8323.417060, "mm_page_alloc", "page=%s pfn=140801 order=0 migratetype=2 gfp_flags=GFP_HIGHUSER_MOVABLE" % p(140801)),
        ("<idle>", 0, 3, "..s.", 8323.418221, "mm_page_free", "page=%s pfn=140981 order=0" % p(140981)),
        ("java", 30121, 2, "....", 8323.419310, "mm_page_free_batched", "page=%s pfn=140800 order=0 cold=0" % p(140800)),
        ("java", 30121, 2, "....", 8323.419316, "mm_page_free_batched", "page=%s pfn=140801 order=0 cold=0" % p(140801)),
        ("kworker/3:1", 211, 3, "d..2", 8323.420001, "mm_page_pcpu_drain", "page=%s pfn=140981 order=0 migratetype=2" % p(140981)),
        ("java", 30121, 2, "....", 8323.421000, "mm_page_alloc", "page=%s pfn=204800 order=2 migratetype=0 gfp_flags=GFP_KERNEL|GFP_REPEAT|GFP_COMP|GFP_ZERO" % p(204800)),
    ]
    w("traces/3-3.10-ftrace-rhel7.txt", trace_4(t3, 4))
    # 4. 4.18 (RHEL 8): hashed pointers, decimal pfns, `__GFP_` names, no `cold=`.
    t4 = [
        ("kworker/u64:2", 1042, 5, "....", 512.331207, "mm_page_alloc", "page=%s pfn=0 order=4 migratetype=0 gfp_flags=GFP_NOWAIT|__GFP_NOWARN|__GFP_COMP" % NULL_OLD),
        ("postgres", 4410, 7, "....", 512.331512, "mm_page_alloc", "page=%s pfn=262656 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE" % hashed(262656)),
        ("postgres", 4410, 7, "....", 512.331540, "mm_page_alloc", "page=%s pfn=262657 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE" % hashed(262657)),
        ("postgres", 4410, 7, "....", 512.331801, "mm_page_alloc", "page=%s pfn=300032 order=3 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO" % hashed(300032)),
        ("postgres", 4410, 7, "....", 512.402112, "mm_page_free_batched", "page=%s pfn=262656 order=0" % hashed(262656)),
        ("postgres", 4410, 7, "....", 512.402118, "mm_page_free", "page=%s pfn=262657 order=0" % hashed(262657)),
        ("kswapd0", 181, 0, "....", 512.500144, "mm_page_free_batched", "page=%s pfn=99871 order=0" % hashed(99871)),
        ("kswapd0", 181, 0, "....", 512.500150, "mm_page_free_batched", "page=%s pfn=99872 order=0" % hashed(99872)),
        ("postgres", 4410, 7, "....", 512.610331, "mm_page_free", "page=%s pfn=300032 order=3" % hashed(300032)),
    ]
    w("traces/4-4.18-ftrace-rhel8.txt", trace_4(t4, 32))
    # 5. 5.4 `perf script` of `perf record -g -e kmem:mm_page_alloc -e kmem:mm_page_free`
    #    (libtraceevent prints page as the pfn in hex, %p of NULL as glibc's `(nil)`).
    frames = ["\tffffffff8f2a51e1 __alloc_pages_nodemask+0x231 ([kernel.kallsyms])",
              "\tffffffff8f2c3a4e alloc_pages_vma+0x7e ([kernel.kallsyms])",
              "\tffffffff8f29e0b3 __handle_mm_fault+0x8f3 ([kernel.kallsyms])",
              "\t    7f3a1c2e4a10 __memset_avx2_erms+0x30 (/usr/lib/x86_64-linux-gnu/libc-2.31.so)"]
    free_frames = ["\tffffffff8f2a3c55 free_unref_page+0x45 ([kernel.kallsyms])",
                   "\tffffffff8f2b1a07 __put_page+0x37 ([kernel.kallsyms])"]
    rows = [
        ("stress-ng", 7702, 1, 96.100233, "kmem:mm_page_alloc", "page=0x48000 pfn=294912 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE", frames),
        ("stress-ng", 7702, 1, 96.100241, "kmem:mm_page_alloc", "page=(nil) pfn=0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT|__GFP_THISNODE", frames[:1]),
        ("stress-ng", 7702, 1, 96.100250, "kmem:mm_page_alloc", "page=0x48001 pfn=294913 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE", frames),
        ("stress-ng", 7702, 1, 96.120001, "kmem:mm_page_free", "page=0x48000 pfn=294912 order=0", free_frames),
        ("stress-ng", 7702, 1, 96.120007, "kmem:mm_page_free", "page=0x48001 pfn=294913 order=0", free_frames),
        ("systemd-journal", 401, 0, 96.130515, "kmem:mm_page_free", "page=0x2f0a0 pfn=192672 order=1", free_frames),
    ]
    out = []
    for comm, pid, cpu, t, ev, f, stack in rows:
        out.append("%s %5d [%03d] %12.6f: %30s: %s" % (comm, pid, cpu, t, ev, f))
        out += stack
        out.append("")
    w("traces/5-5.4-perf-script.txt", "\n".join(out) + "\n")
    # 6. 6.1 (Debian 12): hex pfns, five flag columns, a failed THP, pre-trace frees.
    t6 = [
        ("khugepaged", 47, 1, "....1", 4410.882100, "mm_page_alloc", "page=0000000000000000 pfn=0x0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE|__GFP_THISNODE"),
        ("cc1", 9120, 0, ".....", 4410.900311, "mm_page_alloc", "page=%s pfn=0x3a200 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO" % hashed(0x3a200)),
        ("cc1", 9120, 0, ".....", 4410.900318, "mm_page_alloc", "page=%s pfn=0x3a201 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO" % hashed(0x3a201)),
        ("cc1", 9120, 0, "d..3.", 4410.900402, "mm_page_alloc_zone_locked", "page=%s pfn=0x3a400 order=2 migratetype=0 percpu_refill=0" % hashed(0x3a400)),
        ("cc1", 9120, 0, ".....", 4410.900404, "mm_page_alloc", "page=%s pfn=0x3a400 order=2 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO" % hashed(0x3a400)),
        ("cc1", 9120, 0, "...1.", 4410.951120, "mm_page_free_batched", "page=%s pfn=0x3a200 order=0" % hashed(0x3a200)),
        ("cc1", 9120, 0, "...1.", 4410.951125, "mm_page_free_batched", "page=%s pfn=0x3a201 order=0" % hashed(0x3a201)),
        ("cc1", 9120, 0, ".....", 4410.951300, "mm_page_free", "page=%s pfn=0x3a400 order=2" % hashed(0x3a400)),
        ("rcu_preempt", 15, 1, "..s1.", 4410.960001, "mm_page_free", "page=%s pfn=0x1f3c0 order=0" % hashed(0x1f3c0)),
        ("rcu_preempt", 15, 1, "..s1.", 4410.960004, "mm_page_free", "page=%s pfn=0x1f3c2 order=1" % hashed(0x1f3c2)),
        ("kworker/1:2", 3301, 1, "d..3.", 4410.970112, "mm_page_pcpu_drain", "page=%s pfn=0x1f3c0 order=0 migratetype=0" % hashed(0x1f3c0)),
    ]
    w("traces/6-6.1-ftrace.txt", trace_6(t6, 2))
    # 7. 6.1 with only the informational events enabled: nothing to replay.
    t7 = [
        ("kworker/0:1", 88, 0, "d..3.", 201.004431, "mm_page_pcpu_drain", "page=%s pfn=0x21a40 order=0 migratetype=1" % hashed(0x21a40)),
        ("kworker/0:1", 88, 0, "d..3.", 201.004437, "mm_page_pcpu_drain", "page=%s pfn=0x21a41 order=0 migratetype=1" % hashed(0x21a41)),
        ("dd", 1312, 1, "d..3.", 201.118020, "mm_page_alloc_zone_locked", "page=%s pfn=0x30000 order=0 migratetype=1 percpu_refill=1" % hashed(0x30000)),
        ("dd", 1312, 1, "d..3.", 201.118402, "mm_page_alloc_extfrag", "page=%s pfn=0x36e00 alloc_order=0 fallback_order=10 pageblock_order=9 alloc_migratetype=1 fallback_migratetype=0 fragmenting=0 change_ownership=1" % hashed(0x36e00)),
    ]
    w("traces/7-6.1-ftrace-no-operations.txt", trace_6(t7, 2))


if __name__ == "__main__":
    rhel8()
    x4600()
    hp12t()
    movable_journal()
    numa_off_24t()
    collector()
    traces()
