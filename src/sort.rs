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

/// The swaps that move the elements of a slice into `order` (a permutation of its indices:
/// `order[k]` is the index of the element that belongs at `k`), found by following each cycle
/// of the permutation. Not generic, so that each element type compiles only the loop of
/// `permute`, not a vector of slots of its own (about 400 bytes of wasm per type).
fn swaps(mut order: Vec<usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order.get(at).copied().unwrap_or(start);
            // Marks `at` as placed, so that the cycle is followed once.
            if let Some(slot) = order.get_mut(at) {
                *slot = at;
            }
            if from == start || from == at {
                break;
            }
            out.push((at, from));
            at = from;
        }
    }
    out
}

/// Moves the elements of `v` into `order` (a permutation of its indices).
fn permute<T>(v: &mut [T], order: Vec<usize>) {
    for (a, b) in swaps(order) {
        if a < v.len() && b < v.len() {
            v.swap(a, b);
        }
    }
}

/// `v.sort_by(cmp)`: stable.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    permute(v, order);
}

/// `v.sort()`: stable.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// `v.sort_by_cached_key(key)`: `key` is called once per element; stable.
pub fn sort_by_cached_key<T, K: Ord>(v: &mut [T], key: impl FnMut(&T) -> K) {
    let keys: Vec<K> = v.iter().map(key).collect();
    let order = sorted_order(v.len(), &|a, b| keys[a].cmp(&keys[b]));
    permute(v, order);
}

// fastrand is a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn permute_puts_every_element_where_the_order_says() {
        // Every permutation of up to six elements (Heap's algorithm), then some large ones.
        fn check(order: &[usize]) {
            let mut v: Vec<String> = (0..order.len()).map(|i| i.to_string()).collect();
            let want: Vec<String> = order.iter().map(|i| i.to_string()).collect();
            permute(&mut v, order.to_vec());
            assert_eq!(v, want, "{order:?}");
        }
        for n in 0..=6 {
            let mut a: Vec<usize> = (0..n).collect();
            let mut c = vec![0; n];
            check(&a);
            let mut i = 0;
            while i < n {
                if c[i] < i {
                    a.swap(if i % 2 == 0 { 0 } else { c[i] }, i);
                    check(&a);
                    c[i] += 1;
                    i = 0;
                } else {
                    c[i] = 0;
                    i += 1;
                }
            }
        }
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [100, 1000] {
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            check(&order);
        }
    }

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
