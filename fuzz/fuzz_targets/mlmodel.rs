//! The MLmodel reader: YAML, flavors, signatures (every column and tensor
//! spec form, params). It must answer a malformed file with an error.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use mlflowrs::mlmodel::MlModel;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = MlModel::parse(text, Path::new("MLmodel"), PathBuf::from("/nonexistent")) {
        let _ = model.input_schema();
        let _ = model.flavor_names();
        let _ = model.input_example();
    }
});
