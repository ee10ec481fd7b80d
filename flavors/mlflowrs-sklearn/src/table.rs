//! The data passed between steps: a [`Table`] (what sklearn receives as X: a
//! pandas DataFrame or a numpy array) and a [`Matrix`] (X after
//! `check_array`, as the numeric kernels read it).

use crate::pyrepr::py_str_repr;

/// numpy integer dtypes (values are held as i64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntKind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

impl IntKind {
    fn bits(self) -> u32 {
        match self {
            IntKind::I8 | IntKind::U8 => 8,
            IntKind::I16 | IntKind::U16 => 16,
            IntKind::I32 | IntKind::U32 => 32,
            IntKind::I64 | IntKind::U64 => 64,
        }
    }

    fn signed(self) -> bool {
        matches!(
            self,
            IntKind::I8 | IntKind::I16 | IntKind::I32 | IntKind::I64
        )
    }

    fn from_bits(bits: u32, signed: bool) -> IntKind {
        match (bits, signed) {
            (8, true) => IntKind::I8,
            (16, true) => IntKind::I16,
            (32, true) => IntKind::I32,
            (8, false) => IntKind::U8,
            (16, false) => IntKind::U16,
            (32, false) => IntKind::U32,
            (_, false) => IntKind::U64,
            (_, true) => IntKind::I64,
        }
    }
}

/// The numpy dtype of a column or array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NpDType {
    Bool,
    Int(IntKind),
    F32,
    F64,
    /// numpy `<U` strings.
    Unicode,
    /// numpy object (Python objects: str, float, int, bool, None).
    Object,
}

impl NpDType {
    /// numpy's `result_type` for two array dtypes (numpy 2 rules, no
    /// value-based casting); `None` where numpy raises (strings with numbers).
    pub fn promote(self, other: NpDType) -> Option<NpDType> {
        use NpDType::*;
        Some(match (self, other) {
            (a, b) if a == b => a,
            (Object, _) | (_, Object) => Object,
            (Unicode, _) | (_, Unicode) => return None,
            (Bool, x) | (x, Bool) => x,
            (F64, _) | (_, F64) => F64,
            (F32, Int(k)) | (Int(k), F32) => {
                if k.bits() <= 16 {
                    F32
                } else {
                    F64
                }
            }
            (F32, F32) => F32,
            (Int(a), Int(b)) => {
                if a.signed() == b.signed() {
                    Int(IntKind::from_bits(a.bits().max(b.bits()), a.signed()))
                } else {
                    let (s, u) = if a.signed() { (a, b) } else { (b, a) };
                    if s.bits() > u.bits() {
                        Int(s)
                    } else if u.bits() < 64 {
                        Int(IntKind::from_bits(u.bits() * 2, true))
                    } else {
                        F64
                    }
                }
            }
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, NpDType::F32 | NpDType::F64)
    }

    /// `repr(np.dtype(...))` as sklearn messages print it.
    pub fn repr(self) -> &'static str {
        match self {
            NpDType::Bool => "dtype('bool')",
            NpDType::Int(IntKind::I8) => "dtype('int8')",
            NpDType::Int(IntKind::I16) => "dtype('int16')",
            NpDType::Int(IntKind::I32) => "dtype('int32')",
            NpDType::Int(IntKind::I64) => "dtype('int64')",
            NpDType::Int(IntKind::U8) => "dtype('uint8')",
            NpDType::Int(IntKind::U16) => "dtype('uint16')",
            NpDType::Int(IntKind::U32) => "dtype('uint32')",
            NpDType::Int(IntKind::U64) => "dtype('uint64')",
            NpDType::F32 => "dtype('float32')",
            NpDType::F64 => "dtype('float64')",
            NpDType::Unicode => "dtype('<U')",
            NpDType::Object => "dtype('O')",
        }
    }
}

/// A Python object inside an object column.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    Str(String),
    Float(f64),
    Int(i64),
    Bool(bool),
    None,
}

impl PyValue {
    /// Python's `float(v)`, with its error text.
    pub fn to_f64(&self, unicode: bool) -> Result<f64, String> {
        match self {
            PyValue::Float(f) => Ok(*f),
            PyValue::Int(i) => Ok(*i as f64),
            PyValue::Bool(b) => Ok(f64::from(u8::from(*b))),
            PyValue::Str(s) => py_float(s).ok_or_else(|| {
                if unicode {
                    format!(
                        "could not convert string to float: np.str_({})",
                        py_str_repr(s)
                    )
                } else {
                    format!("could not convert string to float: {}", py_str_repr(s))
                }
            }),
            PyValue::None => {
                Err("float() argument must be a string or a real number, not 'NoneType'".into())
            }
        }
    }

