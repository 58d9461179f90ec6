//! Promoted attributes: the semantic-convention attributes most queries filter on, each
//! stored in a column of its own instead of the attribute maps (as Tempo's dedicated
//! columns are), so that a filter on one reads only that column.
//!
//! An attribute is promoted only when its value has the column's type (a string, or an
//! integer for the integer columns) and no attribute with its key comes before it; anything
//! else stays in the map, so nothing is lost either way.

use crate::any_value::{AnyValue, Attribute};

/// Whether an attribute belongs to the span or to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeScope {
    /// The span's own attributes.
    Span,
    /// The resource's attributes.
    Resource,
}

/// The type of a promoted column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromotedType {
    /// Strings.
    String,
    /// 64-bit integers.
    Int,
}

/// One promoted attribute.
#[derive(Clone, Copy, Debug)]
pub struct Promoted {
    /// Whose attribute it is.
    pub scope: AttributeScope,
    /// The attribute's key.
    pub key: &'static str,
    /// The column it is stored in.
    pub column: &'static str,
    /// The column's type.
    pub ty: PromotedType,
}

const fn span(key: &'static str, column: &'static str, ty: PromotedType) -> Promoted {
    Promoted {
        scope: AttributeScope::Span,
        key,
        column,
        ty,
    }
}

const fn resource(key: &'static str, column: &'static str) -> Promoted {
    Promoted {
        scope: AttributeScope::Resource,
        key,
        column,
        ty: PromotedType::String,
    }
}

/// Every promoted attribute, in column order. `service.name` comes first.
pub const PROMOTED: [Promoted; 21] = [
    resource("service.name", "service_name"),
    resource("deployment.environment", "deployment_environment"),
    resource("k8s.cluster.name", "k8s_cluster_name"),
    resource("k8s.namespace.name", "k8s_namespace_name"),
    resource("k8s.deployment.name", "k8s_deployment_name"),
    resource("k8s.pod.name", "k8s_pod_name"),
    resource("k8s.container.name", "k8s_container_name"),
    resource("k8s.node.name", "k8s_node_name"),
    span("http.request.method", "http_request_method", PromotedType::String),
    span("http.route", "http_route", PromotedType::String),
    span(
        "http.response.status_code",
        "http_response_status_code",
        PromotedType::Int,
    ),
    span("db.system", "db_system", PromotedType::String),
    span("db.statement", "db_statement", PromotedType::String),
    span("db.query.text", "db_query_text", PromotedType::String),
    span("rpc.system", "rpc_system", PromotedType::String),
    span("rpc.service", "rpc_service", PromotedType::String),
    span("rpc.method", "rpc_method", PromotedType::String),
    span("rpc.grpc.status_code", "rpc_grpc_status_code", PromotedType::Int),
    span("messaging.system", "messaging_system", PromotedType::String),
    span("messaging.operation", "messaging_operation", PromotedType::String),
    span(
        "messaging.destination.name",
        "messaging_destination_name",
        PromotedType::String,
    ),
];

/// The promoted attribute with this scope and key, with its place in [`PROMOTED`].
pub fn promoted(scope: AttributeScope, key: &str) -> Option<(usize, &'static Promoted)> {
    PROMOTED
        .iter()
        .enumerate()
        .find(|(_, p)| p.scope == scope && p.key == key)
}

/// Splits `attributes` of `scope` into the values of the promoted columns (indexed as
/// [`PROMOTED`]; `None` where absent) and the attributes that stay in the map. Where the
/// first attribute with a promoted key does not have the column's type (so that a reader
/// looking up the key finds it in the map, not in the column), `unfit` is set for it.
pub fn split<'a>(
    scope: AttributeScope,
    attributes: &'a [Attribute],
    values: &mut [Option<&'a AnyValue>; PROMOTED.len()],
    unfit: &mut [bool; PROMOTED.len()],
) -> Vec<&'a Attribute> {
    let mut rest = Vec::with_capacity(attributes.len());
    let mut seen = [false; PROMOTED.len()];
    for a in attributes {
        match promoted(scope, &a.key) {
            Some((i, p)) if !seen[i] => {
                seen[i] = true;
                if fits(p.ty, &a.value) {
                    values[i] = Some(&a.value);
                } else {
                    unfit[i] = true;
                    rest.push(a);
                }
            }
            _ => rest.push(a),
        }
    }
    rest
}

fn fits(ty: PromotedType, value: &AnyValue) -> bool {
    matches!(
        (ty, value),
        (PromotedType::String, AnyValue::String(_)) | (PromotedType::Int, AnyValue::Int(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_first_attribute_of_the_right_type_is_promoted() {
        let attrs = vec![
            Attribute::new("http.response.status_code", AnyValue::String("200".into())),
            Attribute::new("http.response.status_code", AnyValue::Int(200)),
            Attribute::new("http.route", AnyValue::String("/a".into())),
            Attribute::new("http.route", AnyValue::String("/b".into())),
            Attribute::new("other", AnyValue::Int(1)),
        ];
        let mut values = [None; PROMOTED.len()];
        let mut unfit = [false; PROMOTED.len()];
        let rest = split(AttributeScope::Span, &attrs, &mut values, &mut unfit);
        let (route, _) = promoted(AttributeScope::Span, "http.route").unwrap();
        assert_eq!(values[route], Some(&AnyValue::String("/a".into())));
        let (status, _) = promoted(AttributeScope::Span, "http.response.status_code").unwrap();
        assert_eq!(values[status], None);
        assert!(
            unfit[status] && !unfit[route],
            "only the string status code misfits"
        );
        let kept: Vec<&str> = rest.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            kept,
            [
                "http.response.status_code",
                "http.response.status_code",
                "http.route",
                "other"
            ]
        );
        assert!(promoted(AttributeScope::Span, "service.name").is_none());
    }
}
