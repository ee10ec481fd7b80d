"""Records the real `mlflow models serve` answers for the conformance suite.

Run from the repository root:  .venv/bin/python tests/conformance/record.py [fixture ...]
For each model in tests/conformance/models/ it starts `mlflow models serve
--env-manager local`, sends every case below over raw HTTP (http.client, with
exactly the listed headers) and writes tests/conformance/recorded/<name>.json.

Big bodies are described, not stored (`body_gen`), and rebuilt by the replay:
  repeat: prefix + sep.join([unit] * count) + suffix
  random: xorshift64 bytes, state = seed; per byte: x ^= x << 13; x ^= x >> 7;
          x ^= x << 17 (mod 2**64); emit x & 0xff
Error answers longer than 100 kB are stored cut to 4000 characters
("body_truncated": true): MLflow echoes the whole request in some errors.
"""

import base64
import http.client
import io
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
MLFLOW = str(pathlib.Path(sys.executable).parent / "mlflow")
JSON = [["Content-Type", "application/json"]]
CSV = [["Content-Type", "text/csv"]]
PARQUET = [["Content-Type", "application/vnd.apache.parquet"]]
ROW = [5.1, 3.5, 1.4, 0.2]
ROW2 = [6.7, 3.0, 5.2, 2.3]
COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def gen_random(size, seed):
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
        return case["body"].encode()
    if "body_b64" in case:
        return base64.b64decode(case["body_b64"])
    g = case.get("body_gen")
    if not g:
        return b""
    if g["kind"] == "repeat":
        return (g["prefix"] + g["sep"].join([g["unit"]] * g["count"]) + g["suffix"]).encode()
    return gen_random(g["size"], g["seed"])


def post(name, body=None, headers=JSON, path="/invocations", method="POST", **extra):
    case = {"name": name, "method": method, "path": path, "headers": headers}
    if isinstance(body, bytes):
        case["body_b64"] = base64.b64encode(body).decode()
    elif isinstance(body, (dict, list)):
        case["body"] = json.dumps(body)
    elif body is not None:
        case["body"] = body
    case.update(extra)
    return case


def get(name, path, method="GET"):
    return {"name": name, "method": method, "path": path, "headers": []}


def parquet(df):
    buf = io.BytesIO()
    df.to_parquet(buf)
    return buf.getvalue()


def protocol_cases():
    """Routes and content types: the same for every model."""
    ok = json.dumps({"inputs": [ROW]})
    return [
        get("ping", "/ping"), get("health", "/health"), get("version", "/version"),
        get("post_ping", "/ping", "POST"), get("get_invocations", "/invocations"),
        get("unknown_path", "/nope"), get("head_ping", "/ping", "HEAD"),
        get("ping_trailing_slash", "/ping/"), post("invocations_trailing_slash", ok, path="/invocations/"),
        post("ct_text_plain", ok, [["Content-Type", "text/plain"]]),
        post("ct_uppercase", ok, [["Content-Type", "APPLICATION/JSON"]]),
        post("ct_format_param", ok, [["Content-Type", "application/json; format=pandas-split"]]),
        post("ct_charset_upper", ok, [["Content-Type", "application/json;charset=UTF-8"]]),
        post("ct_charset_lower", ok, [["Content-Type", "application/json; charset=utf-8"]]),
        post("ct_charset_latin1", ok, [["Content-Type", "application/json; charset=latin-1"]]),
        post("ct_form", ok, [["Content-Type", "application/x-www-form-urlencoded"]]),
        post("no_content_type", ok, []),
        post("invalid_json", "{not json"), post("truncated_json", '{"inputs": [[5.1, 3.5'),
        post("empty_json_body", ""), post("json_list", "[1, 2, 3]"), post("json_int", "1"),
        post("json_string", '"just a string"'), post("json_empty_object", "{}"),
        post("legacy_split_format", {"columns": ["a"], "data": [[1]]}),
        post("two_format_keys", {"dataframe_split": {"data": [ROW]}, "inputs": [ROW]}),
        post("records_given_dict", {"dataframe_records": {"a": 1}}),
        post("split_given_list", {"dataframe_split": [[1, 2]]}),
        post("split_extra_key", {"dataframe_split": {"columns": ["a"], "values": [[1]]}}),
        post("split_index_mismatch", {"dataframe_split": {"index": [1, 2], "data": [[1], [2], [3]]}}),
        post("invalid_utf8_json", b'{"inputs": "\xff\xfe"}'),
        post("random_1mb", headers=JSON, body_gen={"kind": "random", "size": 1048576, "seed": 7}),
        post("llm_messages", {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.3}),
        post("llm_prompt", {"prompt": "x"}),
    ]


