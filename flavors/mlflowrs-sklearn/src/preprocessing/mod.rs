//! Scalers, the simple imputer and the one-hot encoder
//! (sklearn/preprocessing/_data.py, _encoders.py; sklearn/impute/_base.py),
//! one file each, over the checks they share (`common.rs`).

mod common;
mod imputer;
mod one_hot;
mod scalers;

pub(crate) use common::check_output_config;

use crate::registry::Registry;

pub(crate) fn register(r: &mut Registry) {
    r.add(
        "sklearn.preprocessing._data.StandardScaler",
        scalers::build_standard,
    );
    r.add(
        "sklearn.preprocessing._data.MinMaxScaler",
        scalers::build_minmax,
    );
    r.add("sklearn.impute._base.SimpleImputer", imputer::build_imputer);
    r.add(
        "sklearn.preprocessing._encoders.OneHotEncoder",
        one_hot::build_onehot,
    );
}
