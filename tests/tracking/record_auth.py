"""Records what the real `mlflow server --app-name basic-auth` answers to
users with different permissions, for tests/tracking/auth.rs to replay
against `mlflowrs server --app-name basic-auth`:

  recorded/auth_READ.json            default_permission = READ
  recorded/auth_NO_PERMISSIONS.json  default_permission = NO_PERMISSIONS
  recorded/auth_client.json          what tests/tracking/auth_client_scenario.py
                                     observed (default READ)

Each case names its caller (`auth`: user and password, or a raw
`authorization` header, or nobody). The cases: credentials right and
wrong, users made and changed by the admin and by users, experiments,
runs and registered models created by one user and read, changed and
deleted by another before and after a grant, searches filtered, roles,
artifact uploads through the proxy, paths no rule covers, and the web UI:
`/`, `/static-files/*`, server-info and ui-telemetry with and without a
login, and `/graphql` (the UI bundle's documents and the other root fields)
as the owner, a reader, a stranger and the admin, model versions included.

    .venv/bin/python tests/tracking/record_auth.py                    # record (needs Flask-WTF)
    .venv/bin/python tests/tracking/record_auth.py --replay URL OUT   # the same calls, against any server
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import record  # noqa: E402
import record_ui  # noqa: E402  (the UI bundle's GraphQL documents)

OUT = os.path.join(HERE, "recorded")
ADMIN = ["admin", "admin-password-1"]
ALICE = ["alice", "alicepassword1"]
BOB = ["bob", "bobpassword12"]
CAROL = ["carol", "carolpassword1"]
V3 = "/api/3.0/mlflow/"


def c(name, who, method, path, body=None, query=None, **kw):
    case = record.c(name, method, path, body=body, query=query, **kw)
    if who is not None:
        case["auth"] = who
    return case


def graphql(name, who, operation, variables):
    """One of the UI bundle's GraphQL documents, as the browser posts it."""
    body = {"operationName": operation, "variables": variables, "query": record_ui.DOCS[operation]}
    return c(name, who, "POST", "/graphql", body)


def graphql_text(name, who, query):
    return c(name, who, "POST", "/graphql", {"query": query})


def page(name, who, path, keep=None):
    """The UI's page or one of its files: status, type, caching, the challenge."""
    case = c(name, who, "GET", path)
    case["headers"] = ["Content-Type", "Cache-Control", "WWW-Authenticate"]
    if keep:
        case["keep"] = keep
    return case


def as_raw(name, header, method, path, query=None):
    case = record.c(name, method, path, query=query)
    case["authorization"] = header
    return case


