//! Stable sorting through one shared, non-generic sort of indices.
//!
//! Why: every `sort`, `sort_by` or `sort_by_cached_key` on a new element type or closure
//! instantiates the standard library's sort again (about 4 KB of wasm each, seven times in the
//! page's module). These helpers sort a vector of indices with one comparator type, a
//! `&dyn Fn`, and then move the elements into that order, so the sort is compiled once. They
//! give exactly the order of the standard stable sort (ties keep their original order). The
//! sorts that use them are the shell's and the inspector's, over listings, not the engine's
//! hot paths, so an indirect call per comparison costs nothing that shows.

use std::cmp::Ordering;

/// The indices `0..n` in the order `cmp` sorts them, ties in index order.
///
/// A bottom-up merge sort, written out rather than the standard library's: its pattern-
/// defeating quicksort, small-sort networks and heapsort fallback are some 3 KB of wasm for the
/// one instantiation here, against a few hundred bytes for this loop (BENCHMARKS.md, "The
/// page's download, evening"). Merging keeps ties in order, so it is stable by itself.
fn sorted_order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = lo.saturating_add(width).min(n);
            let hi = lo.saturating_add(width.saturating_mul(2)).min(n);
            let (left, right) = order[lo..hi].split_at(mid - lo);
            let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
            for slot in &mut merged[lo..hi] {
                // The left run's head goes first unless the right run's sorts strictly before it.
                let take_left = match (l.peek(), r.peek()) {
                    (Some(&&a), Some(&&b)) => cmp(b, a) != Ordering::Less,
                    (Some(_), None) => true,
                    _ => false,
                };
                let next = if take_left { l.next() } else { r.next() };
                *slot = next.copied().unwrap_or_default();
            }
            lo = hi;
        }
        std::mem::swap(&mut order, &mut merged);
        width = width.saturating_mul(2);
    }
    order
}

/// Moves the elements of `v` into `order` (a permutation of its indices).
fn permute<T>(v: &mut Vec<T>, order: &[usize]) {
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// `v.sort_by(cmp)`: stable.
pub fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    permute(v, &order);
}

/// `v.sort()`: stable.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// `v.sort_by_cached_key(key)`: `key` is called once per element; stable.
pub fn sort_by_cached_key<T, K: Ord>(v: &mut Vec<T>, key: impl FnMut(&T) -> K) {
    let keys: Vec<K> = v.iter().map(key).collect();
    let order = sorted_order(v.len(), &|a, b| keys[a].cmp(&keys[b]));
    permute(v, &order);
}

// fastrand is a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_same_order_as_the_standard_stable_sort() {
        let mut rng = fastrand::Rng::with_seed(3);
        for n in 0..200 {
            let v: Vec<(u8, u32)> = (0..n).map(|i| (rng.u8(0..8), i)).collect();
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v.clone();
            std.sort_by_key(|x| x.0);
            assert_eq!(ours, std);

            let mut ours = v.clone();
            sort_by_cached_key(&mut ours, |x| std::cmp::Reverse(x.0));
            let mut std = v.clone();
            std.sort_by_cached_key(|x| std::cmp::Reverse(x.0));
            assert_eq!(ours, std);

            let mut ours: Vec<String> = v.iter().map(|x| x.0.to_string()).collect();
            let mut std = ours.clone();
            sort(&mut ours);
            std.sort();
            assert_eq!(ours, std);
        }
    }
}
