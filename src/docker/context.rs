//! The build context of a model image, written to a directory: a
//! Dockerfile, `rootfs/` (copied to `/` in the image) and `model/`.
//!
//! Native flavors get an image `FROM scratch`: the mlflowrs binary, the
//! shared libraries it (and, for ONNX models, ONNX Runtime) loads (from
//! `ldd`), a non-root user and the model (no CA bundle: the model is local
//! and the server opens no TLS connection). scikit-learn,
//! XGBoost and LightGBM models that mlflowrs evaluates itself need no more.
//! Python models get the binary and the model's requirements (installed
//! here, with pip, for the base image's Python) on a Python base image.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::DockerError;
use crate::mlmodel::MlModel;

pub const MODEL_PATH: &str = "/opt/ml/model";
const BIN_PATH: &str = "/usr/local/bin/mlflowrs";
const ORT_DIR: &str = "/opt/mlflowrs/lib";
const PYTHON_DEPS: &str = "/opt/mlflowrs/python";
/// The user the server runs as (not root), as the template's `USER` names it:
/// base images differ in their users, and a numeric id needs none.
const UID: u32 = 10001;

/// What goes into the image besides the model.
#[derive(Debug, Clone)]
pub struct ContextOptions {
    pub model_dir: PathBuf,
    /// The URI the user gave (an image label).
    pub model_uri: String,
    pub model_version: Option<String>,
    /// The image to start from; `None`: scratch for native flavors,
    /// `python:<version>-slim` for Python models.
    pub base_image: Option<String>,
    pub ort_library: Option<PathBuf>,
    /// The Python (with pip) that installs a Python model's requirements.
    pub python: Option<PathBuf>,
    /// What serves an ONNX model in the image (`--onnx-backend`).
    pub onnx_backend: ImageOnnxBackend,
}

/// What serves ONNX models in an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageOnnxBackend {
    /// ONNX Runtime, its library copied into the image.
    Ort,
    /// tract: no ONNX Runtime in the image (the building mlflowrs needs
    /// cargo feature `tract`).
    Tract,
}

impl ImageOnnxBackend {
    /// The image binary built beside `mlflowrs` for this backend.
    fn binary_name(self) -> &'static str {
        match self {
            ImageOnnxBackend::Ort => "mlflowrs-image-ort",
            ImageOnnxBackend::Tract => "mlflowrs-image-tract",
        }
    }
}

/// The binary the image runs: `mlflowrs-image-ort` or `-tract`, built
/// beside this one (crates/mlflowrs-image), which carry only what the image
/// serves; this binary, with a warning, when it is missing.
fn image_binary(backend: ImageOnnxBackend) -> Result<PathBuf, DockerError> {
    let exe = std::env::current_exe()
        .map_err(|e| DockerError::Context(format!("finding the mlflowrs binary: {e}")))?;
    let slim = exe.with_file_name(backend.binary_name());
    if slim.is_file() {
        return Ok(slim);
    }
    if backend == ImageOnnxBackend::Tract && !cfg!(feature = "tract") {
        return Err(DockerError::Context(format!(
            "--onnx-backend tract: {} is not beside {} and this mlflowrs has no tract (build with --features tract)",
            backend.binary_name(),
            exe.display()
        )));
    }
    tracing::warn!(
        missing = %slim.display(),
        "the image gets this whole mlflowrs binary: build the image binaries beside it with scripts/build-image-binaries.sh --release"
    );
    Ok(exe)
}

/// What was written.
#[derive(Debug, Clone)]
pub struct ContextInfo {
    pub flavor: &'static str,
    pub base_image: String,
}

