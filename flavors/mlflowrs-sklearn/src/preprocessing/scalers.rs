//! StandardScaler and MinMaxScaler.

use super::common::*;

// ---- StandardScaler ------------------------------------------------------

#[derive(Debug)]
struct StandardScaler {
    spec: InputSpec,
    mean: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
}

pub(super) fn build_standard(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let spec = float_spec(node, NanPolicy::AllowNan)?;
    let n = n_features(&spec, node)?;
    let with_mean = node.attr("with_mean")?.bool()?;
    let with_std = node.attr("with_std")?.bool()?;
    let mean = if with_mean {
        opt_vec(node, "mean_", n)?
    } else {
        None
    };
    let scale = if with_std {
        opt_vec(node, "scale_", n)?
    } else {
        None
    };
    if with_mean && mean.is_none() {
        return Err(SklearnError::invalid("StandardScaler.mean_ is missing"));
    }
    Ok(Estimator::Transformer(Box::new(StandardScaler {
        spec,
        mean,
        scale,
    })))
}

impl Transformer for StandardScaler {
    fn name(&self) -> &str {
        "StandardScaler"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        let mut m = validate_columns(x, &self.spec)?;
        let rows = m.rows;
        let f32 = m.f32;
        if m.layout == Layout::Sparse {
            if self.mean.is_some() {
                return Err(EvalError(
                    "Cannot center sparse matrices: pass `with_mean=False` instead. See \
                     docstring for motivation and alternatives."
                        .into(),
                ));
            }
            // inplace_column_scale(X, 1 / scale_): a multiplication.
            if let Some(scale) = &self.scale {
                for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
                    let inv = 1.0 / scale[j];
                    for v in col.iter_mut().filter(|v| **v != 0.0) {
                        *v = store(*v * inv, f32);
                    }
                }
            }
            return Ok(m.into_table());
        }
        // `X -= mean_.astype(X.dtype)`; `X /= scale_.astype(X.dtype)`.
        for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
            if let Some(mean) = &self.mean {
                let mj = store(mean[j], f32);
                col.iter_mut().for_each(|v| *v = store(*v - mj, f32));
            }
            if let Some(scale) = &self.scale {
                let sj = store(scale[j], f32);
                col.iter_mut().for_each(|v| *v = store(*v / sj, f32));
            }
        }
        Ok(m.into_table())
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.spec.feature_names_in.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.spec.n_features_in
    }
}

// ---- MinMaxScaler --------------------------------------------------------

#[derive(Debug)]
struct MinMaxScaler {
    spec: InputSpec,
    scale: Vec<f64>,
    min: Vec<f64>,
    clip: Option<(f64, f64)>,
}

pub(super) fn build_minmax(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let spec = float_spec(node, NanPolicy::AllowNan)?;
    let n = n_features(&spec, node)?;
    let scale = opt_vec(node, "scale_", n)?
        .ok_or_else(|| SklearnError::invalid("MinMaxScaler.scale_ is missing"))?;
    let min = opt_vec(node, "min_", n)?
        .ok_or_else(|| SklearnError::invalid("MinMaxScaler.min_ is missing"))?;
    let clip = if node.get("clip").is_some_and(|c| c.bool().unwrap_or(false)) {
        let fr = node.attr("feature_range")?.seq()?;
        match fr {
            [lo, hi] => Some((lo.f64()?, hi.f64()?)),
            _ => return Err(SklearnError::invalid("MinMaxScaler.feature_range")),
        }
    } else {
        None
    };
    Ok(Estimator::Transformer(Box::new(MinMaxScaler {
        spec,
        scale,
        min,
        clip,
    })))
}

impl Transformer for MinMaxScaler {
    fn name(&self) -> &str {
        "MinMaxScaler"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        if x.layout == Layout::Sparse && x.kind == TableKind::Array {
            return Err(EvalError(
                "Sparse data was passed for MinMaxScaler, but dense data is required. Use \
                 '.toarray()' to convert to a dense numpy array."
                    .into(),
            ));
        }
        let mut m = validate_columns(x, &self.spec)?;
        let rows = m.rows;
        let f32 = m.f32;
        for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
            // In-place ops on a float32 X compute in float64 (the
            // attribute's dtype) and store float32.
            let (s, mn) = (self.scale[j], self.min[j]);
            for v in col.iter_mut() {
                *v = store(store(*v * s, f32) + mn, f32);
                if let Some((lo, hi)) = self.clip {
                    let (lo, hi) = (store(lo, f32), store(hi, f32));
                    if !v.is_nan() {
                        *v = v.max(lo).min(hi);
                    }
                }
            }
        }
        Ok(m.into_table())
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.spec.feature_names_in.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.spec.n_features_in
    }
}
