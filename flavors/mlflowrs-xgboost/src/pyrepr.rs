//! Python `repr` of strings and lists of strings, for error messages that
//! format Python objects.

pub(crate) use mlflowrs_protocol::pyjson::py_str_repr as py_str;

/// `str(list_of_str)`: `['a', 'b']`.
pub(crate) fn py_str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<String> = items.into_iter().map(py_str).collect();
    format!("[{}]", parts.join(", "))
}