def tensor_cases(named, name="input"):
    """Models with a [-1, 4] float32 tensor input (named or unnamed)."""
    wrap = (lambda v: {name: v}) if named else (lambda v: v)
    cases = [
        post("inputs_list", {"inputs": [ROW, ROW2]}),
        post("inputs_list_ints", {"inputs": [[5, 3, 1, 0]]}),
        post("inputs_numeric_strings", {"inputs": [["5.1", "3.5", "1.4", "0.2"]]}),
        post("inputs_bad_string", {"inputs": [[5.1, 3.5, 1.4, "x"]]}),
        post("inputs_null", {"inputs": [[5.1, None, 1.4, 0.2]]}),
        post("inputs_nan_inf", '{"inputs": [[NaN, Infinity, -Infinity, 0.2]]}'),
        post("inputs_booleans", {"inputs": [[True, False, True, False]]}),
        post("inputs_3_cols", {"inputs": [[5.1, 3.5, 1.4]]}),
        post("inputs_rank1", {"inputs": ROW}),
        post("inputs_rank3", {"inputs": [[ROW]]}),
        post("inputs_ragged", {"inputs": [ROW, [1.0, 2.0]]}),
        post("inputs_scalar", {"inputs": 5}),
        post("inputs_string", {"inputs": "hello"}),
        post("inputs_zero_rows", {"inputs": []}),
        post("inputs_dict", {"inputs": {name: [ROW]}}),
        post("inputs_dict_wrong_name", {"inputs": {"wrong": [ROW]}}),
        post("inputs_list_of_dicts", {"inputs": [{name: ROW}]}),
        post("instances_rows", {"instances": [ROW, ROW2]}),
        post("instances_objects", {"instances": [{name: ROW}, {name: ROW2}]}),
        post("split_no_columns", {"dataframe_split": {"data": [ROW, ROW2]}}),
        post("split_list_column", {"dataframe_split": {"columns": [name], "data": [[ROW]]}}),
        post("split_columns_ints", {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[5, 3, 1, 0]]}}),
        post("split_zero_rows", {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": []}}),
        post("split_bad_value", {"dataframe_split": {"data": [[5.1, 3.5, 1.4, "a"]]}}),
        post("split_shape_mismatch", {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3]]}}),
        post("records_rows", {"dataframe_records": [{"a": 5.1, "b": 3.5, "c": 1.4, "d": 0.2}]}),
        post("records_list_column", {"dataframe_records": [{name: ROW}]}),
        post("params_dict", {"inputs": [ROW], "params": {"temperature": 0.5}}),
        post("params_list", {"inputs": [ROW], "params": [1]}),
        post("params_null", {"inputs": [ROW], "params": None}),
        post("extra_top_level_key", {"inputs": [ROW], "foo": 1}),
        post("csv_body", "a,b,c,d\n5.1,3.5,1.4,0.2\n", CSV),
        post("csv_empty", "", CSV),
        post("parquet_body", parquet(pd.DataFrame([ROW], columns=list("abcd"))), PARQUET),
        post("parquet_garbage", b"notparquet", PARQUET),
        post("rows_10k_inputs", headers=JSON, body_gen={"kind": "repeat", "prefix": '{"inputs": [', "unit": json.dumps(ROW), "sep": ", ", "count": 10000, "suffix": "]}"}),
        post("rows_10k_split", headers=JSON, body_gen={"kind": "repeat", "prefix": '{"dataframe_split": {"data": [', "unit": json.dumps(ROW2), "sep": ", ", "count": 10000, "suffix": "]}}"}),
    ]
    return cases


