//! Where a project's files come from, as MLflow's `_fetch_project` decides:
//! a local directory (run in place), `uri#subdirectory`, a zip archive, or
//! a git repository fetched shallowly into a temporary directory. A local
//! repository with `-v` is cloned too: MLflow checks the version out in
//! the user's own working copy, mlflowrs never touches it.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ProjectError;
use crate::git;
use crate::log;

/// Downloads a zip archive given by URL (the CLI supplies its HTTP client).
pub trait Downloader {
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// A fetched project.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The directory the command runs in.
    pub work_dir: PathBuf,
    /// The repository whose remotes and branches the run's tags describe
    /// (the user's, for a local repository run at a version).
    pub tag_repo: PathBuf,
}

/// `uri.strip("'\"")`.
pub fn strip_quotes(uri: &str) -> &str {
    uri.trim_matches(|c| c == '\'' || c == '"')
}

/// MLflow's `_parse_subdirectory`.
pub fn parse_subdirectory(uri: &str) -> Result<(String, String), ProjectError> {
    let unquoted = strip_quotes(uri);
    let (parsed, sub) = match unquoted.find('#') {
        Some(i) => (&unquoted[..i], &unquoted[i + 1..]),
        None => (unquoted, ""),
    };
    if sub.contains('.') {
        return Err(ProjectError::execution(
            "'.' is not allowed in project subdirectory paths.",
        ));
    }
    Ok((parsed.to_string(), sub.to_string()))
}

/// MLflow's `_parse_file_uri`: `file://host/path#frag` → `host/path/frag`.
pub fn parse_file_uri(uri: &str) -> String {
    if let Some(rest) = uri.strip_prefix("file://").filter(|r| !r.is_empty()) {
        let (before_frag, frag) = match rest.find('#') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let before_query = before_frag.split('?').next().unwrap_or("");
        let (netloc, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i..]),
            None => (before_query, ""),
        };
        // pathlib.Path(netloc, path, fragment): an absolute part restarts.
        let mut out = PathBuf::from(netloc);
        for part in [path, frag] {
            if !part.is_empty() {
                out = out.join(part);
            }
        }
        return out.to_string_lossy().into_owned();
    }
    uri.to_string()
}

/// MLflow's `_is_local_uri`: the path (or `file://` URI) exists.
pub fn is_local_uri(uri: &str) -> bool {
    let p = parse_file_uri(uri);
    !p.is_empty() && Path::new(&p).exists()
}

fn is_zip_uri(uri: &str) -> bool {
    uri.len() > 4 && uri.ends_with(".zip")
}

