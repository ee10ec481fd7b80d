//! schema.json -> node tree, following skops's `get_tree` and each loader's
//! `__init__` (skops/io/_general.py, _numpy.py, _scipy.py, _sklearn.py).
//!
//! Like skops, a state whose `__id__` was seen before is the earlier node
//! (skops memoizes by id); unlike skops, an id that refers to one of its own
//! ancestors is an error instead of a cycle.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::array::{ArrayData, NdArray};
use crate::error::{Result, SkopsError};
use crate::members::Members;
use crate::node::{DictKey, JsonValue, Loader, Node, NodeKind, SparseMatrix};
use crate::npy::parse_npy;
use crate::raw::Raw;

/// skops 0.16's `PROTOCOL`.
pub(crate) const PROTOCOL: i64 = 2;

pub(crate) struct Builder<'a, 'b> {
    pub(crate) members: &'b mut Members<'a>,
    pub(crate) total: u64,
    pub(crate) protocol: i64,
    memo: HashMap<i128, Arc<Node>>,
    in_progress: HashSet<i128>,
    arrays: HashMap<String, Arc<NdArray>>,
    blobs: HashMap<String, Arc<Vec<u8>>>,
    sparse: HashMap<String, Arc<SparseMatrix>>,
}

fn schema_err(msg: impl Into<String>) -> SkopsError {
    SkopsError::Schema(msg.into())
}

fn field<'r>(raw: &'r Raw, key: &str, what: &str) -> Result<&'r Raw> {
    raw.get(key)
        .ok_or_else(|| schema_err(format!("{what} has no {key:?}")))
}

fn str_field<'r>(raw: &'r Raw, key: &str, what: &str) -> Result<&'r str> {
    let v = field(raw, key, what)?;
    v.as_str()
        .ok_or_else(|| schema_err(format!("{what}: {key:?} is {}, not a string", v.kind())))
}

