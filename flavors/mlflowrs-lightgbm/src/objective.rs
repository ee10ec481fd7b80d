//! The `objective=` line and LightGBM's `ObjectiveFunction::ConvertOutput`.
//!
//! The transforms use the same double expressions as LightGBM's C++ (e.g.
//! `1.0f / (1.0f + std::exp(-sigmoid * x))`, the float literals being exact),
//! and Rust's `f64::exp`/`ln_1p` call the same libm LightGBM links against.

use crate::error::LightGbmError;
use crate::numparse::lgb_atof;

/// How raw scores become predictions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Objective {
    /// No objective line, `custom`, ranking, huber: raw scores.
    Identity,
    /// `regression sqrt` (also l1, quantile, fair, mape): `sign(x) * x * x`.
    SignSquare,
    /// `binary sigmoid:s`.
    Sigmoid(f64),
    /// poisson, gamma, tweedie.
    Exp,
    /// `multiclass num_class:k`.
    Softmax(usize),
    /// `multiclassova num_class:k sigmoid:s`.
    SigmoidEach(f64),
    /// cross_entropy.
    Logistic,
    /// cross_entropy_lambda.
    Log1pExp,
}

/// LightGBM's `ParseObjectiveAlias` (applied to the whole line, as LightGBM does).
fn alias(line: &str) -> &str {
    match line {
        "regression"
        | "regression_l2"
        | "mean_squared_error"
        | "mse"
        | "l2"
        | "l2_root"
        | "root_mean_squared_error"
        | "rmse" => "regression",
        "regression_l1" | "mean_absolute_error" | "l1" | "mae" => "regression_l1",
        "multiclass" | "softmax" => "multiclass",
        "multiclassova" | "multiclass_ova" | "ova" | "ovr" => "multiclassova",
        "xentropy" | "cross_entropy" => "cross_entropy",
        "xentlambda" | "cross_entropy_lambda" => "cross_entropy_lambda",
        "mean_absolute_percentage_error" | "mape" => "mape",
        "rank_xendcg" | "xendcg" | "xe_ndcg" | "xe_ndcg_mart" | "xendcg_mart" => "rank_xendcg",
        "none" | "null" | "custom" | "na" => "custom",
        other => other,
    }
}

/// The value of a `name:value` token, as the objective constructors look it up.
fn param<'a>(tokens: &[&'a str], name: &str) -> Option<&'a str> {
    let mut found = None;
    for t in tokens {
        let parts: Vec<&str> = t.split(':').filter(|p| !p.is_empty()).collect();
        if parts.len() == 2 && parts[0] == name {
            found = Some(parts[1]);
        }
    }
    found
}

fn sigmoid(tokens: &[&str]) -> Result<f64, LightGbmError> {
    let s = match param(tokens, "sigmoid") {
        Some(v) => lgb_atof(v)?,
        None => -1.0,
    };
    if s <= 0.0 {
        return Err(LightGbmError::corrupt(format!(
            "Sigmoid parameter {s} should be greater than zero"
        )));
    }
    Ok(s)
}

fn num_class(tokens: &[&str]) -> Result<usize, LightGbmError> {
    let v = param(tokens, "num_class")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&v| v >= 0)
        .ok_or_else(|| LightGbmError::corrupt("Objective should contain num_class field"))?;
    usize::try_from(v).map_err(|_| LightGbmError::corrupt("num_class is out of range"))
}

