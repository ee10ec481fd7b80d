//! MLflow's scoring protocol for `/invocations`: content types, request
//! parsing, schema enforcement, the flavor call and the answer's encoding.

mod batch_scorer;
mod csv_input;
pub mod encode;
mod enforce;
pub mod frame;
pub mod ndarray;
mod onnx_pyfunc;
mod params;
mod parquet_input;
pub mod parse;
mod precast;
mod sentence_transformers_pyfunc;
mod tabular_pyfunc;

use std::sync::Arc;

use mlflowrs_flavor_api::Flavor;

use crate::mlmodel::MlModel;
pub use batch_scorer::BatchScorer;
use mlflowrs_protocol::{
    MlflowError, Reply, CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, CONTENT_TYPE_PARQUET,
};
use parse::{ParsedRequest, PyInput, SCORING_PROTOCOL_CHANGE_INFO};

/// A model ready to answer `/invocations`.
pub struct Scorer {
    pub model: MlModel,
    pub flavor: Arc<dyn Flavor>,
    /// Rows one request may carry (`--max-rows`); `None`: no limit.
    pub max_rows: Option<usize>,
    /// Metric labels naming the model (`model`, `version`).
    pub labels: Vec<metrics::Label>,
    /// Whose `predict` wrapper the answers follow.
    wrapper: Wrapper,
}

/// MLflow's pyfunc wrappers differ in how they feed the model and shape
/// its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrapper {
    /// `mlflow.onnx`: named tensors in, a dict (or DataFrame) of outputs out.
    Onnx,
    /// `mlflow.sentence_transformers`: sentences in, a bare array out.
    SentenceTransformers,
    /// `mlflow.sklearn`, `mlflow.xgboost`, `mlflow.lightgbm`: the DataFrame
    /// to the estimator's `predict`, its array answered bare.
    Tabular,
}

/// The flavors whose pyfunc wrapper hands a DataFrame to an estimator.
const TABULAR_FLAVORS: [&str; 3] = ["sklearn", "xgboost", "lightgbm"];

/// The tabular flavor (`sklearn`, `xgboost`, `lightgbm`) a model is served
/// through, when it has one and no `onnx` flavor (served first).
pub fn tabular_flavor(model: &MlModel) -> Option<&'static str> {
    if model.flavor("onnx").is_some() {
        return None;
    }
    TABULAR_FLAVORS
        .into_iter()
        .find(|f| model.flavor(f).is_some())
}

