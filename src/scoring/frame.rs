//! A pandas-like DataFrame of JSON cells, built the way `pd.DataFrame`
//! builds one from MLflow's `split` and `records` orients, CSV and Parquet.

use std::fmt;

use mlflowrs_flavor_api::{DType, Tensor};

use super::ndarray::{convert_cells, infer_dtype, NdArray};
use mlflowrs_protocol::pyjson::{py_str_repr, Json};

/// A column label: pandas uses 0..n when no names are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Name(String),
    Pos(i64),
}

impl Label {
    pub fn matches(&self, name: &str) -> bool {
        matches!(self, Label::Name(n) if n == name)
    }

    /// The label as a JSON object key (`to_dict` turns 0 into "0").
    pub fn key(&self) -> String {
        match self {
            Label::Name(n) => n.clone(),
            Label::Pos(i) => i.to_string(),
        }
    }

    pub fn from_json(v: &Json) -> Label {
        match v {
            Json::Str(s) => Label::Name(s.clone()),
            Json::Int(i) => Label::Pos(*i),
            other => Label::Name(super::ndarray::py_str(other)),
        }
    }
}

impl fmt::Display for Label {
    /// Python's repr of the label, as it appears in lists in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Name(n) => f.write_str(&py_str_repr(n)),
            Label::Pos(i) => write!(f, "{i}"),
        }
    }
}

/// One column: raw cells, or cells already cast to a dtype by the schema pre-cast.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: Label,
    pub cells: Vec<Json>,
    /// The column after a schema cast (`astype`); otherwise pandas infers it.
    pub typed: Option<Tensor>,
    /// `astype(object)` was applied (a string column of the schema that held
    /// other values): the cells stay Python objects, whatever they are.
    pub object: bool,
}

impl Column {
    pub fn new(label: Label, cells: Vec<Json>) -> Column {
        Column {
            label,
            cells,
            typed: None,
            object: false,
        }
    }

    /// The column's dtype as pandas would hold it (`None`: object).
    pub fn effective_dtype(&self) -> Option<DType> {
        match &self.typed {
            Some(t) => Some(t.dtype()),
            None if self.object => None,
            None => pandas_dtype(&self.cells),
        }
    }

    /// `series.values` as a 1-D array.
    pub fn values(&self) -> Result<NdArray, String> {
        if let Some(t) = &self.typed {
            return Ok(NdArray::Typed(t.clone()));
        }
        match self.effective_dtype() {
            Some(d) => Ok(NdArray::Typed(convert_cells(
                &self.cells,
                vec![self.cells.len()],
                d,
            )?)),
            None => Ok(NdArray::Object {
                shape: vec![self.cells.len()],
                cells: self.cells.clone(),
            }),
        }
    }
}

