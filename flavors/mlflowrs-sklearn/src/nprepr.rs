//! numpy's `str(array)` for the short arrays sklearn quotes in messages.
//!
//! Approximation: numpy aligns float columns to a common width and switches
//! to scientific notation for wide ranges; this writes each element with
//! Python's float repr without the trailing `.0` numpy drops (`1.` style).

use crate::table::{Column, Table};

/// `str(np.asarray(x).ravel())` for the 1-D array a client sent.
pub fn array_repr_1d(x: &Table) -> String {
    let mut items = Vec::new();
    for c in &x.columns {
        for i in 0..c.len() {
            items.push(match c {
                Column::F64(v) => float_item(v.get(i).copied().unwrap_or(f64::NAN)),
                Column::F32(v) => float_item(f64::from(v.get(i).copied().unwrap_or(f32::NAN))),
                Column::Int(_, v) => v.get(i).map(|x| x.to_string()).unwrap_or_default(),
                Column::Bool(v) => {
                    if v.get(i).copied().unwrap_or(false) {
                        "True".into()
                    } else {
                        "False".into()
                    }
                }
                Column::Str(v) | Column::Unicode(v) => {
                    crate::pyrepr::py_str_repr(v.get(i).map(String::as_str).unwrap_or(""))
                }
                Column::Object(v) => format!("{:?}", v.get(i)),
            });
        }
    }
    if items.len() > 1000 {
        let head = items[..3].join(" ");
        let tail = items[items.len() - 3..].join(" ");
        return format!("[{head} ... {tail}]");
    }
    format!("[{}]", items.join(" "))
}

fn float_item(v: f64) -> String {
    let s = crate::pyrepr::py_float_repr(v);
    match s.strip_suffix(".0") {
        Some(t) => format!("{t}."),
        None => s,
    }
}