def column_cases():
    split = lambda cols, data: {"dataframe_split": {"columns": cols, "data": data}}
    return [
        post("split", split(COLS, [ROW, ROW2])),
        post("split_ints", split(COLS, [[5, 3, 1, 0]])),
        post("split_numeric_strings", split(COLS, [["5.1", "3.5", "1.4", "0.2"]])),
        post("split_bad_string", split(COLS, [["a", 3.5, 1.4, 0.2]])),
        post("split_null", split(COLS, [[5.1, None, 1.4, 0.2]])),
        post("split_nan_tokens", '{"dataframe_split": {"columns": %s, "data": [[NaN, Infinity, 1.4, 0.2]]}}' % json.dumps(COLS)),
        post("split_booleans", split(COLS, [[True, False, True, 0.2]])),
        post("split_missing_column", split(COLS[:3], [ROW[:3]])),
        post("split_extra_column", split(COLS + ["extra"], [ROW + [9]])),
        post("split_reordered", split(COLS[::-1], [ROW[::-1]])),
        post("split_no_columns", {"dataframe_split": {"data": [ROW]}}),
        post("split_zero_rows", split(COLS, [])),
        post("records", {"dataframe_records": [dict(zip(COLS, ROW)), dict(zip(COLS, ROW2))]}),
        post("records_missing_key", {"dataframe_records": [dict(zip(COLS[:3], ROW))]}),
        post("records_zero_rows", {"dataframe_records": []}),
        post("instances_objects", {"instances": [dict(zip(COLS, ROW))]}),
        post("instances_unequal", {"instances": {"sepal_length": [1, 2], "sepal_width": [1.0]}}),
        post("inputs_dict_lists", {"inputs": {c: [v] for c, v in zip(COLS, ROW)}}),
        post("inputs_dict_scalars", {"inputs": dict(zip(COLS, ROW))}),
        post("inputs_dict_unequal", {"inputs": {"sepal_length": [1, 2], "sepal_width": [2.5], "petal_length": [1], "petal_width": [1]}}),
        post("inputs_list", {"inputs": [ROW]}),
        post("inputs_bad_string", {"inputs": {c: ["x"] for c in COLS}}),
        post("params_dict", {"dataframe_split": {"columns": COLS, "data": [ROW]}, "params": {"k": 1}}),
        post("params_list", {"dataframe_split": {"columns": COLS, "data": [ROW]}, "params": [1]}),
        post("csv", "%s\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n" % ",".join(COLS), CSV),
        post("csv_charset", "%s\n5.1,3.5,1.4,0.2\n" % ",".join(COLS), [["Content-Type", "text/csv; charset=utf-8"]]),
        post("csv_ints", "%s\n5,3,1,0\n" % ",".join(COLS), CSV),
        post("csv_bad_value", "%s\nx,3,1,0\n" % ",".join(COLS), CSV),
        post("csv_missing_value", "%s\n,3,1,0\n" % ",".join(COLS), CSV),
        post("csv_latin1", "%s\n5,3,1,0\n" % ",".join(COLS), [["Content-Type", "text/csv; charset=latin-1"]]),
        post("csv_empty", "", CSV),
        post("csv_invalid_utf8", b"sepal_length\n\xff\n", CSV),
        post("parquet_1_row", parquet(pd.DataFrame([ROW], columns=COLS)), PARQUET),
        post("parquet_3_rows", parquet(pd.DataFrame([ROW, ROW2, ROW], columns=COLS)), PARQUET),
        post("parquet_int_column", parquet(pd.DataFrame([[5, 3.5, 1.4, 0.2]], columns=COLS)), PARQUET),
        post("parquet_garbage", b"notparquet", PARQUET),
        post("rows_10k_split", headers=JSON, body_gen={"kind": "repeat", "prefix": '{"dataframe_split": {"columns": %s, "data": [' % json.dumps(COLS), "unit": json.dumps(ROW2), "sep": ", ", "count": 10000, "suffix": "]}}"}),
    ]


