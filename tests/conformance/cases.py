"""The conformance cases: every request tests/conformance/record.py sends to
the real `mlflow models serve`, per fixture, and how a case's body is made
(see record.py's docstring for the recorded format)."""

import base64
import io
import json

import pandas as pd

JSON = [["Content-Type", "application/json"]]
CSV = [["Content-Type", "text/csv"]]
PARQUET = [["Content-Type", "application/vnd.apache.parquet"]]
ROW = [5.1, 3.5, 1.4, 0.2]
ROW2 = [6.7, 3.0, 5.2, 2.3]
ROW3 = [5.9, 3.0, 4.2, 1.5]
COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


# ---------------------------------------------------------------- bodies


def gen_random(size, seed):
    """xorshift64 bytes; see the module docstring."""
    x, out = seed, bytearray(size)
    mask = (1 << 64) - 1
    for i in range(size):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out[i] = x & 0xFF
    return bytes(out)


def body_bytes(case):
    if "body" in case:
        return case["body"].encode("utf-8")
    if "body_b64" in case:
        return base64.b64decode(case["body_b64"])
    g = case.get("body_gen")
    if not g:
        return b""
    if g["kind"] == "repeat":
        return (g["prefix"] + g["sep"].join([g["unit"]] * g["count"]) + g["suffix"]).encode("utf-8")
    if g["kind"] == "random":
        return gen_random(g["size"], g["seed"])
    raise ValueError(g)


def post(name, body=None, headers=JSON, path="/invocations", method="POST", **extra):
    """body: dict/list -> json.dumps; str -> as is; bytes -> body_b64; None -> empty."""
    case = {"name": name, "method": method, "path": path, "headers": headers}
    if isinstance(body, bytes):
        case["body_b64"] = base64.b64encode(body).decode()
    elif isinstance(body, (dict, list)):
        case["body"] = json.dumps(body)
    elif body is not None:
        case["body"] = body
    case.update(extra)
    return case


def req(name, method, path):
    return {"name": name, "method": method, "path": path, "headers": []}


def parquet(df):
    buf = io.BytesIO()
    df.to_parquet(buf)
    return buf.getvalue()


def repeat(prefix, unit, count, suffix, sep=", "):
    return {"kind": "repeat", "prefix": prefix, "unit": unit, "sep": sep, "count": count, "suffix": suffix}


def csv_ct(param):
    return [["Content-Type", "text/csv; " + param]]


def params_cases(formats):
    """formats: {format_name: data}; params dict / list / null with each."""
    out = []
    for fmt, data in formats.items():
        for kind, value in (("dict", {"temperature": 0.5, "k": [1, 2]}), ("list", [1, 2]), ("null", None)):
            out.append(post(f"params_{kind}_{fmt}", {fmt: data, "params": value}))
    return out


# ---------------------------------------------------------------- cases


def generic_cases(ok):
    """Routes, content types and malformed bodies. `ok` is a request body the
    model answers with 200 (a dict)."""
    ok = json.dumps(ok)
    return [
        req("ping", "GET", "/ping"),
        req("health", "GET", "/health"),
        req("version", "GET", "/version"),
        req("post_ping", "POST", "/ping"),
        req("get_invocations", "GET", "/invocations"),
        req("put_invocations", "PUT", "/invocations"),
        req("unknown_path", "GET", "/nope"),
        req("post_unknown_path", "POST", "/predict"),
        req("head_ping", "HEAD", "/ping"),
        req("ping_trailing_slash", "GET", "/ping/"),
        req("ping_query", "GET", "/ping?x=1"),
        post("invocations_trailing_slash", ok, path="/invocations/"),
        post("invocations_query", ok, path="/invocations?x=1"),
        post("ok", ok),
        post("ct_text_plain", ok, [["Content-Type", "text/plain"]]),
        post("ct_uppercase", ok, [["Content-Type", "APPLICATION/JSON"]]),
        post("ct_format_param", ok, [["Content-Type", "application/json; format=pandas-split"]]),
        post("ct_charset_upper", ok, [["Content-Type", "application/json;charset=UTF-8"]]),
        post("ct_charset_lower", ok, [["Content-Type", "application/json; charset=utf-8"]]),
        post("ct_charset_latin1", ok, [["Content-Type", "application/json; charset=latin-1"]]),
        post("ct_charset_quoted", ok, [["Content-Type", 'application/json; charset="utf-8"']]),
        post("ct_form", ok, [["Content-Type", "application/x-www-form-urlencoded"]]),
        post("ct_empty_value", ok, [["Content-Type", ""]]),
        post("no_content_type", ok, []),
        post("invalid_json", "{not json"),
        post("truncated_json", ok[: len(ok) // 2]),
        post("empty_json_body", ""),
        post("json_list", "[1, 2, 3]"),
        post("json_int", "1"),
        post("json_null", "null"),
        post("json_string", '"just a string"'),
        post("json_empty_object", "{}"),
        post("only_params", {"params": {"a": 1}}),
        post("legacy_split_format", {"columns": ["a"], "data": [[1]]}),
        post("two_format_keys", {"dataframe_split": {"data": [[1]]}, "inputs": [[1]]}),
        post("records_given_dict", {"dataframe_records": {"a": 1}}),
        post("split_given_list", {"dataframe_split": [[1, 2]]}),
        post("split_extra_key", {"dataframe_split": {"columns": ["a"], "data": [[1]], "values": [[1]]}}),
        post("split_missing_data", {"dataframe_split": {"columns": ["a"]}}),
        post("split_index_mismatch", {"dataframe_split": {"index": [1, 2], "data": [[1], [2], [3]]}}),
        post("split_shape_mismatch", {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3]]}}),
        post("invalid_utf8_json", b'{"inputs": "\xff\xfe"}'),
        post("json_with_bom", b"\xef\xbb\xbf" + ok.encode()),
        post("random_1mb", headers=JSON, body_gen={"kind": "random", "size": 1048576, "seed": 7}),
        post("llm_messages", {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.3}),
        post("llm_prompt", {"prompt": "x"}),
        post("llm_input_with_inputs", {"input": "x", **json.loads(ok)}),
        post("extra_top_level_key", {**json.loads(ok), "foo": 1}),
        post("signature_name_key", {**json.loads(ok), "signature_name": "serving_default"}),
    ]


