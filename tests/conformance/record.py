"""Records the real `mlflow models serve` answers for the conformance suite.

Run from the repository root, after make_models.py:

    .venv/bin/python tests/conformance/record.py            # every fixture
    .venv/bin/python tests/conformance/record.py iris_named # some fixtures
    .venv/bin/python tests/conformance/record.py --out /tmp/rec2   # elsewhere
    .venv/bin/python tests/conformance/record.py --timeout-probe   # see below

For each model in tests/conformance/models/<name>/ it starts
`.venv/bin/mlflow models serve -m <dir> -p <free port> --env-manager local
--timeout 60` in its own process group (PYTHONHASHSEED=0, so that messages
which print Python sets come out the same on every run), waits for
GET /ping == 200, sends every case over raw HTTP (http.client, exactly the
listed headers plus Host and Content-Length, no redirects followed), kills the
process group, and writes tests/conformance/recorded/<name>.json:

  {"fixture": name, "mlflow_version": "3.17.2", "server_args": ["--timeout", "60"],
   "cases": [{"name", "method", "path", "headers": [[k, v], ...],
              "body" | "body_b64" | "body_gen" | (none: empty body),
              "expected": {"status", "content_type", "location",
                           "body" | "body_b64", "body_truncated"}}]}

Content-Length is sent for every POST (also when the body is empty) and for
any request with a body; Host is always sent.

Big request bodies are described, not stored (`body_gen`):
  {"kind": "repeat", "prefix": P, "unit": U, "sep": S, "count": N, "suffix": X}
      -> (P + S.join([U] * N) + X) encoded as UTF-8
  {"kind": "random", "size": N, "seed": K}
      -> N bytes of xorshift64: x = K (nonzero, u64); for each byte:
         x ^= (x << 13) mod 2**64; x ^= x >> 7; x ^= (x << 17) mod 2**64;
         emit x & 0xFF   (the state is updated before the first byte)
Answers: a body that is valid UTF-8 is stored as "body", otherwise as
"body_b64". An error answer (status >= 400) longer than 100 kB is cut to its
first 4000 characters with "body_truncated": true (MLflow echoes the whole
request in some errors); successful answers are kept whole.

--timeout-probe starts iris_unnamed with `--timeout 1` and records one slow
request (1M rows) into recorded/timeout/iris_unnamed_timeout1.json (a
subdirectory, so the default replay does not pick it up), and checks what
`-t 0` becomes.
"""

import argparse
import base64
import http.client
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

from cases import FIXTURES, JSON, ROW, all_cases, body_bytes, post, repeat

HERE = pathlib.Path(__file__).resolve().parent
MLFLOW = str(pathlib.Path(sys.executable).parent / "mlflow")

# ---------------------------------------------------------------- server


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def send(port, case, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = body_bytes(case)
    conn.putrequest(case["method"], case["path"], skip_accept_encoding=True)
    for k, v in case["headers"]:
        conn.putheader(k, v)
    if body or case["method"] == "POST":
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body if body else None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    expected = {
        "status": resp.status,
        "content_type": resp.getheader("content-type"),
        "location": resp.getheader("location"),
    }
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    truncated = resp.status >= 400 and len(data) > 100_000
    if truncated:
        expected["body"] = (text if text is not None else data.decode("utf-8", "replace"))[:4000]
        expected["body_full_length"] = len(data)  # informative only: bytes MLflow sent
    elif text is not None:
        expected["body"] = text
    else:
        expected["body_b64"] = base64.b64encode(data).decode()
    expected["body_truncated"] = truncated
    return expected


class MlflowServer:
    def __init__(self, model, args):
        self.port = free_port()
        env = dict(os.environ, PYTHONHASHSEED=os.environ.get("RECORD_HASHSEED", "0"))
        env.pop("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", None)
        env["PATH"] = str(pathlib.Path(MLFLOW).parent) + os.pathsep + env.get("PATH", "")
        self.log = open(f"/tmp/mlflow-serve-{model.name}.log", "w")
        self.proc = subprocess.Popen(
            [MLFLOW, "models", "serve", "-m", str(model), "-p", str(self.port), "--env-manager", "local", *args],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )
        deadline = time.time() + 180
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise SystemExit(f"mlflow models serve did not start for {model}")
            time.sleep(0.3)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def shown(exp):
    return (exp.get("body") or exp.get("body_b64") or "")[:100].replace("\n", "\\n")


def record(name, out_dir, args=("--timeout", "60"), cases=None, out_name=None):
    import mlflow

    cases = cases if cases is not None else all_cases(name)
    server = MlflowServer(HERE / "models" / name, list(args))
    try:
        for case in cases:
            t0 = time.time()
            case["expected"] = send(server.port, case)
            exp = case["expected"]
            print(f"{name:17} {case['name']:32} {exp['status']} {time.time() - t0:5.2f}s {shown(exp)}", flush=True)
    finally:
        server.stop()
    out = out_dir / f"{out_name or name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"fixture": name, "mlflow_version": mlflow.__version__, "server_args": list(args), "cases": cases}
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")


def timeout_probe(out_dir):
    """--timeout 1 with a request that takes MLflow more than 1 s; `-t 0`."""
    slow = post("rows_1m_inputs", headers=JSON, body_gen=repeat('{"inputs": [', json.dumps(ROW), 1_000_000, "]}"))
    fast = post("ok", {"inputs": [ROW]})
    record("iris_unnamed", out_dir / "timeout", ("--timeout", "1"), [fast, slow, dict(fast, name="ok_after_timeout")],
           out_name="iris_unnamed_timeout1")
    server = MlflowServer(HERE / "models" / "iris_unnamed", ["-t", "0"])
    try:
        pids = subprocess.run(["pgrep", "-g", str(os.getpgid(server.proc.pid))], capture_output=True, text=True).stdout.split()
        seen = set()
        for pid in pids:
            try:
                env = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            seen |= {e.decode() for e in env if e.startswith(b"MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT=")}
        print("-t 0 accepted; server environment:", sorted(seen))
    finally:
        server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("fixtures", nargs="*")
    ap.add_argument("--out", type=pathlib.Path, default=HERE / "recorded")
    ap.add_argument("--timeout-probe", action="store_true")
    ap.add_argument("--summary", action="store_true", help="print the recorded cases, do not record")
    a = ap.parse_args()
    if a.summary:
        for f in sorted(a.out.glob("*.json")):
            doc = json.loads(f.read_text())
            if a.fixtures and doc["fixture"] not in a.fixtures:
                continue
            for c in doc["cases"]:
                print(f"{doc['fixture']:17} {c['name']:32} {c['expected']['status']} {shown(c['expected'])}")
    elif a.timeout_probe:
        timeout_probe(a.out)
    else:
        for fixture in a.fixtures or list(FIXTURES):
            record(fixture, a.out)
