//! How deep a recursive-descent parser has gone: input nested beyond [`MAX_DEPTH`] is
//! refused with an error, and deep recursion continues on heap-allocated stack segments,
//! so that no query overflows the thread's stack. PromQL's, LogQL's and TraceQL's
//! parsers share it.

use super::error::{PResult, fail};
use std::cell::Cell;

/// Deepest tree accepted (parentheses, calls and chains of binary operators all count);
/// deeper input is refused with an error, so that checking, printing and dropping a tree
/// stay well within any thread's stack.
pub const MAX_DEPTH: usize = 1000;

/// Stack that must remain before descending one more level; below it, recursion continues
/// on a fresh heap-allocated stack segment, so nesting never overflows the thread's stack.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// The current nesting depth of one parse.
#[derive(Debug, Default)]
pub struct Nesting {
    depth: Cell<usize>,
}

impl Nesting {
    /// How many levels deep the parse is now.
    pub fn depth(&self) -> usize {
        self.depth.get()
    }

    /// Runs `f` one nesting level deeper, refusing input (at `at`) nested beyond
    /// [`MAX_DEPTH`].
    pub fn nested<'a, T>(&self, at: &'a str, f: impl FnOnce() -> PResult<'a, T>) -> PResult<'a, T> {
        let d = self.depth.get() + 1;
        if d > MAX_DEPTH {
            return fail(at, format!("expression nested more than {MAX_DEPTH} levels deep"));
        }
        self.depth.set(d);
        let r = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, f);
        self.depth.set(d - 1);
        r
    }
}