def csv_parquet_garbage():
    return [
        post("csv_empty", "", CSV),
        post("csv_invalid_utf8", b"a,b\n\xff,\xfe\n", CSV),
        post("csv_latin1", "a,b\n1,2\n", csv_ct("charset=latin-1")),
        post("parquet_garbage", b"notparquet", PARQUET),
        post("parquet_empty", b"", PARQUET),
    ]


def tensor_cases(named, name):
    """Single float32 (-1, 4) tensor input, named `name` or unnamed (graph input `name`)."""
    split = lambda data, cols=list("abcd"): {"dataframe_split": {"columns": cols, "data": data}}
    cases = [
        # inputs, every shape
        post("inputs_list", {"inputs": [ROW, ROW2]}),
        post("inputs_list_ints", {"inputs": [[5, 3, 1, 0]]}),
        post("inputs_numeric_strings", {"inputs": [["5.1", "3.5", "1.4", "0.2"]]}),
        post("inputs_bad_string", {"inputs": [[5.1, 3.5, 1.4, "a"]]}),
        post("inputs_null", {"inputs": [[5.1, None, 1.4, 0.2]]}),
        post("inputs_nan_inf", '{"inputs": [[NaN, Infinity, -Infinity, 0.2]]}'),
        post("inputs_booleans", {"inputs": [[True, False, True, False]]}),
        post("inputs_huge_int", {"inputs": [[10 ** 30, 1, 1, 1]]}),
        post("inputs_float_overflow", {"inputs": [[1e300, 1, 1, 1]]}),
        post("inputs_3_cols", {"inputs": [[5.1, 3.5, 1.4]]}),
        post("inputs_5_cols", {"inputs": [ROW + [1.0]]}),
        post("inputs_rank1", {"inputs": ROW}),
        post("inputs_rank3", {"inputs": [[ROW]]}),
        post("inputs_ragged", {"inputs": [ROW, [1.0, 2.0]]}),
        post("inputs_nested_ragged", {"inputs": [[[1.0], 2.0, 3.0, 4.0]]}),
        post("inputs_scalar", {"inputs": 5}),
        post("inputs_string", {"inputs": "hello"}),
        post("inputs_null_value", {"inputs": None}),
        post("inputs_zero_rows", {"inputs": []}),
        post("inputs_empty_row", {"inputs": [[]]}),
        post("inputs_dict", {"inputs": {name: [ROW, ROW2]}}),
        post("inputs_dict_scalars", {"inputs": {"a": 5.1, "b": 3.5, "c": 1.4, "d": 0.2}}),
        post("inputs_dict_wrong_name", {"inputs": {"wrong": [ROW]}}),
        post("inputs_dict_extra_name", {"inputs": {name: [ROW], "extra": [1]}}),
        post("inputs_dict_zero_rows", {"inputs": {name: []}}),
        post("inputs_list_of_dicts", {"inputs": [{name: ROW}, {name: ROW2}]}),
        # instances
        post("instances_rows", {"instances": [ROW, ROW2]}),
        post("instances_objects", {"instances": [{name: ROW}, {name: ROW2}]}),
        post("instances_columnar", {"instances": {name: [ROW]}}),
        post("instances_zero_rows", {"instances": []}),
        post("instances_3_cols", {"instances": [[5.1, 3.5, 1.4]]}),
        # dataframe_split / dataframe_records
        post("split_columns", split([ROW, ROW2])),
        post("split_no_columns", {"dataframe_split": {"data": [ROW, ROW2]}}),
        post("split_with_index", {"dataframe_split": {"index": [7, 8], "columns": list("abcd"), "data": [ROW, ROW2]}}),
        post("split_list_column", split([[ROW], [ROW2]], [name])),
        post("split_ints", split([[5, 3, 1, 0]])),
        post("split_numeric_strings", split([["5.1", "3.5", "1.4", "0.2"]])),
        post("split_bad_value", split([[5.1, 3.5, 1.4, "a"]])),
        post("split_null", split([[5.1, None, 1.4, 0.2]])),
        post("split_nan_tokens", '{"dataframe_split": {"data": [[NaN, Infinity, -Infinity, 0.2]]}}'),
        post("split_booleans", split([[True, False, True, False]])),
        post("split_3_cols", split([[5.1, 3.5, 1.4]], list("abc"))),
        post("split_zero_rows", split([])),
        post("split_zero_rows_no_columns", {"dataframe_split": {"data": []}}),
        post("records_rows", {"dataframe_records": [dict(zip("abcd", ROW)), dict(zip("abcd", ROW2))]}),
        post("records_list_column", {"dataframe_records": [{name: ROW}]}),
        post("records_missing_key", {"dataframe_records": [dict(zip("abc", ROW))]}),
        post("records_zero_rows", {"dataframe_records": []}),
        # CSV / Parquet (tensor signature: MLflow cannot build CSV dtypes)
        post("csv_header", "a,b,c,d\n5.1,3.5,1.4,0.2\n", CSV),
        post("csv_charset_utf8", "a,b,c,d\n5.1,3.5,1.4,0.2\n", csv_ct("charset=utf-8")),
        post("parquet_1_row", parquet(pd.DataFrame([ROW], columns=list("abcd"))), PARQUET),
        post("parquet_3_rows", parquet(pd.DataFrame([ROW, ROW2, ROW3], columns=list("abcd"))), PARQUET),
        post("parquet_float32", parquet(pd.DataFrame([ROW], columns=list("abcd")).astype("float32")), PARQUET),
        # big bodies
        post("rows_10k_inputs", headers=JSON, body_gen=repeat('{"inputs": [', json.dumps(ROW), 10000, "]}")),
        post("rows_10k_split", headers=JSON, body_gen=repeat('{"dataframe_split": {"data": [', json.dumps(ROW2), 10000, "]}}")),
    ]
    cases += params_cases({
        "inputs": [ROW],
        "instances": [ROW],
        # the named signature needs a DataFrame column called `name` holding lists
        "dataframe_split": {"columns": [name], "data": [[ROW]]} if named else {"data": [ROW]},
        "dataframe_records": [{name: ROW}] if named else [dict(zip("abcd", ROW))],
    })
    return cases + csv_parquet_garbage()


