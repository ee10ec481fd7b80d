//! The entry point's command: `bash -c COMMAND` in the project directory
//! with the run's variables added to mlflowrs's own environment, its
//! stdout and stderr the terminal's (so a pipeline's stdout is exactly
//! the child's). Ctrl-C stops it with SIGTERM, as MLflow does.

use std::path::Path;

use mlflowrs_projects::ProjectError;

/// How the command ended, as `_wait_for` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    Failure,
    Interrupted,
}

pub struct Spawned {
    child: tokio::process::Child,
}

pub fn spawn(command: &str, cwd: &Path, env: &[(String, String)]) -> Result<Spawned, ProjectError> {
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .spawn()
        .map_err(|e| ProjectError::uncaught("FileNotFoundError", format!("bash: {e}")))?;
    Ok(Spawned { child })
}

impl Spawned {
    pub async fn wait(mut self) -> Exit {
        tokio::select! {
            status = self.child.wait() => match status {
                Ok(s) if s.success() => Exit::Success,
                _ => Exit::Failure,
            },
            _ = tokio::signal::ctrl_c() => {
                if let Some(pid) = self.child.id() {
                    // SAFETY: kill(2) on our own child's pid has no memory effects.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                }
                let _ = self.child.wait().await;
                Exit::Interrupted
            }
        }
    }
}
