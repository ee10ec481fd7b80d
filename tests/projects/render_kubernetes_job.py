"""MLflow's own rendering of a project's Kubernetes Job, for the test that
compares mlflowrs's with it: reads a JSON case on stdin, prints the Job MLflow
3.17.2's `_get_kubernetes_job_definition` renders from it as JSON (the
timestamp fixed so the names compare)."""

import datetime
import json
import os
import sys

import yaml

import mlflow.projects.kubernetes as kb


class FixedNow(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2026, 12, 6, 13, 0, 0, 123456)


def main():
    case = json.load(sys.stdin)
    if case.get("kube_tracking_uri") is not None:
        os.environ["KUBE_MLFLOW_TRACKING_URI"] = case["kube_tracking_uri"]
    else:
        os.environ.pop("KUBE_MLFLOW_TRACKING_URI", None)
    kb.datetime = FixedNow
    with open(case["template"]) as f:
        template = yaml.safe_load(f.read())
    job = kb._get_kubernetes_job_definition(
        case["project_name"],
        case["image_tag"],
        case["image_digest"],
        kb._get_run_command([case["command"]]),
        dict(case["env"]),
        template,
    )
    print(json.dumps(job))


if __name__ == "__main__":
    main()
