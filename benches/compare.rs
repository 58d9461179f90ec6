//! Comparing answers of two engines the way the PromQL compliance tester does: identical
//! label sets and timestamps, values within a relative 1e-5, NaN equal to NaN.

use parquetry_model::Labels;

/// A matrix as compared: series sorted by labels, points `(ms, value)`.
pub type Matrix = Vec<(Labels, Vec<(i64, f64)>)>;

/// True when two values agree within the tester's tolerance.
pub fn equal(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-5 * a.abs().min(b.abs())
}

/// The first difference between the reference and the result, if any.
pub fn diff(reference: &Matrix, got: &Matrix) -> Option<String> {
    for (l, _) in reference {
        if !got.iter().any(|(g, _)| g == l) {
            return Some(format!("missing series {l}"));
        }
    }
    for (l, _) in got {
        if !reference.iter().any(|(r, _)| r == l) {
            return Some(format!("extra series {l}"));
        }
    }
    for ((l, want), (_, have)) in reference.iter().zip(got) {
        if want.len() != have.len() {
            return Some(format!(
                "{l}: {} points expected, {} found",
                want.len(),
                have.len()
            ));
        }
        for (w, h) in want.iter().zip(have) {
            if w.0 != h.0 || !equal(w.1, h.1) {
                return Some(format!(
                    "{l}: first difference at {}: expected {:?}, got {:?}",
                    w.0, w, h
                ));
            }
        }
    }
    None
}