    /// True for a float NaN or None (sklearn's `is_scalar_nan` / pandas isna).
    pub fn is_nan_like(&self) -> bool {
        matches!(self, PyValue::None) || matches!(self, PyValue::Float(f) if f.is_nan())
    }
}

/// Python's `float(str)`: surrounding whitespace, `_` between digits,
/// `nan`/`inf`/`infinity` in any case with a sign.
pub fn py_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let (sign, body) = match lower.as_bytes().first() {
        Some(b'-') => (-1.0, &lower[1..]),
        Some(b'+') => (1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    if body.starts_with(['+', '-']) {
        return None;
    }
    match body {
        "nan" => return Some(f64::NAN),
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    // Underscores are allowed only between digits.
    let b = body.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev = i.checked_sub(1).and_then(|j| b.get(j));
            let next = b.get(i + 1);
            if !(prev.is_some_and(u8::is_ascii_digit) && next.is_some_and(u8::is_ascii_digit)) {
                return None;
            }
        } else if !(c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'+' || c == b'-') {
            return None;
        }
    }
    let cleaned: String = body.chars().filter(|&c| c != '_').collect();
    cleaned.parse::<f64>().ok().map(|v| sign * v)
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Bool(Vec<bool>),
    Int(IntKind, Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// numpy `<U` strings (a string ndarray).
    Unicode(Vec<String>),
    /// An object column of Python `str` (a pandas string column).
    Str(Vec<String>),
    /// An object column of mixed Python objects.
    Object(Vec<PyValue>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Bool(v) => v.len(),
            Column::Int(_, v) => v.len(),
            Column::F32(v) => v.len(),
            Column::F64(v) => v.len(),
            Column::Unicode(v) | Column::Str(v) => v.len(),
            Column::Object(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> NpDType {
        match self {
            Column::Bool(_) => NpDType::Bool,
            Column::Int(k, _) => NpDType::Int(*k),
            Column::F32(_) => NpDType::F32,
            Column::F64(_) => NpDType::F64,
            Column::Unicode(_) => NpDType::Unicode,
            Column::Str(_) | Column::Object(_) => NpDType::Object,
        }
    }

    /// Element `i` as a Python object (numbers as numpy would box them).
    pub fn py_value(&self, i: usize) -> Option<PyValue> {
        Some(match self {
            Column::Bool(v) => PyValue::Bool(*v.get(i)?),
            Column::Int(_, v) => PyValue::Int(*v.get(i)?),
            Column::F32(v) => PyValue::Float(f64::from(*v.get(i)?)),
            Column::F64(v) => PyValue::Float(*v.get(i)?),
            Column::Unicode(v) | Column::Str(v) => PyValue::Str(v.get(i)?.clone()),
            Column::Object(v) => v.get(i)?.clone(),
        })
    }

    /// Element `i` converted to float as numpy's `astype(float64)` does.
    pub fn f64_at(&self, i: usize) -> Result<f64, String> {
        let missing = || "row index out of range".to_string();
        match self {
            Column::Bool(v) => v
                .get(i)
                .map(|&b| f64::from(u8::from(b)))
                .ok_or_else(missing),
            Column::Int(_, v) => v.get(i).map(|&x| x as f64).ok_or_else(missing),
            Column::F32(v) => v.get(i).map(|&x| f64::from(x)).ok_or_else(missing),
            Column::F64(v) => v.get(i).copied().ok_or_else(missing),
            Column::Unicode(v) => {
                let s = v.get(i).ok_or_else(missing)?;
                PyValue::Str(s.clone()).to_f64(true)
            }
            Column::Str(v) => {
                let s = v.get(i).ok_or_else(missing)?;
                PyValue::Str(s.clone()).to_f64(false)
            }
            Column::Object(v) => v.get(i).ok_or_else(missing)?.to_f64(false),
        }
    }

    /// Rows `idx` of this column.
    pub fn take(&self, idx: &[usize]) -> Column {
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().filter_map(|&i| v.get(i).cloned()).collect()
        }
        match self {
            Column::Bool(v) => Column::Bool(pick(v, idx)),
            Column::Int(k, v) => Column::Int(*k, pick(v, idx)),
            Column::F32(v) => Column::F32(pick(v, idx)),
            Column::F64(v) => Column::F64(pick(v, idx)),
            Column::Unicode(v) => Column::Unicode(pick(v, idx)),
            Column::Str(v) => Column::Str(pick(v, idx)),
            Column::Object(v) => Column::Object(pick(v, idx)),
        }
    }

    /// This column cast to `dtype` as part of an ndarray (`np.hstack`):
    /// numbers widen, anything becomes Python objects for `Object`.
    pub fn cast(&self, dtype: NpDType) -> Column {
        if self.dtype() == dtype {
            return self.clone();
        }
        let n = self.len();
        match dtype {
            NpDType::Object => Column::Object((0..n).filter_map(|i| self.py_value(i)).collect()),
            NpDType::F64 => {
                Column::F64((0..n).map(|i| self.f64_at(i).unwrap_or(f64::NAN)).collect())
            }
            NpDType::F32 => Column::F32(
                (0..n)
                    .map(|i| self.f64_at(i).unwrap_or(f64::NAN) as f32)
                    .collect(),
            ),
            NpDType::Int(k) => Column::Int(
                k,
                (0..n)
                    .map(|i| match self.py_value(i) {
                        Some(PyValue::Int(x)) => x,
                        Some(PyValue::Bool(b)) => i64::from(b),
                        _ => 0,
                    })
                    .collect(),
            ),
            NpDType::Bool | NpDType::Unicode => self.clone(),
        }
    }
}

/// How numpy lays X out in memory, which decides BLAS's summation order
/// (see [`crate::blas`]). Values are always held row-major here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// C-contiguous (a client's array, `np.hstack` output).
    C,
    /// Fortran-contiguous (`np.asarray(DataFrame)`, and what elementwise
    /// transformers return for it).
    F,
    /// A scipy CSR matrix (sparse one-hot output).
    Sparse,
}

/// Whether X is a pandas DataFrame or a numpy array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    DataFrame,
    Array,
}

