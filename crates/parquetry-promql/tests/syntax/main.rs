//! The parser against the corpora and printed back, in one test binary.

mod parse_corpus;
mod roundtrip_proptest;