impl Objective {
    /// `ObjectiveFunction::CreateObjectiveFunction(ParseObjectiveAlias(line))`.
    pub fn parse(line: &str) -> Result<Objective, LightGbmError> {
        let tokens: Vec<&str> = alias(line).split(' ').filter(|t| !t.is_empty()).collect();
        let Some(&kind) = tokens.first() else {
            return Err(LightGbmError::corrupt("empty objective"));
        };
        let sqrt = tokens.contains(&"sqrt");
        let l2_like = if sqrt {
            Objective::SignSquare
        } else {
            Objective::Identity
        };
        Ok(match kind {
            // These share RegressionL2loss's ConvertOutput and its `sqrt` flag.
            "regression" | "regression_l1" | "quantile" | "fair" | "mape" => l2_like,
            // Huber's constructor switches `sqrt` off.
            "huber" => Objective::Identity,
            "poisson" | "gamma" | "tweedie" => Objective::Exp,
            "binary" => Objective::Sigmoid(sigmoid(&tokens)?),
            "multiclass" => Objective::Softmax(num_class(&tokens)?),
            "multiclassova" => {
                num_class(&tokens)?;
                Objective::SigmoidEach(sigmoid(&tokens)?)
            }
            "cross_entropy" => Objective::Logistic,
            "cross_entropy_lambda" => Objective::Log1pExp,
            "lambdarank" | "rank_xendcg" | "custom" => Objective::Identity,
            other => {
                return Err(LightGbmError::corrupt(format!(
                    "Unknown objective type name: {}",
                    crate::numparse::clip(other)
                )))
            }
        })
    }

    /// The class count the objective itself declares, if any.
    pub fn declared_classes(line: &str) -> Option<usize> {
        let tokens: Vec<&str> = alias(line).split(' ').filter(|t| !t.is_empty()).collect();
        match tokens.first() {
            Some(&"multiclass") | Some(&"multiclassova") => num_class(&tokens).ok(),
            _ => None,
        }
    }

    /// `ConvertOutput` in place on one row's `k` scores.
    #[inline]
    pub fn convert(&self, row: &mut [f64]) {
        match *self {
            Objective::Identity => {}
            Objective::SignSquare => {
                for v in row {
                    // Common::Sign returns an int; int * double * double.
                    let sign = f64::from(i32::from(*v > 0.0) - i32::from(*v < 0.0));
                    *v = sign * *v * *v;
                }
            }
            Objective::Sigmoid(s) | Objective::SigmoidEach(s) => {
                for v in row {
                    *v = 1.0 / (1.0 + (-s * *v).exp());
                }
            }
            Objective::Exp => {
                for v in row {
                    *v = v.exp();
                }
            }
            Objective::Softmax(_) => softmax(row),
            Objective::Logistic => {
                for v in row {
                    *v = 1.0 / (1.0 + (-*v).exp());
                }
            }
            Objective::Log1pExp => {
                for v in row {
                    *v = v.exp().ln_1p();
                }
            }
        }
    }
}

/// `Common::Softmax`, including `std::max`'s treatment of NaN.
fn softmax(row: &mut [f64]) {
    let Some(&first) = row.first() else {
        return;
    };
    let mut wmax = first;
    for &v in row.iter().skip(1) {
        // std::max(v, wmax) is `v < wmax ? wmax : v`.
        wmax = if v < wmax { wmax } else { v };
    }
    let mut wsum = 0.0f64;
    for v in row.iter_mut() {
        *v = (*v - wmax).exp();
        wsum += *v;
    }
    for v in row.iter_mut() {
        *v /= wsum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objective_lines() {
        assert_eq!(Objective::parse("regression").unwrap(), Objective::Identity);
        assert_eq!(Objective::parse("mse").unwrap(), Objective::Identity);
        assert_eq!(
            Objective::parse("regression sqrt").unwrap(),
            Objective::SignSquare
        );
        assert_eq!(Objective::parse("huber sqrt").unwrap(), Objective::Identity);
        assert_eq!(
            Objective::parse("binary sigmoid:0.5").unwrap(),
            Objective::Sigmoid(0.5)
        );
        assert_eq!(
            Objective::parse("multiclass num_class:3").unwrap(),
            Objective::Softmax(3)
        );
        assert_eq!(Objective::parse("tweedie").unwrap(), Objective::Exp);
        assert!(Objective::parse("binary").is_err());
        assert!(Objective::parse("binary sigmoid:-1").is_err());
        assert!(Objective::parse("multiclass").is_err());
        assert!(Objective::parse("what").is_err());
        assert!(Objective::parse("").is_err());
        assert_eq!(
            Objective::declared_classes("multiclassova num_class:4 sigmoid:1"),
            Some(4)
        );
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut r = [1.0, 2.0, 3.0];
        Objective::Softmax(3).convert(&mut r);
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(r[2] > r[1] && r[1] > r[0]);
    }
}