/// X as a scikit-learn estimator receives it, stored by column.
///
/// For [`TableKind::Array`] all columns share one dtype (an ndarray has one).
/// `ndim` is 2 except when the client sent a 1-D or 3-D array, which the
/// first validating estimator rejects with sklearn's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub kind: TableKind,
    pub rows: usize,
    pub columns: Vec<Column>,
    /// DataFrame column labels (`None` for an ndarray).
    pub names: Option<Vec<String>>,
    /// The ndarray's dimensionality as sent (2 for any DataFrame).
    pub ndim: usize,
    /// The ndarray's shape as sent, for messages when `ndim != 2`.
    pub raw_shape: Vec<usize>,
    /// The ndarray's memory layout (a DataFrame converts to F).
    pub layout: Layout,
}

impl Table {
    /// A DataFrame with these labelled columns (all of length `rows`).
    pub fn frame(rows: usize, names: Vec<String>, columns: Vec<Column>) -> Table {
        let raw_shape = vec![rows, columns.len()];
        Table {
            kind: TableKind::DataFrame,
            rows,
            columns,
            names: Some(names),
            ndim: 2,
            raw_shape,
            layout: Layout::F,
        }
    }

    /// A 2-D ndarray given by columns of one dtype.
    pub fn array(rows: usize, columns: Vec<Column>) -> Table {
        let raw_shape = vec![rows, columns.len()];
        Table {
            kind: TableKind::Array,
            rows,
            columns,
            names: None,
            ndim: 2,
            raw_shape,
            layout: Layout::C,
        }
    }

    /// This table with another memory layout.
    pub fn with_layout(mut self, layout: Layout) -> Table {
        self.layout = layout;
        self
    }