/// pandas' dtype for a column of Python scalars: None (NaN) among numbers
/// makes float64, among anything else object.
pub fn pandas_dtype(cells: &[Json]) -> Option<DType> {
    let has_null = cells.iter().any(|c| matches!(c, Json::Null));
    let non_null: Vec<Json> = cells
        .iter()
        .filter(|c| !matches!(c, Json::Null))
        .cloned()
        .collect();
    if non_null.is_empty() {
        return None;
    }
    let unsigned64 = |c: &Json| match c {
        Json::Int(i) => *i >= 0,
        Json::BigInt(b) => b.parse::<u64>().is_ok(),
        _ => false,
    };
    if !has_null
        && non_null.iter().any(|c| matches!(c, Json::BigInt(_)))
        && non_null.iter().all(unsigned64)
    {
        return Some(DType::U64);
    }
    match infer_dtype(&non_null)? {
        DType::I64 if has_null => Some(DType::F64),
        DType::Bool if has_null => None,
        DType::Str => None,
        d => Some(d),
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    pub columns: Vec<Column>,
    pub nrows: usize,
}

impl Frame {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.label.matches(name))
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.label.matches(name))
    }

    pub fn labels(&self) -> Vec<Label> {
        self.columns.iter().map(|c| c.label.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.nrows == 0 || self.columns.is_empty()
    }

    /// `pd.DataFrame(data=rows, columns=columns, index=index)` (split orient).
    pub fn from_split(
        columns: Option<&Json>,
        data: &Json,
        index: Option<&Json>,
    ) -> Result<Frame, String> {
        let rows: Vec<Vec<Json>> = match data {
            Json::List(rows) => rows
                .iter()
                .map(|r| match r {
                    Json::List(cells) => cells.clone(),
                    other => vec![other.clone()],
                })
                .collect(),
            Json::Null => Vec::new(),
            other => {
                return Err(format!(
                    "DataFrame constructor not properly called! ({})",
                    other.py_type()
                ))
            }
        };
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let labels: Vec<Label> = match columns {
            None | Some(Json::Null) => (0..width as i64).map(Label::Pos).collect(),
            Some(Json::List(names)) => names.iter().map(Label::from_json).collect(),
            Some(_) => return Err("columns must be a list".into()),
        };
        if !rows.is_empty() && labels.len() != width {
            return Err(format!(
                "{} columns passed, passed data had {} columns",
                labels.len(),
                width
            ));
        }
        let nrows = rows.len();
        if let Some(Json::List(idx)) = index {
            if idx.len() != nrows {
                return Err(format!(
                    "Shape of passed values is ({nrows}, {}), indices imply ({}, {})",
                    labels.len(),
                    idx.len(),
                    labels.len()
                ));
            }
        }
        let columns = labels
            .into_iter()
            .enumerate()
            .map(|(j, label)| {
                let cells = rows
                    .iter()
                    .map(|r| r.get(j).cloned().unwrap_or(Json::Null))
                    .collect();
                Column::new(label, cells)
            })
            .collect();
        Ok(Frame { columns, nrows })
    }

    /// `pd.DataFrame(data=records)`: keys in first-seen order, gaps become NaN.
    pub fn from_records(records: &[Json]) -> Result<Frame, String> {
        if records.iter().all(|r| matches!(r, Json::Dict(_))) {
            let mut labels: Vec<String> = Vec::new();
            for r in records {
                if let Json::Dict(items) = r {
                    for (k, _) in items {
                        if !labels.contains(k) {
                            labels.push(k.clone());
                        }
                    }
                }
            }
            let columns = labels
                .into_iter()
                .map(|name| {
                    let cells = records
                        .iter()
                        .map(|r| r.get(&name).cloned().unwrap_or(Json::Null))
                        .collect();
                    Column::new(Label::Name(name), cells)
                })
                .collect();
            Ok(Frame {
                columns,
                nrows: records.len(),
            })
        } else {
            Frame::from_split(None, &Json::List(records.to_vec()), None)
        }
    }

    /// A frame from column arrays (`pd.DataFrame(dict)`), all of one length.
    pub fn from_arrays(items: Vec<(Label, Vec<Json>, Option<Tensor>)>) -> Result<Frame, String> {
        let nrows = items.first().map(|(_, c, _)| c.len()).unwrap_or(0);
        if items.iter().any(|(_, c, _)| c.len() != nrows) {
            return Err("All arrays must be of the same length".into());
        }
        Ok(Frame {
            columns: items
                .into_iter()
                .map(|(label, cells, typed)| Column {
                    label,
                    cells,
                    typed,
                    object: false,
                })
                .collect(),
            nrows,
        })
    }

    /// `df.to_numpy()`: one 2-D array in the columns' common dtype.
    pub fn to_numpy(&self) -> Result<NdArray, String> {
        let shape = vec![self.nrows, self.columns.len()];
        let values = self
            .columns
            .iter()
            .map(Column::values)
            .collect::<Result<Vec<_>, _>>()?;
        let typed: Option<Vec<&Tensor>> = values
            .iter()
            .map(|v| match v {
                NdArray::Typed(t) => Some(t),
                NdArray::Object { .. } => None,
            })
            .collect();
        let common = typed
            .as_ref()
            .and_then(|ts| common_dtype(&ts.iter().map(|t| Some(t.dtype())).collect::<Vec<_>>()));
        if let (Some(ts), Some(d)) = (typed, common) {
            let cols: Vec<Tensor> = ts.iter().map(|t| t.cast(d)).collect();
            let mut index = Vec::with_capacity(self.nrows * cols.len());
            for i in 0..self.nrows {
                for c in 0..cols.len() {
                    index.push((c, i));
                }
            }
            let data = gather(&cols, &index);
            return Ok(NdArray::Typed(Tensor::new(shape, data)?));
        }
        let mut cells = Vec::with_capacity(self.nrows * self.columns.len());
        for i in 0..self.nrows {
            for c in &self.columns {
                cells.push(c.cells[i].clone());
            }
        }
        Ok(NdArray::Object { shape, cells })
    }

    /// A short pandas-like rendering for error messages.
    pub fn repr(&self) -> String {
        let head: Vec<String> = self.columns.iter().map(|c| c.label.key()).collect();
        let mut out = format!("   {}", head.join("  "));
        for i in 0..self.nrows.min(5) {
            let row: Vec<String> = self
                .columns
                .iter()
                .map(|c| super::ndarray::py_str(&c.cells[i]))
                .collect();
            out.push_str(&format!("\n{i}  {}", row.join("  ")));
        }
        if self.nrows > 5 {
            out.push_str(&format!(
                "\n...\n\n[{} rows x {} columns]",
                self.nrows,
                self.columns.len()
            ));
        }
        out
    }
}

