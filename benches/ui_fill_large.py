"""Fills a tracking server with the data of the UI browser benchmark
(benches/ui_browser.py), through the real `mlflow` client:

    .venv/bin/python benches/ui_fill_large.py URL [--runs 1000] [--threads 4]

Experiment "bench-1000": 1,000 runs "bench-run-0000".. (start times one second
apart, all FINISHED), each with 20 params p0..p19 and 20 metrics m0..m19 of
100 steps each (2 log_batch calls of 1,000 metrics per run). Fill both servers
the benchmark compares the same way. Exits early if the experiment exists.
"""

import argparse
import concurrent.futures
import math
import sys
import time

EXPERIMENT = "bench-1000"
T0 = 1700000000000
PARAMS = 20
METRICS = 20
STEPS = 100


def log_run(client, exp, i):
    from mlflow.entities import Metric, Param

    run = client.create_run(exp, run_name=f"bench-run-{i:04d}", start_time=T0 + i * 1000, tags={"bench": "ui"})
    rid = run.info.run_id
    params = [Param(f"p{k}", f"{(i * 7 + k) % 13}.{k}") for k in range(PARAMS)]
    metrics = [
        Metric(f"m{k}", (k + 1) / (1 + s) + 0.1 * math.sin(i + s / 7.0), T0 + i * 1000 + s, s)
        for k in range(METRICS)
        for s in range(STEPS)
    ]
    # log_batch takes at most 1,000 metrics and 100 params per call.
    client.log_batch(rid, metrics=metrics[:1000], params=params)
    for j in range(1000, len(metrics), 1000):
        client.log_batch(rid, metrics=metrics[j : j + 1000])
    client.set_terminated(rid, end_time=T0 + i * 1000 + 60000)
    return rid


def fill(url, runs=1000, threads=4):
    from mlflow import MlflowClient

    client = MlflowClient(url)
    existing = client.get_experiment_by_name(EXPERIMENT)
    if existing is not None:
        print(f"{EXPERIMENT} exists already (id {existing.experiment_id}): nothing to do")
        return existing.experiment_id
    exp = client.create_experiment(EXPERIMENT)
    t0 = time.monotonic()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(lambda i: log_run(client, exp, i), range(runs)):
            done += 1
            if done % 100 == 0:
                print(f"{done}/{runs} runs, {time.monotonic() - t0:.0f}s", flush=True)
    print(f"{EXPERIMENT} (id {exp}): {runs} runs x {PARAMS} params x {METRICS} metrics x {STEPS} steps "
          f"in {time.monotonic() - t0:.0f}s")
    return exp


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    fill(a.url, a.runs, a.threads)
    sys.exit(0)
