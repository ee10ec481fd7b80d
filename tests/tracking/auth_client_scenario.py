"""The real mlflow client and its basic-auth client (`mlflow.server.
get_app_client("basic-auth", …)`), switching users through
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD as MLflow users do,
against a tracking server started with the basic-auth app and admin
`admin` / `admin-password-1`:

    .venv/bin/python tests/tracking/auth_client_scenario.py URL OUT.json

Writes what each step returned or raised (ids left out), so the
observations against two servers can be compared (tests/tracking/auth.rs
compares mlflowrs server's with tests/tracking/recorded/auth_client.json,
made against `mlflow server --app-name basic-auth`).
"""

import json
import os
import sys
import tempfile

USERS = {
    "admin": "admin-password-1",
    "alice": "alicepassword1",
    "bob": "bobpassword12",
}


def as_user(name, password=None):
    os.environ["MLFLOW_TRACKING_USERNAME"] = name
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password or USERS[name]


def main():
    uri, out = sys.argv[1], sys.argv[2]
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    import mlflow
    from mlflow import MlflowClient
    from mlflow.server import get_app_client

    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    auth = get_app_client("basic-auth", tracking_uri=uri)
    seen = []

    def step(name, fn):
        try:
            value = fn()
            seen.append({"step": name, "ok": True, "value": value})
        except Exception as e:  # what the client raises is the observation
            code = getattr(e, "error_code", None)
            text = str(e)
            status = None
            for s in ("401", "403", "404", "400"):
                if f"error code {s}" in text or f" {s} " in text:
                    status = s
                    break
            seen.append({"step": name, "ok": False, "error": type(e).__name__, "error_code": code, "status": status})
        return seen[-1].get("value")

    as_user("admin")
    step("admin_creates_alice", lambda: auth.create_user("alice", USERS["alice"]).username)
    step("admin_creates_bob", lambda: auth.create_user("bob", USERS["bob"]).username)
    step("admin_creates_short", lambda: auth.create_user("carol", "short").username)
    step("admin_gets_bob", lambda: (lambda u: [u.username, u.is_admin])(auth.get_user("bob")))

    as_user("alice")
    exp_id = step("alice_creates_experiment", lambda: mlflow.create_experiment("alice-team"))
    run_id = step("alice_starts_run", lambda: client.create_run(exp_id).info.run_id)
    step("alice_logs", lambda: (client.log_param(run_id, "lr", "0.1"), client.log_metric(run_id, "acc", 0.9, step=0))[1])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notes.txt")
        with open(path, "w") as f:
            f.write("alice's notes")
        step("alice_logs_artifact", lambda: client.log_artifact(run_id, path))
    step("alice_registers_model", lambda: client.create_registered_model("alice-rm").name)
    step("alice_creates_version", lambda: client.create_model_version("alice-rm", f"runs:/{run_id}/model", run_id).version)
    step("alice_grants_bob_read_on_model", lambda: auth.grant_user_permission("bob", "registered_model", "alice-rm", "READ"))

    as_user("bob")
    step("bob_reads_experiment", lambda: client.get_experiment(exp_id).name)
    step("bob_reads_run_metrics", lambda: client.get_run(run_id).data.metrics)
    step("bob_logs_to_alices_run", lambda: client.log_metric(run_id, "acc", 0.1, step=1))
    step("bob_renames_experiment", lambda: client.rename_experiment(exp_id, "bobs-now"))
    step("bob_downloads_artifact", lambda: open(client.download_artifacts(run_id, "notes.txt", tempfile.mkdtemp())).read())
    step("bob_reads_model", lambda: client.get_registered_model("alice-rm").name)
    step("bob_updates_model", lambda: client.update_registered_model("alice-rm", description="bob").description)
    step("bob_grants_himself", lambda: auth.grant_user_permission("bob", "experiment", exp_id, "MANAGE"))
    step("bob_checks_his_permission", lambda: auth.get_user_permission("bob", "experiment", exp_id).__dict__ if hasattr(auth, "get_user_permission") else None)
    step("bob_creates_own_experiment", lambda: bool(mlflow.create_experiment("bob-team")))
    step("bob_searches_experiments", lambda: sorted(e.name for e in client.search_experiments()))

    as_user("alice")
    step("alice_grants_bob_edit", lambda: auth.grant_user_permission("bob", "experiment", exp_id, "EDIT"))

    as_user("bob")
    step("bob_logs_after_grant", lambda: client.log_metric(run_id, "acc", 0.2, step=1))
    step("bob_deletes_run", lambda: client.delete_run(run_id))
    step("bob_reads_history", lambda: [m.value for m in client.get_metric_history(run_id, "acc")])

    as_user("bob", "wrong-password")
    step("bob_wrong_password", lambda: client.get_experiment(exp_id).name)

    as_user("admin")
    step("admin_lists_bobs_roles", lambda: sorted(r.name for r in auth.list_user_roles("bob")))
    step("admin_makes_bob_admin", lambda: auth.update_user_admin("bob", True))
    as_user("bob")
    step("bob_as_admin_deletes_run", lambda: client.delete_run(run_id))
    as_user("admin")
    step("admin_deletes_bob", lambda: auth.delete_user("bob"))
    as_user("bob")
    step("bob_after_deletion", lambda: client.get_experiment(exp_id).name)

    for s in seen:
        if s["step"] == "alice_starts_run" and s["ok"]:
            s["value"] = "<run id>"
    with open(out, "w") as f:
        json.dump(seen, f, indent=1, default=str)


if __name__ == "__main__":
    main()