/// numpy's result dtype for stacking columns (`None`: object).
pub fn common_dtype(dtypes: &[Option<DType>]) -> Option<DType> {
    let mut acc: Option<DType> = None;
    for d in dtypes {
        let d = (*d)?;
        acc = Some(match acc {
            None => d,
            Some(a) if a == d => a,
            Some(a) if a.is_float() && d.is_float() => DType::F64,
            Some(a) if (a.is_float() || a.is_integer()) && (d.is_float() || d.is_integer()) => {
                if a == DType::F32 && matches!(d, DType::I8 | DType::I16 | DType::U8 | DType::U16)
                    || d == DType::F32
                        && matches!(a, DType::I8 | DType::I16 | DType::U8 | DType::U16)
                {
                    DType::F32
                } else if a.is_integer() && d.is_integer() {
                    DType::I64
                } else {
                    DType::F64
                }
            }
            _ => return None,
        });
    }
    acc
}

/// Stacks per-row arrays into one tensor (`np.vstack(col.tolist())`).
pub fn stack_rows(cells: &[Json], dtype: DType) -> Result<Tensor, String> {
    match super::ndarray::array_as(&Json::List(cells.to_vec()), dtype)? {
        NdArray::Typed(t) => Ok(t),
        NdArray::Object { .. } => Err("could not stack rows".into()),
    }
}

/// Interleaves elements `(column, row)` of same-dtype 1-D tensors.
fn gather(cols: &[Tensor], index: &[(usize, usize)]) -> mlflowrs_flavor_api::TensorData {
    use mlflowrs_flavor_api::TensorData as D;
    macro_rules! g {
        ($var:ident) => {
            D::$var(
                index
                    .iter()
                    .map(|&(c, i)| match &cols[c].data {
                        D::$var(v) => v[i].clone(),
                        _ => unreachable!("columns were cast to one dtype"),
                    })
                    .collect(),
            )
        };
    }
    match cols[0].data {
        D::Bool(_) => g!(Bool),
        D::I8(_) => g!(I8),
        D::I16(_) => g!(I16),
        D::I32(_) => g!(I32),
        D::I64(_) => g!(I64),
        D::U8(_) => g!(U8),
        D::U16(_) => g!(U16),
        D::U32(_) => g!(U32),
        D::U64(_) => g!(U64),
        D::F32(_) => g!(F32),
        D::F64(_) => g!(F64),
        D::Str(_) => g!(Str),
    }
}