enum Body<'a> {
    Json(&'a [u8]),
    Csv(&'a [u8]),
    Parquet(&'a [u8]),
}

impl Scorer {
    pub fn new(model: MlModel, flavor: Arc<dyn Flavor>) -> Scorer {
        let wrapper = if model.flavor("sentence_transformers").is_some() {
            Wrapper::SentenceTransformers
        } else if tabular_flavor(&model).is_some() {
            Wrapper::Tabular
        } else {
            Wrapper::Onnx
        };
        Scorer {
            model,
            flavor,
            max_rows: None,
            labels: Vec::new(),
            wrapper,
        }
    }

    pub fn with_labels(mut self, labels: Vec<metrics::Label>) -> Scorer {
        self.labels = labels;
        self
    }

    pub fn with_max_rows(mut self, max_rows: Option<usize>) -> Scorer {
        self.max_rows = max_rows;
        self
    }

    /// Answers one `/invocations` request. `content_type` is the raw header.
    pub fn invocations(&self, content_type: Option<&str>, body: &[u8]) -> Reply {
        match self.prepare(content_type, body) {
            Ok(prepared) => self.run(prepared),
            Err(reply) => reply,
        }
    }

    /// Parses and enforces a request up to the model call.
    pub fn prepare(&self, content_type: Option<&str>, body: &[u8]) -> Result<Prepared, Reply> {
        let body = negotiate(content_type, body)?;
        self.prepare_body(body).map_err(|e| Reply::error(&e))
    }

    fn prepare_body(&self, body: Body<'_>) -> Result<Prepared, MlflowError> {
        let schema = self.model.input_schema();
        let parsed = match body {
            Body::Json(b) => parse::parse_json(b, &self.model)?,
            Body::Csv(b) => ParsedRequest {
                data: PyInput::Frame(csv_input::parse_csv(b, schema)?),
                params: None,
                unified_llm: false,
            },
            Body::Parquet(b) => ParsedRequest {
                data: PyInput::Frame(parquet_input::parse_parquet(b)?),
                params: None,
                unified_llm: false,
            },
        };
        let rows = parsed.data.rows();
        metrics::histogram!(crate::telemetry::ROWS, self.labels.iter()).record(rows as f64);
        if let Some(limit) = self.max_rows {
            if rows > limit {
                return Err(MlflowError::invalid_input(format!(
                    "The request has {rows} rows, more than the limit of {limit} (--max-rows)."
                )));
            }
        }
        let shown = enforce::input_repr(&parsed.data);
        let prefixed = |mut e: MlflowError| {
            e.message = format!("Failed to predict data '{shown}'. \nError: {}", e.message);
            e
        };
        // The model call's own failures (with a stack trace) keep MLflow's
        // unexpected-error message; the wrapper's checks get the prefix.
        let prefixed_unless_traced = |e: MlflowError| {
            if e.stack_trace.is_some() {
                e
            } else {
                prefixed(e)
            }
        };
        let enforced = enforce::enforce(parsed.data, schema).map_err(prefixed)?;
        let param_specs = self
            .model
            .signature
            .as_ref()
            .and_then(|s| s.params.as_deref());
        let params =
            params::enforce_params(parsed.params.as_ref(), param_specs).map_err(prefixed)?;
        if self.wrapper == Wrapper::SentenceTransformers {
            let input = self.flavor.inputs().first().map_or("", |i| i.name.as_str());
            return Ok(Prepared {
                feeds: sentence_transformers_pyfunc::feeds(input, enforced)?,
                answer: Answer {
                    frame_rows: None,
                    unified_llm: parsed.unified_llm,
                    bare: true,
                    normalize: sentence_transformers_pyfunc::normalize_requested(&params)?,
                },
            });
        }
        if self.wrapper == Wrapper::Tabular {
            return Ok(Prepared {
                feeds: tabular_pyfunc::feeds(enforced).map_err(prefixed_unless_traced)?,
                answer: Answer {
                    frame_rows: None,
                    unified_llm: parsed.unified_llm,
                    bare: true,
                    normalize: false,
                },
            });
        }
        let (feeds, frame_rows) =
            onnx_pyfunc::feeds(self.flavor.as_ref(), enforced).map_err(prefixed_unless_traced)?;
        Ok(Prepared {
            feeds,
            answer: Answer {
                frame_rows,
                unified_llm: parsed.unified_llm,
                bare: false,
                normalize: false,
            },
        })
    }

    /// Runs one prepared request on its own.
    pub fn run(&self, prepared: Prepared) -> Reply {
        let Prepared { feeds, answer } = prepared;
        match onnx_pyfunc::run(self.flavor.as_ref(), feeds) {
            Ok(outputs) => finish(outputs, answer),
            Err(e) => Reply::error(&e),
        }
    }

    /// Runs several prepared requests as one model call when their feeds
    /// stack (same names, dtypes and inner dimensions) and every output has
    /// one row per input row; otherwise, or if the joint call fails, each
    /// runs on its own so that one bad request cannot fail the others.
    pub fn run_batch(&self, batch: Vec<Prepared>) -> Vec<Reply> {
        if batch.len() < 2 {
            return batch.into_iter().map(|p| self.run(p)).collect();
        }
        let Some((feeds, rows)) = stack(&batch) else {
            return batch.into_iter().map(|p| self.run(p)).collect();
        };
        let total: usize = rows.iter().sum();
        let outputs = match self.flavor.predict(mlflowrs_flavor_api::Batch { feeds }) {
            Ok(o) if o.iter().all(|(_, t)| t.shape.first() == Some(&total)) => o,
            _ => return batch.into_iter().map(|p| self.run(p)).collect(),
        };
        metrics::histogram!(crate::telemetry::BATCH_REQUESTS, self.labels.iter())
            .record(batch.len() as f64);
        let mut start = 0;
        batch
            .iter()
            .zip(rows)
            .map(|(p, n)| {
                let mine: Vec<mlflowrs_flavor_api::Named> = outputs
                    .iter()
                    .map(|(name, t)| (name.clone(), t.slice_rows(start, start + n)))
                    .collect();
                start += n;
                finish(mine, p.answer)
            })
            .collect()
    }
}

impl BatchScorer for Scorer {
    type Prepared = Prepared;

    fn labels(&self) -> &[metrics::Label] {
        &self.labels
    }

    fn prepare(&self, content_type: Option<&str>, body: &bytes::Bytes) -> Result<Prepared, Reply> {
        Scorer::prepare(self, content_type, body)
    }

    fn rows(prepared: &Prepared) -> usize {
        prepared.rows()
    }

    fn run_batch(&self, batch: Vec<Prepared>) -> Vec<Reply> {
        Scorer::run_batch(self, batch)
    }
}

/// Checks a request's `Content-Type` as MLflow does (415 answers), for
/// backends that parse the body elsewhere.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), Reply> {
    negotiate(content_type, &[]).map(|_| ())
}

/// A request parsed and enforced, ready for the model call.
pub struct Prepared {
    feeds: Vec<mlflowrs_flavor_api::Named>,
    answer: Answer,
}

/// How a request's outputs are shaped into its answer.
#[derive(Debug, Clone, Copy)]
struct Answer {
    /// Rows of a DataFrame input: outputs answered as records.
    frame_rows: Option<usize>,
    unified_llm: bool,
    /// The single output answered as an array, not a dict of outputs.
    bare: bool,
    /// Rows L2-normalised after the model (sentence-transformers' param).
    normalize: bool,
}

impl Prepared {
    /// Rows this request adds to a batch (1 when its feeds cannot stack).
    pub fn rows(&self) -> usize {
        self.batch_rows().unwrap_or(1)
    }

    /// Rows along the first dimension shared by every feed, if they share one.
    fn batch_rows(&self) -> Option<usize> {
        let n = *self.feeds.first()?.1.shape.first()?;
        self.feeds
            .iter()
            .all(|(_, t)| t.shape.first() == Some(&n))
            .then_some(n)
    }
}

/// The feeds of a batch stacked along rows, and each request's row count.
fn stack(batch: &[Prepared]) -> Option<(Vec<mlflowrs_flavor_api::Named>, Vec<usize>)> {
    let rows = batch
        .iter()
        .map(Prepared::batch_rows)
        .collect::<Option<Vec<usize>>>()?;
    let names: Vec<&String> = batch[0].feeds.iter().map(|(n, _)| n).collect();
    if batch
        .iter()
        .any(|p| p.feeds.iter().map(|(n, _)| n).ne(names.iter().copied()))
    {
        return None;
    }
    let feeds = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let parts: Vec<&mlflowrs_flavor_api::Tensor> =
                batch.iter().map(|p| &p.feeds[i].1).collect();
            mlflowrs_flavor_api::Tensor::concat_rows(&parts).map(|t| ((*name).clone(), t))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((feeds, rows))
}

/// Encodes model outputs as the answer body.
fn finish(mut outputs: Vec<mlflowrs_flavor_api::Named>, p: Answer) -> Reply {
    let mut answer = String::with_capacity(256);
    if !p.unified_llm {
        answer.push_str("{\"predictions\": ");
    }
    if p.normalize {
        sentence_transformers_pyfunc::normalize_rows(&mut outputs);
    }
    match outputs.first() {
        Some((_, t)) if p.bare => encode::write_tensor(t, &mut answer),
        _ => {
            if let Err(e) = onnx_pyfunc::write_outputs(&outputs, p.frame_rows, &mut answer) {
                return Reply::error(&e);
            }
        }
    }
    if !p.unified_llm {
        answer.push('}');
    }
    Reply::json(200, answer)
}

/// MLflow's content-type handling, in its order (scoring_server.invocations).
fn negotiate<'a>(content_type: Option<&str>, body: &'a [u8]) -> Result<Body<'a>, Reply> {
    // MLflow answers a missing header with an unhandled 500; mlflowrs treats
    // it as an unsupported content type (415), see the README's deviations.
    let raw = content_type.unwrap_or("");
    let mut parts = raw.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("");
    let mut params: Vec<(&str, &str)> = Vec::new();
    for p in parts {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        match params.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => params.push((k, v)),
        }
    }
    let charset = params
        .iter()
        .find(|(k, _)| *k == "charset")
        .map(|(_, v)| v.to_lowercase());
    if charset.as_deref().is_some_and(|c| c != "utf-8") {
        return Err(Reply::text(
            415,
            "The scoring server only supports UTF-8".into(),
        ));
    }
    let unexpected: Vec<&str> = params
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != "charset")
        .collect();
    if !unexpected.is_empty() {
        return Err(Reply::text(
            415,
            format!(
                "Unrecognized content type parameters: {}. {SCORING_PROTOCOL_CHANGE_INFO}",
                unexpected.join(", ")
            ),
        ));
    }
    match mime {
        CONTENT_TYPE_JSON => Ok(Body::Json(body)),
        CONTENT_TYPE_CSV => Ok(Body::Csv(body)),
        CONTENT_TYPE_PARQUET => Ok(Body::Parquet(body)),
        _ => Err(Reply::text(
            415,
            format!(
                "This predictor only supports the following content types: Types: ['{CONTENT_TYPE_CSV}', '{CONTENT_TYPE_JSON}', '{CONTENT_TYPE_PARQUET}']. Got '{raw}'."
            ),
        )),
    }
}