pub fn write(opts: &ContextOptions, out: &Path) -> Result<ContextInfo, DockerError> {
    let mlmodel = MlModel::load(&opts.model_dir).map_err(|e| DockerError::Model(e.to_string()))?;
    let io = |what: &str, e: std::io::Error| DockerError::Context(format!("{what}: {e}"));
    std::fs::create_dir_all(out).map_err(|e| io(&out.display().to_string(), e))?;
    let rootfs = out.join("rootfs");
    if rootfs.exists() {
        std::fs::remove_dir_all(&rootfs).map_err(|e| io("clearing rootfs", e))?;
    }
    copy_dir(&opts.model_dir, &out.join("model"))?;
    let exe = image_binary(opts.onnx_backend)?;
    place(&exe, &rootfs, BIN_PATH)?;
    let native = if mlmodel.flavor("onnx").is_some() {
        Some("onnx")
    } else {
        native_tabular(&mlmodel)
    };
    let info = if let Some(flavor) = native {
        // No CA bundle: the image binary serves a local model directory and
        // opens no TLS connection.
        let mut env = vec!["HOME=/tmp".to_string()];
        let mut elf_files = vec![exe.clone()];
        if flavor == "onnx" && opts.onnx_backend == ImageOnnxBackend::Tract {
            env.insert(
                0,
                format!("{}=tract", mlflowrs_env::EnvVars::MLFLOWRS_ONNX_BACKEND),
            );
        } else if flavor == "onnx" {
            let ort = mlflowrs_onnx_ort::library::find(
                opts.ort_library.as_deref(),
                opts.python.as_deref(),
            )
            .map_err(|e| DockerError::Context(e.to_string()))?;
            let ort_name = ort
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "libonnxruntime.so".into());
            place(&ort, &rootfs, &format!("{ORT_DIR}/{ort_name}"))?;
            env.insert(0, format!("ORT_DYLIB_PATH={ORT_DIR}/{ort_name}"));
            elf_files.push(ort);
        }
        let elf_refs: Vec<&Path> = elf_files.iter().map(PathBuf::as_path).collect();
        for lib in needed_libraries(&elf_refs)? {
            let at = lib.to_string_lossy().into_owned();
            place(&lib, &rootfs, &at)?;
        }
        write_file(
            &rootfs.join("etc/passwd"),
            &format!("root:x:0:0:root:/root:/sbin/nologin\nmlflowrs:x:{UID}:{UID}:mlflowrs:/tmp:/sbin/nologin\n"),
        )?;
        write_file(
            &rootfs.join("etc/group"),
            &format!("root:x:0:\nmlflowrs:x:{UID}:\n"),
        )?;
        let tmp = rootfs.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| io("tmp", e))?;
        set_mode(&tmp, 0o1777)?;
        let base = opts.base_image.clone().unwrap_or_else(|| "scratch".into());
        write_file(
            &out.join("Dockerfile"),
            &dockerfile(&base, &env, opts, flavor),
        )?;
        ContextInfo {
            flavor,
            base_image: base,
        }
    } else if mlmodel.flavor("python_function").is_some() {
        let base = opts
            .base_image
            .clone()
            .unwrap_or_else(|| default_python_base(&opts.model_dir));
        install_requirements(opts, &rootfs.join(PYTHON_DEPS.trim_start_matches('/')))?;
        write_file(
            &out.join("Dockerfile"),
            &dockerfile(
                &base,
                &[
                    format!("PYTHONPATH={PYTHON_DEPS}"),
                    "MLFLOWRS_ENV_MANAGER=local".into(),
                    "HOME=/tmp".into(),
                ],
                opts,
                "python_function",
            ),
        )?;
        ContextInfo {
            flavor: "python_function",
            base_image: base,
        }
    } else {
        return Err(DockerError::Model(format!(
            "the model has no flavor mlflowrs can serve (its flavors: {})",
            mlmodel.flavor_names().join(", ")
        )));
    };
    Ok(info)
}

/// The Dockerfile both kinds of model image use; its `{{...}}` holes are
/// the base image, the environment and the labels.
const TEMPLATE: &str = include_str!("../../docker/model.Dockerfile");

fn dockerfile(base: &str, env: &[String], opts: &ContextOptions, flavor: &str) -> String {
    let quoted = |v: &str| serde_json::Value::from(v).to_string();
    let labels = [
        ("org.mlflowrs.model-uri", opts.model_uri.as_str()),
        (
            "org.mlflowrs.model-version",
            opts.model_version.as_deref().unwrap_or(""),
        ),
        ("org.mlflowrs.flavor", flavor),
        ("org.mlflowrs.version", env!("CARGO_PKG_VERSION")),
    ];
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", quoted(v)))
        .collect();
    TEMPLATE
        .replace("{{base}}", base)
        .replace("{{env}}", &env.join(" "))
        .replace("{{labels}}", &labels.join(" \\\n      "))
}

/// The tabular flavor (`sklearn`, `xgboost`, `lightgbm`) when mlflowrs
/// evaluates this model itself, so its image needs no Python. Loading it is
/// the only sure test; what fails to load natively gets the Python image,
/// with the reason logged as `models serve` logs it.
fn native_tabular(mlmodel: &MlModel) -> Option<&'static str> {
    match crate::serving::model_load::load_tabular(mlmodel)? {
        Ok(_) => crate::scoring::tabular_flavor(mlmodel),
        Err(e) => {
            tracing::warn!(reason = %e, "the image gets Python: mlflowrs cannot evaluate this model natively");
            None
        }
    }
}

