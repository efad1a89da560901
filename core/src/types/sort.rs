//! One compiled stable sort for the model's cold code (machine validation and boot,
//! imports, scenarios, views). Every `slice::sort_by_key` call site compiles its own
//! copy of the standard library's stable sort (a few KB of wasm each, 17 of them in
//! the page); these helpers sort the items' indexes instead, with the comparison
//! behind a `dyn`, so one copy serves every caller. The order is exactly
//! `slice::sort_by`'s: stable, equal items keep their order. Not for hot paths: each
//! comparison is an indirect call.

use core::borrow::Borrow;
use core::cmp::Ordering;

/// Sorts `items` by `compare`, stably, as `items.sort_by(compare)` would.
pub fn sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_indexes(items.len(), &|a, b| match (items.get(a), items.get(b)) {
        (Some(x), Some(y)) => compare(x, y),
        _ => Ordering::Equal,
    });
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|index| slots.get_mut(index).and_then(Option::take)),
    );
}

/// Sorts `items` by the key `key` gives, stably, as `items.sort_by_key(key)` would.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their own order, stably, as `items.sort()` would.
pub fn sort<T: Ord>(items: &mut Vec<T>) {
    sort_by(items, T::cmp);
}

/// The value of `key` in `entries`, kept sorted by key: a small map with
/// `BTreeMap`'s order and lookups, without an instance of the map's code per key and
/// value type in the wasm. When `key` is not there, `new()` (whose key must be `key`)
/// is inserted at its place first. `None` only if that was not so.
pub fn sorted_entry<'a, K, Q, V>(
    entries: &'a mut Vec<(K, V)>,
    key: &Q,
    new: impl FnOnce() -> (K, V),
) -> Option<&'a mut V>
where
    K: Borrow<Q>,
    Q: Ord + ?Sized,
{
    let at = match entries.binary_search_by(|(k, _)| k.borrow().cmp(key)) {
        Ok(at) => at,
        Err(at) => {
            let entry = new();
            if entry.0.borrow() != key {
                return None;
            }
            entries.insert(at, entry);
            at
        }
    };
    entries.get_mut(at).map(|(_, value)| value)
}

/// The indexes `0..len` in the order `compare` gives them, ties in index order: the
/// one instance of the standard library's stable sort.
fn sorted_indexes(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sorted_entry_keeps_a_btreemaps_order_and_last_values() {
        use std::collections::BTreeMap;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut ours: Vec<(String, u64)> = Vec::new();
        let mut map = BTreeMap::new();
        for value in 0..500u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = format!("k{}", state % 37);
            if let Some(slot) = sorted_entry(&mut ours, key.as_str(), || (key.clone(), 0)) {
                *slot = value;
            }
            map.insert(key, value);
        }
        assert_eq!(ours, map.into_iter().collect::<Vec<_>>());
        // A new entry whose key is not the one looked up is refused, not inserted.
        assert_eq!(
            sorted_entry(&mut ours, "zz", || ("yy".to_string(), 1)),
            None
        );
        assert!(!ours.iter().any(|(k, _)| k == "yy"));
    }

    #[test]
    fn ties_keep_their_order_as_the_standard_sort_keeps_them() {
        // (key, original position): many equal keys, so stability shows.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in [0usize, 1, 2, 3, 7, 20, 33, 100, 257] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state % 5) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |item| item.0);
            let mut standard = items.clone();
            standard.sort_by_key(|item| item.0);
            assert_eq!(ours, standard, "length {len}");
            let mut reversed = items.clone();
            sort_by(&mut reversed, |a, b| b.0.cmp(&a.0));
            let mut standard = items;
            standard.sort_by_key(|item| core::cmp::Reverse(item.0));
            assert_eq!(reversed, standard, "length {len}, descending");
        }
    }

    #[test]
    fn whole_items_sort_in_their_own_order() {
        let mut words = vec!["dma32", "normal", "dma", "movable", "dma"];
        sort(&mut words);
        assert_eq!(words, ["dma", "dma", "dma32", "movable", "normal"]);
    }
}
