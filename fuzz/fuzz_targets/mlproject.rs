//! The MLproject reader (YAML 1.1 as PyYAML resolves it, entry points,
//! parameters) and what `mlflowrs run` does with it before running
//! anything: the entry point, its parameters, the command template filled
//! and split as the Kubernetes backend splits it. Malformed input must be an
//! error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mlflowrs_projects::{kubernetes, spec, template};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(project) = spec::parse_project(text, Path::new("/nonexistent")) else {
        return;
    };
    let user = vec![("alpha".to_string(), "a b'c".to_string())];
    for name in ["main", "train.py", "x"] {
        if let Ok(ep) = project.entry_point(name) {
            if let Ok(params) = ep.compute_parameters(&user, None) {
                if let Some(mlflowrs_projects::PyValue::Str(cmd)) = &ep.command {
                    if let Ok(filled) = template::format(cmd, &params.declared) {
                        let _ = kubernetes::shell_split(&filled);
                    }
                }
            }
        }
    }
});