def multi_cases():
    split = lambda cols, data: {"dataframe_split": {"columns": cols, "data": data}}
    cases = [
        post("inputs_dict", {"inputs": {"x": [[1.0, 2.0]], "y": [3]}}),
        post("inputs_dict_two_rows", {"inputs": {"x": [[1.0, 2.0], [3.0, 4.0]], "y": [3, 5]}}),
        post("inputs_y_float", {"inputs": {"x": [[1.0, 2.0]], "y": [3.5]}}),
        post("inputs_y_negative_float", {"inputs": {"x": [[1.0, 2.0]], "y": [-3.7]}}),
        post("inputs_y_bool", {"inputs": {"x": [[1.0, 2.0]], "y": [True]}}),
        post("inputs_y_numeric_string", {"inputs": {"x": [[1.0, 2.0]], "y": ["7"]}}),
        post("inputs_y_bad_string", {"inputs": {"x": [[1.0, 2.0]], "y": ["a"]}}),
        post("inputs_y_null", {"inputs": {"x": [[1.0, 2.0]], "y": [None]}}),
        post("inputs_y_huge", {"inputs": {"x": [[1.0, 2.0]], "y": [2 ** 70]}}),
        post("inputs_y_int64_max", {"inputs": {"x": [[1.0, 2.0]], "y": [2 ** 63 - 1]}}),
        post("inputs_y_uint64", {"inputs": {"x": [[1.0, 2.0]], "y": [2 ** 63]}}),
        post("inputs_y_float_huge", {"inputs": {"x": [[1.0, 2.0]], "y": [1e20]}}),
        post("inputs_x_ints", {"inputs": {"x": [[1, 2]], "y": [3]}}),
        post("inputs_x_strings", {"inputs": {"x": [["1.5", "2"]], "y": [3]}}),
        post("inputs_x_nan", '{"inputs": {"x": [[NaN, 1.0], [Infinity, -Infinity]], "y": [1, 2]}}'),
        post("inputs_x_bad_shape", {"inputs": {"x": [[1.0, 2.0, 3.0]], "y": [3]}}),
        post("inputs_x_rank1", {"inputs": {"x": [1.0, 2.0], "y": [3]}}),
        post("inputs_y_rank2", {"inputs": {"x": [[1.0, 2.0]], "y": [[3]]}}),
        post("inputs_y_scalar", {"inputs": {"x": [[1.0, 2.0]], "y": 3}}),
        post("inputs_rows_broadcast", {"inputs": {"x": [[1.0, 2.0], [3.0, 4.0]], "y": [3]}}),
        post("inputs_rows_mismatch", {"inputs": {"x": [[1.0, 2.0], [3.0, 4.0]], "y": [3, 4, 5]}}),
        post("inputs_x_ragged", {"inputs": {"x": [[1.0, 2.0], [3.0]], "y": [3, 4]}}),
        post("inputs_missing_y", {"inputs": {"x": [[1.0, 2.0]]}}),
        post("inputs_extra_key", {"inputs": {"x": [[1.0, 2.0]], "y": [3], "z": [1]}}),
        post("inputs_zero_rows", {"inputs": {"x": [], "y": []}}),
        post("inputs_list", {"inputs": [[1.0, 2.0]]}),
        post("inputs_list_of_dicts", {"inputs": [{"x": [1.0, 2.0], "y": 3}, {"x": [3.0, 4.0], "y": 5}]}),
        post("instances_objects", {"instances": [{"x": [1.0, 2.0], "y": 3}, {"x": [3.0, 4.0], "y": 5}]}),
        post("instances_columnar", {"instances": {"x": [[1.0, 2.0]], "y": [3]}}),
        post("instances_unequal", {"instances": {"x": [[1.0, 2.0]], "y": [3, 4]}}),
        post("instances_zero_rows", {"instances": []}),
        post("split_list_column", split(["x", "y"], [[[1.0, 2.0], 3], [[3.0, 4.0], 5]])),
        post("split_scalar_columns", split(["x", "y"], [[1.0, 3]])),
        post("split_zero_rows", split(["x", "y"], [])),
        post("records", {"dataframe_records": [{"x": [1.0, 2.0], "y": 3}]}),
        post("records_y_float", {"dataframe_records": [{"x": [1.0, 2.0], "y": 3.5}]}),
        post("records_missing_y", {"dataframe_records": [{"x": [1.0, 2.0]}]}),
        post("records_zero_rows", {"dataframe_records": []}),
        post("csv_body", "x,y\n1,3\n", CSV),
        post("parquet_list_column", parquet(pd.DataFrame({"x": [[1.0, 2.0], [3.0, 4.0]], "y": [3, 5]})), PARQUET),
        post("parquet_scalar_columns", parquet(pd.DataFrame({"x": [1.0], "y": [3]})), PARQUET),
        post("rows_10k_inputs", headers=JSON, body_gen=repeat('{"inputs": {"x": [', "[1.5, 2.25]", 10000, '], "y": [' + ", ".join(["7"] * 10000) + "]}}")),
    ]
    cases += params_cases({
        "inputs": {"x": [[1.0, 2.0]], "y": [3]},
        "instances": [{"x": [1.0, 2.0], "y": 3}],
        "dataframe_split": {"columns": ["x", "y"], "data": [[[1.0, 2.0], 3]]},
        "dataframe_records": [{"x": [1.0, 2.0], "y": 3}],
    })
    return cases + csv_parquet_garbage()


