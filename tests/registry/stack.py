"""Starts real MLflow stores and fills them with the real mlflow client, for
tests/serving/registry.rs.

    .venv/bin/python tests/registry/stack.py --dir D

Starts PostgreSQL, a moto S3 server and three `mlflow server`s, fills four
stores (those three and a file store) with the same models, prints one JSON
line describing them, and keeps everything running until its standard input
closes (the test process exiting) or it gets SIGTERM/SIGINT.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
S3 = {
    "bucket": "mlflow",
    "access_key_id": "testing",
    "secret_access_key": "testing",
    "region": "us-east-1",
}
INPUT = [[1.0, 2.0]]
# run i's model predicts k * (x0 + 2 x1) + b
RECIPES = [(1.0, 0.0), (10.0, 5.0)]


def log(*args):
    print("[stack]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready within {timeout} s")


def http_ok(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status == 200


class Processes:
    """Children in their own process groups, all killed at the end."""

    def __init__(self, logs):
        self.logs = logs
        self.children = []
        self.cleanups = []

    def start(self, name, argv, env=None, cwd=None):
        out = open(os.path.join(self.logs, f"{name}.log"), "ab")
        p = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        self.children.append((name, p))
        return p

    def stop(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:
                log("cleanup failed:", e)
        for name, p in reversed(self.children):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.time() + 5
        for name, p in self.children:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # whatever a leader left behind in its group (uvicorn, postgres backends)
        for name, p in self.children:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def as_postgres_user(argv):
    """initdb and postgres refuse to run as root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


