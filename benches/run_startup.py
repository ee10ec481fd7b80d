"""Time from invoking `mlflowrs run` / `mlflow run` to the project's command
starting, in the same run, on the same project and the same kind of store:

    .venv/bin/python benches/run_startup.py PATH/TO/mlflowrs [--rounds 10]

The project's entry point is `date +%s%N` (no interpreter of its own), so
the time it prints, minus the time the tool was started, is the tool's
start-up: reading the MLproject, creating the run with its tags and
parameters in SQLite, and spawning the command. Each tool gets its own
SQLite store, created before the first timed round. Prints the median and
the fastest round of each, and the ratio of the medians.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

MLPROJECT = """name: startup
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
    command: "date +%s%N"
"""


def one_round(cmd, env, cwd):
    t0 = time.time_ns()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    child_started = int(out.stdout.strip().splitlines()[-1])
    return (child_started - t0) / 1e6


def measure(name, tool, rounds, work):
    project = os.path.join(work, "project")
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work}/{name}.db"
    cmd = tool + ["run", project, "--env-manager", "local", "-P", "alpha=0.1"]
    one_round(cmd, env, work)  # creates the store's schema
    times = [one_round(cmd, env, work) for _ in range(rounds)]
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mlflowrs")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    mlflow = os.path.join(os.path.dirname(sys.executable), "mlflow")
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "project"))
        with open(os.path.join(work, "project", "MLproject"), "w") as f:
            f.write(MLPROJECT)
        rs = measure("mlflowrs", [args.mlflowrs], args.rounds, work)
        py = measure("mlflow", [mlflow], args.rounds, work)
    print(f"{'tool':<10} {'median ms':>10} {'fastest ms':>11}")
    print(f"{'mlflowrs':<10} {rs[0]:>10.1f} {rs[1]:>11.1f}")
    print(f"{'mlflow':<10} {py[0]:>10.1f} {py[1]:>11.1f}")
    print(f"ratio (median): {py[0] / rs[0]:.0f}x")


if __name__ == "__main__":
    main()