CASES = [
    # credentials
    c("no_credentials", None, "GET", "experiments/search", query={"max_results": "5"}),
    c("health_is_open", None, "GET", "/health"),
    c("version_needs_credentials", None, "GET", "/version"),
    c("unknown_user", ["mallory", "mallorypassword"], "GET", "experiments/search", query={"max_results": "5"}),
    c("wrong_password", ["admin", "not-the-password"], "GET", "experiments/search", query={"max_results": "5"}),
    as_raw("bearer_is_not_basic", "Bearer abc", "GET", "experiments/search", query={"max_results": "5"}),
    as_raw("basic_not_base64", "Basic !!!", "GET", "experiments/search", query={"max_results": "5"}),
    c("admin_searches", ADMIN, "GET", "experiments/search", query={"max_results": "5"}),
    c("admin_version", ADMIN, "GET", "/version"),
    # users
    c("create_alice", ADMIN, "POST", "users/create", {"username": "alice", "password": "alicepassword1"}),
    c("create_bob", ADMIN, "POST", "users/create", {"username": "bob", "password": "bobpassword12"}),
    c("create_carol", ADMIN, "POST", "users/create", {"username": "carol", "password": "carolpassword1"}),
    c("create_duplicate", ADMIN, "POST", "users/create", {"username": "alice", "password": "alicepassword1"}),
    c("create_short_password", ADMIN, "POST", "users/create", {"username": "dave", "password": "short"}),
    c("create_empty_username", ADMIN, "POST", "users/create", {"username": "", "password": "davepassword12"}),
    c("create_missing_password", ADMIN, "POST", "users/create", {"username": "dave"}),
    c("create_not_json", ADMIN, "POST", "users/create", raw="username=dave", content_type="application/x-www-form-urlencoded"),
    c("create_as_user", ALICE, "POST", "users/create", {"username": "eve", "password": "evepassword12"}),
    c("alice_gets_herself", ALICE, "GET", "users/get", query={"username": "alice"}),
    c("alice_gets_bob", ALICE, "GET", "users/get", query={"username": "bob"}),
    c("admin_gets_missing", ADMIN, "GET", "users/get", query={"username": "zzz"}),
    c("admin_gets_no_name", ADMIN, "GET", "users/get", query={}),
    c("alice_current", ALICE, "GET", "users/current"),
    c("users_on_v3_path", ADMIN, "GET", V3 + "users/current"),
    # experiments and runs: alice owns, bob does not
    c("alice_creates_experiment", ALICE, "POST", "experiments/create", {"name": "alice-exp"}, capture={"exp": "experiment_id"}),
    c("bob_creates_experiment", BOB, "POST", "experiments/create", {"name": "bob-exp"}, capture={"bexp": "experiment_id"}),
    c("bob_gets_alices_experiment", BOB, "GET", "experiments/get", query={"experiment_id": "${exp}"}),
    c("bob_gets_it_by_name", BOB, "GET", "experiments/get-by-name", query={"experiment_name": "alice-exp"}),
    c("bob_gets_missing_name", BOB, "GET", "experiments/get-by-name", query={"experiment_name": "nope"}),
    c("bob_gets_missing_experiment", BOB, "GET", "experiments/get", query={"experiment_id": "9999"}),
    c("bob_gets_without_id", BOB, "GET", "experiments/get", query={}),
    c("bob_updates_alices_experiment", BOB, "POST", "experiments/update", {"experiment_id": "${exp}", "new_name": "x"}),
    c("bob_tags_alices_experiment", BOB, "POST", "experiments/set-experiment-tag", {"experiment_id": "${exp}", "key": "k", "value": "v"}),
    c("bob_creates_run_in_alices", BOB, "POST", "runs/create", {"experiment_id": "${exp}", "start_time": 1700000000000}),
    c("bob_deletes_alices_experiment", BOB, "POST", "experiments/delete", {"experiment_id": "${exp}"}),
    c("alice_creates_run", ALICE, "POST", "runs/create", {"experiment_id": "${exp}", "start_time": 1700000000000, "run_name": "r1"}, capture={"run": "run.info.run_id"}),
    c("alice_logs_metric", ALICE, "POST", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": 1.5, "timestamp": 1700000000000, "step": 0}),
    c("bob_creates_run_in_his", BOB, "POST", "runs/create", {"experiment_id": "${bexp}", "start_time": 1700000001000, "run_name": "b1"}, capture={"brun": "run.info.run_id"}),
    c("bob_gets_alices_run", BOB, "GET", "runs/get", query={"run_id": "${run}"}),
    c("bob_gets_missing_run", BOB, "GET", "runs/get", query={"run_id": "0123456789abcdef0123456789abcdef"}),
    c("admin_gets_missing_run", ADMIN, "GET", "runs/get", query={"run_id": "0123456789abcdef0123456789abcdef"}),
    c("bob_reads_metric_history", BOB, "GET", "metrics/get-history", query={"run_id": "${run}", "metric_key": "m"}),
    c("bob_logs_to_alices_run", BOB, "POST", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": 2.0, "timestamp": 1700000000000, "step": 1}),
    c("bob_logs_batch_to_alices_run", BOB, "POST", "runs/log-batch", {"run_id": "${run}", "params": [{"key": "p", "value": "1"}]}),
    c("bob_deletes_alices_run", BOB, "POST", "runs/delete", {"run_id": "${run}"}),
    c("bob_lists_alices_artifacts", BOB, "GET", "artifacts/list", query={"run_id": "${run}"}),
    c("bob_searches_runs_in_both", BOB, "POST", "runs/search", {"experiment_ids": ["${exp}", "${bexp}"]}),
    # the UI's ajax-only routes, guarded per run
    c("bob_bulk_history_alices_run", BOB, "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", query={"run_id": "${run}", "metric_key": "m"}),
    c("bob_bulk_history_both", BOB, "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", query={"run_id": ["${brun}", "${run}"], "metric_key": "m"}),
    c("bob_bulk_history_his", BOB, "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", query={"run_id": "${brun}", "metric_key": "m"}),
    c("bob_bulk_history_missing_run", BOB, "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", query={"run_id": "deadbeef", "metric_key": "m"}),
    c("bob_bulk_history_no_run", BOB, "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk", query={"metric_key": "m"}),
    c("bob_uploads_to_alices_run", BOB, "POST", "/ajax-api/2.0/mlflow/upload-artifact", query={"run_uuid": "${run}", "path": "x.txt"}, raw="x", content_type="text/plain"),
    c("bob_uploads_to_his_run", BOB, "POST", "/ajax-api/2.0/mlflow/upload-artifact", query={"run_uuid": "${brun}", "path": "x.txt"}, raw="x", content_type="text/plain"),
    c("alice_uploads_to_her_run", ALICE, "POST", "/ajax-api/2.0/mlflow/upload-artifact", query={"run_uuid": "${run}", "path": "x.txt"}, raw="x", content_type="text/plain"),
    c("bob_searches_runs_in_alices", BOB, "POST", "runs/search", {"experiment_ids": ["${exp}"]}),
    c("bob_searches_experiments", BOB, "POST", "experiments/search", {"max_results": 10, "filter": "name LIKE '%-exp'"}),
    c("bob_searches_experiments_paged", BOB, "POST", "experiments/search", {"max_results": 1, "filter": "name LIKE '%-exp'"}),
    c("carol_searches_experiments", CAROL, "GET", "experiments/search", query={"max_results": "10"}),
    c("admin_searches_experiments", ADMIN, "POST", "experiments/search", {"max_results": 10, "filter": "name LIKE '%-exp'"}),
    # the web UI before any grant: the page and its files, server-info, ui-telemetry, GraphQL per object
    page("ui_page_no_credentials", None, "/"),
    page("ui_page_wrong_password", ["alice", "not-the-password"], "/"),
    page("ui_page_alice", ALICE, "/"),
    page("ui_main_js_no_credentials", None, "/static-files/static/js/main.c2f5f8d4.js", keep="headers"),
    page("ui_favicon_no_credentials", None, "/static-files/favicon.ico", keep="headers"),
    page("ui_static_missing_no_credentials", None, "/static-files/static/js/nope.js"),
    page("ui_root_favicon_no_credentials", None, "/favicon.ico"),
    page("ui_static_prefix_only_no_credentials", None, "/staticx"),
    c("ui_server_info_no_credentials", None, "GET", "/ajax-api/3.0/mlflow/server-info"),
    c("ui_server_info_api_no_credentials", None, "GET", "/api/3.0/mlflow/server-info"),
    c("ui_server_info_wrong_password", ["alice", "not-the-password"], "GET", "/ajax-api/3.0/mlflow/server-info"),
    c("ui_telemetry_get_no_credentials", None, "GET", "/ajax-api/3.0/mlflow/ui-telemetry"),
    c("ui_telemetry_get_alice", ALICE, "GET", "/ajax-api/3.0/mlflow/ui-telemetry"),
    c("ui_telemetry_post_no_credentials", None, "POST", "/ajax-api/3.0/mlflow/ui-telemetry", {"records": [record_ui.TELEMETRY_RECORD]}),
    c("ui_telemetry_post_alice", ALICE, "POST", "/ajax-api/3.0/mlflow/ui-telemetry", {"records": [record_ui.TELEMETRY_RECORD]}),
    graphql("graphql_no_credentials", None, "MlflowGetExperimentQuery", {"input": {"experimentId": "${exp}"}}),
    graphql("graphql_wrong_password", ["bob", "not-the-password"], "MlflowGetExperimentQuery", {"input": {"experimentId": "${exp}"}}),
    graphql_text("graphql_echo_no_credentials", None, '{ test(inputString: "hi") { output } }'),
    graphql_text("graphql_echo_carol", CAROL, '{ test(inputString: "hi") { output } }'),
    graphql("graphql_alice_experiment", ALICE, "MlflowGetExperimentQuery", {"input": {"experimentId": "${exp}"}}),
    graphql("graphql_bob_alices_experiment", BOB, "MlflowGetExperimentQuery", {"input": {"experimentId": "${exp}"}}),
    graphql("graphql_bob_his_experiment", BOB, "MlflowGetExperimentQuery", {"input": {"experimentId": "${bexp}"}}),
    graphql("graphql_bob_missing_experiment", BOB, "MlflowGetExperimentQuery", {"input": {"experimentId": "9999"}}),
    graphql("graphql_admin_missing_experiment", ADMIN, "MlflowGetExperimentQuery", {"input": {"experimentId": "9999"}}),
    graphql("graphql_alice_run", ALICE, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_bob_alices_run", BOB, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_carol_alices_run", CAROL, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_admin_alices_run", ADMIN, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_bob_his_run", BOB, "GetRun", {"data": {"runId": "${brun}"}}),
    graphql("graphql_bob_missing_run", BOB, "GetRun", {"data": {"runId": "0123456789abcdef0123456789abcdef"}}),
    # A single value where the schema wants a list is a list of one: checked like one.
    graphql_text("graphql_bob_search_runs_single_id", BOB, '{ mlflowSearchRuns(input: {experimentIds: "${exp}"}) { runs { info { runName } } } }'),
    graphql_text("graphql_bob_datasets_single_id", BOB, 'mutation { mlflowSearchDatasets(input: {experimentIds: "${exp}"}) { datasetSummaries { name } } }'),
    graphql_text("graphql_bob_bulk_interval_single_run", BOB, '{ mlflowGetMetricHistoryBulkInterval(input: {runIds: "${run}", metricKey: "m"}) { metrics { key } } }'),
    c("graphql_bob_unknown_variable_type", BOB, "POST", "/graphql", {"query": "query Q($x: Foo) { mlflowSearchRuns(input: $x) { runs { info { runName } } } }", "variables": {"x": {"experimentIds": ["${exp}"]}}}),
    graphql("graphql_admin_missing_run", ADMIN, "GetRun", {"data": {"runId": "0123456789abcdef0123456789abcdef"}}),
    graphql("graphql_bob_search_runs_both", BOB, "SearchRuns", {"data": {"experimentIds": ["${exp}", "${bexp}"], "orderBy": ["attributes.run_name ASC"]}}),
    graphql("graphql_bob_search_runs_alices", BOB, "SearchRuns", {"data": {"experimentIds": ["${exp}"]}}),
    graphql("graphql_bob_bulk_interval_both", BOB, "GetMetricHistoryBulkInterval", {"data": {"endStep": None, "maxResults": 320, "metricKey": "m", "runIds": ["${brun}", "${run}"], "startStep": None}}),
    graphql("graphql_bob_bulk_interval_his", BOB, "GetMetricHistoryBulkInterval", {"data": {"endStep": None, "maxResults": 320, "metricKey": "m", "runIds": ["${brun}"], "startStep": None}}),
    graphql_text("graphql_bob_lists_alices_artifacts", BOB, '{ mlflowListArtifacts(input: {runId: "${run}"}) { rootUri files { path isDir fileSize } } }'),
    graphql_text("graphql_bob_search_datasets_alices", BOB, 'mutation { mlflowSearchDatasets(input: {experimentIds: ["${exp}"]}) { datasetSummaries { name } } }'),
    graphql_text("graphql_bob_two_roots", BOB, '{ mine: mlflowGetRun(input: {runId: "${brun}"}) { run { info { runName } } } hers: mlflowGetRun(input: {runId: "${run}"}) { run { info { runName } } } }'),
    # grants
    c("alice_grants_bob_edit", ALICE, "POST", V3 + "users/permissions/grant", {"username": "bob", "resource_type": "experiment", "resource_id": "${exp}", "permission": "EDIT"}),
    c("alice_grants_bob_again", ALICE, "POST", V3 + "users/permissions/grant", {"username": "bob", "resource_type": "experiment", "resource_id": "${exp}", "permission": "READ"}),
    c("bob_now_updates", BOB, "POST", "experiments/set-experiment-tag", {"experiment_id": "${exp}", "key": "k", "value": "v"}),
    c("bob_now_logs", BOB, "POST", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": 2.0, "timestamp": 1700000000000, "step": 1}),
    c("bob_now_creates_run", BOB, "POST", "runs/create", {"experiment_id": "${exp}", "start_time": 1700000002000, "run_name": "b2"}, capture={"brun2": "run.info.run_id"}),
    c("bob_still_cannot_delete_run", BOB, "POST", "runs/delete", {"run_id": "${run}"}),
    c("bob_still_cannot_delete_experiment", BOB, "POST", "experiments/delete", {"experiment_id": "${exp}"}),
    c("bob_cannot_grant_carol", BOB, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}", "permission": "READ"}),
    c("bob_grants_wildcard", BOB, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "*", "permission": "READ"}),
    c("bob_checks_himself", BOB, "GET", V3 + "users/permissions/get", query={"username": "bob", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("bob_checks_bexp", BOB, "GET", V3 + "users/permissions/get", query={"username": "bob", "resource_type": "experiment", "resource_id": "${bexp}"}),
    c("carol_checks_bob", CAROL, "GET", V3 + "users/permissions/get", query={"username": "bob", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("admin_checks_carol", ADMIN, "GET", V3 + "users/permissions/get", query={"username": "carol", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("admin_checks_missing_resource", ADMIN, "GET", V3 + "users/permissions/get", query={"username": "carol", "resource_type": "experiment", "resource_id": "424242"}),
    c("admin_checks_unknown_user", ADMIN, "GET", V3 + "users/permissions/get", query={"username": "zzz", "resource_type": "experiment", "resource_id": "1"}),
    c("grant_bad_permission", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}", "permission": "WRITE"}),
    c("grant_no_permissions", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}", "permission": "NO_PERMISSIONS"}),
    c("grant_bad_type", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "notebook", "resource_id": "1", "permission": "READ"}),
    c("grant_run_by_id", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "run", "resource_id": "${run}", "permission": "READ"}),
    c("grant_workspace", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "workspace", "resource_id": "*", "permission": "MANAGE"}),
    c("grant_unknown_user", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "zzz", "resource_type": "experiment", "resource_id": "${exp}", "permission": "READ"}),
    c("grant_missing_field", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("admin_denies_carol", ADMIN, "POST", V3 + "users/permissions/grant", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}", "permission": "DENY"}),
    c("carol_denied_get", CAROL, "GET", "experiments/get", query={"experiment_id": "${exp}"}),
    c("carol_denied_search", CAROL, "POST", "experiments/search", {"max_results": 10, "filter": "name LIKE '%-exp'"}),
    c("carol_denied_runs_search", CAROL, "POST", "runs/search", {"experiment_ids": ["${exp}"]}),
    c("admin_revokes_deny", ADMIN, "POST", V3 + "users/permissions/revoke", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("admin_revokes_again", ADMIN, "POST", V3 + "users/permissions/revoke", {"username": "carol", "resource_type": "experiment", "resource_id": "${exp}"}),
    c("carol_after_revoke", CAROL, "GET", "experiments/get", query={"experiment_id": "${exp}"}),
    c("alice_permissions", ALICE, "GET", V3 + "users/current/permissions"),
    c("bob_lists_alices_permissions", BOB, "GET", V3 + "users/permissions/list", query={"username": "alice"}),
    c("admin_lists_bobs_permissions", ADMIN, "GET", V3 + "users/permissions/list", query={"username": "bob"}),
    # registered models
    c("alice_creates_model", ALICE, "POST", "registered-models/create", {"name": "alice-model"}),
    c("bob_creates_model", BOB, "POST", "registered-models/create", {"name": "bob-model"}),
    c("alice_creates_version", ALICE, "POST", "model-versions/create", {"name": "alice-model", "source": "runs:/${run}/model", "run_id": "${run}"}),
    c("bob_gets_alices_model", BOB, "GET", "registered-models/get", query={"name": "alice-model"}),
    c("bob_gets_missing_model", BOB, "GET", "registered-models/get", query={"name": "nope"}),
    c("bob_updates_alices_model", BOB, "PATCH", "registered-models/update", {"name": "alice-model", "description": "mine"}),
    c("bob_tags_alices_model", BOB, "POST", "registered-models/set-tag", {"name": "alice-model", "key": "k", "value": "v"}),
    c("bob_versions_alices_model", BOB, "POST", "model-versions/create", {"name": "alice-model", "source": "runs:/${brun}/model", "run_id": "${brun}"}),
    c("bob_gets_alices_version", BOB, "GET", "model-versions/get", query={"name": "alice-model", "version": "1"}),
    c("bob_gets_version_of_missing", BOB, "GET", "model-versions/get", query={"name": "nope", "version": "1"}),
    c("admin_gets_version_of_missing", ADMIN, "GET", "model-versions/get", query={"name": "nope", "version": "1"}),
    c("bob_latest_versions", BOB, "POST", "registered-models/get-latest-versions", {"name": "alice-model"}),
    c("bob_download_uri", BOB, "GET", "model-versions/get-download-uri", query={"name": "alice-model", "version": "1"}),
    c("bob_transitions", BOB, "POST", "model-versions/transition-stage", {"name": "alice-model", "version": "1", "stage": "Staging", "archive_existing_versions": False}),
    c("bob_sets_alias", BOB, "POST", "registered-models/alias", {"name": "alice-model", "alias": "champion", "version": "1"}),
    c("alice_sets_alias", ALICE, "POST", "registered-models/alias", {"name": "alice-model", "alias": "champion", "version": "1"}),
    c("bob_gets_alias", BOB, "GET", "registered-models/alias", query={"name": "alice-model", "alias": "champion"}),
    c("bob_deletes_alias", BOB, "DELETE", "registered-models/alias", {"name": "alice-model", "alias": "champion"}),
    c("bob_deletes_version", BOB, "DELETE", "model-versions/delete", {"name": "alice-model", "version": "1"}),
    c("bob_deletes_alices_model", BOB, "DELETE", "registered-models/delete", {"name": "alice-model"}),
    c("bob_deletes_missing_model", BOB, "DELETE", "registered-models/delete", {"name": "nope"}),
    c("bob_searches_models", BOB, "GET", "registered-models/search", query={"max_results": "10"}),
    c("carol_searches_models", CAROL, "GET", "registered-models/search", query={"max_results": "1"}),
    c("bob_searches_versions", BOB, "GET", "model-versions/search", query={"filter": "name='alice-model'"}),
    # the web UI's GraphQL: model versions, kept or dropped per registered model
    graphql_text("graphql_bob_search_model_versions", BOB, "{ mlflowSearchModelVersions(input: {filter: \"name = 'alice-model'\"}) { modelVersions { name version runId source status } nextPageToken } }"),
    graphql_text("graphql_bob_search_all_model_versions", BOB, "{ mlflowSearchModelVersions(input: {}) { modelVersions { name version } } }"),
    graphql_text("graphql_bob_search_model_versions_by_run", BOB, "{ mlflowSearchModelVersions(input: {filter: \"run_id = '${run}'\"}) { modelVersions { name version } } }"),
    graphql_text("graphql_carol_search_all_model_versions", CAROL, "{ mlflowSearchModelVersions(input: {}) { modelVersions { name version } } }"),
    graphql_text("graphql_admin_search_all_model_versions", ADMIN, "{ mlflowSearchModelVersions(input: {}) { modelVersions { name version } } }"),
    graphql("graphql_bob_run_model_versions", BOB, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_carol_run_model_versions", CAROL, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_admin_run_model_versions", ADMIN, "GetRun", {"data": {"runId": "${run}"}}),
    graphql("graphql_bob_search_runs_model_versions", BOB, "SearchRuns", {"data": {"experimentIds": ["${exp}"], "filter": 'attributes.run_id = "${run}"'}}),
    c("alice_grants_bob_model_edit", ALICE, "POST", V3 + "users/permissions/grant", {"username": "bob", "resource_type": "registered_model", "resource_id": "alice-model", "permission": "EDIT"}),
    graphql("graphql_bob_run_model_versions_after_grant", BOB, "GetRun", {"data": {"runId": "${run}"}}),
    graphql_text("graphql_bob_search_model_versions_after_grant", BOB, "{ mlflowSearchModelVersions(input: {}) { modelVersions { name version } } }"),
    c("bob_now_updates_model", BOB, "PATCH", "registered-models/update", {"name": "alice-model", "description": "shared"}),
    c("bob_now_versions_model", BOB, "POST", "model-versions/create", {"name": "alice-model", "source": "runs:/${run}/model", "run_id": "${run}"}),
    c("bob_still_cannot_delete_model", BOB, "DELETE", "registered-models/delete", {"name": "alice-model"}),
    c("alice_renames_model", ALICE, "POST", "registered-models/rename", {"name": "alice-model", "new_name": "alice-model-2"}),
    c("bob_updates_renamed_model", BOB, "PATCH", "registered-models/update", {"name": "alice-model-2", "description": "after rename"}),
    c("bob_permissions_after_rename", ADMIN, "GET", V3 + "users/permissions/list", query={"username": "bob"}),
    c("alice_deletes_model", ALICE, "DELETE", "registered-models/delete", {"name": "alice-model-2"}),
    c("bob_permissions_after_delete", ADMIN, "GET", V3 + "users/permissions/list", query={"username": "bob"}),
    # roles
    c("admin_creates_role", ADMIN, "POST", V3 + "roles/create", {"name": "readers", "workspace": "default", "description": "read all"}, capture={"role": "role.id"}),
    c("admin_creates_role_again", ADMIN, "POST", V3 + "roles/create", {"name": "readers", "workspace": "default"}),
    c("admin_creates_reserved_role", ADMIN, "POST", V3 + "roles/create", {"name": "__user_9__", "workspace": "default"}),
    c("admin_creates_empty_role", ADMIN, "POST", V3 + "roles/create", {"name": " ", "workspace": "default"}),
    c("alice_creates_role", ALICE, "POST", V3 + "roles/create", {"name": "mine", "workspace": "default"}),
    c("admin_adds_role_permission", ADMIN, "POST", V3 + "roles/permissions/add", {"role_id": "${role}", "resource_type": "experiment", "resource_pattern": "*", "permission": "EDIT"}, capture={"rp": "role_permission.id"}),
    c("admin_adds_bad_role_permission", ADMIN, "POST", V3 + "roles/permissions/add", {"role_id": "${role}", "resource_type": "run", "resource_pattern": "abc", "permission": "READ"}),
    c("admin_adds_workspace_read", ADMIN, "POST", V3 + "roles/permissions/add", {"role_id": "${role}", "resource_type": "workspace", "resource_pattern": "*", "permission": "READ"}),
    c("admin_assigns_carol", ADMIN, "POST", V3 + "roles/assign", {"username": "carol", "role_id": "${role}"}),
    c("admin_assigns_carol_again", ADMIN, "POST", V3 + "roles/assign", {"username": "carol", "role_id": "${role}"}),
    c("carol_updates_via_role", CAROL, "POST", "experiments/set-experiment-tag", {"experiment_id": "${exp}", "key": "c", "value": "1"}),
    c("admin_gets_role", ADMIN, "GET", V3 + "roles/get", query={"role_id": "${role}"}),
    c("admin_gets_role_not_int", ADMIN, "GET", V3 + "roles/get", query={"role_id": "abc"}),
    c("admin_gets_missing_role", ADMIN, "GET", V3 + "roles/get", query={"role_id": "999"}),
    c("carol_gets_role", CAROL, "GET", V3 + "roles/get", query={"role_id": "${role}"}),
    c("carol_lists_roles_without_workspace", CAROL, "GET", V3 + "roles/list"),
    c("admin_lists_roles", ADMIN, "GET", V3 + "roles/list", query={"workspace": "default"}),
    c("admin_lists_role_users", ADMIN, "GET", V3 + "roles/users/list", query={"role_id": "${role}"}),
    c("carol_lists_her_roles", CAROL, "GET", V3 + "users/roles/list", query={"username": "carol"}),
    c("admin_updates_role", ADMIN, "PATCH", V3 + "roles/update", {"role_id": "${role}", "description": "edit all"}),
    c("admin_updates_role_nothing", ADMIN, "PATCH", V3 + "roles/update", {"role_id": "${role}"}),
    c("admin_updates_role_permission", ADMIN, "PATCH", V3 + "roles/permissions/update", {"role_permission_id": "${rp}", "permission": "READ"}),
    c("admin_lists_role_permissions", ADMIN, "GET", V3 + "roles/permissions/list", query={"role_id": "${role}"}),
    c("carol_update_after_downgrade", CAROL, "POST", "experiments/set-experiment-tag", {"experiment_id": "${exp}", "key": "c", "value": "2"}),
    c("admin_removes_role_permission", ADMIN, "DELETE", V3 + "roles/permissions/remove", {"role_permission_id": "${rp}"}),
    c("admin_unassigns_carol", ADMIN, "DELETE", V3 + "roles/unassign", {"username": "carol", "role_id": "${role}"}),
    c("admin_unassigns_carol_again", ADMIN, "DELETE", V3 + "roles/unassign", {"username": "carol", "role_id": "${role}"}),
    c("admin_deletes_role", ADMIN, "DELETE", V3 + "roles/delete", {"role_id": "${role}"}),
    c("admin_lists_users", ADMIN, "GET", "users/list"),
    c("alice_lists_users", ALICE, "GET", "users/list"),
    # artifacts through the proxy
    c("alice_uploads_artifact", ALICE, "PUT", "/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/a.txt", raw="hello", content_type="text/plain"),
    c("bob_reads_alices_artifact", BOB, "GET", "/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/a.txt"),
    c("carol_uploads_to_alices", CAROL, "PUT", "/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/c.txt", raw="carol", content_type="text/plain"),
    c("carol_deletes_alices", CAROL, "DELETE", "/api/2.0/mlflow-artifacts/artifacts/${exp}/${run}/artifacts/a.txt"),
    c("carol_lists_alices", CAROL, "GET", "/api/2.0/mlflow-artifacts/artifacts", query={"path": "${exp}/${run}/artifacts"}),
    # logged models (MLflow 3): alice's, in her experiment
    c("alice_creates_logged_model", ALICE, "POST", "logged-models", {"experiment_id": "${exp}", "name": "lm"}, capture={"lm": "model.info.model_id"}),
    c("bob_creates_logged_model_in_alices", BOB, "POST", "logged-models", {"experiment_id": "${exp}", "name": "bm"}, capture={"bm": "model.info.model_id"}),
    c("bob_gets_alices_logged_model", BOB, "GET", "logged-models/${lm}"),
    c("bob_gets_missing_logged_model", BOB, "GET", "logged-models/m-00000000000000000000000000000000"),
    c("bob_tags_alices_logged_model", BOB, "PATCH", "logged-models/${lm}/tags", {"tags": [{"key": "u", "value": "2"}]}),
    c("bob_deletes_alices_logged_model", BOB, "DELETE", "logged-models/${lm}"),
    c("bob_searches_logged_models", BOB, "POST", "logged-models/search", {"experiment_ids": ["${exp}", "${bexp}"]}),
    c("carol_searches_logged_models", CAROL, "POST", "logged-models/search", {"experiment_ids": ["${exp}"]}),
    # the same routes under the other API version
    c("alice_experiment_on_v3", ALICE, "GET", V3 + "experiments/get", query={"experiment_id": "${exp}"}),
    c("admin_experiment_on_v3", ADMIN, "GET", V3 + "experiments/get", query={"experiment_id": "${exp}"}),
    # paths no rule covers
    c("alice_unknown_path", ALICE, "GET", "no/such/endpoint"),
    c("admin_unknown_path", ADMIN, "GET", "no/such/endpoint"),
    c("alice_legacy_permissions", ALICE, "POST", "experiments/permissions/create", {"experiment_id": "${exp}", "username": "bob", "permission": "READ"}),
    c("admin_legacy_permissions", ADMIN, "POST", "experiments/permissions/create", {"experiment_id": "${exp}", "username": "bob", "permission": "READ"}),
    # passwords and admins
    c("alice_password_without_current", ALICE, "PATCH", "users/update-password", {"username": "alice", "password": "alicepassword2"}),
    c("alice_password_wrong_current", ALICE, "PATCH", "users/update-password", {"username": "alice", "password": "alicepassword2", "current_password": "nope"}),
    c("alice_password_same", ALICE, "PATCH", "users/update-password", {"username": "alice", "password": "alicepassword1", "current_password": "alicepassword1"}),
    c("alice_password_short", ALICE, "PATCH", "users/update-password", {"username": "alice", "password": "short", "current_password": "alicepassword1"}),
    c("alice_changes_bobs_password", ALICE, "PATCH", "users/update-password", {"username": "bob", "password": "bobpassword99"}),
    c("alice_password_changed", ALICE, "PATCH", "users/update-password", {"username": "alice", "password": "alicepassword2", "current_password": "alicepassword1"}),
    c("alice_old_password", ALICE, "GET", "users/current"),
    c("alice_new_password", ["alice", "alicepassword2"], "GET", "users/current"),
    c("admin_resets_bobs_password", ADMIN, "PATCH", "users/update-password", {"username": "bob", "password": "bobpassword99"}),
    c("bob_new_password", ["bob", "bobpassword99"], "GET", "users/current"),
    c("alice_makes_herself_admin", ["alice", "alicepassword2"], "PATCH", "users/update-admin", {"username": "alice", "is_admin": True}),
    c("admin_makes_carol_admin", ADMIN, "PATCH", "users/update-admin", {"username": "carol", "is_admin": True}),
    c("carol_as_admin_deletes_alices_experiment", CAROL, "POST", "experiments/delete", {"experiment_id": "${exp}"}),
    c("carol_as_admin_lists_users", CAROL, "GET", "users/list"),
    c("admin_unmakes_carol_admin", ADMIN, "PATCH", "users/update-admin", {"username": "carol", "is_admin": False}),
    c("carol_after_admin", CAROL, "POST", "experiments/restore", {"experiment_id": "${exp}"}),
    c("admin_deletes_himself", ADMIN, "DELETE", "users/delete", {"username": "admin"}),
    c("alice_deletes_carol", ["alice", "alicepassword2"], "DELETE", "users/delete", {"username": "carol"}),
    c("admin_deletes_carol", ADMIN, "DELETE", "users/delete", {"username": "carol"}),
    c("admin_deletes_carol_again", ADMIN, "DELETE", "users/delete", {"username": "carol"}),
    c("carol_after_deletion", CAROL, "GET", "users/current"),
]


def write_config(d, default_permission):
    path = os.path.join(d, "auth.ini")
    with open(path, "w") as f:
        f.write(
            "[mlflow]\n"
            f"default_permission = {default_permission}\n"
            f"database_uri = sqlite:///{d}/basic_auth.db\n"
            f"admin_username = {ADMIN[0]}\n"
            f"admin_password = {ADMIN[1]}\n"
        )
    return path


def start_server(workdir, default_permission):
    env = dict(
        os.environ,
        MLFLOW_AUTH_CONFIG_PATH=write_config(workdir, default_permission),
        MLFLOW_FLASK_SERVER_SECRET_KEY="record-auth",
        # ui-telemetry's answer must not depend on a config fetched from the internet
        MLFLOW_DISABLE_TELEMETRY="true",
        # mlflowrs serves no AI gateway: server-info as MLflow answers it with the gateway off.
        MLFLOW_ENABLE_AI_GATEWAY="false",
    )
    return record.start_server(workdir, ["--app-name", "basic-auth"], env)


def replay(base):
    # GraphQL times are strings: "now" becomes "<now>" (record_ui.stable)
    return record_ui.stabilize(record.replay(base, CASES))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--replay":
        with open(sys.argv[3], "w") as f:
            json.dump({"cases": replay(sys.argv[2])}, f, indent=1)
        return
    import mlflow

    for default in ["READ", "NO_PERMISSIONS"]:
        with tempfile.TemporaryDirectory() as d:
            proc, base = start_server(d, default)
            try:
                cases = replay(base)
            finally:
                os.killpg(proc.pid, 15)
                proc.wait()
        with open(os.path.join(OUT, f"auth_{default}.json"), "w") as f:
            json.dump({"mlflow": mlflow.__version__, "default_permission": default, "cases": cases}, f, indent=1)
        print(f"recorded {len(cases)} cases with default_permission={default}")
    with tempfile.TemporaryDirectory() as d:
        proc, base = start_server(d, "READ")
        try:
            subprocess.run(
                [sys.executable, os.path.join(HERE, "auth_client_scenario.py"), base, os.path.join(OUT, "auth_client.json")],
                check=True,
            )
        finally:
            os.killpg(proc.pid, 15)
            proc.wait()
    print("recorded the client scenario")


if __name__ == "__main__":
    main()
