//! The numpy/scipy elementwise functions the linear models need.
//!
//! They are the tree models' reproductions (src/trees/npmath.rs: numpy's
//! AVX-512 SVML exp/log, pairwise sums, scipy's expit), compiled a second
//! time from the same files (see lib.rs) until `crate::trees::npmath` is
//! `pub(crate)`; then this module re-exports that instead.

pub(crate) use crate::shared_npmath::{argmax, expit, np_log, pairwise_sum, softmax_rows};
