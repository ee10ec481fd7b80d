//! Objectives: the link applied to `base_score` at load (`ProbToMargin`) and
//! the transform applied to the margin at predict (`PredTransform`), in
//! float32 exactly as XGBoost 3.2 computes them (src/objective/*.cu,
//! src/common/math.h).

use crate::error::XgbError;

/// `ProbToMargin`: how a user-space `base_score` becomes a margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    Identity,
    /// Logistic objectives: clamp to [1e-6, 1 - 1e-6], then `-logf(1/x - 1)`.
    Logit,
    /// Poisson, Tweedie, gamma, Cox, AFT: `logf(x)`.
    Log,
}

/// `PredTransform`: margin to prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    Identity,
    Sigmoid,
    Exp,
    /// `binary:hinge`: 1 when the margin is > 0, else 0.
    Hinge,
    /// `multi:softprob`: softmax over each row's classes.
    Softmax,
    /// `multi:softmax`: index of the first largest margin.
    ArgMax,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Objective {
    pub name: String,
    pub link: Link,
    pub transform: Transform,
}

impl Objective {
    pub(crate) fn from_name(name: &str) -> Result<Objective, XgbError> {
        use Link as L;
        use Transform as T;
        let (link, transform) = match name {
            "reg:squarederror"
            | "reg:linear"
            | "reg:squaredlogerror"
            | "reg:pseudohubererror"
            | "reg:absoluteerror"
            | "reg:quantileerror"
            | "binary:logitraw"
            | "rank:pairwise"
            | "rank:ndcg"
            | "rank:map" => (L::Identity, T::Identity),
            "reg:logistic" | "binary:logistic" => (L::Logit, T::Sigmoid),
            "binary:hinge" => (L::Identity, T::Hinge),
            // AFT's unqualified `exp` resolves to expf too (checked against
            // libm on 200k margins).
            "count:poisson" | "reg:tweedie" | "reg:gamma" | "survival:cox" | "survival:aft" => {
                (L::Log, T::Exp)
            }
            "multi:softprob" => (L::Identity, T::Softmax),
            "multi:softmax" => (L::Identity, T::ArgMax),
            other => {
                return Err(XgbError::unsupported(format!(
                    "XGBoost objective {other:?} is not served natively"
                )))
            }
        };
        Ok(Objective {
            name: name.to_owned(),
            link,
            transform,
        })
    }

    /// The margin-space intercept for one `base_score` element.
    pub(crate) fn prob_to_margin(&self, base_score: f32) -> Result<f32, XgbError> {
        match self.link {
            Link::Identity => Ok(base_score),
            Link::Logit => {
                // LogisticRegression::CheckIntercept accepts the closed interval.
                if !(0.0..=1.0).contains(&base_score) {
                    return Err(XgbError::corrupt(
                        "base_score must be in (0,1) for the logistic loss.",
                    ));
                }
                const RT_EPS: f32 = 1e-6;
                // common::Min(common::Max(x, kRtEps), 1.0f - kRtEps)
                let x = if base_score < RT_EPS {
                    RT_EPS
                } else {
                    base_score
                };
                let hi = 1.0f32 - RT_EPS;
                let x = if x > hi { hi } else { x };
                Ok(-(1.0f32 / x - 1.0f32).ln())
            }
            Link::Log => {
                // Only GammaDeviance::CheckIntercept is enforced; the other
                // log links take the log of whatever was saved.
                let positive = base_score > 0.0;
                if self.name == "reg:gamma" && !positive {
                    return Err(XgbError::corrupt(
                        "`base_score` must be greater than 0 for gamma regression",
                    ));
                }
                Ok(base_score.ln())
            }
        }
    }

    /// Transforms one row's margins in place. `ArgMax` writes the class index
    /// into `row[0]` (the caller keeps only that element).
    pub(crate) fn transform_row(&self, row: &mut [f32]) {
        match self.transform {
            Transform::Identity => {}
            Transform::Sigmoid => row.iter_mut().for_each(|x| *x = sigmoid(*x)),
            Transform::Exp => row.iter_mut().for_each(|x| *x = x.exp()),
            Transform::Hinge => row
                .iter_mut()
                .for_each(|x| *x = if *x > 0.0 { 1.0 } else { 0.0 }),
            Transform::Softmax => softmax(row),
            Transform::ArgMax => {
                // common::FindMaxIndex: the first element no later one beats.
                let mut best = 0usize;
                for (i, &v) in row.iter().enumerate() {
                    if let Some(&b) = row.get(best) {
                        if v > b {
                            best = i;
                        }
                    }
                }
                if let Some(first) = row.first_mut() {
                    *first = best as f32;
                }
            }
        }
    }
}

/// common::Sigmoid(float).
fn sigmoid(x: f32) -> f32 {
    const EPS: f32 = 1e-16;
    // std::min(-x, 88.7f): `b < a ? b : a`, so a NaN stays NaN.
    let neg = -x;
    let x = if 88.7f32 < neg { 88.7f32 } else { neg };
    let denom = x.exp() + 1.0f32 + EPS;
    1.0f32 / denom
}

/// common::Softmax: float exps summed in double, divided by the float sum.
fn softmax(row: &mut [f32]) {
    let Some(&first) = row.first() else {
        return;
    };
    let mut wmax = first;
    for &v in row.iter().skip(1) {
        wmax = fmaxf(v, wmax);
    }
    let mut wsum = 0.0f64;
    for v in row.iter_mut() {
        *v = (*v - wmax).exp();
        wsum += f64::from(*v);
    }
    let s = wsum as f32;
    for v in row.iter_mut() {
        *v /= s;
    }
}

/// C's fmaxf: NaN arguments are ignored.
fn fmaxf(a: f32, b: f32) -> f32 {
    a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_of_half_is_zero() {
        let o = Objective::from_name("binary:logistic").unwrap();
        assert_eq!(o.prob_to_margin(0.5).unwrap(), 0.0);
        assert!(o.prob_to_margin(1.5).is_err());
        assert!(o.prob_to_margin(0.0).unwrap().is_finite());
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        let o = Objective::from_name("multi:softmax").unwrap();
        let mut row = [0.5, 2.0, 2.0, f32::NAN];
        o.transform_row(&mut row);
        assert_eq!(row[0], 1.0);
    }

    #[test]
    fn unknown_objectives_are_unsupported() {
        assert!(Objective::from_name("reg:custom")
            .unwrap_err()
            .is_unsupported());
    }
}
