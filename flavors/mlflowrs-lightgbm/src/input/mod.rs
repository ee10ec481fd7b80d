//! Turns the core's feeds into the row-major double matrix LightGBM's
//! predictor sees, with the checks and casts of the Python package:
//!
//! * DataFrame input (one 1-D feed per column) goes through
//!   `lightgbm.basic._data_from_pandas`: empty frames and pandas-categorical
//!   models are refused, string columns are refused with LightGBM's message,
//!   and every numeric/bool column becomes float (`np.result_type(..., float32)`
//!   is float32 only when every column is exactly representable in it, so the
//!   values equal their f64 conversion either way).
//! * A plain array (one feed named "") goes through `Booster.predict`'s numpy
//!   path, which casts anything but float32/float64 to *float32* (so int64
//!   values above 2^24 round), or for the scikit-learn estimators first
//!   through `sklearn.utils.validation.validate_data`.
//!
//! Then, as `RowPairFunctionFromDenseMatrix` does, values with
//! `|v| <= kZeroThreshold` become 0.0, and LightGBM's feature-count check applies.

use mlflowrs_flavor_api::{FlavorError, Named, Tensor, TensorData};

mod columns;
mod shared;
mod validate;

use columns::{copy_rows, python_float, scatter_column, scatter_strided};
use shared::err;
pub(crate) use shared::squash;
use validate::validate_data;

/// Who receives the input in Python.
#[derive(Debug, Clone)]
pub(crate) enum Frontend {
    /// `lightgbm.Booster.predict`.
    Booster,
    /// `LGBMModel.predict` of a scikit-learn estimator (`LGBMClassifier`, ...).
    Sklearn { class: String, n_features_in: usize },
}

/// What the model needs to know to lay the input out.
pub(crate) struct Layout<'a> {
    pub num_features: usize,
    pub disable_shape_check: bool,
    /// `Booster.pandas_categorical` is a non-empty list: LightGBM refuses
    /// every DataFrame without category columns, and JSON input has none.
    pub pandas_categorical_mismatch: bool,
    pub frontend: &'a Frontend,
}

/// The input as LightGBM's predictor buffer holds it.
pub(crate) struct Matrix {
    pub rows: usize,
    /// Row-major, `num_features` columns.
    pub data: Vec<f64>,
}

fn shape_error(ncol: usize, num_features: usize) -> FlavorError {
    err(format!(
        "The number of features in data ({ncol}) is not the same as it was in training data ({num_features}).\n\
         You can set ``predict_disable_shape_check=true`` to discard this error, but please be aware what you are doing."
    ))
}

