//! The k series `topk` and `bottomk` keep at one step, chosen exactly as Prometheus
//! chooses them: a bounded binary heap fed the group's members in input order, with Go's
//! `container/heap` sift rules. Which members of a tie survive depends on that order and
//! on those rules, so a plain sort would keep other series than Prometheus does.

/// Which end of the ranking is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The largest values (`topk`): the heap's root is the smallest kept value.
    Largest,
    /// The smallest values (`bottomk`): the heap's root is the largest kept value.
    Smallest,
}

/// The positions (into `values`) of the `k` values kept, in the order the heap leaves
/// them. `values` are the group's present values in input order. NaN ranks below every
/// number for both ends, as in Prometheus.
pub fn keep_k(values: &[f64], k: usize, keep: Keep) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap = RankHeap {
        values,
        keep,
        slots: Vec::with_capacity(k.min(values.len())),
    };
    for i in 0..values.len() {
        if heap.slots.len() < k {
            heap.push(i);
        } else if heap.displaces_root(i) {
            heap.slots[0] = i;
            if k > 1 {
                heap.fix_root();
            }
        }
    }
    heap.slots
}

struct RankHeap<'a> {
    values: &'a [f64],
    keep: Keep,
    /// Positions into `values`, in heap order.
    slots: Vec<usize>,
}

impl RankHeap<'_> {
    /// Prometheus' `Less` of the heap: a NaN is always "less" (it sits at the root, first
    /// to be replaced); otherwise the value nearer the root's end of the ranking.
    fn less(&self, a: usize, b: usize) -> bool {
        let (va, vb) = (self.values[self.slots[a]], self.values[self.slots[b]]);
        if va.is_nan() {
            return true;
        }
        match self.keep {
            Keep::Largest => va < vb,
            Keep::Smallest => va > vb,
        }
    }

    /// True when the value at `candidate` replaces the root of a full heap.
    fn displaces_root(&self, candidate: usize) -> bool {
        let (root, v) = (self.values[self.slots[0]], self.values[candidate]);
        let beats = match self.keep {
            Keep::Largest => root < v,
            Keep::Smallest => root > v,
        };
        beats || (root.is_nan() && !v.is_nan())
    }

    fn push(&mut self, position: usize) {
        self.slots.push(position);
        self.up(self.slots.len() - 1);
    }

    /// Go's `heap.Fix(h, 0)`: sift the root down (it cannot move up).
    fn fix_root(&mut self) {
        let n = self.slots.len();
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let mut j = left;
            if left + 1 < n && self.less(left + 1, left) {
                j = left + 1;
            }
            if !self.less(j, i) {
                break;
            }
            self.slots.swap(i, j);
            i = j;
        }
    }

    fn up(&mut self, mut j: usize) {
        while j > 0 {
            let parent = (j - 1) / 2;
            if !self.less(j, parent) {
                break;
            }
            self.slots.swap(parent, j);
            j = parent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kept_values(values: &[f64], k: usize, keep: Keep) -> Vec<f64> {
        let mut v: Vec<f64> = keep_k(values, k, keep).into_iter().map(|i| values[i]).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn a_later_larger_value_replaces_the_first_of_a_tie() {
        // A and B tie; C is larger. The heap's root is A (pushed first), so C replaces it
        // and B survives.
        let kept = keep_k(&[5.0, 5.0, 7.0], 2, Keep::Largest);
        let mut kept = kept;
        kept.sort_unstable();
        assert_eq!(kept, vec![1, 2]);
    }

    #[test]
    fn an_equal_value_does_not_displace_the_root() {
        let mut kept = keep_k(&[3.0, 1.0, 1.0], 2, Keep::Largest);
        kept.sort_unstable();
        assert_eq!(kept, vec![0, 1]);
        let mut kept = keep_k(&[1.0, 3.0, 3.0], 2, Keep::Smallest);
        kept.sort_unstable();
        assert_eq!(kept, vec![0, 1]);
    }

    #[test]
    fn nan_ranks_last_at_both_ends() {
        assert_eq!(
            kept_values(&[f64::NAN, 1.0, 2.0], 2, Keep::Largest),
            vec![1.0, 2.0]
        );
        assert_eq!(
            kept_values(&[f64::NAN, 1.0, 2.0], 2, Keep::Smallest),
            vec![1.0, 2.0]
        );
        assert_eq!(keep_k(&[f64::NAN], 1, Keep::Largest), vec![0]);
    }

    proptest! {
        #[test]
        fn keeps_the_k_extreme_values(
            values in proptest::collection::vec(-20i32..20, 0..40),
            k in 0usize..45,
        ) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let n = k.min(values.len());
            prop_assert_eq!(kept_values(&values, k, Keep::Smallest), sorted[..n].to_vec());
            prop_assert_eq!(kept_values(&values, k, Keep::Largest), sorted[sorted.len() - n..].to_vec());
        }
    }
}