def start_postgres(procs):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        raise RuntimeError("PostgreSQL is not installed (no initdb); scripts/test.sh installs it")
    bindir = os.path.dirname(initdb)
    data = tempfile.mkdtemp(prefix="mlflowrs-pg-")
    sockets = tempfile.mkdtemp(prefix="mlflowrs-pgsock-")
    if os.geteuid() == 0:
        for d in (data, sockets):
            shutil.chown(d, "postgres", "postgres")
    subprocess.run(
        as_postgres_user([initdb, "-D", data, "-A", "trust", "-U", "postgres"]),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    procs.start(
        "postgres",
        as_postgres_user(
            [os.path.join(bindir, "postgres"), "-D", data, "-p", str(port), "-h", "127.0.0.1", "-k", sockets]
        ),
    )

    def stop_pg():
        subprocess.run(
            as_postgres_user([os.path.join(bindir, "pg_ctl"), "stop", "-D", data, "-m", "immediate"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)

    procs.cleanups.append(stop_pg)
    import psycopg2

    def connect():
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres").close()
        return True

    wait_until(connect, "PostgreSQL")
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute("CREATE DATABASE mlflow")
    conn.close()
    # psycopg2, not SQLAlchemy 2.1's default psycopg 3: with psycopg 3, mlflow
    # 3.17.2's transition_model_version_stage(archive_existing_versions=True)
    # fails on PostgreSQL ("operator does not exist: integer <> character varying").
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow"


def s3_env(endpoint):
    return {
        "MLFLOW_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": S3["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": S3["secret_access_key"],
        "AWS_DEFAULT_REGION": S3["region"],
    }


def start_moto(procs):
    port = free_port()
    procs.start("moto", [os.path.join(BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{endpoint}/moto-api/"), "moto")
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3["access_key_id"],
        aws_secret_access_key=S3["secret_access_key"],
        region_name=S3["region"],
    ).create_bucket(Bucket=S3["bucket"])
    return endpoint


# Keeps `mlflow server` from starting its huey job runner: seven more Python
# processes per server, nothing the registry needs, and temp dirs in /dev/shm.
SERVER_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def start_mlflow(procs, name, args, env=None):
    port = free_port()
    procs.start(
        f"mlflow-{name}",
        [os.path.join(BIN, "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        + args,
        env={**SERVER_ENV, **(env or {})},
    )
    return f"http://127.0.0.1:{port}"


def pinned(*names):
    """Explicit requirements, so log_model skips inferring them in a child Python."""
    from importlib.metadata import version

    return [f"{n}=={version(n)}" for n in ("mlflow",) + names]


def populate(tracking_uri, out_path):
    """Fills one store; runs in its own process so stores do not share client state."""
    import warnings

    warnings.simplefilter("ignore")
    import mlflow
    import numpy as np
    import onnxruntime
    from mlflow import MlflowClient
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    exp = mlflow.set_experiment("registry-test")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    example = np.array(INPUT, dtype=np.float32)
    for name in ["iris-onnx", "iris-sklearn", "iris-legacy", "mover"]:
        client.create_registered_model(name, tags={"team": "ml"} if name != "mover" else None)
    onnx_reqs = pinned("onnx", "onnxruntime")
    sk_reqs = pinned("scikit-learn", "numpy")
    runs, expected = [], {}
    for i, (k, b) in enumerate(RECIPES, start=1):
        y = k * (x[:, 0] + 2 * x[:, 1]) + b
        model = LinearRegression().fit(x, y)
        onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, 2]))], target_opset=17)
        session = onnxruntime.InferenceSession(onx.SerializeToString())
        expected[str(i)] = [float(v) for v in np.asarray(session.run(None, {"input": example})[0]).ravel()]
        with mlflow.start_run(run_name=f"run-{i}") as run:
            mlflow.log_param("k", k)
            mlflow.log_metric("mse", float(np.mean((model.predict(x) - y) ** 2)))
            mlflow.set_tag("purpose", "mlflowrs registry test")
            onnx_info = mlflow.onnx.log_model(
                onx, name="onnx_model", input_example=example, pip_requirements=onnx_reqs
            )
            sk_info = mlflow.sklearn.log_model(
                model, name="sk_model", input_example=example, pip_requirements=sk_reqs
            )
            with tempfile.TemporaryDirectory() as tmp:
                local = os.path.join(tmp, "m")
                mlflow.onnx.save_model(onx, local, input_example=example, pip_requirements=onnx_reqs)
                mlflow.log_artifacts(local, artifact_path="legacy_model")
            artifact_uri = run.info.artifact_uri
        source = f"models:/{onnx_info.model_id}"
        client.create_model_version("iris-onnx", source, run_id=run.info.run_id, model_id=onnx_info.model_id)
        client.create_model_version(
            "iris-sklearn", f"models:/{sk_info.model_id}", run_id=run.info.run_id, model_id=sk_info.model_id
        )
        client.create_model_version("mover", source, run_id=run.info.run_id, model_id=onnx_info.model_id)
        client.create_model_version("iris-legacy", f"{artifact_uri}/legacy_model", run_id=run.info.run_id)
        runs.append(
            {
                "run_id": run.info.run_id,
                "onnx_model_id": onnx_info.model_id,
                "sklearn_model_id": sk_info.model_id,
                "artifact_uri": artifact_uri,
            }
        )
    for name in ["iris-onnx", "iris-sklearn", "iris-legacy"]:
        client.set_registered_model_alias(name, "champion", "2")
        client.transition_model_version_stage(name, "1", "Production", archive_existing_versions=False)
        client.transition_model_version_stage(name, "2", "Staging", archive_existing_versions=False)
        client.set_model_version_tag(name, "2", "validated", "true")
    client.set_registered_model_alias("mover", "moving", "1")
    client.transition_model_version_stage("mover", "1", "Production", archive_existing_versions=False)

    # The real client must agree with what the tests will expect.
    for uri, version in [("models:/iris-onnx/1", "1"), ("models:/iris-onnx/2", "2"), ("models:/iris-onnx@champion", "2")]:
        got = mlflow.pyfunc.load_model(uri).predict(example)
        if isinstance(got, dict):  # the onnx pyfunc answers {output name: array}
            got = next(iter(got.values()))
        got = np.asarray(got).ravel().tolist()
        want = expected[version]
        if not np.allclose(got, want, rtol=1e-4):
            raise RuntimeError(f"{tracking_uri}: {uri} predicts {got}, expected {want}")
    with open(out_path, "w") as f:
        json.dump({"experiment_id": exp.experiment_id, "runs": runs, "expected": expected}, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--remove-dir", action="store_true", help="delete --dir once everything has stopped")
    parser.add_argument("--populate", nargs=2, metavar=("TRACKING_URI", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate:
        populate(*args.populate)
        return 0

    started = time.time()
    timings = []

    def mark(what):
        timings.append((what, time.time() - started))
        log(f"{what} after {time.time() - started:.1f} s")

    root = os.path.abspath(args.dir)
    if os.path.isdir(root) and os.listdir(root):
        log(f"--dir {root} is not empty")
        return 2
    logs = os.path.join(root, "logs")
    os.makedirs(logs, exist_ok=True)
    procs = Processes(logs)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    status = 1
    try:
        for d in ["sqlite", "proxy", "file"]:
            os.makedirs(os.path.join(root, d), exist_ok=True)
        # The SQLite servers start first: their migrations overlap PostgreSQL's initdb.
        servers = {
            "sqlite": start_mlflow(
                procs,
                "sqlite",
                [
                    "--backend-store-uri", f"sqlite:///{root}/sqlite/mlflow.db",
                    "--no-serve-artifacts",
                    "--default-artifact-root", f"file://{root}/sqlite/artifacts",
                ],
            ),
            "proxy": start_mlflow(
                procs,
                "proxy",
                [
                    "--backend-store-uri", f"sqlite:///{root}/proxy/mlflow.db",
                    "--serve-artifacts",
                    "--artifacts-destination", f"{root}/proxy/mlartifacts",
                ],
            ),
        }
        s3_endpoint = start_moto(procs)
        pg_uri = start_postgres(procs)
        mark("postgres and moto up")
        servers["postgres"] = start_mlflow(
            procs,
            "postgres",
            [
                "--backend-store-uri", pg_uri,
                "--no-serve-artifacts",
                "--default-artifact-root", f"s3://{S3['bucket']}/artifacts",
            ],
            env=s3_env(s3_endpoint),
        )
        for name, url in servers.items():
            proc = dict(procs.children)[f"mlflow-{name}"]

            def ready(url=url, proc=proc, name=name):
                if proc.poll() is not None:
                    raise SystemExit(f"mlflow server ({name}) exited with {proc.returncode}; see {logs}")
                return http_ok(f"{url}/health")

            wait_until(ready, f"mlflow server ({name})")
        mark("mlflow servers up")

        stores = {
            "file": {"tracking_uri": f"file://{root}/file/mlruns", "http_uri": None},
            "sqlite": {"tracking_uri": f"sqlite:///{root}/sqlite/mlflow.db", "http_uri": servers["sqlite"]},
            "postgres": {"tracking_uri": pg_uri, "http_uri": servers["postgres"]},
            "proxy": {"tracking_uri": f"sqlite:///{root}/proxy/mlflow.db", "http_uri": servers["proxy"]},
        }
        env = {**s3_env(s3_endpoint), "MLFLOW_ALLOW_FILE_STORE": "true", "PYTHONWARNINGS": "ignore"}
        pending = []
        for name, store in stores.items():
            target = store["http_uri"] or store["tracking_uri"]
            out = os.path.join(root, "logs", f"populate-{name}.json")
            # a group of its own, so a failure or signal here also ends its model-loading children
            p = procs.start(
                f"populate-{name}", [PYTHON, os.path.abspath(__file__), "--dir", root, "--populate", target, out],
                env=env, cwd=root,
            )
            pending.append((name, p, out))
        expected = None
        for name, p, out in pending:
            if p.wait() != 0:
                with open(os.path.join(logs, f"populate-{name}.log"), errors="replace") as f:
                    sys.stderr.write(f.read()[-4000:])
                raise RuntimeError(f"filling the {name} store failed (log above)")
            with open(out) as f:
                filled = json.load(f)
            stores[name].update(experiment_id=filled["experiment_id"], runs=filled["runs"])
            if expected is None:
                expected = filled["expected"]
            elif expected != filled["expected"]:
                log(f"note: {name} computed {filled['expected']}, first store {expected}")
            mark(f"{name} store filled")

        manifest = {
            "dir": root,
            "python": PYTHON,
            "s3": {"endpoint_url": s3_endpoint, **S3},
            "input": INPUT,
            "expected": expected,
            "stores": stores,
        }
        log("timings: " + ", ".join(f"{w} {t:.1f}s" for w, t in timings))
        sys.stdout.write(json.dumps(manifest) + "\n")
        sys.stdout.flush()
        status = 0
        # Serve until the test process goes away.
        while sys.stdin.buffer.read(65536):
            pass
    except KeyboardInterrupt:
        pass
    except BaseException as e:
        log("failed:", e if isinstance(e, SystemExit) else repr(e))
        status = 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stopping = time.time()
        procs.stop()
        log(f"stopped everything in {time.time() - stopping:.1f} s")
        if args.remove_dir:
            shutil.rmtree(args.dir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
