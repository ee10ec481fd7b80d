//! The numpy/scipy elementwise functions the linear models need: the tree
//! models' reproductions (numpy's AVX-512 SVML exp/log, pairwise sums,
//! scipy's expit), so that one copy decides every last bit.

pub(crate) use crate::trees::npmath::{argmax, expit, np_log, pairwise_sum, softmax_rows};