def iris_column_cases():
    split = lambda cols, data: {"dataframe_split": {"columns": cols, "data": data}}
    csv = lambda rows, cols=COLS: ",".join(cols) + "\n" + "".join(rows)
    cases = [
        post("split", split(COLS, [ROW, ROW2])),
        post("split_ints", split(COLS, [[5, 3, 1, 0]])),
        post("split_numeric_strings", split(COLS, [["5.1", "3.5", "1.4", "0.2"]])),
        post("split_bad_string", split(COLS, [["a", 3.5, 1.4, 0.2]])),
        post("split_null", split(COLS, [[5.1, None, 1.4, 0.2]])),
        post("split_nan_tokens", '{"dataframe_split": {"columns": %s, "data": [[NaN, Infinity, -Infinity, 0.2]]}}' % json.dumps(COLS)),
        post("split_booleans", split(COLS, [[True, False, True, 0.2]])),
        post("split_huge_int", split(COLS, [[10 ** 30, 1, 1, 1]])),
        post("split_missing_column", split(COLS[:3], [ROW[:3]])),
        post("split_extra_column", split(COLS + ["extra"], [ROW + [9]])),
        post("split_reordered", split(COLS[::-1], [ROW[::-1], ROW2[::-1]])),
        post("split_duplicate_column", split(COLS + ["sepal_length"], [ROW + [9.9]])),
        post("split_no_columns", {"dataframe_split": {"data": [ROW]}}),
        post("split_with_index", {"dataframe_split": {"index": ["r1", "r2"], "columns": COLS, "data": [ROW, ROW2]}}),
        post("split_zero_rows", split(COLS, [])),
        post("split_list_values", split(COLS, [[[5.1], 3.5, 1.4, 0.2]])),
        post("records", {"dataframe_records": [dict(zip(COLS, ROW)), dict(zip(COLS, ROW2))]}),
        post("records_missing_key", {"dataframe_records": [dict(zip(COLS[:3], ROW))]}),
        post("records_partly_missing", {"dataframe_records": [dict(zip(COLS, ROW)), dict(zip(COLS[:3], ROW2))]}),
        post("records_zero_rows", {"dataframe_records": []}),
        post("instances_objects", {"instances": [dict(zip(COLS, ROW)), dict(zip(COLS, ROW2))]}),
        post("instances_columnar", {"instances": {c: [v] for c, v in zip(COLS, ROW)}}),
        post("instances_unequal", {"instances": {"sepal_length": [1, 2], "sepal_width": [1.0], "petal_length": [1], "petal_width": [1]}}),
        post("instances_rows", {"instances": [ROW]}),
        post("instances_zero_rows", {"instances": []}),
        post("inputs_dict_lists", {"inputs": {c: [v, w] for c, v, w in zip(COLS, ROW, ROW2)}}),
        post("inputs_dict_scalars", {"inputs": dict(zip(COLS, ROW))}),
        post("inputs_dict_unequal", {"inputs": {"sepal_length": [1, 2], "sepal_width": [2.5], "petal_length": [1], "petal_width": [1]}}),
        post("inputs_dict_missing", {"inputs": {c: [v] for c, v in zip(COLS[:3], ROW)}}),
        post("inputs_dict_zero_rows", {"inputs": {c: [] for c in COLS}}),
        post("inputs_list_of_dicts", {"inputs": [dict(zip(COLS, ROW))]}),
        post("inputs_list", {"inputs": [ROW]}),
        post("inputs_bad_string", {"inputs": {c: ["x"] for c in COLS}}),
        post("inputs_numeric_strings", {"inputs": {c: [str(v)] for c, v in zip(COLS, ROW)}}),
        post("csv", csv(["5.1,3.5,1.4,0.2\n", "6.7,3.0,5.2,2.3\n"]), CSV),
        post("csv_charset_utf8", csv(["5.1,3.5,1.4,0.2\n"]), csv_ct("charset=utf-8")),
        post("csv_charset_UTF8", csv(["5.1,3.5,1.4,0.2\n"]), csv_ct("charset=UTF-8")),
        post("csv_latin1_valid", csv(["5.1,3.5,1.4,0.2\n"]), csv_ct("charset=latin-1")),
        post("csv_ints", csv(["5,3,1,0\n"]), CSV),
        post("csv_bad_value", csv(["x,3,1,0\n"]), CSV),
        post("csv_missing_value", csv([",3,1,0\n"]), CSV),
        post("csv_missing_column", csv(["5.1,3.5,1.4\n"], COLS[:3]), CSV),
        post("csv_extra_column", csv(["5.1,3.5,1.4,0.2,9\n"], COLS + ["extra"]), CSV),
        post("csv_reordered", csv(["0.2,1.4,3.5,5.1\n"], COLS[::-1]), CSV),
        post("csv_no_trailing_newline", csv(["5.1,3.5,1.4,0.2"]), CSV),
        post("csv_crlf", ",".join(COLS) + "\r\n5.1,3.5,1.4,0.2\r\n", CSV),
        post("csv_header_only", csv([]), CSV),
        post("csv_no_header", "5.1,3.5,1.4,0.2\n", CSV),
        post("csv_quoted", csv(['"5.1","3.5","1.4","0.2"\n']), CSV),
        post("csv_index_column", "," + ",".join(COLS) + "\n0,5.1,3.5,1.4,0.2\n", CSV),
        post("parquet_1_row", parquet(pd.DataFrame([ROW], columns=COLS)), PARQUET),
        post("parquet_3_rows", parquet(pd.DataFrame([ROW, ROW2, ROW3], columns=COLS)), PARQUET),
        post("parquet_int_column", parquet(pd.DataFrame([[5, 3.5, 1.4, 0.2]], columns=COLS)), PARQUET),
        post("parquet_missing_column", parquet(pd.DataFrame([ROW[:3]], columns=COLS[:3])), PARQUET),
        post("parquet_string_column", parquet(pd.DataFrame([["5.1", 3.5, 1.4, 0.2]], columns=COLS)), PARQUET),
        post("rows_10k_split", headers=JSON, body_gen=repeat('{"dataframe_split": {"columns": %s, "data": [' % json.dumps(COLS), json.dumps(ROW2), 10000, "]}}")),
        post("rows_10k_records", headers=JSON, body_gen=repeat('{"dataframe_records": [', json.dumps(dict(zip(COLS, ROW))), 10000, "]}")),
    ]
    cases += params_cases({
        "inputs": {c: [v] for c, v in zip(COLS, ROW)},
        "instances": [dict(zip(COLS, ROW))],
        "dataframe_split": {"columns": COLS, "data": [ROW]},
        "dataframe_records": [dict(zip(COLS, ROW))],
    })
    return cases + csv_parquet_garbage()