    /// A dense float64 ndarray from a row-major matrix.
    pub fn from_matrix(m: &Matrix) -> Table {
        let columns = (0..m.cols)
            .map(|j| {
                let col: Vec<f64> = (0..m.rows).map(|i| m.data[i * m.cols + j]).collect();
                if m.f32 {
                    Column::F32(col.into_iter().map(|v| v as f32).collect())
                } else {
                    Column::F64(col)
                }
            })
            .collect();
        Table::array(m.rows, columns).with_layout(m.layout)
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The dtype numpy gives `np.asarray(X)`: the ndarray's dtype, or the
    /// common dtype of a DataFrame's columns (object if any is object).
    /// `None` when numpy cannot combine them.
    pub fn common_dtype(&self) -> Option<NpDType> {
        let mut it = self.columns.iter().map(Column::dtype);
        let first = it.next()?;
        it.try_fold(first, |a, b| a.promote(b))
    }

    /// Feature names as sklearn's `_get_feature_names` sees them: a
    /// DataFrame's labels (`None` for an ndarray or an empty frame).
    pub fn feature_names(&self) -> Option<&[String]> {
        match (&self.kind, &self.names) {
            (TableKind::DataFrame, Some(n)) if !n.is_empty() => Some(n),
            _ => None,
        }
    }

    /// The columns at `idx` (a sub-DataFrame keeps its labels).
    pub fn select(&self, idx: &[usize]) -> Table {
        let columns = idx
            .iter()
            .filter_map(|&i| self.columns.get(i).cloned())
            .collect();
        let names = self
            .names
            .as_ref()
            .map(|n| idx.iter().filter_map(|&i| n.get(i).cloned()).collect());
        Table {
            kind: self.kind,
            rows: self.rows,
            raw_shape: vec![self.rows, idx.len()],
            columns,
            names,
            ndim: self.ndim,
            layout: self.layout,
        }
    }

    /// `np.hstack` of ndarrays: one ndarray of the common dtype.
    pub fn hstack(rows: usize, parts: Vec<Table>) -> Table {
        let cols: Vec<Column> = parts.into_iter().flat_map(|t| t.columns).collect();
        let dtype = cols
            .iter()
            .map(Column::dtype)
            .try_fold(None::<NpDType>, |acc, d| match acc {
                None => Some(Some(d)),
                Some(a) => a.promote(d).map(Some),
            })
            .flatten()
            .unwrap_or(NpDType::Object);
        let columns = cols.iter().map(|c| c.cast(dtype)).collect();
        Table::array(rows, columns)
    }
}

/// X after `check_array`: dense, row-major, every value as f64. When `f32`
/// is set the array is float32 in sklearn and each value is exactly a float32.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    /// `rows * cols` values, row-major.
    pub data: Vec<f64>,
    pub f32: bool,
    pub layout: Layout,
}

impl Matrix {
    pub fn row(&self, i: usize) -> &[f64] {
        let start = i * self.cols;
        self.data.get(start..start + self.cols).unwrap_or(&[])
    }

    /// The values as float32 (exact when `self.f32`).
    pub fn to_f32(&self) -> Vec<f32> {
        self.data.iter().map(|&v| v as f32).collect()
    }
}

/// X after `check_array`, stored by column (the layout a DataFrame already
/// has, and what the column-streaming linear kernels read). `layout` is still
/// numpy's memory order, which decides BLAS's summation order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColMatrix {
    pub rows: usize,
    pub cols: usize,
    /// `rows * cols` values, column after column.
    pub data: Vec<f64>,
    pub f32: bool,
    pub layout: Layout,
}

impl ColMatrix {
    /// Column `j` (empty when out of range).
    pub fn col(&self, j: usize) -> &[f64] {
        let start = j * self.rows;
        self.data.get(start..start + self.rows).unwrap_or(&[])
    }

    /// Element `(i, j)`; NaN when out of range.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data
            .get(j * self.rows + i)
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// The same values row-major.
    pub fn to_row_major(&self) -> Matrix {
        let mut data = vec![0.0f64; self.data.len()];
        for j in 0..self.cols {
            for (i, &v) in self.col(j).iter().enumerate() {
                if let Some(slot) = data.get_mut(i * self.cols + j) {
                    *slot = v;
                }
            }
        }
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data,
            f32: self.f32,
            layout: self.layout,
        }
    }

    /// An ndarray table of these columns (float64, or float32 when `f32`).
    pub fn into_table(self) -> Table {
        let rows = self.rows;
        let layout = self.layout;
        let columns = if rows == 0 {
            (0..self.cols)
                .map(|_| {
                    if self.f32 {
                        Column::F32(Vec::new())
                    } else {
                        Column::F64(Vec::new())
                    }
                })
                .collect()
        } else {
            self.data
                .chunks_exact(rows)
                .map(|c| {
                    if self.f32 {
                        Column::F32(c.iter().map(|&v| v as f32).collect())
                    } else {
                        Column::F64(c.to_vec())
                    }
                })
                .collect()
        };
        Table::array(rows, columns).with_layout(layout)
    }
}
