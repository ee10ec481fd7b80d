//! The Python class MLflow loads a model as, and the model file's format.

use crate::error::XgbError;
use crate::input::CallPath;

/// The `model_class` MLflow recorded, i.e. what `mlflow.xgboost` loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelClass {
    Booster,
    Classifier,
    Regressor,
    Ranker,
    RfClassifier,
    RfRegressor,
}

impl ModelClass {
    /// Parses a fully qualified class name as MLflow writes it.
    pub fn from_qualified_name(name: &str) -> Result<ModelClass, XgbError> {
        Ok(match name {
            "xgboost.core.Booster" => ModelClass::Booster,
            "xgboost.sklearn.XGBClassifier" => ModelClass::Classifier,
            "xgboost.sklearn.XGBRegressor" => ModelClass::Regressor,
            "xgboost.sklearn.XGBRanker" => ModelClass::Ranker,
            "xgboost.sklearn.XGBRFClassifier" => ModelClass::RfClassifier,
            "xgboost.sklearn.XGBRFRegressor" => ModelClass::RfRegressor,
            other => {
                return Err(XgbError::unsupported(format!(
                    "XGBoost model class {other} is not served natively"
                )))
            }
        })
    }

    pub(crate) fn is_classifier(self) -> bool {
        matches!(self, ModelClass::Classifier | ModelClass::RfClassifier)
    }

    /// The scikit-learn `_estimator_type` the class expects.
    pub(crate) fn estimator_type(self) -> Option<&'static str> {
        match self {
            ModelClass::Booster => None,
            ModelClass::Classifier | ModelClass::RfClassifier => Some("classifier"),
            ModelClass::Regressor | ModelClass::RfRegressor => Some("regressor"),
            ModelClass::Ranker => Some("ranker"),
        }
    }

    pub(crate) fn call_path(self) -> CallPath {
        match self {
            ModelClass::Booster => CallPath::DMatrix,
            ModelClass::Ranker => CallPath::Inplace { ranker: true },
            _ => CallPath::Inplace { ranker: false },
        }
    }
}

/// The model file's serialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    Json,
    Ubj,
}

impl ModelFormat {
    /// XGBoost's choice (`XGBoosterLoadModel`): by extension, else by the
    /// first byte after `{` (`"` for JSON, a letter for UBJSON).
    pub fn detect(file_name: &str, bytes: &[u8]) -> Result<ModelFormat, XgbError> {
        if bytes.starts_with(b"binf") {
            return Err(XgbError::unsupported(
                "XGBoost's deprecated binary model format is not served natively",
            ));
        }
        if bytes.first() != Some(&b'{') {
            return Err(XgbError::corrupt("model file does not start with `{`"));
        }
        let ext = file_name.rsplit_once('.').map(|(_, e)| e);
        match ext {
            Some("json") => return Ok(ModelFormat::Json),
            Some("ubj") => return Ok(ModelFormat::Ubj),
            _ => {}
        }
        match bytes[1..].iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'"') => Ok(ModelFormat::Json),
            Some(b) if b.is_ascii_alphabetic() => Ok(ModelFormat::Ubj),
            _ => Err(XgbError::corrupt(
                "Invalid model format. Expecting UBJSON (`ubj`) or JSON (`json`)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_detection() {
        assert_eq!(
            ModelFormat::detect("model.xgb", b"{ \"learner\"").unwrap(),
            ModelFormat::Json
        );
        assert_eq!(
            ModelFormat::detect("model", b"{L\0").unwrap(),
            ModelFormat::Ubj
        );
        assert!(ModelFormat::detect("model.ubj", b"binf....")
            .unwrap_err()
            .is_unsupported());
        assert!(ModelFormat::detect("model.ubj", b"[").is_err());
    }
}
