//! What the stores answer: a model version, a logged model, a run.

/// A model version as the registry holds it.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    pub version: String,
    pub stage: String,
    pub source: String,
    pub storage_location: Option<String>,
    pub run_id: Option<String>,
}

impl VersionRecord {
    /// `get-download-uri`: the storage location if set, else the source.
    pub fn download_uri(&self) -> &str {
        match &self.storage_location {
            Some(s) if !s.is_empty() => s,
            _ => &self.source,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoggedModelRecord {
    pub model_id: String,
    pub experiment_id: String,
    pub artifact_uri: String,
    pub source_run_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RunRecord {
    pub experiment_id: String,
    pub artifact_uri: String,
}
