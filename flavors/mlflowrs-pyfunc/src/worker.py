"""mlflowrs pyfunc worker: loads one MLflow model with the real mlflow and
answers scoring requests sent by the mlflowrs supervisor.

The answers come from mlflow's own scoring code
(mlflow.pyfunc.scoring_server.invocations), so parsing, schema enforcement,
params and the JSON encoding of predictions are exactly `mlflow models
serve`'s. The supervisor owns HTTP; this program only scores.

Protocol, over the stdin/stdout pipes the process was started with (fd 1 is
then pointed at stderr, so prints from model code cannot corrupt it). All
integers little-endian.
  worker -> supervisor, once: b"R" u64 len, JSON {"mlflow": version, ...}
                          or: b"E" u64 len, the load error (traceback text)
  supervisor -> worker, per batch: u32 n, then n x (u32 len, content type,
                                   u64 len, body)
  worker -> supervisor, per batch: n x (u16 status, u32 len, media type,
                                   u64 len, body)
Stdin EOF (the supervisor went away) ends the process.
"""

import os
import struct
import sys
import traceback

PROTO_IN = os.fdopen(os.dup(0), "rb")
PROTO_OUT = os.fdopen(os.dup(1), "wb")
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.dup2(2, 1)

# Model flavors whose predict treats rows independently, so that single-row
# requests may be answered from one call on their concatenation.
ROW_WISE_LOADERS = {
    "mlflow.sklearn",
    "mlflow.xgboost",
    "mlflow.lightgbm",
    "mlflow.catboost",
    "mlflow.onnx",
}


def send(kind, payload):
    PROTO_OUT.write(kind + struct.pack("<Q", len(payload)) + payload)
    PROTO_OUT.flush()


def read_exact(n):
    buf = PROTO_IN.read(n)
    if buf is None or len(buf) < n:
        sys.exit(0)
    return buf


def main():
    model_path, batching = sys.argv[1], sys.argv[2]
    try:
        import json

        import mlflow
        from mlflow.environment_variables import _MLFLOW_IS_IN_SERVING_ENVIRONMENT
        from mlflow.pyfunc import scoring_server

        model = scoring_server.load_model_with_mlflow_config(model_path)
        input_schema = model.metadata.get_input_schema()
        os.environ[_MLFLOW_IS_IN_SERVING_ENVIRONMENT.name] = "true"
        loader = model.metadata.flavors.get("python_function", {}).get("loader_module")
        row_wise = batching == "always" or (batching == "auto" and loader in ROW_WISE_LOADERS)
    except BaseException:
        send(b"E", traceback.format_exc().encode("utf-8", "replace"))
        sys.exit(1)
    scorer = Scorer(model, input_schema, scoring_server, row_wise)
    send(b"R", json.dumps({"mlflow": mlflow.__version__, "loader_module": loader, "row_wise": row_wise}).encode())
    while True:
        (n,) = struct.unpack("<I", read_exact(4))
        reqs = []
        for _ in range(n):
            (ct_len,) = struct.unpack("<I", read_exact(4))
            ct = read_exact(ct_len).decode("latin-1")
            (body_len,) = struct.unpack("<Q", read_exact(8))
            reqs.append((ct, read_exact(body_len)))
        out = []
        for status, mime, body in scorer.batch(reqs):
            if isinstance(body, str):
                body = body.encode("utf-8")
            mime = mime.encode()
            out.append(struct.pack("<HI", status, len(mime)) + mime + struct.pack("<Q", len(body)) + body)
        PROTO_OUT.write(b"".join(out))
        PROTO_OUT.flush()


class Scorer:
    def __init__(self, model, input_schema, scoring_server, row_wise):
        self.model = model
        self.input_schema = input_schema
        self.ss = scoring_server
        self.row_wise = row_wise

    def one(self, ct, body):
        from mlflow.exceptions import MlflowException

        try:
            r = self.ss.invocations(body, ct, self.model, self.input_schema)
            return r.status, r.mimetype, r.response
        except MlflowException as e:
            return e.get_http_status_code(), "application/json", e.serialize_as_json()
        except Exception:
            # What FastAPI answers for an exception the route did not catch.
            traceback.print_exc()
            return 500, "text/plain", "Internal Server Error"

    def batch(self, reqs):
        if len(reqs) > 1 and self.row_wise:
            try:
                answers = self.stacked(reqs)
            except Exception:
                answers = None
            if answers is not None:
                return answers
        return [self.one(ct, body) for ct, body in reqs]

    def frame(self, ct, body):
        """The DataFrame MLflow would score for this request, or None when
        the request is not a plain DataFrame request (params, LLM input, any
        error): those take the one-by-one path and get MLflow's exact answer."""
        import pandas as pd

        mime, _, rest = ct.partition(";")
        mime = mime.strip()
        if rest.strip() not in ("", "charset=utf-8", "charset=UTF-8"):
            return None
        if mime == "application/json":
            parsed = self.ss._parse_json_data(body, self.model.metadata, self.input_schema)
            if parsed.params is not None or parsed.is_unified_llm_input:
                return None
            data = parsed.data
        elif mime == "text/csv":
            from io import StringIO

            data = self.ss.parse_csv_input(csv_input=StringIO(body.decode("utf-8")), schema=self.input_schema)
        else:
            return None
        if not isinstance(data, pd.DataFrame) or len(data) == 0:
            return None
        return data

    def stacked(self, reqs):
        import numpy as np
        import pandas as pd

        frames = []
        for ct, body in reqs:
            f = self.frame(ct, body)
            if f is None:
                return None
            frames.append(f)
        first = frames[0]
        for f in frames[1:]:
            if list(f.columns) != list(first.columns) or not f.dtypes.equals(first.dtypes):
                return None
        combined = pd.concat(frames, ignore_index=True)
        preds = self.model.predict(combined)
        if not isinstance(preds, (np.ndarray, pd.Series, pd.DataFrame, list)) or len(preds) != len(combined):
            return None
        out, start = [], 0
        for f in frames:
            end = start + len(f)
            if isinstance(preds, (pd.Series, pd.DataFrame)):
                part = preds.iloc[start:end].reset_index(drop=True)
            else:
                part = preds[start:end]
            from io import StringIO

            buf = StringIO()
            self.ss.predictions_to_json(part, buf)
            out.append((200, "application/json", buf.getvalue()))
            start = end
        return out


if __name__ == "__main__":
    main()