impl Layout<'_> {
    pub fn build(&self, feeds: &[Named]) -> Result<Matrix, FlavorError> {
        match feeds {
            [(name, t)] if name.is_empty() => self.array(t),
            _ => self.frame(feeds),
        }
    }

    fn check_columns(&self, ncol: usize) -> Result<(), FlavorError> {
        if !self.disable_shape_check && ncol != self.num_features {
            return Err(shape_error(ncol, self.num_features));
        }
        Ok(())
    }

    /// `_data_from_pandas`, then the C++ shape check.
    fn frame(&self, feeds: &[Named]) -> Result<Matrix, FlavorError> {
        let Some(rows) = feeds.first().map(|(_, t)| t.data.len()) else {
            // A frame without columns (its row count is not in the batch):
            // LightGBM gets a [n, 0] matrix and refuses its shape.
            if self.disable_shape_check {
                return Err(err("cannot predict a frame without columns"));
            }
            return Err(shape_error(0, self.num_features));
        };
        for (name, t) in feeds {
            if t.shape.len() != 1 || t.data.len() != rows {
                return Err(err(format!(
                    "column '{name}' has shape {} but the frame has {rows} rows",
                    t.shape_repr()
                )));
            }
        }
        if rows == 0 {
            return Err(err("Input data must be 2 dimensional and non empty."));
        }
        if self.pandas_categorical_mismatch {
            return Err(err(
                "train and valid dataset categorical_feature do not match.",
            ));
        }
        let bad: Vec<String> = feeds
            .iter()
            .filter(|(_, t)| matches!(t.data, TensorData::Str(_)))
            // pandas 3 names the dtype of a string column `str`.
            .map(|(name, _)| format!("{name}: str"))
            .collect();
        if !bad.is_empty() {
            return Err(err(format!(
                "pandas dtypes must be int, float or bool.\nFields with bad pandas dtypes: {}",
                bad.join(", ")
            )));
        }
        self.check_columns(feeds.len())?;
        let nf = self.num_features;
        let mut data = vec![0.0f64; rows * nf];
        for (j, (_, t)) in feeds.iter().enumerate().take(nf) {
            scatter_column(&t.data, &mut data, j, nf);
        }
        Ok(Matrix { rows, data })
    }

    /// A numpy array handed to `Booster.predict` (after scikit-learn's
    /// validation for the estimators).
    fn array(&self, t: &Tensor) -> Result<Matrix, FlavorError> {
        if let Frontend::Sklearn {
            class,
            n_features_in,
        } = self.frontend
        {
            validate_data(t, class, *n_features_in)?;
        }
        if t.shape.len() != 2 {
            return Err(err("Input numpy.ndarray or list must be 2 dimensional"));
        }
        let (rows, ncol) = (t.shape[0], t.shape[1]);
        let nf = self.num_features;
        // `_np2d_to_np1d`: only float32/float64 pass unchanged, the rest is cast to float32.
        let as_f32 = !matches!(t.data, TensorData::F64(_) | TensorData::F32(_));
        let mut data = vec![0.0f64; rows * nf];
        if let TensorData::Str(s) = &t.data {
            let parsed = s
                .iter()
                .map(|v| python_float(v).map(|x| x as f32 as f64))
                .collect::<Result<Vec<f64>, FlavorError>>()?;
            self.check_columns(ncol)?;
            copy_rows(&parsed, rows, ncol, &mut data, nf);
            return Ok(Matrix { rows, data });
        }
        self.check_columns(ncol)?;
        let keep = ncol.min(nf);
        for j in 0..keep {
            // Column j of a row-major [rows, ncol] buffer, widened as LightGBM widens it.
            scatter_strided(&t.data, j, ncol, rows, &mut data, nf, as_f32);
        }
        Ok(Matrix { rows, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(frontend: &Frontend) -> Layout<'_> {
        Layout {
            num_features: 2,
            disable_shape_check: false,
            pandas_categorical_mismatch: false,
            frontend,
        }
    }

    #[test]
    fn frames_become_rows() {
        let fe = Frontend::Booster;
        let feeds = vec![
            (
                "a".to_string(),
                Tensor::new(vec![2], TensorData::I64(vec![1, 2])).unwrap(),
            ),
            (
                "b".to_string(),
                Tensor::new(vec![2], TensorData::F64(vec![1e-40, f64::NAN])).unwrap(),
            ),
        ];
        let m = layout(&fe).build(&feeds).unwrap();
        assert_eq!(m.rows, 2);
        assert_eq!(m.data[0], 1.0);
        assert_eq!(m.data[1], 0.0);
        assert_eq!(m.data[2], 2.0);
        assert!(m.data[3].is_nan());
    }

    #[test]
    fn arrays_of_ints_go_through_float32() {
        let fe = Frontend::Booster;
        let big = (1i64 << 24) + 1;
        let t = Tensor::new(vec![1, 2], TensorData::I64(vec![big, 3])).unwrap();
        let m = layout(&fe).build(&[(String::new(), t)]).unwrap();
        assert_eq!(m.data, vec![(1u64 << 24) as f64, 3.0]);
    }

    #[test]
    fn errors_carry_the_library_messages() {
        let fe = Frontend::Booster;
        let t = Tensor::new(vec![1, 3], TensorData::F64(vec![0.0; 3])).unwrap();
        let e = layout(&fe).build(&[(String::new(), t)]).err().unwrap();
        assert!(e.to_string().starts_with(
            "The number of features in data (3) is not the same as it was in training data (2)."
        ));
        let feeds = vec![
            (
                "a".to_string(),
                Tensor::new(vec![1], TensorData::F64(vec![1.0])).unwrap(),
            ),
            (
                "b".to_string(),
                Tensor::new(vec![1], TensorData::Str(vec!["x".into()])).unwrap(),
            ),
        ];
        let e = layout(&fe).build(&feeds).err().unwrap();
        assert_eq!(
            e.to_string(),
            "pandas dtypes must be int, float or bool.\nFields with bad pandas dtypes: b: str"
        );
        let sk = Frontend::Sklearn {
            class: "LGBMClassifier".into(),
            n_features_in: 2,
        };
        let t = Tensor::new(vec![1, 3], TensorData::F64(vec![0.0; 3])).unwrap();
        let e = layout(&sk).build(&[(String::new(), t)]).err().unwrap();
        assert_eq!(
            e.to_string(),
            "X has 3 features, but LGBMClassifier is expecting 2 features as input."
        );
    }
}
