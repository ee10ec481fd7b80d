//! The UI's files, from a directory or from inside the `mlflow` wheel.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;

use crate::UiError;

/// Where the build lives inside the `mlflow` package.
const BUILD_IN_PACKAGE: &str = "server/js/build";

/// MLflow's prebuilt UI: `index.html` and the files Flask serves under
/// `/static-files/`, named by their path inside the build directory.
pub struct Bundle {
    files: Files,
    path: PathBuf,
    version: Option<String>,
}

enum Files {
    Directory(PathBuf),
    Wheel(Wheel),
}

/// A wheel read in place: the archive's entries by their path inside the
/// build, each inflated once, on first use (a page loads a few of its 400).
struct Wheel {
    archive: Mutex<zip::ZipArchive<File>>,
    entries: HashMap<String, usize>,
    inflated: Mutex<HashMap<usize, Bytes>>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("path", &self.path)
            .field("version", &self.version)
            .finish()
    }
}

impl Bundle {
    /// A wheel file, an `mlflow` package directory, or the build directory
    /// itself (the one holding `index.html`).
    pub fn open(path: &Path) -> Result<Bundle, UiError> {
        let meta = std::fs::metadata(path).map_err(|source| UiError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.is_dir() {
            Self::open_directory(path)
        } else {
            Self::open_wheel(path)
        }
    }

    fn open_directory(path: &Path) -> Result<Bundle, UiError> {
        let build = [path.to_path_buf(), path.join(BUILD_IN_PACKAGE)]
            .into_iter()
            .find(|d| d.join("index.html").is_file())
            .ok_or_else(|| UiError::NoBundle(path.to_path_buf()))?;
        // mlflow/server/js/build -> mlflow/version.py, when the build is
        // inside an mlflow package.
        let in_package = build.ends_with(BUILD_IN_PACKAGE)
            && build
                .ancestors()
                .nth(3)
                .is_some_and(|p| p.ends_with("mlflow"));
        let version = in_package
            .then(|| build.ancestors().nth(3))
            .flatten()
            .and_then(|package| std::fs::read_to_string(package.join("version.py")).ok())
            .and_then(|text| version_of(&text));
        Ok(Bundle {
            files: Files::Directory(build.clone()),
            path: build,
            version,
        })
    }

    fn open_wheel(path: &Path) -> Result<Bundle, UiError> {
        let file = File::open(path).map_err(|source| UiError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let zip_error = |source| UiError::Zip {
            path: path.to_path_buf(),
            source,
        };
        let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
        let prefix = format!("mlflow/{BUILD_IN_PACKAGE}/");
        let mut entries = HashMap::new();
        let mut version_entry = None;
        for index in 0..archive.len() {
            let Some(Ok(name)) = archive
                .name_for_index(index)
                .map(|n| n.map(|n| n.into_owned()))
            else {
                continue;
            };
            if name == "mlflow/version.py" {
                version_entry = Some(index);
            }
            if let Some(rel) = name.strip_prefix(&prefix) {
                if !rel.is_empty() && !rel.ends_with('/') {
                    entries.insert(rel.to_string(), index);
                }
            }
        }
        if !entries.contains_key("index.html") {
            return Err(UiError::NoBundle(path.to_path_buf()));
        }
        let version = version_entry
            .and_then(|index| inflate(&mut archive, index))
            .and_then(|text| version_of(&String::from_utf8_lossy(&text)));
        Ok(Bundle {
            files: Files::Wheel(Wheel {
                archive: Mutex::new(archive),
                entries,
                inflated: Mutex::new(HashMap::new()),
            }),
            path: path.to_path_buf(),
            version,
        })
    }

    /// The directory or wheel the files come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The MLflow release the bundle belongs to, when it says.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// A file by its path inside the build (`index.html`,
    /// `static/js/main.c2f5f8d4.js`): `None` when there is none, or when the
    /// path would leave the build (`..`, absolute, backslashes), as
    /// werkzeug's `safe_join` refuses them.
    pub fn file(&self, rel: &str) -> Option<Bytes> {
        let rel = &normalized(rel)?;
        match &self.files {
            Files::Directory(root) => {
                let path = root.join(rel);
                // A symlink inside the build must not lead out of it.
                let real = path.canonicalize().ok()?;
                if !real.starts_with(root.canonicalize().ok()?) || !real.is_file() {
                    return None;
                }
                std::fs::read(real).ok().map(Bytes::from)
            }
            Files::Wheel(wheel) => {
                let index = *wheel.entries.get(rel)?;
                if let Some(found) = lock(&wheel.inflated).get(&index) {
                    return Some(found.clone());
                }
                let data = Bytes::from(inflate(&mut lock(&wheel.archive), index)?);
                lock(&wheel.inflated).insert(index, data.clone());
                Some(data)
            }
        }
    }
}

/// A lock whose holder panicked still guards sound data here (a map that
/// only grows, an archive reader that reopens each entry).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The UI's largest file is under 5 MB; an entry that inflates past this
/// is not MLflow's UI, whatever its header claims.
const MAX_ENTRY_BYTES: u64 = 64 << 20;

fn inflate(archive: &mut zip::ZipArchive<File>, index: usize) -> Option<Vec<u8>> {
    let entry = archive.by_index(index).ok()?;
    let mut data = Vec::with_capacity(entry.size().min(MAX_ENTRY_BYTES) as usize);
    entry
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut data)
        .ok()?;
    (data.len() as u64 <= MAX_ENTRY_BYTES).then_some(data)
}

/// `posixpath.normpath` of a path inside the build, or `None` where
/// werkzeug's `safe_join` refuses it: absolute, leaving the build,
/// backslashes, NUL.
fn normalized(rel: &str) -> Option<String> {
    if rel.is_empty() || rel.starts_with('/') || rel.contains(['\\', '\0']) {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `VERSION = "3.17.2"` in mlflow/version.py.
fn version_of(version_py: &str) -> Option<String> {
    version_py.lines().find_map(|line| {
        let value = line
            .strip_prefix("VERSION")?
            .trim_start()
            .strip_prefix('=')?;
        Some(
            value
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn wheel(dir: &Path, files: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("mlflow-0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn a_wheel_is_read_in_place_and_names_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel(
            dir.path(),
            &[
                ("mlflow/version.py", b"# c\nVERSION = \"3.17.2\"\n"),
                ("mlflow/server/js/build/index.html", b"<html>"),
                ("mlflow/server/js/build/static/js/a.js", b"let a;"),
                ("mlflow/server/handlers.py", b"secret"),
            ],
        );
        let bundle = Bundle::open(&path).unwrap();
        assert_eq!(bundle.version(), Some("3.17.2"));
        assert_eq!(bundle.file("static/js/a.js").unwrap(), "let a;");
        assert_eq!(bundle.file("static/js/a.js").unwrap(), "let a;");
        assert!(bundle.file("../handlers.py").is_none());
        assert!(bundle.file("static/../../handlers.py").is_none());
        assert_eq!(bundle.file("static/js/../../index.html").unwrap(), "<html>");
        assert!(bundle.file("/index.html").is_none());
        assert!(bundle.file("nope.js").is_none());
    }

    #[test]
    fn a_wheel_without_the_ui_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = wheel(dir.path(), &[("mlflow/version.py", b"VERSION = '1'")]);
        assert!(matches!(Bundle::open(&path), Err(UiError::NoBundle(_))));
        let text = dir.path().join("not-a-wheel.whl");
        std::fs::write(&text, "hello").unwrap();
        assert!(matches!(Bundle::open(&text), Err(UiError::Zip { .. })));
    }

    #[test]
    fn a_directory_is_the_build_or_the_package_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("mlflow");
        let build = package.join(BUILD_IN_PACKAGE);
        std::fs::create_dir_all(build.join("static")).unwrap();
        std::fs::write(build.join("index.html"), "<html>").unwrap();
        std::fs::write(build.join("static/x.css"), "a{}").unwrap();
        std::fs::write(package.join("version.py"), "VERSION = \"3.17.2\"\n").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "no").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), build.join("link.txt")).unwrap();
        for path in [&package, &build] {
            let bundle = Bundle::open(path).unwrap();
            assert_eq!(bundle.version(), Some("3.17.2"));
            assert_eq!(bundle.file("static/x.css").unwrap(), "a{}");
            assert!(bundle.file("../../../../outside.txt").is_none());
            assert!(bundle.file("link.txt").is_none());
            assert!(bundle.file("static").is_none());
        }
        assert!(matches!(
            Bundle::open(dir.path()),
            Err(UiError::NoBundle(_))
        ));
    }
}
