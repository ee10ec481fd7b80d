//! The node tree of a skops archive: one [`Node`] per state in schema.json.
//!
//! A node records the Python type skops would build (`module`, `class`) and
//! what that type is built from ([`NodeKind`], one variant per skops loader).
//! Nothing is ever imported or called: class names are data.

use std::sync::Arc;

use crate::array::{ArrayData, NdArray};
use crate::error::{Result, SkopsError};

/// A scalar from a `JsonNode` (Python `json.loads` of its `content`).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// Python `None`.
    Null,
    Bool(bool),
    /// A Python int that fits in i64.
    Int(i64),
    /// A Python int outside i64, as its decimal text.
    BigInt(String),
    /// A Python float, including `NaN`, `Infinity` and `-Infinity`.
    Float(f64),
    Str(String),
    /// Content that is not a scalar (skops never writes it): the raw JSON text.
    Other(String),
}

/// A dict key, converted by its recorded key type as skops's `DictNode` does
/// (`key_type(json_key)`).
#[derive(Debug, Clone, PartialEq)]
pub enum DictKey {
    Str(String),
    Int(i64),
    Float(f64),
    /// Python's `bool(str)`: true for any non-empty key text.
    Bool(bool),
    /// Any other key type, kept as its qualified type name and the key text.
    Other {
        key_type: String,
        text: String,
    },
}

