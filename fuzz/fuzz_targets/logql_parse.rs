//! Feeds arbitrary bytes to the LogQL parser. It must never panic, and whatever parses
//! must print to text that parses back to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use parquetry_logql::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = parse(text) {
        let printed = expr.to_string();
        let again = parse(&printed).expect("printed text parses");
        assert_eq!(again, expr, "{printed}");
    }
});
