"""Records what the real `mlflow server` (SQLite store, artifact proxy on)
answers, for tests/tracking/rest.rs to replay against `mlflowrs server`:

  recorded/cases.json     raw REST calls (found, not found, bad parameter),
                          each with its status and JSON answer
  recorded/scenario.json  what tests/tracking/client_scenario.py observed

    .venv/bin/python tests/tracking/record.py
    .venv/bin/python tests/tracking/record.py --replay URL OUT.json   # the same calls, against any server

Cases may refer to values earlier answers held (`${run}`): `capture` names
them by a dotted path into the answer. The replay substitutes its own.
"""

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "recorded")
API = "/api/2.0/mlflow/"
ART = "/api/2.0/mlflow-artifacts/artifacts/"


def c(name, method, path, body=None, query=None, capture=None, raw=None, content_type="application/json"):
    case = {"name": name, "method": method, "path": path if path.startswith("/") else API + path}
    if query is not None:
        case["query"] = query
    if body is not None:
        case["body"] = body
    if raw is not None:
        case["raw"] = raw
        case["content_type"] = content_type
    if capture:
        case["capture"] = capture
    return case


T0 = 1700000000000
CASES = [
    # experiments
    c("experiment_create", "POST", "experiments/create", {"name": "exp-a", "tags": [{"key": "team", "value": "a"}]}, capture={"exp": "experiment_id"}),
    c("experiment_create_second", "POST", "experiments/create", {"name": "exp-b", "artifact_location": "/tmp/elsewhere"}, capture={"exp2": "experiment_id"}),
    c("experiment_create_duplicate", "POST", "experiments/create", {"name": "exp-a"}),
    c("experiment_create_no_name", "POST", "experiments/create", {}),
    c("experiment_create_bad_json", "POST", "experiments/create", raw="{not json"),
    c("experiment_create_wrong_content_type", "POST", "experiments/create", raw='{"name": "x"}', content_type="text/plain"),
    c("experiment_get", "GET", "experiments/get", query={"experiment_id": "${exp}"}),
    c("experiment_get_default", "GET", "experiments/get", query={"experiment_id": "0"}),
    c("experiment_get_missing", "GET", "experiments/get", query={"experiment_id": "999"}),
    c("experiment_get_not_int", "GET", "experiments/get", query={"experiment_id": "abc"}),
    c("experiment_get_no_id", "GET", "experiments/get", query={}),
    c("experiment_get_by_name", "GET", "experiments/get-by-name", query={"experiment_name": "exp-a"}),
    c("experiment_get_by_name_missing", "GET", "experiments/get-by-name", query={"experiment_name": "nope"}),
    c("experiment_set_tag", "POST", "experiments/set-experiment-tag", {"experiment_id": "${exp}", "key": "stage", "value": "dev"}),
    c("experiment_update", "POST", "experiments/update", {"experiment_id": "${exp2}", "new_name": "exp-b2"}),
    c("experiment_update_to_existing", "POST", "experiments/update", {"experiment_id": "${exp2}", "new_name": "exp-a"}),
    c("experiment_search", "POST", "experiments/search", {"max_results": 10}),
    c("experiment_search_no_max", "POST", "experiments/search", {}),
    c("experiment_search_get", "GET", "experiments/search", query={"max_results": "10", "filter": "name LIKE 'exp-%'"}),
    c("experiment_search_page", "POST", "experiments/search", {"max_results": 1, "order_by": ["name ASC"]}, capture={"exp_page": "next_page_token"}),
    c("experiment_search_page_2", "POST", "experiments/search", {"max_results": 1, "order_by": ["name ASC"], "page_token": "${exp_page}"}),
    c("experiment_search_bad_filter", "POST", "experiments/search", {"filter": "name ~ 'x'", "max_results": 10}),
    c("experiment_search_too_many", "POST", "experiments/search", {"max_results": 100000}),
    c("experiment_delete", "POST", "experiments/delete", {"experiment_id": "${exp2}"}),
    c("experiment_get_deleted", "GET", "experiments/get", query={"experiment_id": "${exp2}"}),
    c("experiment_search_deleted", "POST", "experiments/search", {"view_type": "DELETED_ONLY", "max_results": 10}),
    c("experiment_restore", "POST", "experiments/restore", {"experiment_id": "${exp2}"}),
    c("experiment_delete_missing", "POST", "experiments/delete", {"experiment_id": "999"}),
    # runs
    c("run_create", "POST", "runs/create", {"experiment_id": "${exp}", "user_id": "alice", "run_name": "r1", "start_time": T0, "tags": [{"key": "mlflow.user", "value": "alice"}, {"key": "team", "value": "a"}]}, capture={"run": "run.info.run_id"}),
    c("run_create_second", "POST", "runs/create", {"experiment_id": "${exp}", "start_time": T0 + 5, "run_name": "r2"}, capture={"run2": "run.info.run_id"}),
    c("run_create_missing_experiment", "POST", "runs/create", {"experiment_id": "999", "start_time": T0}),
    c("run_log_param", "POST", "runs/log-parameter", {"run_id": "${run}", "run_uuid": "${run}", "key": "lr", "value": "0.1"}),
    c("run_log_param_same", "POST", "runs/log-parameter", {"run_id": "${run}", "key": "lr", "value": "0.1"}),
    c("run_log_param_change", "POST", "runs/log-parameter", {"run_id": "${run}", "key": "lr", "value": "0.2"}),
    c("run_log_param_no_key", "POST", "runs/log-parameter", {"run_id": "${run}", "value": "0.2"}),
    c("run_log_param_missing_run", "POST", "runs/log-parameter", {"run_id": "deadbeef", "key": "a", "value": "1"}),
    c("run_log_metric", "POST", "runs/log-metric", {"run_id": "${run}", "key": "loss", "value": 0.5, "timestamp": T0 + 1, "step": 0}),
    c("run_log_metric_2", "POST", "runs/log-metric", {"run_id": "${run}", "key": "loss", "value": 0.25, "timestamp": T0 + 2, "step": 1}),
    c("run_log_metric_nan", "POST", "runs/log-metric", {"run_id": "${run}", "key": "odd", "value": "NaN", "timestamp": T0 + 2, "step": 0}),
    c("run_log_metric_no_value", "POST", "runs/log-metric", {"run_id": "${run}", "key": "loss", "timestamp": T0}),
    c("run_log_metric_no_timestamp", "POST", "runs/log-metric", {"run_id": "${run}", "key": "loss", "value": 1.0}),
    c("run_log_metric_bad_value", "POST", "runs/log-metric", {"run_id": "${run}", "key": "loss", "value": "high", "timestamp": T0}),
    c("run_set_tag", "POST", "runs/set-tag", {"run_id": "${run}", "key": "note", "value": "hello"}),
    c("run_set_tag_2", "POST", "runs/set-tag", {"run_id": "${run}", "key": "gone", "value": "soon"}),
    c("run_delete_tag", "POST", "runs/delete-tag", {"run_id": "${run}", "key": "gone"}),
    c("run_delete_tag_missing", "POST", "runs/delete-tag", {"run_id": "${run}", "key": "never"}),
    c("run_log_batch", "POST", "runs/log-batch", {"run_id": "${run}", "metrics": [{"key": "acc", "value": 0.9, "timestamp": T0 + 3, "step": 0}, {"key": "acc", "value": 0.95, "timestamp": T0 + 4, "step": 1}], "params": [{"key": "depth", "value": "3"}], "tags": [{"key": "batch", "value": "yes"}]}),
    c("run_log_batch_empty", "POST", "runs/log-batch", {"run_id": "${run}"}),
    c("run_log_batch_param_change", "POST", "runs/log-batch", {"run_id": "${run}", "params": [{"key": "depth", "value": "4"}]}),
    c("run_log_batch_too_many", "POST", "runs/log-batch", {"run_id": "${run}", "params": [{"key": f"p{i}", "value": "1"} for i in range(101)]}),
    c("run_log_metrics_run2", "POST", "runs/log-batch", {"run_id": "${run2}", "metrics": [{"key": "acc", "value": 0.7, "timestamp": T0 + 6, "step": 0}], "params": [{"key": "lr", "value": "0.01"}]}),
    # MLflow 3.17.2's name and length rules (utils/validation.py): the JSON
    # path in the message, names that resolve to other paths, values cut.
    c("run_log_param_bad_chars", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "bad key!", "value": "1"}),
    c("run_log_param_double_slash", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "a//b", "value": "1"}),
    c("run_log_param_dotdot", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "../x", "value": "1"}),
    c("run_log_param_absolute", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "/x", "value": "1"}),
    c("run_log_param_long_key", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "k" * 251, "value": "1"}),
    c("run_log_param_long_value", "POST", "runs/log-parameter", {"run_id": "${run2}", "key": "long", "value": "v" * 6001}),
    c("run_set_tag_dot_segment", "POST", "runs/set-tag", {"run_id": "${run2}", "key": "a/./b", "value": "1"}),
    c("run_set_tag_long_value", "POST", "runs/set-tag", {"run_id": "${run2}", "key": "long", "value": "t" * 8001}),
    c("run_set_tag_empty_run_name", "POST", "runs/set-tag", {"run_id": "${run2}", "key": "mlflow.runName", "value": ""}),
    c("run_log_metric_bad_name", "POST", "runs/log-metric", {"run_id": "${run2}", "key": "a/../b", "value": 1.0, "timestamp": T0}),
    c("run_log_batch_bad_param_key", "POST", "runs/log-batch", {"run_id": "${run2}", "params": [{"key": "fine", "value": "1"}, {"key": "'weird key'", "value": "v"}]}),
    c("run_log_batch_bad_tag_key", "POST", "runs/log-batch", {"run_id": "${run2}", "tags": [{"key": "x//y", "value": "1"}]}),
    c("run_log_batch_bad_metric_name", "POST", "runs/log-batch", {"run_id": "${run2}", "metrics": [{"key": "m?", "value": 1.0, "timestamp": T0, "step": 0}]}),
    c("run_log_batch_long_values", "POST", "runs/log-batch", {"run_id": "${run2}", "params": [{"key": "longb", "value": "w" * 6001}], "tags": [{"key": "longt", "value": "u" * 8001}]}),
    c("run_get_run2_after_limits", "GET", "runs/get", query={"run_id": "${run2}"}),
    c("run_get", "GET", "runs/get", query={"run_id": "${run}"}),
    c("run_get_legacy_uuid", "GET", "runs/get", query={"run_uuid": "${run}"}),
    c("run_get_missing", "GET", "runs/get", query={"run_id": "deadbeef"}),
    c("run_get_no_id", "GET", "runs/get", query={}),
    c("metric_history", "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "loss"}),
    c("metric_history_unknown_key", "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "nope"}),
    c("metric_history_missing_run", "GET", "metrics/get-history", query={"run_id": "deadbeef", "metric_key": "loss"}),
    c("run_update", "POST", "runs/update", {"run_id": "${run}", "run_uuid": "${run}", "status": "FINISHED", "end_time": T0 + 100}),
    c("run_update_name", "POST", "runs/update", {"run_id": "${run2}", "run_name": "r2-renamed"}),
    c("run_update_bad_status", "POST", "runs/update", {"run_id": "${run}", "status": "DONE"}),
    c("run_search_all", "POST", "runs/search", {"experiment_ids": ["${exp}"]}),
    c("run_search_metric", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "metrics.acc > 0.8"}),
    c("run_search_param", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "params.lr = '0.01'"}),
    c("run_search_tag_and_attr", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "tags.team = 'a' and attributes.status = 'FINISHED'"}),
    c("run_search_run_name", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "attributes.run_name LIKE 'r2%'"}),
    c("run_search_order", "POST", "runs/search", {"experiment_ids": ["${exp}"], "order_by": ["metrics.acc ASC"]}),
    c("run_search_page", "POST", "runs/search", {"experiment_ids": ["${exp}"], "max_results": 1}, capture={"run_page": "next_page_token"}),
    c("run_search_page_2", "POST", "runs/search", {"experiment_ids": ["${exp}"], "max_results": 1, "page_token": "${run_page}"}),
    c("run_search_bad_filter", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "metrics.acc >> 1"}),
    c("run_search_bad_key_type", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "foo.acc > 1"}),
    c("run_search_too_many", "POST", "runs/search", {"experiment_ids": ["${exp}"], "max_results": 50001}),
    c("run_delete", "POST", "runs/delete", {"run_id": "${run2}"}),
    c("run_search_after_delete", "POST", "runs/search", {"experiment_ids": ["${exp}"]}),
    c("run_search_deleted", "POST", "runs/search", {"experiment_ids": ["${exp}"], "run_view_type": "DELETED_ONLY"}),
    c("run_restore", "POST", "runs/restore", {"run_id": "${run2}"}),
    # logged models (MLflow 3)
    c("logged_model_create", "POST", "logged-models", {"experiment_id": "${exp}", "name": "lm", "source_run_id": "${run}", "params": [{"key": "alpha", "value": "0.5"}], "tags": [{"key": "t", "value": "1"}]}, capture={"model": "model.info.model_id"}),
    c("logged_model_create_no_experiment", "POST", "logged-models", {"name": "lm"}),
    c("logged_model_get", "GET", "logged-models/${model}"),
    c("logged_model_get_missing", "GET", "logged-models/m-00000000000000000000000000000000"),
    c("logged_model_finalize", "PATCH", "logged-models/${model}", {"model_id": "${model}", "status": "LOGGED_MODEL_READY"}),
    c("logged_model_set_tags", "PATCH", "logged-models/${model}/tags", {"tags": [{"key": "u", "value": "2"}]}),
    c("logged_model_delete_tag", "DELETE", "logged-models/${model}/tags/t"),
    c("logged_model_search", "POST", "logged-models/search", {"experiment_ids": ["${exp}"]}),
    c("logged_model_search_filter", "POST", "logged-models/search", {"experiment_ids": ["${exp}"], "filter": "name = 'nope'"}),
    c("run_outputs", "POST", "runs/outputs", {"run_id": "${run}", "models": [{"model_id": "${model}", "step": 0}]}),
    c("run_get_with_outputs", "GET", "runs/get", query={"run_id": "${run}"}),
    # artifacts through the proxy
    c("artifact_put", "PUT", ART + "${exp}/${run}/artifacts/model/MLmodel", raw="flavors: {}\n", content_type="application/octet-stream"),
    c("artifact_put_nested", "PUT", ART + "${exp}/${run}/artifacts/model/data/w.bin", raw="0123456789", content_type="application/octet-stream"),
    c("artifact_list_root", "GET", "/api/2.0/mlflow-artifacts/artifacts", query={"path": "${exp}/${run}/artifacts/model"}),
    c("artifact_list_missing", "GET", "/api/2.0/mlflow-artifacts/artifacts", query={"path": "${exp}/nope"}),
    c("artifact_get", "GET", ART + "${exp}/${run}/artifacts/model/MLmodel"),
    c("artifact_get_missing", "GET", ART + "${exp}/${run}/artifacts/model/nope"),
    c("artifact_list_run", "GET", "artifacts/list", query={"run_id": "${run}", "path": "model"}),
    c("artifact_delete", "DELETE", ART + "${exp}/${run}/artifacts/model/data/w.bin"),
    c("artifact_list_after_delete", "GET", "/api/2.0/mlflow-artifacts/artifacts", query={"path": "${exp}/${run}/artifacts/model/data"}),
    # registered models
    c("rm_create", "POST", "registered-models/create", {"name": "iris", "tags": [{"key": "owner", "value": "ml"}], "description": "first"}),
    c("rm_create_duplicate", "POST", "registered-models/create", {"name": "iris"}),
    c("rm_create_no_name", "POST", "registered-models/create", {}),
    c("rm_create_bad_name", "POST", "registered-models/create", {"name": "a/b"}),
    c("rm_create_other", "POST", "registered-models/create", {"name": "other"}),
    c("rm_get", "GET", "registered-models/get", query={"name": "iris"}),
    c("rm_get_missing", "GET", "registered-models/get", query={"name": "nope"}),
    c("rm_update", "PATCH", "registered-models/update", {"name": "iris", "description": "second"}),
    c("rm_set_tag", "POST", "registered-models/set-tag", {"name": "iris", "key": "k", "value": "v"}),
    c("rm_delete_tag", "DELETE", "registered-models/delete-tag", {"name": "iris", "key": "k"}),
    c("rm_set_tag_missing_model", "POST", "registered-models/set-tag", {"name": "nope", "key": "k", "value": "v"}),
    # model versions
    c("mv_create", "POST", "model-versions/create", {"name": "iris", "source": "mlflow-artifacts:/${exp}/${run}/artifacts/model", "run_id": "${run}", "tags": [{"key": "v", "value": "1"}], "description": "v1"}),
    c("mv_create_2", "POST", "model-versions/create", {"name": "iris", "source": "models:/${model}", "model_id": "${model}"}),
    c("mv_create_3", "POST", "model-versions/create", {"name": "iris", "source": "mlflow-artifacts:/${exp}/${run}/artifacts/model", "run_id": "${run}"}),
    c("mv_create_source_without_run", "POST", "model-versions/create", {"name": "iris", "source": "mlflow-artifacts:/${exp}/${run}/artifacts/model"}),
    c("mv_create_missing_model", "POST", "model-versions/create", {"name": "nope", "source": "s3://b/p"}),
    c("mv_create_no_source", "POST", "model-versions/create", {"name": "iris"}),
    c("mv_get", "GET", "model-versions/get", query={"name": "iris", "version": "1"}),
    c("mv_get_from_logged_model", "GET", "model-versions/get", query={"name": "iris", "version": "2"}),
    c("mv_get_missing", "GET", "model-versions/get", query={"name": "iris", "version": "99"}),
    c("mv_get_not_int", "GET", "model-versions/get", query={"name": "iris", "version": "abc"}),
    c("mv_update", "PATCH", "model-versions/update", {"name": "iris", "version": "1", "description": "updated"}),
    c("mv_set_tag", "POST", "model-versions/set-tag", {"name": "iris", "version": "1", "key": "validated", "value": "true"}),
    c("mv_delete_tag", "DELETE", "model-versions/delete-tag", {"name": "iris", "version": "1", "key": "v"}),
    c("mv_transition", "POST", "model-versions/transition-stage", {"name": "iris", "version": "1", "stage": "Production", "archive_existing_versions": False}),
    c("mv_transition_lowercase", "POST", "model-versions/transition-stage", {"name": "iris", "version": "2", "stage": "staging", "archive_existing_versions": False}),
    c("mv_transition_archive", "POST", "model-versions/transition-stage", {"name": "iris", "version": "3", "stage": "Production", "archive_existing_versions": True}),
    c("mv_transition_bad_stage", "POST", "model-versions/transition-stage", {"name": "iris", "version": "1", "stage": "Foo", "archive_existing_versions": False}),
    c("alias_set", "POST", "registered-models/alias", {"name": "iris", "alias": "champion", "version": "1"}),
    c("alias_set_2", "POST", "registered-models/alias", {"name": "iris", "alias": "challenger", "version": "3"}),
    c("alias_set_reserved_v", "POST", "registered-models/alias", {"name": "iris", "alias": "v3", "version": "1"}),
    c("alias_set_reserved_latest", "POST", "registered-models/alias", {"name": "iris", "alias": "Latest", "version": "1"}),
    c("alias_set_missing_version", "POST", "registered-models/alias", {"name": "iris", "alias": "x", "version": "42"}),
    c("alias_get", "GET", "registered-models/alias", query={"name": "iris", "alias": "champion"}),
    c("alias_get_missing", "GET", "registered-models/alias", query={"name": "iris", "alias": "nope"}),
    c("alias_delete", "DELETE", "registered-models/alias", {"name": "iris", "alias": "challenger"}),
    c("rm_get_full", "GET", "registered-models/get", query={"name": "iris"}),
    c("latest_versions", "POST", "registered-models/get-latest-versions", {"name": "iris"}),
    c("latest_versions_stages", "POST", "registered-models/get-latest-versions", {"name": "iris", "stages": ["Production"]}),
    c("latest_versions_get", "GET", "registered-models/get-latest-versions", query={"name": "iris", "stages": ["Staging", "None"]}),
    c("latest_versions_missing", "POST", "registered-models/get-latest-versions", {"name": "nope"}),
    c("mv_search", "GET", "model-versions/search", query={"filter": "name='iris'"}),
    c("mv_search_run", "GET", "model-versions/search", query={"filter": "run_id = '${run}'"}),
    c("mv_search_order", "GET", "model-versions/search", query={"filter": "name='iris'", "order_by": ["version_number DESC"], "max_results": "1"}, capture={"mv_page": "next_page_token"}),
    c("mv_search_page_2", "GET", "model-versions/search", query={"filter": "name='iris'", "order_by": ["version_number DESC"], "max_results": "1", "page_token": "${mv_page}"}),
    c("mv_search_bad_filter", "GET", "model-versions/search", query={"filter": "name=="}),
    c("rm_search", "GET", "registered-models/search", query={}),
    c("rm_search_like", "GET", "registered-models/search", query={"filter": "name LIKE 'ir%'"}),
    c("rm_search_order_page", "GET", "registered-models/search", query={"order_by": ["name DESC"], "max_results": "1"}),
    c("rm_search_too_many", "GET", "registered-models/search", query={"max_results": "1001"}),
    c("download_uri", "GET", "model-versions/get-download-uri", query={"name": "iris", "version": "1"}),
    c("download_uri_logged_model", "GET", "model-versions/get-download-uri", query={"name": "iris", "version": "2"}),
    c("download_uri_missing", "GET", "model-versions/get-download-uri", query={"name": "iris", "version": "7"}),
    c("mv_delete", "DELETE", "model-versions/delete", {"name": "iris", "version": "3"}),
    c("mv_get_deleted", "GET", "model-versions/get", query={"name": "iris", "version": "3"}),
    c("mv_create_after_delete", "POST", "model-versions/create", {"name": "iris", "source": "s3://bucket/model"}),
    c("rm_rename", "POST", "registered-models/rename", {"name": "other", "new_name": "renamed"}),
    c("rm_rename_existing", "POST", "registered-models/rename", {"name": "renamed", "new_name": "iris"}),
    c("rm_get_renamed", "GET", "registered-models/get", query={"name": "renamed"}),
    c("rm_delete", "DELETE", "registered-models/delete", {"name": "renamed"}),
    c("rm_delete_missing", "DELETE", "registered-models/delete", {"name": "renamed"}),
    c("ajax_alias", "GET", "/ajax-api/2.0/mlflow/registered-models/get", query={"name": "iris"}),
    # more searches, paging and lifecycle edges
    c("run_create_default_experiment", "POST", "runs/create", {"start_time": T0 + 7, "run_name": "in-default"}, capture={"run0": "run.info.run_id"}),
    c("run_create_name_conflict", "POST", "runs/create", {"experiment_id": "${exp}", "run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]}),
    c("run_search_order_start_asc", "POST", "runs/search", {"experiment_ids": ["${exp}"], "order_by": ["attributes.start_time ASC"]}),
    c("run_search_order_param", "POST", "runs/search", {"experiment_ids": ["${exp}"], "order_by": ["params.lr DESC"]}),
    c("run_search_run_id_in", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "attributes.run_id IN ('${run}')"}),
    c("run_search_metric_eq", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "metrics.acc = 0.7"}),
    c("run_search_tag_ne", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "tags.team != 'a'"}),
    c("run_search_tag_ilike", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "tags.note ILIKE 'HEL%'"}),
    c("run_search_two_experiments", "POST", "runs/search", {"experiment_ids": ["${exp}", "0"], "max_results": 10}),
    c("run_search_no_experiments", "POST", "runs/search", {}),
    c("run_search_bad_experiment_id", "POST", "runs/search", {"experiment_ids": ["abc"]}),
    c("run_search_bad_order", "POST", "runs/search", {"experiment_ids": ["${exp}"], "order_by": ["metrics.acc SIDEWAYS"]}),
    c("metric_history_paged", "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "acc", "max_results": "1"}, capture={"hist_page": "next_page_token"}),
    c("metric_history_paged_2", "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "acc", "max_results": "1", "page_token": "${hist_page}"}),
    c("metric_history_no_key", "GET", "metrics/get-history", query={"run_id": "${run}"}),
    c("run_delete_then_log", "POST", "runs/delete", {"run_id": "${run0}"}),
    c("run_log_to_deleted", "POST", "runs/log-metric", {"run_id": "${run0}", "key": "x", "value": 1.0, "timestamp": T0}),
    c("run_get_deleted", "GET", "runs/get", query={"run_id": "${run0}"}),
    c("run_log_inputs", "POST", "runs/log-inputs", {"run_id": "${run}", "datasets": [{"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": {"name": "iris", "digest": "abc123", "source_type": "local", "source": "{\"uri\": \"/data/iris.csv\"}", "schema": "{}", "profile": "{\"num_rows\": 150}"}}]}),
    c("run_get_with_inputs", "GET", "runs/get", query={"run_id": "${run}"}),
    c("experiment_create_long_name_tags", "POST", "experiments/create", {"name": "exp with spaces/and:colons", "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}),
    c("experiment_search_tag_filter", "POST", "experiments/search", {"max_results": 10, "filter": "tags.team = 'a'"}),
    c("experiment_search_order_name_desc", "POST", "experiments/search", {"max_results": 10, "order_by": ["name DESC"]}),
    c("experiment_delete_default", "POST", "experiments/delete", {"experiment_id": "0"}),
    c("experiment_delete_tag", "POST", "experiments/delete-experiment-tag", {"experiment_id": "${exp}", "key": "stage"}),
    c("experiment_get_after_tag_delete", "GET", "experiments/get", query={"experiment_id": "${exp}"}),
    c("logged_model_search_order", "POST", "logged-models/search", {"experiment_ids": ["${exp}"], "order_by": [{"field_name": "name", "ascending": True}], "max_results": 5}),
    c("logged_model_search_no_experiments", "POST", "logged-models/search", {}),
    c("logged_model_delete", "DELETE", "logged-models/${model}"),
    c("logged_model_get_deleted", "GET", "logged-models/${model}"),
    c("rm_search_tag_filter", "GET", "registered-models/search", query={"filter": "tags.owner = 'ml'"}),
    c("rm_search_bad_key", "GET", "registered-models/search", query={"filter": "description = 'x'"}),
    c("mv_search_tag_filter", "GET", "model-versions/search", query={"filter": "tags.validated = 'true'"}),
    c("mv_search_version_number", "GET", "model-versions/search", query={"filter": "name = 'iris' and version_number > 1"}),
    c("mv_search_run_in", "GET", "model-versions/search", query={"filter": "run_id IN ('${run}')"}),
    c("latest_versions_bad_stage", "POST", "registered-models/get-latest-versions", {"name": "iris", "stages": ["Nope"]}),
    c("alias_delete_missing_model", "DELETE", "registered-models/alias", {"name": "nope", "alias": "x"}),
    c("alias_get_no_alias", "GET", "registered-models/alias", query={"name": "iris"}),
    c("mv_create_runs_uri", "POST", "model-versions/create", {"name": "iris", "source": "runs:/${run}/model", "run_id": "${run}"}),
    c("mv_create_runs_uri_wrong_run", "POST", "model-versions/create", {"name": "iris", "source": "runs:/${run}/model", "run_id": "${run2}"}),
    c("mv_create_local_path", "POST", "model-versions/create", {"name": "iris", "source": "/tmp/model"}),
    c("mv_create_relative_path", "POST", "model-versions/create", {"name": "iris", "source": "s3://bucket/a/../../b"}),
    c("mv_create_from_version", "POST", "model-versions/create", {"name": "iris", "source": "models:/iris/1"}),
    c("mv_transition_archive_bad_stage", "POST", "model-versions/transition-stage", {"name": "iris", "version": "1", "stage": "None", "archive_existing_versions": True}),
    c("mv_update_missing", "PATCH", "model-versions/update", {"name": "iris", "version": "99", "description": "x"}),
    c("rm_update_missing", "PATCH", "registered-models/update", {"name": "nope", "description": "x"}),
    c("rm_rename_missing", "POST", "registered-models/rename", {"name": "nope", "new_name": "x"}),
    c("rm_delete_tag_missing_model", "DELETE", "registered-models/delete-tag", {"name": "nope", "key": "k"}),
    c("mv_set_tag_missing_version", "POST", "model-versions/set-tag", {"name": "iris", "version": "99", "key": "k", "value": "v"}),
    c("version_route", "GET", "/version"),
    c("health_route", "GET", "/health"),
    # the edges of the API
    c("unknown_route", "GET", "no-such-endpoint"),
    c("wrong_method", "GET", "experiments/create"),
    # MLflow serves these routes under 2.0 only
    c("v3_path_not_served", "GET", "/api/3.0/mlflow/experiments/get", query={"experiment_id": "0"}),
]

AJAX = "/ajax-api/2.0/mlflow/"
LOCAL_ROOT = "/tmp/mlflowrs-recorded-local-root"
# What MLflow's own REST test suite checks (tests/tracking/test_rest_tracking.py,
# test_model_registry.py, test_mlflow_artifacts.py): request fields of the
# wrong JSON type are refused before the store is touched, with the handler's
# schema message; the UI's ajax-only routes; model-version sources inside a
# run's local artifact directory; ties in version order; logged-model params,
# inputs and artifacts; download headers.
CASES += [
    c("typed_experiment_name_int", "POST", "experiments/create", {"name": 123}),
    c("typed_experiment_name_list", "POST", "experiments/create", {"name": ["a", {"b": 1.5}]}),
    c("typed_experiment_location_int", "POST", "experiments/create", {"name": "typed", "artifact_location": 5}),
    c("typed_experiment_tags_string", "POST", "experiments/create", {"name": "typed2", "tags": "x"}),
    c("typed_experiment_id_int", "POST", "experiments/delete", {"experiment_id": 0}),
    c("typed_log_metric_run_int", "POST", "runs/log-metric", {"run_id": 31, "key": "m", "value": 1.0, "timestamp": T0}),
    c("typed_log_metric_value_string", "POST", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": "abc", "timestamp": T0}),
    c("typed_log_metric_step_float", "POST", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": 1.0, "timestamp": T0, "step": 1.5}),
    c("typed_log_metric_timestamp_string_int", "POST", "runs/log-metric", {"run_id": "${run}", "key": "typed_ts", "value": 2.0, "timestamp": str(T0 + 9), "step": "3"}),
    c("typed_set_tag_run_int", "POST", "runs/set-tag", {"run_id": 31, "key": "k", "value": "v"}),
    c("typed_set_tag_value_int", "POST", "runs/set-tag", {"run_id": "${run}", "key": "k", "value": 5}),
    c("typed_log_param_key_int", "POST", "runs/log-parameter", {"run_id": "${run}", "key": 31, "value": "v"}),
    c("typed_log_batch_metrics_string", "POST", "runs/log-batch", {"run_id": "${run}", "metrics": "foo"}),
    c("typed_log_batch_params_dict", "POST", "runs/log-batch", {"run_id": "${run}", "params": {"key": "a", "value": "b"}}),
    c("typed_log_batch_metric_no_timestamp", "POST", "runs/log-batch", {"run_id": "${run}", "metrics": [{"key": "m", "value": 1.0}]}),
    c("typed_log_batch_param_no_key", "POST", "runs/log-batch", {"run_id": "${run}", "params": [{"value": "1"}]}),
    c("typed_log_batch_tag_no_key", "POST", "runs/log-batch", {"run_id": "${run}", "tags": [{"key": "", "value": "1"}]}),
    c("typed_run_create_start_string", "POST", "runs/create", {"experiment_id": "${exp}", "start_time": "soon"}),
    c("typed_run_create_experiment_int", "POST", "runs/create", {"experiment_id": 0, "start_time": T0}),
    c("typed_run_update_end_bool", "POST", "runs/update", {"run_id": "${run}", "end_time": True}),
    c("typed_run_search_max_string", "POST", "runs/search", {"experiment_ids": ["${exp}"], "max_results": "many"}),
    c("typed_run_search_ids_string", "POST", "runs/search", {"experiment_ids": "${exp}"}),
    c("typed_run_search_filter_int", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": 5}),
    c("typed_experiment_search_max_zero_string", "POST", "experiments/search", {"max_results": "0"}),
    c("typed_experiment_search_view_bad", "POST", "experiments/search", {"max_results": 5, "view_type": "SOMETIMES"}),
    c("typed_get_history_max_string", "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "loss", "max_results": "x"}),
    c("typed_run_id_alias_conflict", "POST", "runs/set-tag", {"run_id": "${run}", "runId": "${run}", "key": "k", "value": "v"}),
    c("typed_rm_create_name_int", "POST", "registered-models/create", {"name": 7}),
    c("typed_rm_search_max_string", "GET", "registered-models/search", query={"max_results": "lots"}),
    c("typed_mv_create_source_int", "POST", "model-versions/create", {"name": "iris", "source": 5}),
    c("typed_mv_transition_archive_string", "POST", "model-versions/transition-stage", {"name": "iris", "version": "1", "stage": "Staging", "archive_existing_versions": "yes"}),
    c("typed_mv_get_version_int", "GET", "model-versions/get", query={"name": "iris", "version": "1.5"}),
    c("typed_alias_version_int", "POST", "registered-models/alias", {"name": "iris", "alias": "typed", "version": 1}),
    c("typed_logged_model_name_int", "POST", "logged-models", {"experiment_id": "${exp}", "name": 5}),
    c("typed_log_inputs_datasets_string", "POST", "runs/log-inputs", {"run_id": "${run}", "datasets": "d"}),
    # the UI's ajax-only routes
    c("bulk_history", "GET", AJAX + "metrics/get-history-bulk", query={"run_id": ["${run}", "${run2}"], "metric_key": "acc"}),
    c("bulk_history_max", "GET", AJAX + "metrics/get-history-bulk", query={"run_id": "${run}", "metric_key": "acc", "max_results": "1"}),
    c("bulk_history_no_run", "GET", AJAX + "metrics/get-history-bulk", query={"metric_key": "acc"}),
    c("bulk_history_no_key", "GET", AJAX + "metrics/get-history-bulk", query={"run_id": "${run}"}),
    c("bulk_history_unknown_key", "GET", AJAX + "metrics/get-history-bulk", query={"run_id": "${run}", "metric_key": "nope"}),
    c("bulk_history_too_many_runs", "GET", AJAX + "metrics/get-history-bulk", query={"run_id": [f"r{i}" for i in range(101)], "metric_key": "acc"}),
    c("bulk_history_not_under_api", "GET", "metrics/get-history-bulk", query={"run_id": "${run}", "metric_key": "acc"}),
    c("upload_artifact", "POST", AJAX + "upload-artifact", query={"run_uuid": "${run}", "path": "uploaded/notes.txt"}, raw="some notes", content_type="text/plain"),
    c("upload_artifact_listed", "GET", "artifacts/list", query={"run_id": "${run}", "path": "uploaded"}),
    c("upload_artifact_read_back", "GET", ART + "${exp}/${run}/artifacts/uploaded/notes.txt"),
    c("upload_artifact_no_run", "POST", AJAX + "upload-artifact", query={"path": "a.txt"}, raw="x", content_type="text/plain"),
    c("upload_artifact_no_path", "POST", AJAX + "upload-artifact", query={"run_uuid": "${run}"}, raw="x", content_type="text/plain"),
    c("upload_artifact_unsafe_path", "POST", AJAX + "upload-artifact", query={"run_uuid": "${run}", "path": "../escape.txt"}, raw="x", content_type="text/plain"),
    c("upload_artifact_no_data", "POST", AJAX + "upload-artifact", query={"run_uuid": "${run}", "path": "empty.txt"}, raw="", content_type="text/plain"),
    c("upload_artifact_missing_run", "POST", AJAX + "upload-artifact", query={"run_uuid": "deadbeef", "path": "a.txt"}, raw="x", content_type="text/plain"),
    c("upload_artifact_not_under_api", "POST", "upload-artifact", query={"run_uuid": "${run}", "path": "a.txt"}, raw="x", content_type="text/plain"),
    # download headers: MLflow's type per file, never sniffed
    c("artifact_put_pdf", "PUT", ART + "${exp}/${run}/artifacts/types/d.pdf", raw="%PDF-1.4", content_type="application/octet-stream"),
    c("artifact_get_pdf", "GET", ART + "${exp}/${run}/artifacts/types/d.pdf"),
    c("artifact_put_pkl", "PUT", ART + "${exp}/${run}/artifacts/types/b.pkl", raw="<html>", content_type="text/html"),
    c("artifact_get_pkl", "GET", ART + "${exp}/${run}/artifacts/types/b.pkl"),
    c("artifact_put_png", "PUT", ART + "${exp}/${run}/artifacts/types/c.png", raw="png", content_type="application/octet-stream"),
    c("artifact_get_png", "GET", ART + "${exp}/${run}/artifacts/types/c.png"),
    c("artifact_put_mlproject", "PUT", ART + "${exp}/${run}/artifacts/types/mlproject", raw="name: x", content_type="application/octet-stream"),
    c("artifact_get_mlproject", "GET", ART + "${exp}/${run}/artifacts/types/mlproject"),
    c("artifact_put_spaced", "PUT", ART + "${exp}/${run}/artifacts/types/a b.log", raw="log", content_type="application/octet-stream"),
    c("artifact_get_spaced", "GET", ART + "${exp}/${run}/artifacts/types/a b.log"),
    # model-version sources in a run's local artifact directory
    c("local_experiment", "POST", "experiments/create", {"name": "local-root", "artifact_location": LOCAL_ROOT}, capture={"lexp": "experiment_id"}),
    c("local_run", "POST", "runs/create", {"experiment_id": "${lexp}", "start_time": T0, "run_name": "local"}, capture={"lrun": "run.info.run_id"}),
    c("mv_create_local_in_run", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/${lrun}/artifacts/model", "run_id": "${lrun}"}),
    c("mv_create_file_uri_in_run", "POST", "model-versions/create", {"name": "iris", "source": "file://" + LOCAL_ROOT + "/${lrun}/artifacts/model", "run_id": "${lrun}"}),
    c("mv_create_local_dotdot_in_run", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/${lrun}/artifacts/model/../m2", "run_id": "${lrun}"}),
    c("mv_create_local_outside_run", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/${lrun}/other", "run_id": "${lrun}"}),
    c("mv_create_local_escaping_run", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/${lrun}/artifacts/../../x", "run_id": "${lrun}"}),
    c("mv_create_local_other_run", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/${lrun}/artifacts/model", "run_id": "${run}"}),
    c("local_logged_model", "POST", "logged-models", {"experiment_id": "${lexp}", "name": "local-lm"}, capture={"lmodel": "model.info.model_id"}),
    c("mv_create_local_in_logged_model", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/models/${lmodel}/artifacts", "model_id": "${lmodel}"}),
    c("mv_create_local_outside_logged_model", "POST", "model-versions/create", {"name": "iris", "source": LOCAL_ROOT + "/models/elsewhere", "model_id": "${lmodel}"}),
    # ties in version order: name ASC, then version DESC, after the order asked for
    c("tie_model_b", "POST", "registered-models/create", {"name": "tie-b"}),
    c("tie_model_a", "POST", "registered-models/create", {"name": "tie-a"}),
    c("tie_b_v1", "POST", "model-versions/create", {"name": "tie-b", "source": "s3://bucket/b1"}),
    c("tie_a_v1", "POST", "model-versions/create", {"name": "tie-a", "source": "s3://bucket/a1"}),
    c("tie_a_v2", "POST", "model-versions/create", {"name": "tie-a", "source": "s3://bucket/a2"}),
    c("tie_search_version_desc", "GET", "model-versions/search", query={"filter": "name LIKE 'tie-%'", "order_by": ["version_number DESC"]}),
    c("tie_search_version_asc", "GET", "model-versions/search", query={"filter": "name LIKE 'tie-%'", "order_by": ["version_number ASC"]}),
    c("tie_search_default", "GET", "model-versions/search", query={"filter": "name LIKE 'tie-%'"}),
    # logged models: params, inputs, dataset filters, artifacts
    c("lm2_create", "POST", "logged-models", {"experiment_id": "${exp}", "name": "lm2", "source_run_id": "${run}"}, capture={"model2": "model.info.model_id"}),
    c("lm2_log_params", "POST", "logged-models/${model2}/params", {"model_id": "${model2}", "params": [{"key": "beta", "value": "2"}]}),
    c("lm2_log_params_no_id", "POST", "logged-models/${model2}/params", {"params": [{"key": "gamma", "value": "3"}]}),
    c("lm2_get_with_params", "GET", "logged-models/${model2}"),
    c("lm2_log_params_missing", "POST", "logged-models/m-00000000000000000000000000000000/params", {"model_id": "m-00000000000000000000000000000000", "params": []}),
    c("lm2_run_inputs", "POST", "runs/log-inputs", {"run_id": "${run}", "models": [{"model_id": "${model2}"}]}),
    c("lm2_run_get_inputs", "GET", "runs/get", query={"run_id": "${run}"}),
    c("lm2_run_search_inputs", "POST", "runs/search", {"experiment_ids": ["${exp}"], "filter": "attributes.run_id = '${run}'"}),
    c("lm2_log_metric_on_dataset", "POST", "runs/log-batch", {"run_id": "${run}", "metrics": [{"key": "f1", "value": 0.5, "timestamp": T0, "step": 0, "model_id": "${model2}", "dataset_name": "ds", "dataset_digest": "123"}]}),
    c("lm2_search_dataset", "POST", "logged-models/search", {"experiment_ids": ["${exp}"], "datasets": [{"dataset_name": "ds", "dataset_digest": "123"}]}),
    c("lm2_search_dataset_other_digest", "POST", "logged-models/search", {"experiment_ids": ["${exp}"], "datasets": [{"dataset_name": "ds", "dataset_digest": "456"}]}),
    c("lm2_search_dataset_no_name", "POST", "logged-models/search", {"experiment_ids": ["${exp}"], "datasets": [{"dataset_digest": "123"}]}),
    c("lm2_artifact_put", "PUT", ART + "${exp}/models/${model2}/artifacts/MLmodel", raw="flavors: {}\n", content_type="application/octet-stream"),
    c("lm2_artifact_dirs", "GET", "logged-models/${model2}/artifacts/directories"),
    c("lm2_artifact_dirs_ajax", "GET", AJAX + "logged-models/${model2}/artifacts/directories"),
    c("lm2_artifact_file", "GET", AJAX + "logged-models/${model2}/artifacts/files", query={"artifact_file_path": "MLmodel"}),
    c("lm2_artifact_file_no_path", "GET", AJAX + "logged-models/${model2}/artifacts/files"),
    c("lm2_artifact_file_unsafe", "GET", AJAX + "logged-models/${model2}/artifacts/files", query={"artifact_file_path": "../../x"}),
    c("lm2_artifact_file_not_under_api", "GET", "logged-models/${model2}/artifacts/files", query={"artifact_file_path": "MLmodel"}),
    # the charts' sampled history, and the datasets of experiments
    c("interval_metrics", "POST", "runs/log-batch", {"run_id": "${run2}", "metrics": [{"key": "curve", "value": float(i % 7), "timestamp": T0 + i, "step": i} for i in range(23)] + [{"key": "curve", "value": "NaN", "timestamp": T0 + 30, "step": 30}]}),
    c("interval_all", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve"}),
    c("interval_5", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "max_results": "5"}),
    c("interval_1", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "max_results": "1"}),
    c("interval_range", "GET", AJAX + "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "start_step": "3", "end_step": "12", "max_results": "4"}),
    c("interval_two_runs", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}", "${run}"], "metric_key": "acc", "max_results": "3"}),
    c("interval_bad_range", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "start_step": "9", "end_step": "2"}),
    c("interval_half_range", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "start_step": "9"}),
    c("interval_no_runs", "GET", "metrics/get-history-bulk-interval", query={"metric_key": "curve"}),
    c("interval_no_key", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"]}),
    c("interval_max_too_big", "GET", "metrics/get-history-bulk-interval", query={"run_ids": ["${run2}"], "metric_key": "curve", "max_results": "2501"}),
    c("interval_too_many_runs", "GET", "metrics/get-history-bulk-interval", query={"run_ids": [f"r{i}" for i in range(101)], "metric_key": "curve"}),
    c("search_datasets", "POST", AJAX + "experiments/search-datasets", {"experiment_ids": ["${exp}"]}),
    c("search_datasets_none", "POST", AJAX + "experiments/search-datasets", {"experiment_ids": []}),
    c("search_datasets_too_many", "POST", AJAX + "experiments/search-datasets", {"experiment_ids": [str(i) for i in range(21)]}),
    c("search_datasets_not_under_api", "POST", "experiments/search-datasets", {"experiment_ids": ["${exp}"]}),
    # the download routes outside the REST API
    c("get_artifact", "GET", "/get-artifact", query={"run_id": "${run}", "path": "uploaded/notes.txt"}),
    c("get_artifact_run_uuid", "GET", "/get-artifact", query={"run_uuid": "${run}", "path": "types/c.png"}),
    c("get_artifact_unsafe", "GET", "/get-artifact", query={"run_id": "${run}", "path": "../path"}),
    c("get_artifact_missing_file", "GET", "/get-artifact", query={"run_id": "${run}", "path": "nope.txt"}),
    c("get_artifact_missing_run", "GET", "/get-artifact", query={"run_id": "deadbeef", "path": "a.txt"}),
    c("get_artifact_no_path", "GET", "/get-artifact", query={"run_id": "${run}"}),
    c("mv_get_artifact", "GET", "/model-versions/get-artifact", query={"name": "iris", "version": "1", "path": "MLmodel"}),
    c("mv_get_artifact_unsafe", "GET", "/model-versions/get-artifact", query={"name": "iris", "version": "1", "path": "../MLmodel"}),
    c("mv_get_artifact_missing_version", "GET", "/model-versions/get-artifact", query={"name": "iris", "version": "99", "path": "MLmodel"}),
    c("mv_create_file_uri_remote_host", "POST", "model-versions/create", {"name": "iris", "source": "file://123.456.789.123/path/to/source", "run_id": "${run}"}),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lookup(obj, dotted):
    for part in dotted.split("."):
        obj = obj[part]
    return obj


def substitute(value, env):
    if isinstance(value, str):
        for k, v in env.items():
            value = value.replace("${" + k + "}", str(v))
        return value
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    return value


def call(base, case, env):
    """One case's answer. Optional case fields: `raw_path` (send the path
    as written, e.g. `%2e%2e`, instead of percent-quoting it), `headers`
    (more response headers to record, beside the three always recorded)
    and `keep: "headers"` (a large body: its sha256 and length, not its text)."""
    path = substitute(case["path"], env)
    query = substitute(case.get("query"), env)
    url = base + (path if case.get("raw_path") else urllib.parse.quote(path, safe="/:@"))
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    headers = {}
    if "auth" in case:
        token = base64.b64encode(":".join(case["auth"]).encode()).decode()
        headers["Authorization"] = "Basic " + token
    if "authorization" in case:
        headers["Authorization"] = case["authorization"]
    data = None
    if "raw" in case:
        data = case["raw"].encode()
        headers["Content-Type"] = case["content_type"]
    elif "body" in case:
        data = json.dumps(substitute(case["body"], env)).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=case["method"], headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, ctype, body, hdrs = r.status, r.headers.get("Content-Type", ""), r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, ctype, body, hdrs = e.code, e.headers.get("Content-Type", ""), e.read(), e.headers
    answer = {"status": status}
    if case.get("keep") == "headers":
        answer["content_type"] = ctype.split(";")[0]
        answer["sha256"] = hashlib.sha256(body).hexdigest()
        answer["bytes"] = len(body)
    elif ctype.startswith("application/json"):
        answer["json"] = json.loads(body) if body.strip() else None
    else:
        answer["content_type"] = ctype.split(";")[0]
        answer["text"] = body.decode("utf-8", "replace")
    for name in ("Content-Disposition", "X-Content-Type-Options", "X-Frame-Options", *case.get("headers", ())):
        if hdrs.get(name) is not None:
            answer.setdefault("headers", {})[name.lower()] = hdrs.get(name)
    return answer


def replay(base, cases=None, env=None):
    """Sends `cases` (default CASES) to `base`; `env` holds values known
    beforehand (record_ui.py: the ids tests/ui/fill_store.py made)."""
    env = dict(env or {})
    out = []
    for case in CASES if cases is None else cases:
        answer = call(base, case, env)
        for var, dotted in case.get("capture", {}).items():
            try:
                env[var] = lookup(answer.get("json") or {}, dotted)
            except (KeyError, TypeError):
                pass
        out.append({**case, "answer": answer})
    return out


def start_server(workdir, extra_args=(), env=None):
    """`mlflow server` on a SQLite store in `workdir`, with `extra_args`
    and `env` (record_auth.py's basic-auth app)."""
    port = free_port()
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "mlflow"), "server", *extra_args, "--backend-store-uri", "sqlite:///mlflow.db", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/health", timeout=2)
            return proc, base
        except Exception:
            time.sleep(0.3)
    raise SystemExit("mlflow server did not start")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--replay":
        with open(sys.argv[3], "w") as f:
            json.dump({"cases": replay(sys.argv[2])}, f, indent=1)
        return
    import mlflow

    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        proc, base = start_server(d)
        try:
            cases = replay(base)
            with open(os.path.join(OUT, "cases.json"), "w") as f:
                json.dump({"mlflow": mlflow.__version__, "cases": cases}, f, indent=1)
        finally:
            os.killpg(proc.pid, 15)
            proc.wait()
    # The scenario on a server of its own: what it sees does not depend on the cases.
    with tempfile.TemporaryDirectory() as d:
        proc, base = start_server(d)
        try:
            subprocess.run(
                [sys.executable, os.path.join(HERE, "client_scenario.py"), base, os.path.join(OUT, "scenario.json")],
                check=True,
            )
        finally:
            os.killpg(proc.pid, 15)
            proc.wait()
    print(f"recorded {len(cases)} cases from mlflow {mlflow.__version__}")


if __name__ == "__main__":
    main()