impl DictKey {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            DictKey::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Which skops loader produced a node (`__loader__` in schema.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loader {
    Json,
    Dict,
    DefaultDict,
    List,
    Set,
    Tuple,
    Bytes,
    Bytearray,
    Slice,
    Function,
    Method,
    Partial,
    Type,
    ConstructorFromReduce,
    Object,
    OperatorFunc,
    NdArray,
    MaskedArray,
    DType,
    RandomState,
    RandomGenerator,
    SparseMatrix,
    Tree,
    Loss,
}

impl Loader {
    /// The loader's name as written in schema.json (`"ObjectNode"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Loader::Json => "JsonNode",
            Loader::Dict => "DictNode",
            Loader::DefaultDict => "DefaultDictNode",
            Loader::List => "ListNode",
            Loader::Set => "SetNode",
            Loader::Tuple => "TupleNode",
            Loader::Bytes => "BytesNode",
            Loader::Bytearray => "BytearrayNode",
            Loader::Slice => "SliceNode",
            Loader::Function => "FunctionNode",
            Loader::Method => "MethodNode",
            Loader::Partial => "PartialNode",
            Loader::Type => "TypeNode",
            Loader::ConstructorFromReduce => "ConstructorFromReduceNode",
            Loader::Object => "ObjectNode",
            Loader::OperatorFunc => "OperatorFuncNode",
            Loader::NdArray => "NdArrayNode",
            Loader::MaskedArray => "MaskedArrayNode",
            Loader::DType => "DTypeNode",
            Loader::RandomState => "RandomStateNode",
            Loader::RandomGenerator => "RandomGeneratorNode",
            Loader::SparseMatrix => "SparseMatrixNode",
            Loader::Tree => "TreeNode",
            Loader::Loss => "LossNode",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Loader> {
        const ALL: [Loader; 24] = [
            Loader::Json,
            Loader::Dict,
            Loader::DefaultDict,
            Loader::List,
            Loader::Set,
            Loader::Tuple,
            Loader::Bytes,
            Loader::Bytearray,
            Loader::Slice,
            Loader::Function,
            Loader::Method,
            Loader::Partial,
            Loader::Type,
            Loader::ConstructorFromReduce,
            Loader::Object,
            Loader::OperatorFunc,
            Loader::NdArray,
            Loader::MaskedArray,
            Loader::DType,
            Loader::RandomState,
            Loader::RandomGenerator,
            Loader::SparseMatrix,
            Loader::Tree,
            Loader::Loss,
        ];
        ALL.into_iter().find(|l| l.name() == name)
    }
}

/// A scipy sparse matrix (`SparseMatrixNode`): the arrays of its .npz member.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMatrix {
    /// scipy's format name (`csr`, `csc`, `coo`, ...), from `format.npy`.
    pub format: String,
    /// Every array of the .npz by name without `.npy` (`data`, `indices`, ...).
    pub arrays: Vec<(String, NdArray)>,
}

impl SparseMatrix {
    pub fn array(&self, name: &str) -> Option<&NdArray> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// What a node is built from: one variant per skops loader.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `JsonNode`: a Python scalar (`module`/`class` are `builtins.str` for all).
    Json(JsonValue),
    /// `DictNode`: entries in file order, keys converted by `key_types`.
    Dict(Vec<(DictKey, Arc<Node>)>),
    /// `DefaultDictNode`.
    DefaultDict {
        main: Arc<Node>,
        default_factory: Arc<Node>,
    },
    /// `ListNode`.
    List(Vec<Arc<Node>>),
    /// `TupleNode` (plain tuples and named tuples alike).
    Tuple(Vec<Arc<Node>>),
    /// `SetNode`, in file order.
    Set(Vec<Arc<Node>>),
    /// `NdArrayNode` stored as .npy: an array, or a numpy scalar when the
    /// class is a numpy scalar type (`int64`, `float64`, `str_`, ...; 0-d).
    Array(Arc<NdArray>),
    /// `NdArrayNode` of dtype object, stored as JSON: its items (for a 1-D
    /// array, the elements; for n-D, nested `ListNode`s) and the recorded shape.
    ObjectArray {
        items: Vec<Arc<Node>>,
        shape: Vec<usize>,
    },
    /// `MaskedArrayNode`.
    MaskedArray { data: Arc<Node>, mask: Arc<Node> },
    /// `DTypeNode`: the dtype of an empty array (`content`).
    DType(Arc<Node>),
    /// `ObjectNode`: the state handed to `__setstate__` or `__dict__` (usually a
    /// `DictNode` of attributes), `None` when skops stored no state.
    Object(Option<Arc<Node>>),
    /// `ConstructorFromReduceNode`: `class(*args)`.
    ConstructorFromReduce(Arc<Node>),
    /// `TreeNode` (`sklearn.tree._tree.Tree`): the `__reduce__` args
    /// `(n_features, n_classes, n_outputs)` and the state dict (`max_depth`,
    /// `node_count`, `nodes` structured array, `values`).
    Tree { args: Arc<Node>, state: Arc<Node> },
    /// `LossNode`: a scikit-learn loss, `class(*args)` then `__setstate__`.
    Loss { args: Arc<Node>, state: Arc<Node> },
    /// `TypeNode`: the type `module.class` itself.
    Type,
    /// `FunctionNode`: the function `module.class`.
    Function,
    /// `MethodNode`: method `func` bound to `obj`.
    Method { func: String, obj: Arc<Node> },
    /// `PartialNode`: `functools.partial`.
    Partial {
        func: Arc<Node>,
        args: Arc<Node>,
        kwds: Arc<Node>,
        namespace: Arc<Node>,
    },
    /// `SliceNode`.
    Slice {
        start: JsonValue,
        stop: JsonValue,
        step: JsonValue,
    },
    /// `BytesNode`.
    Bytes(Arc<Vec<u8>>),
    /// `BytearrayNode`.
    Bytearray(Arc<Vec<u8>>),
    /// `OperatorFuncNode`: `operator.<class>(*attrs)`.
    OperatorFunc(Arc<Node>),
    /// `SparseMatrixNode`.
    SparseMatrix(Arc<SparseMatrix>),
    /// `RandomStateNode`: the state given to `set_state`.
    RandomState(Arc<Node>),
    /// `RandomGeneratorNode`; `name` is the bit generator class skops would
    /// instantiate (`PCG64`, ...), read from the state as skops reads it.
    RandomGenerator {
        name: String,
        bit_generator: Arc<Node>,
        seed_seq: Arc<Node>,
    },
}

/// One state of schema.json.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub(crate) module: String,
    pub(crate) class: String,
    pub(crate) loader: Loader,
    pub(crate) kind: NodeKind,
}

/// numpy scalar classes stored as 0-d arrays by `NdArrayNode`.
fn is_numpy_scalar_class(module: &str, class: &str) -> bool {
    module == "numpy" && class != "ndarray"
}

impl Node {
    /// `__module__` (e.g. `sklearn.linear_model._logistic`).
    pub fn module(&self) -> &str {
        &self.module
    }

