"""Time from a model URI to a local model directory: mlflowrs against the real
mlflow client, on the stores tests/registry/stack.py starts, in the same run.

    .venv/bin/python benches/resolve.py [RUNS]     (after cargo build --release)

For each store it times, as whole commands (median of RUNS):
  - `mlflow artifacts download -u URI -d DIR` (the real client, fresh DIR);
  - `mlflowrs models resolve -m URI` with an empty cache (a first start);
  - the same with the cache filled (every later start).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/mlflowrs/target"))
MLFLOWRS = os.path.join(TARGET, "release", "mlflowrs")
MLFLOW = os.path.join(os.path.dirname(sys.executable), "mlflow")
URI = "models:/iris-onnx@champion"


def timed(argv, env):
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if not os.path.exists(MLFLOWRS):
        sys.exit(f"{MLFLOWRS} is missing: cargo build --release first")
    scratch = tempfile.mkdtemp(prefix="mlflowrs-bench-")
    stack = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests/registry/stack.py"), "--dir", os.path.join(scratch, "stack")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    manifest = json.loads(stack.stdout.readline())
    s3 = manifest["s3"]
    base = {
        **os.environ,
        "MLFLOW_S3_ENDPOINT_URL": s3["endpoint_url"],
        "AWS_ACCESS_KEY_ID": s3["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": s3["secret_access_key"],
        "AWS_DEFAULT_REGION": s3["region"],
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "MLFLOWRS_LOG": "error",
    }
    ways = [
        ("file store", manifest["stores"]["file"]["tracking_uri"]),
        ("SQLite, read directly", manifest["stores"]["sqlite"]["tracking_uri"]),
        ("PostgreSQL read directly, S3 artifacts", manifest["stores"]["postgres"]["tracking_uri"]),
        ("tracking server, S3 artifacts", manifest["stores"]["postgres"]["http_uri"]),
        ("tracking server, artifact proxy", manifest["stores"]["proxy"]["http_uri"]),
    ]
    print(f"{URI}, median of {runs} runs, ms")
    print("| store | mlflow artifacts download | mlflowrs, empty cache | mlflowrs, cache filled | ratio (mlflow / mlflowrs) |")
    print("|---|---|---|---|---|")
    try:
        for name, tracking in ways:
            env = {**base, "MLFLOW_TRACKING_URI": tracking}
            mlflow_ms, cold_ms, warm_ms = [], [], []
            warm_cache = tempfile.mkdtemp(dir=scratch)
            for _ in range(runs):
                dst = tempfile.mkdtemp(dir=scratch)
                mlflow_ms.append(timed([MLFLOW, "artifacts", "download", "-u", URI, "-d", dst], env))
                cold = {**env, "MLFLOWRS_MODEL_CACHE_DIR": tempfile.mkdtemp(dir=scratch)}
                cold_ms.append(timed([MLFLOWRS, "models", "resolve", "-m", URI], cold))
                warm = {**env, "MLFLOWRS_MODEL_CACHE_DIR": warm_cache}
                timed([MLFLOWRS, "models", "resolve", "-m", URI], warm)
                warm_ms.append(timed([MLFLOWRS, "models", "resolve", "-m", URI], warm))
            m, c, w = (statistics.median(x) for x in (mlflow_ms, cold_ms, warm_ms))
            print(f"| {name} | {m:.0f} | {c:.1f} | {w:.1f} | {m / c:.0f}x / {m / w:.0f}x |", flush=True)
    finally:
        stack.stdin.close()
        stack.wait()


if __name__ == "__main__":
    main()
