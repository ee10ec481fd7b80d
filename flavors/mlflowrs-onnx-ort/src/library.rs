//! Finding `libonnxruntime` at run time.
//!
//! Order: an explicit path (`--ort-library` / `ORT_DYLIB_PATH`), a library
//! beside the executable (or in `lib/` beside it), then the `onnxruntime`
//! Python package of an active or project-local virtualenv or of `python3`.

use std::path::{Path, PathBuf};

use mlflowrs_env::EnvVars;

use crate::error::OrtError;

const HOW_TO_GET: &str = "mlflowrs needs the ONNX Runtime 1.31 shared library. Get it with \
`pip install onnxruntime==1.31.1` (mlflowrs finds it in an active or ./.venv virtualenv or \
through python3), or download the wheel with `pip download onnxruntime==1.31.1 --no-deps` and \
point ORT_DYLIB_PATH (or --ort-library) at onnxruntime/capi/libonnxruntime.so.1.31.1 inside it, \
or put libonnxruntime.so next to the mlflowrs binary.";

/// `python`: the interpreter whose `onnxruntime` package is tried last
/// (`--python`; default `python3`).
pub fn find(explicit: Option<&Path>, python: Option<&Path>) -> Result<PathBuf, OrtError> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(OrtError::LibraryNotFound(format!(
                "ONNX Runtime library '{}' does not exist. {HOW_TO_GET}",
                path.display()
            )))
        };
    }
    let mut tried = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        for d in [dir.clone(), dir.join("lib")] {
            if let Some(found) = library_in(&d) {
                return Ok(found);
            }
            tried.push(d);
        }
    }
    let mut venvs: Vec<PathBuf> = Vec::new();
    if let Some(v) = std::env::var_os(EnvVars::VIRTUAL_ENV) {
        venvs.push(PathBuf::from(v));
    }
    venvs.push(PathBuf::from(".venv"));
    for venv in venvs {
        for site in site_packages(&venv) {
            let capi = site.join("onnxruntime").join("capi");
            if let Some(found) = library_in(&capi) {
                return Ok(found);
            }
            tried.push(capi);
        }
    }
    if let Some(capi) = python_package_dir(python) {
        if let Some(found) = library_in(&capi) {
            return Ok(found);
        }
        tried.push(capi);
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    Err(OrtError::LibraryNotFound(format!(
        "ONNX Runtime library not found (looked in: {}). {HOW_TO_GET}",
        tried.join(", ")
    )))
}

fn site_packages(venv: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// `libonnxruntime.so` or the newest versioned `libonnxruntime.so.X.Y.Z` in `dir`.
fn library_in(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == "libonnxruntime.so" || n.starts_with("libonnxruntime.so."))
                && p.is_file()
        })
        .collect();
    found.sort();
    found.pop()
}

fn python_package_dir(python: Option<&Path>) -> Option<PathBuf> {
    let python = python.unwrap_or(Path::new("python3"));
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import importlib.util,os;s=importlib.util.find_spec('onnxruntime');\
             print(os.path.join(os.path.dirname(s.origin),'capi') if s else '')",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| PathBuf::from(text))
}
