//! Model URI parsing (`models:/`, `runs:/`, `mlflow-artifacts:/`, `s3://`,
//! `file:`, paths) and the helpers that build artifact paths from them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlflowrs::resolve::uri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = uri::scheme(text);
    let _ = uri::local_path(text);
    let _ = uri::parse(text);
    let mid = text.len() / 2;
    if text.is_char_boundary(mid) {
        let (base, sub) = text.split_at(mid);
        let _ = uri::join(base, sub);
    }
    let _ = uri::canonical_stage(text);
});
