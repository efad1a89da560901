//! Memory hotplug of sections: offline_pages() and online_pages() as the model has
//! them (see core/src/alloc/hotplug.rs), checked on a two-node machine.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::{Operation, Outcome, Session};
use buddyscope_engine::types::ZoneType;
use buddyscope_engine::workload::{parse_workload, run_workload};
use buddyscope_engine::Event;

/// Node 0: 512 MiB (sections 0-3); node 1: 256 MiB (sections 4-5) of ZONE_DMA32.
/// With `all_managed`, node 1's zone is fully managed (its memory map lives
/// elsewhere), so every one of its sections can go offline.
fn session(all_managed: bool) -> Session {
    let managed = if all_managed {
        "[machine.managed]\n\"1:DMA32\" = 65536\n"
    } else {
        ""
    };
    let text = format!(
        "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x0-0x1fffffff\"]\ncpus = \"0\"\n[[machine.nodes]]\nmemory = [\"0x20000000-0x2fffffff\"]\ncpus = \"1\"\n{managed}"
    );
    let scenario = parse_scenario(&text).unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    Session::new(Allocator::from_machine(&machine).unwrap())
}

fn run(session: &mut Session, script: &str) {
    let statements = parse_workload(script).unwrap();
    run_workload(session, &statements, None).unwrap();
    session.current().check_invariants().unwrap();
}

fn zone(allocator: &Allocator, node: u32, zone: ZoneType) -> &buddyscope_engine::alloc::ZoneState {
    &allocator.zones()[allocator.zone_index(node, zone).unwrap()]
}

