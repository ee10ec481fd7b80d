//! `mlflowrs models predict`: one model, one input, one output.

use std::path::PathBuf;

use mlflowrs_protocol::{CONTENT_TYPE_CSV, CONTENT_TYPE_JSON};

use super::{load_options, store_config, SettingsError};
use crate::cli::{InputType, PredictArgs};
use crate::resolve::StoreConfig;
use crate::serving::model_load::LoadOptions;

#[derive(Debug, Clone)]
pub struct PredictSettings {
    pub model_uri: String,
    pub stores: StoreConfig,
    pub load: LoadOptions,
    /// `None`: standard input.
    pub input_path: Option<PathBuf>,
    /// `None`: standard output.
    pub output_path: Option<PathBuf>,
    pub content_type: &'static str,
}

impl PredictSettings {
    pub fn from_args(args: &PredictArgs) -> Result<PredictSettings, SettingsError> {
        let [uri] = args.model.model_uri.as_slice() else {
            return Err(SettingsError::Invalid(format!(
                "predict scores one model; got {} -m values",
                args.model.model_uri.len()
            )));
        };
        crate::resolve::uri::parse(uri)?;
        Ok(PredictSettings {
            model_uri: uri.clone(),
            stores: store_config(&args.model.store),
            load: load_options(
                &args.model,
                Some(1),
                crate::serving::model_load::NativeBackends::compiled(),
            )?,
            input_path: args.input_path.clone(),
            output_path: args.output_path.clone(),
            content_type: match args.content_type {
                InputType::Json => CONTENT_TYPE_JSON,
                InputType::Csv => CONTENT_TYPE_CSV,
            },
        })
    }
}
