//! Python-compatible JSON (NaN, Infinity, big integers, nesting limit):
//! whatever parses must write back to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlflowrs_protocol::pyjson;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = pyjson::parse(data) {
        let text = pyjson::to_string(&value);
        let again = pyjson::parse(text.as_bytes()).expect("written JSON parses");
        assert!(same(&value, &again), "round trip changed {text}");
    }
});

/// Equality where NaN equals NaN.
fn same(a: &pyjson::Json, b: &pyjson::Json) -> bool {
    use pyjson::Json;
    match (a, b) {
        (Json::Float(x), Json::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Json::List(x), Json::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Dict(x), Json::Dict(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, p), (l, q))| k == l && same(p, q))
        }
        _ => a == b,
    }
}
