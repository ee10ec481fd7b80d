//! What the input conversions share: LightGBM's error for bad input and the
//! predictor's zeroing of tiny values.

use mlflowrs_flavor_api::FlavorError;

use crate::tree::ZERO_THRESHOLD;

pub(super) fn err(msg: impl Into<String>) -> FlavorError {
    FlavorError::Inference(msg.into())
}

/// The predictor's zeroing of tiny values (NaN is kept).
#[inline]
pub(crate) fn squash(v: f64) -> f64 {
    if v.abs() <= ZERO_THRESHOLD {
        0.0
    } else {
        v
    }
}