CLF_CASES = {
    "split", "records", "inputs_dict_lists", "inputs_dict_scalars", "instances_objects", "csv",
    "split_missing_column", "split_bad_string", "split_zero_rows", "split_extra_column",
    "parquet_1_row", "csv_bad_value", "inputs_list", "params_dict_dataframe_split",
}


def mixed_cases():
    ABC = ["a", "b", "c"]
    split = lambda cols, data: {"dataframe_split": {"columns": cols, "data": data}}
    one = lambda a=1, b=0.5, c=True: split(ABC, [[a, b, c]])
    cases = [
        post("split_abc", split(ABC, [[1, 0.5, True], [2, 1.5, False]])),
        post("split_ab_optional_absent", split(["a", "b"], [[1, 0.5], [2, 1.5]])),
        post("split_reordered", split(["c", "b", "a"], [[True, 0.5, 1]])),
        post("split_missing_a", split(["b", "c"], [[0.5, True]])),
        post("split_missing_b_and_a", split(["c"], [[True]])),
        post("split_extra_column", split(ABC + ["d"], [[1, 0.5, True, "x"]])),
        post("split_no_columns", {"dataframe_split": {"data": [[1, 0.5, True]]}}),
        post("split_zero_rows", split(ABC, [])),
        post("split_a_float_1_5", one(a=1.5)),
        post("split_a_float_negative", one(a=-2.7)),
        post("split_a_true", one(a=True)),
        post("split_a_numeric_string", one(a="5")),
        post("split_a_float_string", one(a="1.5")),
        post("split_a_bad_string", one(a="x")),
        post("split_a_null", one(a=None)),
        post("split_a_int64_max", one(a=2 ** 63 - 1)),
        post("split_a_huge", one(a=2 ** 63)),
        post("split_a_huger", one(a=2 ** 70)),
        post("split_a_float_huge", one(a=1e20)),
        post("split_a_mixed_column", split(ABC, [[1, 0.5, True], [2.5, 1.5, False]])),
        post("split_b_int", one(b=2)),
        post("split_b_string", one(b="2.5")),
        post("split_b_bad_string", one(b="x")),
        post("split_b_null", one(b=None)),
        post("split_b_bool", one(b=True)),
        post("split_b_nan_tokens", '{"dataframe_split": {"columns": ["a", "b"], "data": [[1, NaN], [2, Infinity], [3, -Infinity]]}}'),
        post("split_c_string", one(c="yes")),
        post("split_c_empty_string", one(c="")),
        post("split_c_null", one(c=None)),
        post("split_c_int", one(c=2)),
        post("split_c_float", one(c=0.5)),
        post("split_c_some_null", split(ABC, [[1, 0.5, True], [2, 1.5, None]])),
        post("records_abc", {"dataframe_records": [{"a": 1, "b": 0.5, "c": True}, {"a": 2, "b": 1.5, "c": False}]}),
        post("records_ab", {"dataframe_records": [{"a": 1, "b": 0.5}]}),
        post("records_c_in_some", {"dataframe_records": [{"a": 1, "b": 0.5, "c": True}, {"a": 2, "b": 1.5}]}),
        post("records_a_in_some", {"dataframe_records": [{"a": 1, "b": 0.5}, {"b": 1.5}]}),
        post("records_a_float_1_5", {"dataframe_records": [{"a": 1.5, "b": 2}]}),
        post("records_zero_rows", {"dataframe_records": []}),
        post("instances_objects", {"instances": [{"a": 1, "b": 0.5, "c": True}, {"a": 2, "b": 1.5}]}),
        post("instances_columnar", {"instances": {"a": [1, 2], "b": [0.5, 1.5]}}),
        post("instances_unequal", {"instances": {"a": [1, 2], "b": [0.5]}}),
        post("instances_a_float", {"instances": [{"a": 1.5, "b": 0.5}]}),
        post("inputs_dict_lists", {"inputs": {"a": [1, 2], "b": [0.5, 1.5], "c": [True, False]}}),
        post("inputs_dict_ab", {"inputs": {"a": [1, 2], "b": [0.5, 1.5]}}),
        post("inputs_dict_scalars", {"inputs": {"a": 1, "b": 0.5, "c": True}}),
        post("inputs_dict_unequal", {"inputs": {"a": [1, 2], "b": [2.5]}}),
        post("inputs_a_float_1_5", {"inputs": {"a": [1.5], "b": [0.5]}}),
        post("inputs_a_true", {"inputs": {"a": [True], "b": [0.5]}}),
        post("inputs_a_huge", {"inputs": {"a": [2 ** 70], "b": [0.5]}}),
        post("inputs_a_null", {"inputs": {"a": [None], "b": [0.5]}}),
        post("inputs_c_string", {"inputs": {"a": [1], "b": [0.5], "c": ["yes"]}}),
        post("inputs_c_null", {"inputs": {"a": [1], "b": [0.5], "c": [None]}}),
        post("inputs_list_of_dicts", {"inputs": [{"a": 1, "b": 0.5}, {"a": 2, "b": 1.5, "c": False}]}),
        post("inputs_list", {"inputs": [[1, 0.5, True]]}),
        post("inputs_zero_rows", {"inputs": {"a": [], "b": []}}),
        post("csv_abc", "a,b,c\n1,0.5,true\n2,1.5,False\n", CSV),
        post("csv_ab", "a,b\n1,0.5\n2,1.5\n", CSV),
        post("csv_ints_in_double", "a,b\n1,2\n", CSV),
        post("csv_1_5_in_long", "a,b\n1.5,2.0\n", CSV),
        post("csv_a_empty", "a,b\n,2.0\n", CSV),
        post("csv_b_empty", "a,b\n1,\n", CSV),
        post("csv_c_empty", "a,b,c\n1,0.5,\n", CSV),
        post("csv_c_yes", "a,b,c\n1,0.5,yes\n", CSV),
        post("csv_c_int", "a,b,c\n1,0.5,1\n", CSV),
        post("csv_a_bad", "a,b\nx,2.0\n", CSV),
        post("csv_a_huge", "a,b\n9223372036854775808,2.0\n", CSV),
        post("csv_missing_a", "b,c\n0.5,true\n", CSV),
        post("csv_extra_column", "a,b,c,d\n1,0.5,true,x\n", CSV),
        post("csv_reordered", "c,b,a\ntrue,0.5,1\n", CSV),
        post("csv_charset_utf8", "a,b\n1,0.5\n", csv_ct("charset=utf-8")),
        post("csv_charset_UTF8", "a,b\n1,0.5\n", csv_ct("charset=UTF-8")),
        post("csv_header_only", "a,b,c\n", CSV),
        post("parquet_1_row", parquet(pd.DataFrame({"a": [1], "b": [0.5], "c": [True]})), PARQUET),
        post("parquet_3_rows", parquet(pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": [True, False, True]})), PARQUET),
        post("parquet_ab", parquet(pd.DataFrame({"a": [1], "b": [0.5]})), PARQUET),
        post("parquet_a_float", parquet(pd.DataFrame({"a": [1.5], "b": [0.5]})), PARQUET),
        post("parquet_a_int32", parquet(pd.DataFrame({"a": pd.array([7], dtype="int32"), "b": [0.5]})), PARQUET),
        post("parquet_b_int", parquet(pd.DataFrame({"a": [1], "b": [2]})), PARQUET),
        post("parquet_c_nullable", parquet(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": pd.array([True, None], dtype="boolean")})), PARQUET),
        post("rows_10k_split", headers=JSON, body_gen=repeat('{"dataframe_split": {"columns": ["a", "b", "c"], "data": [', "[3, 0.25, true]", 10000, "]}}")),
    ]
    cases += params_cases({
        "inputs": {"a": [1], "b": [0.5]},
        "instances": [{"a": 1, "b": 0.5}],
        "dataframe_split": {"columns": ABC, "data": [[1, 0.5, True]]},
        "dataframe_records": [{"a": 1, "b": 0.5}],
    })
    return cases + csv_parquet_garbage()


def custom_params_cases():
    XT = ["x", "text"]
    split = lambda data, cols=XT: {"dataframe_split": {"columns": cols, "data": data}}
    one = split([[1.5, "a"], [2.0, "b"]])
    with_params = lambda name, params: post(name, {**one, "params": params})
    return [
        post("split_default_params", one),
        with_params("params_scale", {"scale": 3.0}),
        with_params("params_prefix", {"prefix": "p:"}),
        with_params("params_both", {"scale": 0.5, "prefix": ""}),
        with_params("params_scale_int", {"scale": 3}),
        with_params("params_scale_numeric_string", {"scale": "3.5"}),
        with_params("params_scale_bad_string", {"scale": "abc"}),
        with_params("params_scale_list", {"scale": [1.0, 2.0]}),
        with_params("params_scale_null", {"scale": None}),
        with_params("params_prefix_int", {"prefix": 7}),
        with_params("params_unknown", {"temperature": 0.1}),
        with_params("params_empty", {}),
        with_params("params_null", None),
        with_params("params_list", [1, 2]),
        post("records", {"dataframe_records": [{"x": 1.5, "text": "a"}, {"x": 2.0, "text": "b"}], "params": {"scale": 10.0}}),
        post("inputs_dict", {"inputs": {"x": [1.5, 2.0], "text": ["a", "b"]}, "params": {"prefix": "i-"}}),
        post("inputs_scalars", {"inputs": {"x": 1.5, "text": "a"}}),
        post("instances", {"instances": [{"x": 1.5, "text": "a"}], "params": {"scale": 1.0}}),
        post("split_x_int", split([[1, "a"]])),
        post("split_x_string", split([["1.5", "a"]])),
        post("split_x_bad_string", split([["x", "a"]])),
        post("split_x_null", split([[None, "a"]])),
        post("split_text_int", split([[1.5, 7]])),
        post("split_text_null", split([[1.5, None]])),
        post("split_missing_text", split([[1.5]], ["x"])),
        post("split_extra_column", split([[1.5, "a", 3]], XT + ["z"])),
        post("split_reordered", split([["a", 1.5]], ["text", "x"])),
        post("split_zero_rows", split([])),
        post("split_unicode", split([[1.0, "héllo ☃"]])),
        post("csv", "x,text\n1.5,a\n2.0,b\n", CSV),
        post("csv_x_bad", "x,text\nzz,a\n", CSV),
        post("csv_text_numeric", "x,text\n1.5,12\n", CSV),
        post("parquet", parquet(pd.DataFrame({"x": [1.5, 2.0], "text": ["a", "b"]})), PARQUET),
        post("parquet_x_int", parquet(pd.DataFrame({"x": [1, 2], "text": ["a", "b"]})), PARQUET),
        post("rows_1k_split", headers=JSON, body_gen=repeat('{"dataframe_split": {"columns": ["x", "text"], "data": [', '[0.25, "r"]', 1000, "]}}")),
    ] + csv_parquet_garbage()


def pipeline_cases():
    """sk_pipeline: the iris columns plus a string column `site` that a
    OneHotEncoder reads (unknown categories ignored) and an imputer that
    fills missing numbers."""
    cols = COLS + ["site"]
    split = lambda c, data: {"dataframe_split": {"columns": c, "data": data}}
    csv = lambda rows, c=cols: ",".join(c) + "\n" + "".join(rows)
    return [
        post("split", split(cols, [ROW + ["north"], ROW2 + ["east"], ROW3 + ["south"]])),
        post("split_unknown_category", split(cols, [ROW + ["west"]])),
        post("split_site_number", split(cols, [ROW + [7]])),
        post("split_site_null", split(cols, [ROW + [None]])),
        post("split_null_number", split(cols, [[None, 3.5, 1.4, 0.2, "north"]])),
        post("split_nan_tokens", '{"dataframe_split": {"columns": %s, "data": [[NaN, 3.0, 1.0, 0.2, "east"]]}}' % json.dumps(cols)),
        post("split_missing_site", split(COLS, [ROW])),
        post("split_bad_number", split(cols, [["x", 3.5, 1.4, 0.2, "north"]])),
        post("split_reordered", split(cols[::-1], [(ROW + ["north"])[::-1]])),
        post("split_zero_rows", split(cols, [])),
        post("records", {"dataframe_records": [dict(zip(cols, ROW + ["north"])), dict(zip(cols, ROW2 + ["south"]))]}),
        post("inputs_dict_lists", {"inputs": {c: [v] for c, v in zip(cols, ROW + ["east"])}}),
        post("instances_objects", {"instances": [dict(zip(cols, ROW + ["east"]))]}),
        post("csv", csv(["5.1,3.5,1.4,0.2,north\n", "6.7,3.0,5.2,2.3,south\n"]), CSV),
        post("csv_missing_value", csv([",3.5,1.4,0.2,north\n"]), CSV),
        post("parquet_rows", parquet(pd.DataFrame([ROW + ["north"], ROW2 + ["east"]], columns=cols)), PARQUET),
        post("rows_10k_split", headers=JSON, body_gen=repeat('{"dataframe_split": {"columns": %s, "data": [' % json.dumps(cols), json.dumps(ROW2 + ["south"]), 10000, "]}}")),
    ]


def nosig_cases():
    """sk_ridge_nosig: no signature, so the request's own shape and dtypes
    reach the estimator."""
    return [
        post("inputs_rows", {"inputs": [ROW, ROW2]}),
        post("instances_rows", {"instances": [ROW]}),
        post("inputs_one_row_flat", {"inputs": ROW}),
        post("inputs_three_features", {"inputs": [ROW[:3]]}),
        post("inputs_strings", {"inputs": [["a", "b", "c", "d"]]}),
        post("inputs_null", {"inputs": [[None, 3.5, 1.4, 0.2]]}),
        post("inputs_ints", {"inputs": [[5, 3, 1, 0]]}),
        post("inputs_zero_rows", {"inputs": []}),
        post("inputs_dict", {"inputs": {"a": [1.0], "b": [2.0]}}),
        post("split_named", {"dataframe_split": {"columns": COLS, "data": [ROW, ROW2]}}),
        post("split_unnamed", {"dataframe_split": {"data": [ROW]}}),
        post("split_five_columns", {"dataframe_split": {"data": [ROW + [1.0]]}}),
        post("records", {"dataframe_records": [dict(zip(COLS, ROW))]}),
        post("csv", ",".join(COLS) + "\n5.1,3.5,1.4,0.2\n", CSV),
        post("rows_10k_inputs", headers=JSON, body_gen=repeat('{"inputs": [', json.dumps(ROW2), 10000, "]}")),
    ]


OK_BODY = {
    "iris_unnamed": {"inputs": [ROW]},
    "iris_named": {"inputs": {"input": [ROW]}},
    "multi_input": {"inputs": {"x": [[1.0, 2.0]], "y": [3]}},
    "iris_columns": {"dataframe_split": {"columns": COLS, "data": [ROW]}},
    "iris_columns_clf": {"dataframe_split": {"columns": COLS, "data": [ROW]}},
    "mixed_columns": {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 0.5, True]]}},
    "py_sklearn_clf": {"dataframe_split": {"columns": COLS, "data": [ROW]}},
    "py_tree_int": {"dataframe_split": {"columns": ["a", "b"], "data": [[3, 0.5]]}},
    "py_custom_params": {"dataframe_split": {"columns": ["x", "text"], "data": [[1.5, "a"]]}},
    "sk_pipeline": {"dataframe_split": {"columns": COLS + ["site"], "data": [ROW + ["north"]]}},
    "sk_ridge_nosig": {"inputs": [ROW]},
}
# The natively served tabular models read the iris columns.
OK_BODY.update({name: {"dataframe_split": {"columns": COLS, "data": [ROW]}} for name in ["py_sklearn_pickle", "py_sklearn_knn"]})
NATIVE_IRIS = ["sk_forest_clf", "sk_gb_proba", "sk_hgb_nan", "xgb_booster", "xgb_classifier", "lgb_booster", "lgb_classifier"]
OK_BODY.update({name: {"dataframe_split": {"columns": COLS, "data": [ROW]}} for name in NATIVE_IRIS})

FIXTURES = {
    "iris_unnamed": lambda: tensor_cases(False, "float_input")
    + [post("random_50mb", headers=JSON, body_gen={"kind": "random", "size": 52428800, "seed": 11})],
    "iris_named": lambda: tensor_cases(True, "input"),
    "multi_input": multi_cases,
    "iris_columns": iris_column_cases,
    "iris_columns_clf": lambda: [c for c in iris_column_cases() if c["name"] in CLF_CASES],
    "mixed_columns": mixed_cases,
    # Python-only models (served by mlflowrs's pyfunc fallback).
    "py_sklearn_clf": iris_column_cases,
    "py_tree_int": mixed_cases,
    "py_custom_params": custom_params_cases,
    "py_sklearn_pickle": lambda: [c for c in iris_column_cases() if c["name"] in CLF_CASES],
    "py_sklearn_knn": lambda: [c for c in iris_column_cases() if c["name"] in CLF_CASES],
    # Native tabular models (flavors/mlflowrs-sklearn, -xgboost, -lightgbm).
    **{name: iris_column_cases for name in NATIVE_IRIS},
    "sk_pipeline": pipeline_cases,
    "sk_ridge_nosig": nosig_cases,
}


def all_cases(name):
    cases = generic_cases(OK_BODY[name]) + FIXTURES[name]()
    names = [c["name"] for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, (name, dupes)
    return cases