    /// `__class__` (e.g. `LogisticRegression`).
    pub fn class(&self) -> &str {
        &self.class
    }

    /// `module.class`, the name skops's trusted-type lists use.
    pub fn type_name(&self) -> String {
        format!("{}.{}", self.module, self.class)
    }

    pub fn loader(&self) -> Loader {
        self.loader
    }

    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }

    /// `ObjectNode sklearn.linear_model._base.LinearRegression`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}.{}", self.loader.name(), self.module, self.class)
    }

    fn mismatch(&self, wanted: &str) -> SkopsError {
        SkopsError::Access(format!(
            "expected {wanted}, found {}",
            self.describe_value()
        ))
    }

    fn describe_value(&self) -> String {
        match &self.kind {
            NodeKind::Json(v) => format!("{v:?}"),
            NodeKind::Array(a) => a.describe(),
            _ => self.describe(),
        }
    }

    // ---- objects and dicts -------------------------------------------------

    /// The entries of a dict, or of an object's attribute dict.
    pub fn entries(&self) -> Option<&[(DictKey, Arc<Node>)]> {
        match &self.kind {
            NodeKind::Dict(e) => Some(e),
            NodeKind::Object(Some(state)) => match &state.kind {
                NodeKind::Dict(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value under string key `name` of a dict, or attribute `name` of an
    /// object; `None` if absent.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(_, v)| v.as_ref())
    }

    /// Like [`Node::get`], but a missing attribute is an error naming it.
    pub fn attr(&self, name: &str) -> Result<&Node> {
        self.get(name).ok_or_else(|| {
            SkopsError::Access(format!(
                "{}.{} has no attribute {name:?}",
                self.module, self.class
            ))
        })
    }

    /// True when the attribute exists and is not Python `None`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some_and(|n| !n.is_none())
    }

    // ---- scalars -----------------------------------------------------------

    pub fn as_json(&self) -> Option<&JsonValue> {
        match &self.kind {
            NodeKind::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The array of an `NdArrayNode` stored as .npy (arrays and numpy scalars).
    pub fn as_array(&self) -> Option<&NdArray> {
        match &self.kind {
            NodeKind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// True for Python `None`.
    pub fn is_none(&self) -> bool {
        matches!(self.kind, NodeKind::Json(JsonValue::Null))
    }

    /// True for a numpy scalar (`numpy.float64`, `numpy.int64`, ...).
    pub fn is_numpy_scalar(&self) -> bool {
        matches!(self.kind, NodeKind::Array(_)) && is_numpy_scalar_class(&self.module, &self.class)
    }

    /// A Python int or float, a numpy integer/float/bool scalar, as f64.
    /// Python bools are refused (sklearn would usually accept them, the
    /// caller decides).
    pub fn f64(&self) -> Result<f64> {
        match &self.kind {
            NodeKind::Json(JsonValue::Float(f)) => Ok(*f),
            NodeKind::Json(JsonValue::Int(i)) => Ok(*i as f64),
            NodeKind::Array(a) if a.ndim() == 0 => {
                a.scalar_f64().ok_or_else(|| self.mismatch("a number"))
            }
            _ => Err(self.mismatch("a number")),
        }
    }

    /// A Python int or numpy integer scalar as i64 (floats and bools refused).
    pub fn i64(&self) -> Result<i64> {
        match &self.kind {
            NodeKind::Json(JsonValue::Int(i)) => Ok(*i),
            NodeKind::Array(a) if a.ndim() == 0 => a
                .data()
                .to_i64()
                .and_then(|v| v.first().copied())
                .ok_or_else(|| self.mismatch("an integer")),
            _ => Err(self.mismatch("an integer")),
        }
    }

    /// A Python bool or numpy bool scalar.
    pub fn bool(&self) -> Result<bool> {
        match &self.kind {
            NodeKind::Json(JsonValue::Bool(b)) => Ok(*b),
            NodeKind::Array(a) if a.ndim() == 0 => match a.data() {
                ArrayData::Bool(v) => v.first().copied().ok_or_else(|| self.mismatch("a bool")),
                _ => Err(self.mismatch("a bool")),
            },
            _ => Err(self.mismatch("a bool")),
        }
    }

    /// A Python str or numpy `str_` scalar.
    pub fn str(&self) -> Result<&str> {
        match &self.kind {
            NodeKind::Json(JsonValue::Str(s)) => Ok(s),
            NodeKind::Array(a) if a.ndim() == 0 => match a.data() {
                ArrayData::Str(v) => v
                    .first()
                    .map(String::as_str)
                    .ok_or_else(|| self.mismatch("a string")),
                _ => Err(self.mismatch("a string")),
            },
            _ => Err(self.mismatch("a string")),
        }
    }

    /// [`Node::str`], with `None` for Python `None`.
    pub fn opt_str(&self) -> Result<Option<&str>> {
        if self.is_none() {
            Ok(None)
        } else {
            self.str().map(Some)
        }
    }

    // ---- sequences ---------------------------------------------------------

    /// The items of a list, tuple or set.
    pub fn seq(&self) -> Result<&[Arc<Node>]> {
        match &self.kind {
            NodeKind::List(v) | NodeKind::Tuple(v) | NodeKind::Set(v) => Ok(v),
            _ => Err(self.mismatch("a list or tuple")),
        }
    }

    /// A .npy array (not a numpy scalar).
    pub fn array(&self) -> Result<&NdArray> {
        match &self.kind {
            NodeKind::Array(a) if !is_numpy_scalar_class(&self.module, &self.class) => Ok(a),
            _ => Err(self.mismatch("a numpy array")),
        }
    }

    /// A 1-D sequence of strings: a unicode array, an object array of str,
    /// or a list/tuple of str (e.g. `feature_names_in_`).
    pub fn str_list(&self) -> Result<Vec<String>> {
        match &self.kind {
            NodeKind::Array(a) if a.ndim() == 1 => a
                .as_str()
                .map(<[String]>::to_vec)
                .ok_or_else(|| self.mismatch("an array of strings")),
            NodeKind::ObjectArray { items, shape } if shape.len() == 1 => {
                items.iter().map(|n| n.str().map(str::to_owned)).collect()
            }
            NodeKind::List(v) | NodeKind::Tuple(v) => {
                v.iter().map(|n| n.str().map(str::to_owned)).collect()
            }
            _ => Err(self.mismatch("a 1-D sequence of strings")),
        }
    }

    /// The items and shape of an object array stored as JSON.
    pub fn object_array(&self) -> Option<(&[Arc<Node>], &[usize])> {
        match &self.kind {
            NodeKind::ObjectArray { items, shape } => Some((items, shape)),
            _ => None,
        }
    }

    /// Direct children, in a fixed order (for walks over the tree).
    pub fn children(&self) -> Vec<&Arc<Node>> {
        match &self.kind {
            NodeKind::Dict(e) => e.iter().map(|(_, v)| v).collect(),
            NodeKind::DefaultDict {
                main,
                default_factory,
            } => vec![main, default_factory],
            NodeKind::List(v) | NodeKind::Tuple(v) | NodeKind::Set(v) => v.iter().collect(),
            NodeKind::ObjectArray { items, .. } => items.iter().collect(),
            NodeKind::MaskedArray { data, mask } => vec![data, mask],
            NodeKind::DType(c)
            | NodeKind::ConstructorFromReduce(c)
            | NodeKind::OperatorFunc(c)
            | NodeKind::RandomState(c) => vec![c],
            NodeKind::Object(Some(c)) => vec![c],
            NodeKind::Tree { args, state } | NodeKind::Loss { args, state } => vec![args, state],
            NodeKind::Method { obj, .. } => vec![obj],
            NodeKind::Partial {
                func,
                args,
                kwds,
                namespace,
            } => vec![func, args, kwds, namespace],
            NodeKind::RandomGenerator {
                bit_generator,
                seed_seq,
                ..
            } => vec![bit_generator, seed_seq],
            NodeKind::Json(_)
            | NodeKind::Array(_)
            | NodeKind::Object(None)
            | NodeKind::Type
            | NodeKind::Function
            | NodeKind::Slice { .. }
            | NodeKind::Bytes(_)
            | NodeKind::Bytearray(_)
            | NodeKind::SparseMatrix(_) => vec![],
        }
    }
}
