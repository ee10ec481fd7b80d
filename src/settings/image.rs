//! `mlflowrs models build-docker` and `generate-dockerfile`.

use std::path::PathBuf;

use super::{store_config, SettingsError};
use crate::cli::{BuildDockerArgs, GenerateDockerfileArgs, ImageArgs};
use crate::resolve::StoreConfig;

#[derive(Debug, Clone)]
pub struct ImageSettings {
    pub model_uri: String,
    pub stores: StoreConfig,
    /// `None`: scratch for native flavors, `python:<version>-slim` for Python models.
    pub base_image: Option<String>,
    pub ort_library: Option<PathBuf>,
    /// The Python (with pip) that installs a Python model's requirements.
    pub python: Option<PathBuf>,
    pub onnx_backend: crate::docker::context::ImageOnnxBackend,
    pub target: ImageTarget,
}

/// What the command makes of the build context.
#[derive(Debug, Clone)]
pub enum ImageTarget {
    /// `build-docker`: an image with this name and tag.
    Build { name: String },
    /// `generate-dockerfile`: the context, left in this directory.
    Dockerfile { output_directory: PathBuf },
}

impl ImageSettings {
    pub fn build(args: &BuildDockerArgs) -> Result<ImageSettings, SettingsError> {
        Self::new(
            &args.image,
            ImageTarget::Build {
                name: args.name.clone(),
            },
        )
    }

    pub fn dockerfile(args: &GenerateDockerfileArgs) -> Result<ImageSettings, SettingsError> {
        Self::new(
            &args.image,
            ImageTarget::Dockerfile {
                output_directory: args.output_directory.clone(),
            },
        )
    }

    fn new(args: &ImageArgs, target: ImageTarget) -> Result<ImageSettings, SettingsError> {
        crate::resolve::uri::parse(&args.model_uri)?;
        Ok(ImageSettings {
            model_uri: args.model_uri.clone(),
            stores: store_config(&args.store),
            base_image: args.base_image.clone(),
            ort_library: args.ort_library.clone(),
            python: args.python.clone(),
            onnx_backend: args.onnx_backend,
            target,
        })
    }
}
