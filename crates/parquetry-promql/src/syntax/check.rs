//! The static type checks Prometheus applies after parsing.

use super::ast::*;
use super::error::ParseError;

/// Checks that every operator, function and aggregation gets operands of the types it
/// accepts. The error points at the offending operand.
pub fn check(e: &Expr, src: &str) -> Result<(), ParseError> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || check_node(e, src))
}

fn check_node(e: &Expr, src: &str) -> Result<(), ParseError> {
    let err = |span: Span, msg: String| Err(ParseError::at(src, span.start, msg));
    match e {
        Expr::Number { .. } | Expr::String { .. } | Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {
            Ok(())
        }
        Expr::Paren { expr, .. } => check(expr, src),
        Expr::Unary { expr, span, .. } => {
            check(expr, src)?;
            let t = expr.value_type();
            if !matches!(t, ValueType::Scalar | ValueType::Vector) {
                return err(
                    *span,
                    format!(
                        "unary expression only allowed on expressions of type scalar or instant vector, got {t:?}"
                    ),
                );
            }
            Ok(())
        }
        Expr::Binary(b) => {
            check(&b.lhs, src)?;
            check(&b.rhs, src)?;
            let (lt, rt) = (b.lhs.value_type(), b.rhs.value_type());
            for (side, t) in [(&b.lhs, lt), (&b.rhs, rt)] {
                if !matches!(t, ValueType::Scalar | ValueType::Vector) {
                    return err(
                        side.span(),
                        "binary expression must contain only scalar and instant vector types".into(),
                    );
                }
            }
            if b.op.is_comparison() && lt == ValueType::Scalar && rt == ValueType::Scalar && !b.return_bool {
                return err(
                    b.span,
                    "comparisons between scalars must use BOOL modifier".into(),
                );
            }
            if b.op.is_set_operator() && (lt == ValueType::Scalar || rt == ValueType::Scalar) {
                return err(
                    b.span,
                    format!(
                        "set operator {:?} not allowed in binary scalar expression",
                        b.op.as_str()
                    ),
                );
            }
            let m = &b.matching;
            let matching_given = m.on
                || !m.labels.is_empty()
                || matches!(m.card, Cardinality::ManyToOne | Cardinality::OneToMany);
            if (lt != ValueType::Vector || rt != ValueType::Vector) && matching_given {
                return err(
                    b.span,
                    "vector matching only allowed between instant vectors".into(),
                );
            }
            Ok(())
        }
        Expr::Aggregate(a) => {
            check(&a.expr, src)?;
            let t = a.expr.value_type();
            if t != ValueType::Vector {
                return err(
                    a.expr.span(),
                    format!("expected type instant vector in aggregation expression, got {t}"),
                );
            }
            if let (Some(p), Some(want)) = (&a.param, a.op.param_type()) {
                check(p, src)?;
                let got = p.value_type();
                if got != want {
                    return err(
                        p.span(),
                        format!("expected type {want} in aggregation parameter, got {got}"),
                    );
                }
            }
            Ok(())
        }
        Expr::Call(c) => {
            for (i, arg) in c.args.iter().enumerate() {
                check(arg, src)?;
                let (want, got) = (c.func.arg_type(i), arg.value_type());
                if want != got {
                    return err(
                        arg.span(),
                        format!(
                            "expected type {want} in call to function {:?}, got {got}",
                            c.func.name
                        ),
                    );
                }
            }
            Ok(())
        }
        Expr::Subquery(s) => {
            check(&s.expr, src)?;
            let t = s.expr.value_type();
            if t != ValueType::Vector {
                return err(
                    s.span,
                    format!("subquery is only allowed on instant vector, got {t}"),
                );
            }
            Ok(())
        }
    }
}
