//! Kernel-format text output.

use crate::types::Order;
use crate::zone::BuddyZone;

/// One `/proc/buddyinfo` line for `zone` (`frag_show_print()` in mm/vmstat.c): node,
/// zone name padded to 8, then `nr_free` of each order in a field of 6 followed by a space (the kernel
/// leaves that last space before the newline).
pub fn buddyinfo_line(node: u32, zone_name: &str, zone: &BuddyZone) -> String {
    let mut line = format!("Node {node}, zone {zone_name:>8} ");
    for order in Order::all() {
        line.push_str(&format!("{:6} ", zone.nr_free(order)));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_kernel_layout_byte_for_byte() {
        // 1024 pages at pfn 0: one order-10 block. The expected line is laid out by
        // hand from frag_show_print()'s format strings.
        let zone = BuddyZone::new(0, 1024).unwrap();
        let expected = format!("Node 0, zone    DMA32 {}{:6} \n", "     0 ".repeat(10), 1);
        assert_eq!(buddyinfo_line(0, "DMA32", &zone), expected);
    }
}
