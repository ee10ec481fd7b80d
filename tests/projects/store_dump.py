"""Prints, as JSON, what a project run left in a tracking store (SQLite or
PostgreSQL, MLflow's schema), normalised so two stores compare: each run's
status, end-time presence, user, experiment name, tags (run name and ids
replaced), params and metrics, in a stable order.

    .venv/bin/python tests/projects/store_dump.py STORE_URI
"""

import json
import re
import sys

import sqlalchemy


def main():
    uri = sys.argv[1]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg2://" + uri[len("postgresql://"):]
    engine = sqlalchemy.create_engine(uri)
    out = []
    with engine.connect() as c:
        runs = c.execute(sqlalchemy.text(
            "SELECT r.run_uuid, r.status, r.end_time IS NULL, r.user_id, e.name, r.name "
            "FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id"
        )).fetchall()
        for run_uuid, status, running, user, experiment, name in runs:
            q = lambda sql: c.execute(sqlalchemy.text(sql), {"r": run_uuid}).fetchall()  # noqa: E731
            tags = dict(q("SELECT key, value FROM tags WHERE run_uuid = :r"))
            assert tags.get("mlflow.runName") == name, (tags, name)
            tags["mlflow.runName"] = "<NAME>" if re.match(r"^[a-z]+-[a-z]+-\d+$", name) else name
            out.append({
                "status": status,
                "end_time_set": not running,
                "user": user,
                "experiment": experiment,
                "tags": dict(sorted(tags.items())),
                "params": dict(sorted(q("SELECT key, value FROM params WHERE run_uuid = :r"))),
                "metrics": sorted([list(m) for m in q("SELECT key, value, step FROM metrics WHERE run_uuid = :r")]),
            })
    out.sort(key=lambda r: json.dumps(r, sort_keys=True))
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
