//! Which parts of each span a read decodes. A query that looks at a few fields of the
//! spans it reads (a search's conditions, the span metrics' service, name, kind and
//! status) need not read the attribute maps, events and links, which are most of a
//! spans file's bytes; the parts it leaves out come back empty.
//!
//! An attribute wanted by key is read from its promoted column when it has one, and
//! from the map as well when the file does not trust that column to hold every value
//! of the key (see [`crate::schema::UNPROMOTED_METADATA`]). A lookup of the key then
//! finds what it finds in the whole span: the promoted value comes first when decoded,
//! and a trusted column leaves no value of its key in the map.

use crate::promoted::{AttributeScope, PROMOTED, promoted};
use crate::schema::{columns::*, projection, spans_schema};

/// The attributes of one scope a read wants.
#[derive(Clone, Debug, Default, PartialEq)]
struct Keys {
    all: bool,
    some: Vec<String>,
}

/// The parts of each span a read decodes (see the module's documentation). Every read
/// decodes the core: trace and span ids, the parent, start, duration, name, kind,
/// status code and message, and the resource's `service.name`.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanParts {
    whole: bool,
    span: Keys,
    resource: Keys,
    scope: bool,
    events: bool,
    links: bool,
}

/// The columns every read decodes.
const CORE: [&str; 10] = [
    TRACE_ID,
    SPAN_ID,
    PARENT_INDEX,
    PARENT_SPAN_ID,
    START_TIME,
    DURATION_NS,
    NAME,
    KIND,
    STATUS_CODE,
    STATUS_MESSAGE,
];

impl SpanParts {
    /// Every part of every span.
    pub fn whole() -> SpanParts {
        SpanParts {
            whole: true,
            ..SpanParts::core()
        }
    }

    /// The core alone (see [`SpanParts`]).
    pub fn core() -> SpanParts {
        SpanParts {
            whole: false,
            span: Keys::default(),
            resource: Keys {
                all: false,
                some: vec!["service.name".to_string()],
            },
            scope: false,
            events: false,
            links: false,
        }
    }

    /// Also the attribute `key` of `scope`.
    pub fn with_attribute(mut self, scope: AttributeScope, key: &str) -> SpanParts {
        let keys = self.keys_mut(scope);
        if !keys.some.iter().any(|k| k == key) {
            keys.some.push(key.to_string());
        }
        self
    }

    /// Also every attribute of `scope`.
    pub fn with_all_attributes(mut self, scope: AttributeScope) -> SpanParts {
        self.keys_mut(scope).all = true;
        self
    }

    /// Also the instrumentation scope: name, version, attributes and schema URL.
    pub fn with_scope(mut self) -> SpanParts {
        self.scope = true;
        self
    }

    /// Also the events.
    pub fn with_events(mut self) -> SpanParts {
        self.events = true;
        self
    }

    /// Also the links.
    pub fn with_links(mut self) -> SpanParts {
        self.links = true;
        self
    }

    fn keys_mut(&mut self, scope: AttributeScope) -> &mut Keys {
        match scope {
            AttributeScope::Span => &mut self.span,
            AttributeScope::Resource => &mut self.resource,
        }
    }

    /// Whether the columns read depend on which promoted columns a file trusts (an
    /// attribute is wanted by a key that has a promoted column).
    pub fn depends_on_trust(&self) -> bool {
        !self.whole
            && [
                (AttributeScope::Span, &self.span),
                (AttributeScope::Resource, &self.resource),
            ]
            .iter()
            .any(|(scope, keys)| !keys.all && keys.some.iter().any(|k| promoted(*scope, k).is_some()))
    }

    /// The places in [`spans_schema`] of the columns to read from a file that does not
    /// trust the promoted columns `untrusted`, ascending.
    pub fn projection(&self, untrusted: &[String]) -> Vec<usize> {
        if self.whole {
            return (0..spans_schema().fields().len()).collect();
        }
        let mut names: Vec<&str> = CORE.to_vec();
        for (scope, keys, map, dropped) in [
            (
                AttributeScope::Span,
                &self.span,
                ATTRIBUTES,
                DROPPED_ATTRIBUTES_COUNT,
            ),
            (
                AttributeScope::Resource,
                &self.resource,
                RESOURCE_ATTRIBUTES,
                RESOURCE_DROPPED_ATTRIBUTES_COUNT,
            ),
        ] {
            if keys.all {
                names.extend([map, dropped]);
                names.extend(PROMOTED.iter().filter(|p| p.scope == scope).map(|p| p.column));
                continue;
            }
            for key in &keys.some {
                match promoted(scope, key) {
                    Some((_, p)) => {
                        names.push(p.column);
                        if untrusted.iter().any(|u| u == p.column) {
                            names.push(map);
                        }
                    }
                    None => names.push(map),
                }
            }
        }
        if self.scope {
            names.extend([
                SCOPE_NAME,
                SCOPE_VERSION,
                SCOPE_ATTRIBUTES,
                SCOPE_DROPPED_ATTRIBUTES_COUNT,
                SCOPE_SCHEMA_URL,
            ]);
        }
        if self.events {
            names.extend([EVENTS, DROPPED_EVENTS_COUNT]);
        }
        if self.links {
            names.extend([LINKS, DROPPED_LINKS_COUNT]);
        }
        projection(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::column_index;

    fn names(places: &[usize]) -> Vec<String> {
        places
            .iter()
            .map(|&i| spans_schema().field(i).name().clone())
            .collect()
    }

    #[test]
    fn whole_reads_every_column() {
        assert_eq!(
            SpanParts::whole().projection(&[]).len(),
            spans_schema().fields().len()
        );
    }

    #[test]
    fn core_reads_the_service_from_its_column_alone_when_trusted() {
        let core = names(&SpanParts::core().projection(&[]));
        assert!(core.contains(&"service_name".to_string()));
        assert!(!core.contains(&RESOURCE_ATTRIBUTES.to_string()));
        assert!(!core.contains(&ATTRIBUTES.to_string()));
        let untrusted = names(&SpanParts::core().projection(&["service_name".to_string()]));
        assert!(untrusted.contains(&RESOURCE_ATTRIBUTES.to_string()));
    }

    #[test]
    fn an_unpromoted_key_reads_its_map() {
        let parts = SpanParts::core().with_attribute(AttributeScope::Span, "user.id");
        assert!(names(&parts.projection(&[])).contains(&ATTRIBUTES.to_string()));
        let promoted = SpanParts::core().with_attribute(AttributeScope::Span, "db.system");
        let read = names(&promoted.projection(&[]));
        assert!(read.contains(&"db_system".to_string()));
        assert!(!read.contains(&ATTRIBUTES.to_string()));
        assert!(promoted.depends_on_trust());
    }

    #[test]
    fn every_attribute_of_a_scope_reads_its_promoted_columns_and_map() {
        let parts = SpanParts::core().with_all_attributes(AttributeScope::Span);
        let read = parts.projection(&[]);
        for p in PROMOTED.iter().filter(|p| p.scope == AttributeScope::Span) {
            assert!(read.contains(&column_index(p.column)), "{}", p.column);
        }
        assert!(read.contains(&column_index(ATTRIBUTES)));
        assert!(!read.contains(&column_index(EVENTS)));
    }

    #[test]
    fn events_links_and_scope_read_their_columns() {
        let parts = SpanParts::core().with_events().with_links().with_scope();
        let read = names(&parts.projection(&[]));
        for c in [EVENTS, LINKS, SCOPE_NAME, SCOPE_ATTRIBUTES] {
            assert!(read.contains(&c.to_string()), "{c}");
        }
    }
}
