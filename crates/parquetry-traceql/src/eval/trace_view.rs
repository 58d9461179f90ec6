//! One trace as queries see it: its spans in start order, its tree, and the trace-level
//! values (root, start, end) that intrinsics such as `rootName` read.

use parquetry_spans::{Span, TraceTree};

/// A trace's spans with their tree.
pub struct TraceView {
    /// The spans, sorted by start time (then span id).
    pub spans: Vec<Span>,
    /// The tree, index for index with `spans`.
    pub tree: TraceTree,
    /// Each span's number of direct children.
    pub child_counts: Vec<u32>,
    /// The spans in nested-set order (by their left number).
    pub by_left: Vec<usize>,

    /// The root span: the first span without a parent id, if one was stored.
    pub root: Option<usize>,
    /// The root span's service, read once (conditions ask for it span after span).
    root_service: Option<String>,
    /// The earliest start, ns.
    pub start: i64,
    /// The latest end, ns.
    pub end: i64,
}

impl TraceView {
    /// The view of one trace's spans (sorted by start, as the store gives them).
    pub fn new(spans: Vec<Span>) -> TraceView {
        let ids: Vec<_> = spans.iter().map(|s| s.span_id).collect();
        let parents: Vec<_> = spans.iter().map(|s| s.parent_span_id).collect();
        let tree = TraceTree::build(&ids, &parents);
        let child_counts = tree.child_counts();
        let mut by_left: Vec<usize> = (0..spans.len()).collect();
        by_left.sort_by_key(|&i| tree.left[i]);

        let root = spans.iter().position(|s| s.parent_span_id.is_none());
        let root_service = root.map(|r| spans[r].service_name());
        let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end).max().unwrap_or(0);
        TraceView {
            spans,
            tree,
            child_counts,
            by_left,
            root,
            root_service,
            start,
            end,
        }
    }

    /// The name of the root span.
    pub fn root_name(&self) -> Option<&str> {
        self.root.map(|r| self.spans[r].name.as_str())
    }

    /// The service of the root span.
    pub fn root_service(&self) -> Option<&str> {
        self.root_service.as_deref()
    }

    /// The latest end minus the earliest start, ns.
    pub fn duration(&self) -> i64 {
        self.end - self.start
    }

    /// The parent of span `i` among the trace's spans.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.tree.parent[i].map(|p| p as usize)
    }
}