/// Frees the session's first `count` allocations and checks the invariants: the
/// pfns freed.
fn free_first(session: &mut Session, count: usize) -> Vec<u64> {
    let freed = (0..count)
        .map(|index| {
            let call = session
                .apply(Operation::Free { index, cpu: None })
                .unwrap_or_else(|e| panic!("free {index}: {e}"));
            match call.outcome {
                Outcome::Freed { pfn, .. } => pfn.0,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    session.current().check_invariants().unwrap();
    freed
}

#[test]
fn offlining_migrates_movable_pages_to_another_node() {
    let mut session = session(false);
    run(
        &mut session,
        "alloc cache order=0 gfp=GFP_HIGHUSER_MOVABLE count=3000 use=pagecache cpu=1\n",
    );
    let before = session.current().clone();
    let on_node1 = |a: &Allocator| a.lru().iter().filter(|p| p.pfn >= 0x20000).count();
    assert_eq!(on_node1(&before), 3000, "CPU 1 allocates on its own node");
    run(&mut session, "offline section=4\n");
    let after = session.current().clone();
    let after = &after;
    let call = session.call(session.calls().len() - 1).unwrap();
    assert_eq!(call.outcome, Outcome::Hotplugged { online: false });
    // do_migrate_range() leaves the node out of the targets: everything moved to node 0.
    assert_eq!(on_node1(after), 0);
    assert_eq!(after.lru().len(), 3000);
    let migrated = call
        .events
        .iter()
        .filter(|e| matches!(e, Event::ContigMigrated { .. }))
        .count();
    assert_eq!(migrated, 3000);
    // Present and managed drop by the section; the free pages of the section are gone.
    let (z0, z1) = (
        zone(&before, 1, ZoneType::Dma32),
        zone(after, 1, ZoneType::Dma32),
    );
    assert_eq!(z0.present - z1.present, 32768);
    assert_eq!(z0.managed - z1.managed, 32768);
    assert_eq!(after.nodes()[1].present, before.nodes()[1].present - 32768);
    assert!(z1.buddy.free_pages() < 32768);
    assert_eq!(z1.nr_isolate_pageblock, 0);
    assert!(after.is_section_offline(4));
    // init_per_zone_wmark_min(): less lowmem, a smaller min_free_kbytes, and the
    // running zones use the machine's new watermarks.
    let machine = after.machine().unwrap();
    assert!(machine.min_free_kbytes < before.machine().unwrap().min_free_kbytes);
    for z in after.zones() {
        let source = machine.zone(z.nid, z.zone).unwrap();
        assert_eq!(z.watermark[0], source.watermark_min);
        assert_eq!(z.managed, source.managed);
    }
    // Their owners have the pages at the new pfns: freeing them frees node 0's pages.
    let mut freed_from = session.clone();
    let frees = free_first(&mut freed_from, 3000);
    assert!(frees.iter().all(|&pfn| pfn < 0x20000), "freed on node 0");
    assert!(freed_from.current().lru().is_empty());
    // Offlining it again, or a section with no memory, is refused and changes nothing.
    for section in [4, 99] {
        let error = session
            .apply(Operation::OfflineSection { section })
            .unwrap_err();
        assert!(error.to_string().contains(&section.to_string()), "{error}");
    }
    // Online again: the pages come back as free Movable pages.
    run(&mut session, "online section=4\n");
    let back = &session.current().clone();
    assert_eq!(
        zone(back, 1, ZoneType::Dma32).managed,
        zone(&before, 1, ZoneType::Dma32).managed
    );
    assert_eq!(
        zone(back, 1, ZoneType::Dma32).buddy.free_pages(),
        zone(after, 1, ZoneType::Dma32).buddy.free_pages() + 32768
    );
    assert!(!back.is_section_offline(4));
    // Recomputed after boot, nr_free_buffer_pages() leaves out the high watermarks
    // (zero at the boot-time call), so min_free_kbytes comes back a little lower.
    let kbytes = |a: &Allocator| a.machine().unwrap().min_free_kbytes;
    assert!(kbytes(after) < kbytes(back) && kbytes(back) < kbytes(&before));
}

#[test]
fn unmovable_pages_and_the_memory_map_keep_a_section_online() {
    let mut session = session(false);
    // The top of node 1 holds its memory map (reserved pages).
    run(&mut session, "offline section=5\n");
    let call = session.calls().last().unwrap();
    match &call.outcome {
        Outcome::HotplugRefused { reason } => assert!(reason.contains("-EBUSY"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A kernel allocation in the section keeps it online too; isolation is undone.
    run(
        &mut session,
        "alloc k order=0 gfp=GFP_KERNEL cpu=1\noffline section=4\n",
    );
    assert!(matches!(
        session.calls().last().unwrap().outcome,
        Outcome::HotplugRefused { .. }
    ));
    let now = session.current();
    assert_eq!(zone(now, 1, ZoneType::Dma32).nr_isolate_pageblock, 0);
    assert!(!now.is_section_offline(4) && !now.is_section_offline(5));
    let z = zone(now, 1, ZoneType::Dma32);
    assert_eq!(
        z.buddy.free_pages() as i64,
        z.free_pages_snapshot(),
        "every free page counts as free again"
    );
}

#[test]
fn emptying_a_zone_rebuilds_every_zonelist() {
    let mut session = session(true);
    let node0_list = |a: &Allocator| a.nodes()[0].fallback.clone();
    assert!(node0_list(session.current()).contains(&(1, ZoneType::Dma32)));
    run(&mut session, "offline section=4\noffline section=5\n");
    let now = session.current();
    assert!(session
        .events(1)
        .iter()
        .any(|e| matches!(e, Event::ZonelistsRebuilt)));
    assert!(!session
        .events(0)
        .iter()
        .any(|e| matches!(e, Event::ZonelistsRebuilt)));
    // Node 1 has no memory: it leaves node 0's zonelist, and node 1's CPU allocates
    // from node 0.
    assert!(!node0_list(now).contains(&(1, ZoneType::Dma32)));
    assert_eq!(now.nodes()[1].present, 0);
    run(&mut session, "alloc x order=0 cpu=1\n");
    match &session.calls().last().unwrap().outcome {
        Outcome::Allocated { allocation, .. } => assert_eq!(allocation.node, 0),
        other => panic!("{other:?}"),
    }
    // Onlining a section brings node 1 back into the zonelists.
    run(&mut session, "online section=5\n");
    assert!(node0_list(session.current()).contains(&(1, ZoneType::Dma32)));
}

#[test]
fn hotplug_statements_report_where_they_are_wrong() {
    for (text, column) in [
        ("offline\n", 1),
        ("offline section=x\n", 17),
        ("online node=1\n", 8),
    ] {
        let error = parse_workload(text).unwrap_err();
        assert_eq!(error.span.column, column, "{text}: {error}");
    }
}

/// An offline that migrates the page cache and then fails leaves the migrated pages
/// where they went (offline_pages() does not move them back), so their owners hold
/// them at the new pfns. Here node 1 is all ZONE_MOVABLE, where has_unmovable_pages()
/// does not look, so a page off the LRU passes isolation, cannot migrate, and the
/// offline ends with -EBUSY after the migration. Found by the operations fuzz target:
/// the session kept the old pfns, and a later free freed another owner's page.
#[test]
fn a_refused_offline_leaves_migrated_pages_with_their_owners() {
    let text = "version = 1\n[machine]\nthp = \"never\"\nmovablecore = \"256M\"\n[[machine.nodes]]\nmemory = [\"0x0-0x1fffffff\"]\ncpus = \"0\"\n[[machine.nodes]]\nmemory = [\"0x100000000-0x10fffffff\"]\ncpus = \"1\"\n";
    let scenario = parse_scenario(text).unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let mut session = Session::new(Allocator::from_machine(&machine).unwrap());
    let movable = session.current().zone_index(1, ZoneType::Movable).unwrap();
    let free_before = session.current().zones()[movable].buddy.free_pages();
    run(
        &mut session,
        "alloc cache order=0 gfp=GFP_HIGHUSER_MOVABLE count=3000 use=pagecache cpu=1\n\
         alloc pinned order=0 gfp=GFP_HIGHUSER_MOVABLE use=kernel cpu=1\n\
         offline section=32\n",
    );
    let call = session.call(session.calls().len() - 1).unwrap();
    match &call.outcome {
        Outcome::HotplugRefused { reason } => assert!(reason.contains("-EBUSY"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let moved: Vec<(u64, Option<u64>)> = call
        .events
        .iter()
        .filter_map(|e| match *e {
            Event::ContigMigrated { to, owner, .. } => Some((to.0, owner)),
            _ => None,
        })
        .collect();
    assert_eq!(
        moved.len(),
        3000,
        "the page cache migrated before the failure"
    );
    assert!(moved
        .iter()
        .all(|(_, owner)| owner.is_some_and(|o| o < 3000)));

    let mut freed = free_first(&mut session, 3000);
    let mut targets: Vec<u64> = moved.iter().map(|(to, _)| *to).collect();
    freed.sort_unstable();
    targets.sort_unstable();
    assert_eq!(freed, targets, "each owner frees the page where it went");
    // Drained, the zone has every page back but the pinned one.
    run(&mut session, "drain\n");
    let now = session.current();
    assert!(now.lru().is_empty());
    assert_eq!(now.zones()[movable].buddy.free_pages(), free_before - 1);
}

#[test]
fn a_node_whose_last_memory_goes_offline_stays_in_the_node_order_until_the_next_rebuild() {
    // Three nodes at distance 20: node 0 512 MiB with CPU 0, node 1 one 128 MiB
    // section (4) and no CPU, node 2 one section (5) with CPU 1; nodes 1 and 2 fully
    // managed so each section can go offline.
    let text = "version = 1\n[machine]\nthp = \"never\"\n\
        [[machine.nodes]]\nmemory = [\"0x0-0x1fffffff\"]\ncpus = \"0\"\n\
        [[machine.nodes]]\nmemory = [\"0x20000000-0x27ffffff\"]\n\
        [[machine.nodes]]\nmemory = [\"0x28000000-0x2fffffff\"]\ncpus = \"1\"\n\
        [machine.managed]\n\"1:DMA32\" = 32768\n\"2:DMA32\" = 32768\n";
    let scenario = parse_scenario(text).unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let mut session = Session::new(Allocator::from_machine(&machine).unwrap());
    let orders = |a: &Allocator| -> Vec<Vec<u32>> {
        a.machine()
            .unwrap()
            .zonelists
            .iter()
            .map(|l| l.node_order.clone())
            .collect()
    };
    // Boot: no CPU penalty; the round robin of the real n-3node-equal-distance machine.
    assert_eq!(
        orders(session.current()),
        vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]]
    );
    // offline_pages() rebuilds before node_states_clear_node(): node 1 is still in
    // N_MEMORY, and now nodes 0 and 2 pay the CPU penalty (M = 1024):
    //   0: 1 20M, 2 21M -> 1 (load[1]=1), 2.
    //   1: 0 22M, 2 21M -> 2 (load[2]=1), 0.
    //   2: 0 22M, 1 21M+1 -> 1 (load[1]=2), 0.
    run(&mut session, "offline section=4\n");
    assert_eq!(
        orders(session.current()),
        vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 1, 0]]
    );
    let general: Vec<u32> = session.current().machine().unwrap().zonelists[2]
        .general
        .iter()
        .map(|r| r.node)
        .collect();
    assert_eq!(general, vec![2, 0, 0], "node 1 has no zones left to list");
    // The next rebuild (node 2's last section) no longer sees node 1, and still sees
    // node 2:  0: 2 21M.  1: 0 22M, 2 21M -> 2, 0.  2: 0 22M.
    run(&mut session, "offline section=5\n");
    assert_eq!(
        orders(session.current()),
        vec![vec![0, 2], vec![1, 2, 0], vec![2, 0]]
    );
    // Onlining sets N_MEMORY before its rebuild: node 1 is back, node 2 still gone.
    //   0: 1 20M.  1: 0 22M.  2: 0 22M, 1 21M -> 1 (load[1]=1), 0.
    run(&mut session, "online section=4\n");
    assert_eq!(
        orders(session.current()),
        vec![vec![0, 1], vec![1, 0], vec![2, 1, 0]]
    );
}