/// MLflow's choice: `python:<python_env.yaml's version>-slim`.
fn default_python_base(model_dir: &Path) -> String {
    let version = mlflowrs_pyfunc::model_python_version(model_dir).unwrap_or_else(|| "3.11".into());
    format!("python:{version}-slim")
}

/// Installs the model's requirements.txt into `target` with the host's pip
/// (the same Python minor version as the base image's), so the image build
/// runs no command and needs no network.
fn install_requirements(opts: &ContextOptions, target: &Path) -> Result<(), DockerError> {
    let python = mlflowrs_pyfunc::find_python(opts.python.as_deref())
        .map_err(|e| DockerError::Context(e.to_string()))?;
    let req = opts.model_dir.join("requirements.txt");
    if !req.is_file() {
        return Ok(());
    }
    tracing::info!(python = %python.display(), "installing the model's requirements into the image");
    let status = Command::new(&python)
        // Bytecode is compiled here: the image runs as a user that cannot write it.
        .args(["-m", "pip", "install", "--quiet", "--target"])
        .arg(target)
        .arg("-r")
        .arg(&req)
        .status()
        .map_err(|e| DockerError::Context(format!("running {}: {e}", python.display())))?;
    if !status.success() {
        return Err(DockerError::Context(format!(
            "pip could not install {} ({status})",
            req.display()
        )));
    }
    Ok(())
}

/// The shared libraries (with the dynamic loader) the given ELF files load,
/// as `ldd` resolves them on this machine.
fn needed_libraries(files: &[&Path]) -> Result<Vec<PathBuf>, DockerError> {
    let mut libs: Vec<PathBuf> = Vec::new();
    for f in files {
        let out = Command::new("ldd").arg(f).output().map_err(|e| {
            DockerError::Context(format!(
                "running ldd (glibc's, needed to find shared libraries): {e}"
            ))
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("not a dynamic executable") {
            continue;
        }
        for line in text.lines() {
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next(),
                None => line
                    .split_whitespace()
                    .next()
                    .filter(|p| p.starts_with('/')),
            };
            if let Some(p) = path.filter(|p| p.starts_with('/')) {
                let p = PathBuf::from(p);
                if !libs.contains(&p) {
                    libs.push(p);
                }
            } else if line.contains("not found") {
                return Err(DockerError::Context(format!(
                    "{} needs a library this machine lacks: {}",
                    f.display(),
                    line.trim()
                )));
            }
        }
    }
    Ok(libs)
}

/// Copies `from` (following symlinks) to `rootfs` + `at`.
fn place(from: &Path, rootfs: &Path, at: &str) -> Result<(), DockerError> {
    let to = rootfs.join(at.trim_start_matches('/'));
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| DockerError::Context(format!("{}: {e}", parent.display())))?;
    }
    std::fs::copy(from, &to)
        .map_err(|e| DockerError::Context(format!("copying {}: {e}", from.display())))?;
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), DockerError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| DockerError::Context(format!("{}: {e}", parent.display())))?;
    }
    std::fs::write(path, text).map_err(|e| DockerError::Context(format!("{}: {e}", path.display())))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), DockerError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| DockerError::Context(format!("{}: {e}", path.display())))
}

/// Copies a model directory; symlinks are followed only when they stay
/// inside it, so an image never picks up files from elsewhere.
fn copy_dir(from: &Path, to: &Path) -> Result<(), DockerError> {
    let err = |p: &Path, e: std::io::Error| DockerError::Context(format!("{}: {e}", p.display()));
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| err(to, e))?;
    }
    let root = std::fs::canonicalize(from).map_err(|e| err(from, e))?;
    let mut stack = vec![(root.clone(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).map_err(|e| err(&dst, e))?;
        for entry in std::fs::read_dir(&src).map_err(|e| err(&src, e))? {
            let entry = entry.map_err(|e| err(&src, e))?;
            let real = std::fs::canonicalize(entry.path()).map_err(|e| err(&entry.path(), e))?;
            if !real.starts_with(&root) {
                return Err(DockerError::Context(format!(
                    "{} points outside the model directory",
                    entry.path().display()
                )));
            }
            let target = dst.join(entry.file_name());
            if real.is_dir() {
                stack.push((real, target));
            } else {
                std::fs::copy(&real, &target).map_err(|e| err(&real, e))?;
            }
        }
    }
    Ok(())
}