/// `tempfile.mkdtemp()`: `tmp` and 8 characters of Python's alphabet, in
/// `parent` or the temporary directory (`TMPDIR`), kept after the run as
/// MLflow keeps it.
pub fn mkdtemp(parent: Option<&Path>) -> Result<PathBuf, ProjectError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let base = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let fail = |e: std::io::Error| {
        ProjectError::uncaught(
            "OSError",
            format!("temporary directory in {}: {e}", base.display()),
        )
    };
    let mut random = std::fs::File::open("/dev/urandom").map_err(fail)?;
    for _ in 0..100 {
        let mut bytes = [0u8; 8];
        random.read_exact(&mut bytes).map_err(fail)?;
        let name: String = bytes
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let dir = base.join(format!("tmp{name}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    Err(fail(std::io::Error::other("no free name")))
}

/// Fetches (or finds) the project and returns where it runs.
pub fn fetch(
    uri: &str,
    version: Option<&str>,
    downloader: &dyn Downloader,
) -> Result<Fetched, ProjectError> {
    let (parsed, sub) = parse_subdirectory(uri)?;
    let zip = is_zip_uri(&parsed);
    let local = is_local_uri(&parsed);
    let mut tag_repo = None;
    let dst = if zip || !local {
        let dst = mkdtemp(None)?;
        log::info(
            log::UTILS,
            &format!("=== Fetching project from {uri} into {} ===", dst.display()),
        );
        if zip {
            let bytes = if local {
                std::fs::read(parse_file_uri(&parsed))
                    .map_err(|e| ProjectError::os(&e, Path::new(&parsed)))?
            } else {
                downloader.get(&parsed).map_err(|e| {
                    ProjectError::execution(format!("Unable to retrieve ZIP file. Reason: {e}"))
                })?
            };
            unzip(&bytes, &dst)?;
        } else {
            fetch_git(&parsed, version, &dst)?;
        }
        dst
    } else {
        let path = PathBuf::from(parse_file_uri(&parsed));
        match version {
            None => path,
            Some(v) => {
                if !git::has_branches(&path) {
                    return Err(ProjectError::execution(
                        "Setting a version is only supported for Git project URIs",
                    ));
                }
                let abs = crate::spec::abspath(&path.to_string_lossy());
                let dst = mkdtemp(None)?;
                fetch_git(&abs, Some(v), &dst)?;
                tag_repo = Some(path);
                dst
            }
        }
    };
    let work = PathBuf::from(crate::spec::abspath(&dst.join(&sub).to_string_lossy()));
    if !work.exists() {
        return Err(ProjectError::execution(format!(
            "Could not find subdirectory {sub} of {}",
            dst.display()
        )));
    }
    Ok(Fetched {
        tag_repo: tag_repo.unwrap_or_else(|| work.clone()),
        work_dir: work,
    })
}

/// MLflow's `_unzip_repo`, with its path-traversal check.
fn unzip(bytes: &[u8], dst: &Path) -> Result<(), ProjectError> {
    let bad = |e: String| ProjectError::uncaught("zipfile.BadZipFile", e);
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        if entry.enclosed_name().is_none() {
            return Err(ProjectError::mlflow(format!(
                "Zip file member {} attempts path traversal",
                String::from_utf8_lossy(entry.name_raw())
            )));
        }
    }
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let Some(rel) = entry.enclosed_name() else {
            continue;
        };
        let target = dst.join(rel);
        let io = |e: std::io::Error| ProjectError::os(&e, &target);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(io)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(io)?;
        std::fs::write(&target, data).map_err(io)?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o777));
        }
    }
    Ok(())
}

/// MLflow's `_fetch_git_repo` into a fresh directory: a depth-1 fetch of
/// the version (or the remote's HEAD branch), checked out, submodules
/// initialised. Credentials come from git's own configuration.
fn fetch_git(uri: &str, version: Option<&str>, dst: &Path) -> Result<(), ProjectError> {
    let git_error = |e: String| ProjectError::uncaught("git.exc.GitCommandError", e);
    git::git(dst, &["init", "-q"]).map_err(git_error)?;
    git::git(dst, &["remote", "add", "origin", uri]).map_err(git_error)?;
    match version {
        Some(v) => {
            // GitPython's command line, so a failure reads as MLflow's.
            let fetched = git::git(
                dst,
                &["fetch", "-v", "--depth=1", "--tags", "--", "origin", v],
            )
            .and_then(|_| git::git(dst, &["checkout", "-q", v]));
            if let Err(e) = fetched {
                return Err(ProjectError::execution(format!(
                    "Unable to checkout version '{v}' of git repo {uri}- please ensure that the version exists in the repo. Error: {e}"
                )));
            }
        }
        None => {
            let shown = git::git(dst, &["remote", "show", "origin"]).map_err(git_error)?;
            let head = shown.lines().find_map(|l| {
                l.trim_start()
                    .strip_prefix("HEAD branch:")
                    .map(|b| b.trim().to_string())
                    .filter(|b| !b.is_empty() && !b.contains(char::is_whitespace))
            });
            let Some(branch) = head else {
                return Err(ProjectError::execution(format!(
                    "Failed to find HEAD branch. Output of `git remote show origin`:\n{shown}"
                )));
            };
            git::git(dst, &["fetch", "-v", "--depth=1", "--", "origin", &branch])
                .map_err(git_error)?;
            log::info(log::UTILS, &format!("Fetched '{branch}' branch"));
            git::git(
                dst,
                &["checkout", "-q", "-b", &branch, &format!("origin/{branch}")],
            )
            .map_err(git_error)?;
        }
    }
    git::git(dst, &["submodule", "update", "--init", "--recursive"]).map_err(git_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdirectories_and_file_uris() {
        assert_eq!(
            parse_subdirectory("'repo#a/b'").unwrap(),
            ("repo".into(), "a/b".into())
        );
        assert!(parse_subdirectory("x#a.b").is_err());
        assert_eq!(parse_file_uri("file:///tmp/x"), "/tmp/x");
        assert_eq!(parse_file_uri("/tmp/x"), "/tmp/x");
    }
}