/// Python `json.loads` of a `JsonNode`'s content, for the scalars skops writes.
pub(crate) fn parse_json_scalar(text: &str) -> Result<JsonValue> {
    match text.trim() {
        "NaN" => return Ok(JsonValue::Float(f64::NAN)),
        "Infinity" => return Ok(JsonValue::Float(f64::INFINITY)),
        "-Infinity" => return Ok(JsonValue::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| schema_err(format!("JsonNode content {text:?}: {e}")))?;
    Ok(match v {
        serde_json::Value::Null => JsonValue::Null,
        serde_json::Value::Bool(b) => JsonValue::Bool(b),
        serde_json::Value::Number(n) => {
            let t = text.trim();
            if let Some(i) = n.as_i64() {
                JsonValue::Int(i)
            } else if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                JsonValue::BigInt(t.to_owned())
            } else {
                JsonValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => JsonValue::Str(s),
        _ => JsonValue::Other(text.to_owned()),
    })
}

fn raw_scalar(raw: &Raw) -> JsonValue {
    match raw {
        Raw::Null => JsonValue::Null,
        Raw::Bool(b) => JsonValue::Bool(*b),
        Raw::Int(i) => JsonValue::Int(*i),
        Raw::UInt(u) => JsonValue::BigInt(u.to_string()),
        Raw::Float(f) => JsonValue::Float(*f),
        Raw::Str(s) => JsonValue::Str(s.clone()),
        Raw::Arr(_) | Raw::Obj(_) => JsonValue::Other(format!("{raw:?}")),
    }
}

/// `key_type(key)` for the key types Python can rebuild from JSON key text.
fn convert_key(key_type: &Node, text: &str) -> Result<DictKey> {
    let t = key_type.type_name();
    let bad = || schema_err(format!("dict key {text:?} is not a valid {t}"));
    Ok(match t.as_str() {
        "builtins.str" | "numpy.str_" => DictKey::Str(text.to_owned()),
        "builtins.int" | "numpy.int64" | "numpy.int32" | "numpy.int16" | "numpy.int8"
        | "numpy.uint64" | "numpy.uint32" | "numpy.uint16" | "numpy.uint8" => {
            DictKey::Int(text.trim().replace('_', "").parse().map_err(|_| bad())?)
        }
        "builtins.float" | "numpy.float64" | "numpy.float32" => {
            let s = text.trim().to_ascii_lowercase();
            DictKey::Float(match s.as_str() {
                "nan" | "+nan" | "-nan" => f64::NAN,
                "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
                "-inf" | "-infinity" => f64::NEG_INFINITY,
                _ => s.parse().map_err(|_| bad())?,
            })
        }
        "builtins.bool" => DictKey::Bool(!text.is_empty()),
        _ => DictKey::Other {
            key_type: t,
            text: text.to_owned(),
        },
    })
}

impl<'a, 'b> Builder<'a, 'b> {
    pub(crate) fn new(members: &'b mut Members<'a>, protocol: i64) -> Builder<'a, 'b> {
        Builder {
            members,
            total: 0,
            protocol,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            arrays: HashMap::new(),
            blobs: HashMap::new(),
            sparse: HashMap::new(),
        }
    }

    fn blob(&mut self, name: &str) -> Result<Arc<Vec<u8>>> {
        if let Some(b) = self.blobs.get(name) {
            return Ok(b.clone());
        }
        let b = Arc::new(self.members.read(name, &mut self.total)?);
        self.blobs.insert(name.to_owned(), b.clone());
        Ok(b)
    }

    fn npy(&mut self, name: &str) -> Result<Arc<NdArray>> {
        if let Some(a) = self.arrays.get(name) {
            return Ok(a.clone());
        }
        let bytes = self.members.read(name, &mut self.total)?;
        let a = Arc::new(parse_npy(name, &bytes, self.members_limits())?);
        self.arrays.insert(name.to_owned(), a.clone());
        Ok(a)
    }

    fn members_limits(&self) -> &crate::Limits {
        self.members.limits()
    }

    fn npz(&mut self, name: &str) -> Result<Arc<SparseMatrix>> {
        if let Some(s) = self.sparse.get(name) {
            return Ok(s.clone());
        }
        let bytes = self.members.read(name, &mut self.total)?;
        let limits = self.members_limits().clone();
        let mut inner = Members::open(&bytes, &limits)
            .map_err(|e| schema_err(format!("sparse matrix {name:?}: {e}")))?;
        let mut arrays = Vec::new();
        for member in inner.names()? {
            let data = inner.read(&member, &mut self.total)?;
            let label = format!("{name}/{member}");
            let key = member.strip_suffix(".npy").unwrap_or(&member).to_owned();
            arrays.push((key, parse_npy(&label, &data, &limits)?));
        }
        let format = arrays
            .iter()
            .find(|(n, _)| n == "format")
            .and_then(|(_, a)| match a.data() {
                ArrayData::Bytes(v) if v.len() == 1 => {
                    v.first().and_then(|b| String::from_utf8(b.clone()).ok())
                }
                ArrayData::Str(v) if v.len() == 1 => v.first().cloned(),
                _ => None,
            })
            .ok_or_else(|| schema_err(format!("sparse matrix {name:?} has no format")))?;
        let s = Arc::new(SparseMatrix { format, arrays });
        self.sparse.insert(name.to_owned(), s.clone());
        Ok(s)
    }

    /// skops's `get_tree`.
    pub(crate) fn build(&mut self, raw: &Raw) -> Result<Arc<Node>> {
        if !matches!(raw, Raw::Obj(_)) {
            return Err(schema_err(format!(
                "expected a state object, found {}",
                raw.kind()
            )));
        }
        // Python treats an id of 0 (falsy) as no id.
        let id: Option<i128> = match raw.get("__id__") {
            None | Some(Raw::Null) | Some(Raw::Int(0)) => None,
            Some(Raw::Int(i)) => Some(i128::from(*i)),
            Some(Raw::UInt(u)) => Some(i128::from(*u)),
            Some(other) => return Err(schema_err(format!("__id__ is {}", other.kind()))),
        };
        if let Some(id) = id {
            if let Some(n) = self.memo.get(&id) {
                return Ok(n.clone());
            }
            if !self.in_progress.insert(id) {
                return Err(schema_err(format!("state {id} refers to itself")));
            }
        }
        let node = self.build_state(raw);
        if let Some(id) = id {
            self.in_progress.remove(&id);
            if let Ok(n) = &node {
                self.memo.insert(id, n.clone());
            }
        }
        node
    }

    fn build_state(&mut self, raw: &Raw) -> Result<Arc<Node>> {
        let loader_name = str_field(raw, "__loader__", "state")?;
        let mut module = str_field(raw, "__module__", "state")?.to_owned();
        let mut class = str_field(raw, "__class__", "state")?.to_owned();
        let what = format!("{loader_name} {module}.{class}");
        if loader_name == "CachedNode" {
            // get_tree returns a memoized id before reaching CachedNode, so
            // a CachedNode always names an unknown id.
            return Err(schema_err("a cached node refers to an unknown object id"));
        }
        let loader = Loader::from_name(loader_name).ok_or_else(|| {
            schema_err(format!(
                "can't find loader {loader_name} for type {module}.{class} and protocol {}",
                self.protocol
            ))
        })?;
        let content = || field(raw, "content", &what);
        let kind = match loader {
            Loader::Json => {
                let c = content()?;
                let text = c
                    .as_str()
                    .ok_or_else(|| schema_err(format!("{what}: content is not a string")))?;
                NodeKind::Json(parse_json_scalar(text)?)
            }
            Loader::Dict => {
                let key_types = self.build(field(raw, "key_types", &what)?)?;
                let Raw::Obj(items) = content()? else {
                    return Err(schema_err(format!("{what}: content is not an object")));
                };
                let types = key_types
                    .seq()
                    .map_err(|e| schema_err(format!("{what}: key_types: {e}")))?;
                if types.len() != items.len() {
                    return Err(schema_err(format!(
                        "{what}: {} keys but {} key types",
                        items.len(),
                        types.len()
                    )));
                }
                let mut entries = Vec::with_capacity(items.len());
                for (t, (k, v)) in types.iter().zip(items) {
                    if t.loader() != Loader::Type {
                        return Err(schema_err(format!(
                            "{what}: a key type is {}",
                            t.describe()
                        )));
                    }
                    entries.push((convert_key(t, k)?, self.build(v)?));
                }
                NodeKind::Dict(entries)
            }
            Loader::DefaultDict => {
                let c = content()?;
                NodeKind::DefaultDict {
                    main: self.build(field(c, "main", &what)?)?,
                    default_factory: self.build(field(c, "default_factory", &what)?)?,
                }
            }
            Loader::List | Loader::Set | Loader::Tuple => {
                let Raw::Arr(items) = content()? else {
                    return Err(schema_err(format!("{what}: content is not a list")));
                };
                let items = items
                    .iter()
                    .map(|v| self.build(v))
                    .collect::<Result<Vec<_>>>()?;
                match loader {
                    Loader::List => NodeKind::List(items),
                    Loader::Set => NodeKind::Set(items),
                    _ => NodeKind::Tuple(items),
                }
            }
            Loader::Bytes | Loader::Bytearray => {
                let b = self.blob(str_field(raw, "file", &what)?)?;
                if loader == Loader::Bytes {
                    NodeKind::Bytes(b)
                } else {
                    NodeKind::Bytearray(b)
                }
            }
            Loader::Slice => {
                let c = content()?;
                NodeKind::Slice {
                    start: raw_scalar(field(c, "start", &what)?),
                    stop: raw_scalar(field(c, "stop", &what)?),
                    step: raw_scalar(field(c, "step", &what)?),
                }
            }
            Loader::Function => {
                if self.protocol == 0 {
                    // skops/io/old/_general_v0.py: the function is named by content.
                    let c = content()?;
                    module = str_field(c, "module_path", &what)?.to_owned();
                    class = str_field(c, "function", &what)?.to_owned();
                }
                NodeKind::Function
            }
            Loader::Method => {
                let c = content()?;
                let obj = self.build(field(c, "obj", &what)?)?;
                if obj.module() != module || obj.class() != class {
                    return Err(schema_err(format!(
                        "{what}: bound to an object of type {}.{}",
                        obj.module(),
                        obj.class()
                    )));
                }
                NodeKind::Method {
                    func: str_field(c, "func", &what)?.to_owned(),
                    obj,
                }
            }
            Loader::Partial => {
                let c = content()?;
                NodeKind::Partial {
                    func: self.build(field(c, "func", &what)?)?,
                    args: self.build(field(c, "args", &what)?)?,
                    kwds: self.build(field(c, "kwds", &what)?)?,
                    namespace: self.build(field(c, "namespace", &what)?)?,
                }
            }
            Loader::Type => NodeKind::Type,
            Loader::ConstructorFromReduce => {
                NodeKind::ConstructorFromReduce(self.build(content()?)?)
            }
            Loader::Object => match raw.get("content") {
                None | Some(Raw::Null) => NodeKind::Object(None),
                Some(c) => NodeKind::Object(Some(self.build(c)?)),
            },
            Loader::OperatorFunc => {
                if module != "operator" {
                    return Err(schema_err(format!("{what}: expected module 'operator'")));
                }
                NodeKind::OperatorFunc(self.build(field(raw, "attrs", &what)?)?)
            }
            Loader::NdArray => match str_field(raw, "type", &what)? {
                "numpy" => NodeKind::Array(self.npy(str_field(raw, "file", &what)?)?),
                "json" => {
                    let Raw::Arr(items) = content()? else {
                        return Err(schema_err(format!("{what}: content is not a list")));
                    };
                    let items = items
                        .iter()
                        .map(|v| self.build(v))
                        .collect::<Result<Vec<_>>>()?;
                    let shape_node = self.build(field(raw, "shape", &what)?)?;
                    let shape = shape_node
                        .seq()
                        .and_then(|s| {
                            s.iter()
                                .map(|d| {
                                    d.i64().and_then(|v| {
                                        usize::try_from(v).map_err(|_| {
                                            SkopsError::Access(format!("bad dimension {v}"))
                                        })
                                    })
                                })
                                .collect::<Result<Vec<usize>>>()
                        })
                        .map_err(|e| schema_err(format!("{what}: shape: {e}")))?;
                    NodeKind::ObjectArray { items, shape }
                }
                other => return Err(schema_err(format!("{what}: unknown type {other:?}"))),
            },
            Loader::MaskedArray => {
                let c = content()?;
                NodeKind::MaskedArray {
                    data: self.build(field(c, "data", &what)?)?,
                    mask: self.build(field(c, "mask", &what)?)?,
                }
            }
            Loader::DType => NodeKind::DType(self.build(content()?)?),
            Loader::RandomState => NodeKind::RandomState(self.build(content()?)?),
            Loader::RandomGenerator => {
                if self.protocol == 0 {
                    return Err(SkopsError::Unsupported(
                        "numpy Generator saved with skops protocol 0".into(),
                    ));
                }
                let c = content()?;
                let bg = field(c, "bit_generator", &what)?;
                // skops reads the class name from the raw state and refuses
                // the file when it is not where numpy puts it.
                let name = bg
                    .get("content")
                    .and_then(|c| c.get("bit_generator"))
                    .and_then(|n| n.get("content"))
                    .and_then(Raw::as_str)
                    .map(parse_json_scalar)
                    .transpose()?;
                let Some(JsonValue::Str(name)) = name else {
                    return Err(schema_err(format!(
                        "{what}: could not find the bit generator name"
                    )));
                };
                NodeKind::RandomGenerator {
                    name,
                    bit_generator: self.build(bg)?,
                    seed_seq: self.build(field(c, "seed_seq", &what)?)?,
                }
            }
            Loader::SparseMatrix => {
                if str_field(raw, "type", &what)? != "scipy" {
                    return Err(schema_err(format!("{what}: cannot load this type")));
                }
                NodeKind::SparseMatrix(self.npz(str_field(raw, "file", &what)?)?)
            }
            Loader::Tree | Loader::Loss => {
                let reduce = field(raw, "__reduce__", &what)?;
                let args = self.build(field(reduce, "args", &what)?)?;
                let state = self.build(content()?)?;
                if loader == Loader::Tree {
                    // skops always constructs sklearn.tree._tree.Tree here.
                    if module != "sklearn.tree._tree" || class != "Tree" {
                        return Err(schema_err(format!("{what}: a TreeNode must be a Tree")));
                    }
                    NodeKind::Tree { args, state }
                } else {
                    NodeKind::Loss { args, state }
                }
            }
        };
        Ok(Arc::new(Node {
            module,
            class,
            loader,
            kind,
        }))
    }
}