def multi_cases():
    return [
        post("inputs_dict", {"inputs": {"x": [[1.0, 2.0]], "y": [3]}}),
        post("inputs_dict_two_rows", {"inputs": {"x": [[1.0, 2.0], [3.0, 4.0]], "y": [3, 5]}}),
        post("inputs_y_float", {"inputs": {"x": [[1.0, 2.0]], "y": [3.5]}}),
        post("inputs_x_ints", {"inputs": {"x": [[1, 2]], "y": [3]}}),
        post("inputs_missing_y", {"inputs": {"x": [[1.0, 2.0]]}}),
        post("inputs_extra_key", {"inputs": {"x": [[1.0, 2.0]], "y": [3], "z": [1]}}),
        post("inputs_y_null", {"inputs": {"x": [[1.0, 2.0]], "y": [None]}}),
        post("inputs_y_string", {"inputs": {"x": [[1.0, 2.0]], "y": ["7"]}}),
        post("inputs_x_bad_shape", {"inputs": {"x": [[1.0, 2.0, 3.0]], "y": [3]}}),
        post("inputs_list", {"inputs": [[1.0, 2.0]]}),
        post("instances_objects", {"instances": [{"x": [1.0, 2.0], "y": 3}, {"x": [3.0, 4.0], "y": 5}]}),
        post("instances_unequal", {"instances": {"x": [[1.0, 2.0]], "y": [3, 4]}}),
        post("split_list_column", {"dataframe_split": {"columns": ["x", "y"], "data": [[[1.0, 2.0], 3]]}}),
        post("records", {"dataframe_records": [{"x": [1.0, 2.0], "y": 3}]}),
        post("records_zero_rows", {"dataframe_records": []}),
        post("csv_body", "x,y\n1,3\n", CSV),
        post("parquet_body", parquet(pd.DataFrame({"x": [1.0], "y": [3]})), PARQUET),
        post("huge_int", {"inputs": {"x": [[1.0, 2.0]], "y": [2 ** 70]}}),
    ]


FIXTURES = {
    "iris_unnamed": lambda: protocol_cases() + tensor_cases(False, "float_input")
    + [post("random_50mb", headers=JSON, body_gen={"kind": "random", "size": 52428800, "seed": 11})],
    "iris_named": lambda: protocol_cases()[:8] + tensor_cases(True, "input"),
    "iris_columns": lambda: protocol_cases()[:3] + column_cases(),
    "iris_columns_clf": lambda: [c for c in column_cases() if c["name"] in ("split", "records", "inputs_dict_lists", "csv", "split_missing_column")],
    "multi_input": lambda: protocol_cases()[:3] + multi_cases(),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def send(port, case):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    body = body_bytes(case)
    conn.putrequest(case["method"], case["path"], skip_accept_encoding=True)
    for k, v in case["headers"]:
        conn.putheader(k, v)
    if body or case["method"] == "POST":
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    expected = {
        "status": resp.status,
        "content_type": resp.getheader("content-type"),
        "location": resp.getheader("location"),
        "body_truncated": False,
    }
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if resp.status >= 400 and len(data) > 100_000:
        expected["body"] = (text if text is not None else data.decode("latin-1"))[:4000]
        expected["body_truncated"] = True
    elif text is not None:
        expected["body"] = text
    else:
        expected["body_b64"] = base64.b64encode(data).decode()
    return expected


def record(name, make_cases, args):
    model = HERE / "models" / name
    port = free_port()
    env = dict(os.environ, MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT=args[1])
    env["PATH"] = str(pathlib.Path(MLFLOW).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.Popen(
        [MLFLOW, "models", "serve", "-m", str(model), "-p", str(port), "--env-manager", "local", "-t", args[1]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"mlflow models serve did not start for {name}")
            time.sleep(0.2)
        cases = make_cases()
        for case in cases:
            case["expected"] = send(port, case)
            exp = case["expected"]
            shown = (exp.get("body") or exp.get("body_b64") or "")[:90].replace("\n", "\\n")
            print(f"{name:18} {case['name']:28} {exp['status']} {shown}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    import mlflow
    out = HERE / "recorded" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"fixture": name, "mlflow_version": mlflow.__version__, "server_args": list(args), "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(FIXTURES)
    for name in wanted:
        record(name, FIXTURES[name], ("--timeout", "60"))
