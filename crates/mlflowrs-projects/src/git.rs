//! What `mlflow run` learns from git, through the `git` command as
//! GitPython asks it: the commit, the first remote's URL (credentials
//! stripped), branch names, and the `file://<worktree>#<subdir>` source
//! name of a local project inside a repository.

use std::path::Path;
use std::process::{Command, Stdio};

/// `git ARGS` in `dir`; its stdout when it succeeds.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        // GitPython keeps git's messages, not its progress lines.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let progress = [
            "Looking up ",
            "Connecting to ",
            "From ",
            " * ",
            "POST ",
            "remote: ",
        ];
        let shown = stderr
            .trim_end()
            .lines()
            .filter(|l| !progress.iter().any(|p| l.starts_with(p)))
            .collect::<Vec<_>>()
            .join("\n");
        Err(format!(
            "Cmd('git') failed due to: exit code({})\n  cmdline: git {}\n  stderr: '{shown}'",
            out.status.code().unwrap_or(-1),
            args.join(" "),
        ))
    }
}

/// A directory to ask git about: the path, or its parent for a file.
fn dir_of(path: &Path) -> &Path {
    if path.is_file() {
        path.parent().unwrap_or(path)
    } else {
        path
    }
}

/// The working tree that contains `path`, searching parents.
pub fn worktree(path: &Path) -> Option<String> {
    git(dir_of(path), &["rev-parse", "--show-toplevel"]).ok()
}

/// MLflow's `get_git_commit`: HEAD of the repository containing `path`,
/// unless git ignores `path`.
pub fn commit(path: &Path) -> Option<String> {
    let dir = dir_of(path);
    worktree(dir)?;
    if git(dir, &["check-ignore", "-q", &dir.to_string_lossy()]).is_ok() {
        return None;
    }
    git(dir, &["rev-parse", "HEAD"]).ok()
}

/// MLflow's `get_git_repo_url`: the first remote's URL, credentials stripped.
pub fn repo_url(path: &Path) -> Option<String> {
    let dir = dir_of(path);
    worktree(dir)?;
    let first = first_remote(dir)?;
    let url = git(dir, &["config", "--get", &format!("remote.{first}.url")]).ok()?;
    Some(strip_credentials(&url))
}

/// The first `[remote "..."]` section of the repository's config.
pub fn first_remote(dir: &Path) -> Option<String> {
    let listed = git(dir, &["config", "--get-regexp", r"^remote\..*\.url$"]).ok()?;
    listed.lines().next().and_then(|l| {
        let key = l.split_whitespace().next()?;
        let name = key.strip_prefix("remote.")?.strip_suffix(".url")?;
        Some(name.to_string())
    })
}

/// MLflow's `_strip_credentials_from_url`: `https://user:pw@host/x` loses
/// its userinfo; scp-like `git@host:x` has no scheme and is kept.
pub fn strip_credentials(url: &str) -> String {
    let scheme = crate::spec::url_scheme(url);
    if scheme.is_empty() {
        return url.to_string();
    }
    let rest = &url[scheme.len() + 1..];
    let Some(after) = rest.strip_prefix("//") else {
        return url.to_string();
    };
    let netloc_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (netloc, tail) = after.split_at(netloc_end);
    match netloc.rfind('@') {
        Some(i) => format!("{scheme}://{}{tail}", &netloc[i + 1..]),
        None => url.to_string(),
    }
}

/// `refs/heads/<version>` exists in the repository holding `dir`.
pub fn is_branch(dir: &Path, version: &str) -> bool {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/heads/{version}"),
        ],
    )
    .is_ok()
}

/// MLflow's `_is_git_repo`: a repository with at least one branch.
pub fn has_branches(dir: &Path) -> bool {
    git(dir, &["rev-parse", "--git-dir"]).is_ok()
        && git(dir, &["branch", "--list"]).is_ok_and(|b| !b.trim().is_empty())
}

/// MLflow's `_get_git_url_if_present` on an absolute path.
pub fn url_if_present(abs: &str) -> String {
    if abs.contains('#') {
        return abs.to_string();
    }
    let Some(tree) = worktree(Path::new(abs)) else {
        return abs.to_string();
    };
    let rel = abs.replace(&tree, "");
    let url = format!("file://{tree}");
    if rel.is_empty() {
        url
    } else if let Some(r) = rel.strip_prefix('/') {
        format!("{url}#{r}")
    } else {
        format!("{url}#{rel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped_from_scheme_urls_only() {
        assert_eq!(
            strip_credentials("https://u:p@example.com/x.git"),
            "https://example.com/x.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(strip_credentials("file:///tmp/r.git"), "file:///tmp/r.git");
    }
}
