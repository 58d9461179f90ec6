//! A trace's tree as numbers: each span's parent (as an index among the trace's spans)
//! and its nested-set interval, so that "is a descendant of" is `a.left < b.left &&
//! b.right < a.right` and "is a child of" compares parent indexes, with no tree walk.

use crate::span::SpanId;
use rustc_hash::FxHashMap;

/// The tree of one trace's spans, index for index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceTree {
    /// Each span's parent among the spans, `None` for roots and for spans whose parent
    /// is not among them.
    pub parent: Vec<Option<u32>>,
    /// Nested-set number on entering each span (from 1).
    pub left: Vec<i32>,
    /// Nested-set number on leaving each span.
    pub right: Vec<i32>,
}

impl TraceTree {
    /// The tree of spans with ids `ids` and parent ids `parents` (index for index).
    /// Children are walked in the order the spans come (callers sort them by start
    /// time). A span whose parent is missing is a root; spans caught in a parent cycle
    /// are walked from the first of them, so every span gets an interval.
    pub fn build(ids: &[SpanId], parents: &[Option<SpanId>]) -> TraceTree {
        let n = ids.len();
        let mut by_id: FxHashMap<SpanId, u32> = FxHashMap::default();
        for (i, id) in ids.iter().enumerate() {
            by_id.entry(*id).or_insert(i as u32);
        }
        let parent: Vec<Option<u32>> = parents
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.and_then(|p| by_id.get(&p).copied())
                    .filter(|&j| j as usize != i)
            })
            .collect();
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p as usize].push(i as u32);
            }
        }
        let mut tree = TraceTree {
            parent,
            left: vec![0; n],
            right: vec![0; n],
        };
        let mut counter = 1;
        let roots: Vec<usize> = (0..n).filter(|&i| tree.parent[i].is_none()).collect();
        for start in roots.into_iter().chain(0..n) {
            if tree.left[start] == 0 {
                tree.walk(start, &children, &mut counter);
            }
        }
        tree
    }

    /// Numbers the unvisited spans under `start`, depth first, without recursion.
    fn walk(&mut self, start: usize, children: &[Vec<u32>], counter: &mut i32) {
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        self.left[start] = *counter;
        *counter += 1;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            match children[node].get(*next) {
                Some(&child) => {
                    *next += 1;
                    let child = child as usize;
                    if self.left[child] == 0 {
                        self.left[child] = *counter;
                        *counter += 1;
                        stack.push((child, 0));
                    }
                }
                None => {
                    self.right[node] = *counter;
                    *counter += 1;
                    stack.pop();
                }
            }
        }
    }

    /// Whether span `b` lies under span `a` (at any depth).
    pub fn is_descendant(&self, a: usize, b: usize) -> bool {
        self.left[a] < self.left[b] && self.right[b] < self.right[a]
    }

    /// The spans in depth-first order (parents before their children, children in the
    /// order the spans come), each with its depth (0 for roots): the rows of a
    /// waterfall.
    pub fn depth_first(&self) -> Vec<(usize, usize)> {
        let mut order: Vec<usize> = (0..self.left.len()).collect();
        order.sort_by_key(|&i| self.left[i]);
        let mut depth = vec![0usize; order.len()];
        for &i in &order {
            if let Some(p) = self.parent[i] {
                let p = p as usize;
                if self.left[p] < self.left[i] {
                    depth[i] = depth[p] + 1;
                }
            }
        }
        order.into_iter().map(|i| (i, depth[i])).collect()
    }

    /// The number of direct children of each span.
    pub fn child_counts(&self) -> Vec<u32> {
        let mut counts = vec![0; self.parent.len()];
        for p in self.parent.iter().flatten() {
            counts[*p as usize] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> SpanId {
        SpanId([n; 8])
    }

    #[test]
    fn numbers_a_tree_depth_first() {
        // 1 ─┬─ 2 ── 4
        //    └─ 3
        let ids = [id(1), id(2), id(3), id(4)];
        let parents = [None, Some(id(1)), Some(id(1)), Some(id(2))];
        let t = TraceTree::build(&ids, &parents);
        assert_eq!(t.parent, [None, Some(0), Some(0), Some(1)]);
        assert_eq!(t.left, [1, 2, 6, 3]);
        assert_eq!(t.right, [8, 5, 7, 4]);
        assert!(t.is_descendant(0, 3));
        assert!(!t.is_descendant(2, 3));
        assert_eq!(t.child_counts(), [2, 1, 0, 0]);
        assert_eq!(t.depth_first(), [(0, 0), (1, 1), (3, 2), (2, 1)]);
    }

    #[test]
    fn missing_parents_and_cycles_still_get_intervals() {
        let ids = [id(1), id(2), id(3), id(4)];
        let parents = [Some(id(9)), Some(id(3)), Some(id(2)), Some(id(4))];
        let t = TraceTree::build(&ids, &parents);
        assert_eq!(t.parent, [None, Some(2), Some(1), None]);
        assert!(t.left.iter().zip(&t.right).all(|(l, r)| *l > 0 && r > l));
    }
}
