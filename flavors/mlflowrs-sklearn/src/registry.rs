//! Which scikit-learn classes are served natively, and how each one is built
//! from its skops node. This file is the single allow-list: a class that is
//! not registered here (as an estimator or as auxiliary data) makes the model
//! fall back to Python.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use mlflowrs_skops::{Loader, Node, TypeRef};

use crate::error::SklearnError;
use crate::estimator::{Estimator, Predictor, Transformer};

/// Builds an estimator from the skops node of its class. Nested estimators
/// (pipeline steps, column transformers) are built through `ctx`.
pub type BuildFn = fn(node: &Node, ctx: &LoadCtx) -> Result<Estimator, SklearnError>;

/// The registered classes, keyed by `module.Class` as skops records them
/// (e.g. `sklearn.linear_model._logistic.LogisticRegression`).
#[derive(Debug, Default)]
pub struct Registry {
    builders: HashMap<&'static str, BuildFn>,
    /// Non-estimator types that may appear inside a registered estimator's
    /// state (e.g. `sklearn.tree._tree.Tree`, a loss object); they are read
    /// by their owner's builder, never built on their own.
    aux: HashSet<&'static str>,
}

impl Registry {
    /// Registers an estimator class.
    pub fn add(&mut self, type_name: &'static str, build: BuildFn) {
        self.builders.insert(type_name, build);
    }

    /// Registers a type allowed as data inside a registered estimator.
    pub fn add_aux(&mut self, type_name: &'static str) {
        self.aux.insert(type_name);
    }

    pub fn builder(&self, type_name: &str) -> Option<BuildFn> {
        self.builders.get(type_name).copied()
    }

    /// The first type of the archive this crate does not implement, as the
    /// reason to fall back ("sklearn.svm._classes.SVC is not served natively").
    pub fn first_unknown(&self, types: &[TypeRef]) -> Option<String> {
        types
            .iter()
            .find(|t| !self.allows(t))
            .map(|t| format!("{} is not served natively", t.type_name))
    }

    fn allows(&self, t: &TypeRef) -> bool {
        let name = t.type_name.as_str();
        match t.loader {
            // Plain data: read only through a registered estimator's builder,
            // which checks what it reads.
            Loader::Json | Loader::List | Loader::Tuple | Loader::Set | Loader::Slice => true,
            Loader::Dict => matches!(name, "builtins.dict" | "collections.OrderedDict"),
            Loader::NdArray => name.starts_with("numpy."),
            Loader::DType => name == "numpy.dtype",
            Loader::Type => name.starts_with("builtins.") || name.starts_with("numpy."),
            Loader::Object | Loader::Tree | Loader::Loss => {
                self.builders.contains_key(name) || self.aux.contains(name)
            }
            _ => self.aux.contains(name),
        }
    }
}

/// Upper bound on estimators built for one model: a crafted schema can share
/// one sub-tree from many places (skops ids), which must not blow up.
const MAX_ESTIMATORS: usize = 100_000;

/// State of one model load, passed to every [`BuildFn`].
pub struct LoadCtx<'a> {
    registry: &'a Registry,
    built: Cell<usize>,
    depth: Cell<usize>,
}

impl<'a> LoadCtx<'a> {
    pub fn new(registry: &'a Registry) -> LoadCtx<'a> {
        LoadCtx {
            registry,
            built: Cell::new(0),
            depth: Cell::new(0),
        }
    }

    /// Builds the estimator `node` holds, or says why it cannot.
    pub fn build(&self, node: &Node) -> Result<Estimator, SklearnError> {
        if node.loader() != Loader::Object {
            return Err(SklearnError::unsupported(format!(
                "expected an estimator, found {}",
                node.describe()
            )));
        }
        let name = node.type_name();
        let build = self
            .registry
            .builder(&name)
            .ok_or_else(|| SklearnError::unsupported(format!("{name} is not served natively")))?;
        let built = self.built.get() + 1;
        if built > MAX_ESTIMATORS {
            return Err(SklearnError::invalid("the model nests too many estimators"));
        }
        self.built.set(built);
        if self.depth.get() > 64 {
            return Err(SklearnError::invalid(
                "the model nests estimators too deeply",
            ));
        }
        self.depth.set(self.depth.get() + 1);
        let out = build(node, self);
        self.depth.set(self.depth.get() - 1);
        out
    }

    /// Builds a final estimator (one with `predict`).
    pub fn build_predictor(&self, node: &Node) -> Result<Box<dyn Predictor>, SklearnError> {
        match self.build(node)? {
            Estimator::Predictor(p) => Ok(p),
            Estimator::Transformer(t) => Err(SklearnError::unsupported(format!(
                "{} has no predict method",
                t.name()
            ))),
        }
    }

    /// Builds a transformer (one with `transform`).
    pub fn build_transformer(&self, node: &Node) -> Result<Box<dyn Transformer>, SklearnError> {
        match self.build(node)? {
            Estimator::Transformer(t) => Ok(t),
            Estimator::Predictor(p) => Err(SklearnError::unsupported(format!(
                "{} is used as a transformer, which is not served natively",
                p.name()
            ))),
        }
    }
}
