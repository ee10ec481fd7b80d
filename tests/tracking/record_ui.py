"""Records what the real `mlflow server` (SQLite store, artifact proxy on)
answers on the routes MLflow's own web UI uses beside the REST API:

  recorded/ui_cases.json   `/graphql` (the four documents of the 3.17.2
                           bundle, tests/tracking/ui_queries/*.sent.graphql,
                           as Apollo posts them; the other root fields;
                           malformed, unknown, over-limit and non-JSON
                           requests), `server-info`, `ui-telemetry`, `/`
                           and `/static-files/*` (status, type, caching
                           headers; large bodies as sha256)

    .venv/bin/python tests/tracking/record_ui.py
    .venv/bin/python tests/tracking/record_ui.py --replay URL OUT.json   # the same calls, against any server

Before the calls, tests/ui/fill_store.py fills the server through the real
mlflow client. Its ids are the first, pseudo case `fill_store` (method
FILL): its answer holds them and its `capture` names them, so cases refer
to `${experiment_id}`, `${ridge-small}`, ... and the comparison masks them.

What the recorder makes stable: the server runs with
MLFLOW_ENABLE_AI_GATEWAY=false (mlflowrs serves no AI gateway, and
`server-info` says so, as MLflow does with the gateway off) and
MLFLOW_DISABLE_TELEMETRY=true (otherwise `ui-telemetry` depends on a
config fetched from the internet); the client runs as user `ui-recorder`
(LOGNAME/USER, which MLflow puts in `mlflow.user` and `user_id`) and puts
no git tags on the run mlflow.start_run makes; and a
GraphQL time (a LongString, so a JSON string, under a key ending in `Time`
or `Timestamp`) later than 1.75e12 ms, i.e. "now", becomes "<now>", as
tests/common/tracking.rs does with numeric times, and GraphQL error
strings are cut where that file cuts a REST `message`.
"""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ui"))
import record  # noqa: E402

OUT = os.path.join(HERE, "recorded")
QUERIES = os.path.join(HERE, "ui_queries")
API = "/api/2.0/mlflow/"
BUILD = "/static-files/static/"
USER = "ui-recorder"
T0 = 1700000000000

# The documents exactly as the browser posts them (Apollo adds __typename).
DOCS = {}
for _name in ("MlflowGetExperimentQuery", "GetRun", "SearchRuns", "GetMetricHistoryBulkInterval"):
    with open(os.path.join(QUERIES, _name + ".sent.graphql")) as _f:
        DOCS[_name] = _f.read()

# The ids fill_store.fill returns, captured from the pseudo case's answer;
# `source_name` is the tag mlflow.start_run puts on the run it makes (the
# recorder's path as invoked).
FILL_KEYS = [
    "experiment_id",
    "experiment_name",
    "ridge-small",
    "ridge-large",
    "parent",
    "child",
    "model_run",
    "logged_model_id",
    "model_name",
    "model_version",
    "model_version_2",
    "source_name",
]
MISSING_RUN = "0123456789abcdef0123456789abcdef"
STATIC_HEADERS = ["Content-Type", "Cache-Control"]


def ui(name, operation, variables, **kw):
    """One of the bundle's documents, posted as Apollo posts it."""
    body = {"operationName": operation, "variables": variables, "query": DOCS[operation]}
    return record.c(name, "POST", "/graphql", body, **kw)


def gql(name, query, variables=None, operation_name=None, **kw):
    """A hand-written document."""
    body = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation_name is not None:
        body["operationName"] = operation_name
    return record.c(name, "POST", "/graphql", body, **kw)


def static(name, path, keep=None, method="GET", raw_path=False):
    case = record.c(name, method, path)
    case["headers"] = STATIC_HEADERS
    if keep:
        case["keep"] = keep
    if raw_path:
        case["raw_path"] = True
    return case


def deep(depth):
    """A selection nested `depth` levels deep (field names need not exist:
    MLflow's limits are checked before validation)."""
    text = "leaf"
    for i in range(depth - 1):
        text = f"f{i} {{ {text} }}"
    return "{ " + text + " }"


MODEL_VERSION_FIELDS = (
    "name version creationTimestamp lastUpdatedTimestamp userId currentStage description source runId "
    "status statusMessage tags { key value } runLink aliases modelId modelParams { name value } "
    "modelMetrics { key value timestamp step datasetName datasetDigest modelId runId }"
)
TELEMETRY_RECORD = {
    "installation_id": "8f14e45f-ceea-467f-a0d6-8a3c5b8f3f36",
    "event_name": "ui_event",
    "timestamp_ns": 1700000000000000000,
    "params": {
        "componentId": "mlflow.experiment_page.header.share_button",
        "componentViewId": "3f1c2b7a-9d51-4c0e-8d8e-2b1f6f3e9a10",
        "componentType": "button",
        "eventType": "onClick",
    },
    "session_id": "2c6ee24b-0cf3-4d8e-9b4b-3a1f1f0f7d55",
}

CASES = [
    # more of what the run page shows: dataset inputs (one full, one bare) and a model input
    record.c("log_inputs_dataset", "POST", API + "runs/log-inputs", {
        "run_id": "${ridge-small}",
        "datasets": [{
            "tags": [{"key": "mlflow.data.context", "value": "training"}],
            "dataset": {
                "name": "wine",
                "digest": "3f9a1c2b",
                "source_type": "local",
                "source": '{"uri": "/data/wine.csv"}',
                "schema": '{"mlflow_colspec": [{"type": "double", "name": "alcohol", "required": true}]}',
                "profile": '{"num_rows": 178, "num_elements": 178}',
            },
        }],
        "models": [{"model_id": "${logged_model_id}"}],
    }),
    record.c("log_inputs_bare_dataset", "POST", API + "runs/log-inputs", {
        "run_id": "${ridge-large}",
        "datasets": [{"dataset": {"name": "holdout", "digest": "77aa01", "source_type": "code", "source": "{}"}}],
    }),
    # ---- the bundle's documents, as the UI sends them ----
    ui("gql_experiment", "MlflowGetExperimentQuery", {"input": {"experimentId": "${experiment_id}"}}),
    ui("gql_experiment_default", "MlflowGetExperimentQuery", {"input": {"experimentId": "0"}}),
    ui("gql_experiment_missing", "MlflowGetExperimentQuery", {"input": {"experimentId": "999"}}),
    ui("gql_experiment_not_int", "MlflowGetExperimentQuery", {"input": {"experimentId": "abc"}}),
    ui("gql_experiment_empty_input", "MlflowGetExperimentQuery", {"input": {}}),
    ui("gql_experiment_no_variables", "MlflowGetExperimentQuery", None),
    ui("gql_experiment_int_variable", "MlflowGetExperimentQuery", {"input": {"experimentId": 1}}),
    ui("gql_run_params_metrics_inputs", "GetRun", {"data": {"runId": "${ridge-small}"}}),
    ui("gql_run_bare_dataset", "GetRun", {"data": {"runId": "${ridge-large}"}}),
    ui("gql_run_with_model", "GetRun", {"data": {"runId": "${model_run}"}}),
    ui("gql_run_child", "GetRun", {"data": {"runId": "${child}"}}),
    ui("gql_run_parent", "GetRun", {"data": {"runId": "${parent}"}}),
    ui("gql_run_by_run_uuid", "GetRun", {"data": {"runUuid": "${parent}"}}),
    ui("gql_run_missing", "GetRun", {"data": {"runId": MISSING_RUN}}),
    ui("gql_run_empty_input", "GetRun", {"data": {}}),
    ui("gql_run_int_variable", "GetRun", {"data": {"runId": 5}}),
    ui("gql_run_unknown_input_field", "GetRun", {"data": {"runId": "${parent}", "extra": 1}}),
    ui("gql_search_runs_ui", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "filter": 'attributes.run_id = "${model_run}"'}}),
    ui("gql_search_runs_all", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "orderBy": ["attributes.run_name ASC"]}}),
    ui("gql_search_runs_page", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "orderBy": ["attributes.run_name DESC"], "maxResults": 2}}),
    ui("gql_search_runs_bad_filter", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "filter": "metrics.rmse >> 1"}}),
    ui("gql_search_runs_missing_experiment", "SearchRuns", {"data": {"experimentIds": ["999"], "filter": ""}}),
    ui("gql_search_runs_deleted_only", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "runViewType": "DELETED_ONLY"}}),
    ui("gql_search_runs_bad_view_type", "SearchRuns", {"data": {"experimentIds": ["${experiment_id}"], "runViewType": "SOME"}}),
    ui("gql_bulk_interval_ui", "GetMetricHistoryBulkInterval", {"data": {"endStep": None, "maxResults": 320, "metricKey": "loss", "runIds": ["${ridge-small}", "${ridge-large}"], "startStep": None}}),
    # max_results, start_step and end_step come from the URL's query, not from the input
    ui("gql_bulk_interval_input_ignored", "GetMetricHistoryBulkInterval", {"data": {"endStep": 20, "maxResults": 4, "metricKey": "rmse", "runIds": ["${ridge-small}", "${ridge-large}"], "startStep": 10}}),
    ui("gql_bulk_interval_url_args", "GetMetricHistoryBulkInterval", {"data": {"metricKey": "rmse", "runIds": ["${ridge-small}", "${child}"]}}, query={"max_results": "3", "start_step": "2", "end_step": "290"}),
    ui("gql_bulk_interval_url_half_range", "GetMetricHistoryBulkInterval", {"data": {"metricKey": "rmse", "runIds": ["${ridge-small}"]}}, query={"start_step": "2"}),
    ui("gql_bulk_interval_missing_run", "GetMetricHistoryBulkInterval", {"data": {"metricKey": "rmse", "runIds": [MISSING_RUN]}}),
    ui("gql_bulk_interval_no_runs", "GetMetricHistoryBulkInterval", {"data": {"metricKey": "rmse", "runIds": []}}),
    ui("gql_bulk_interval_no_key", "GetMetricHistoryBulkInterval", {"data": {"runIds": ["${ridge-small}"]}}),
    ui("gql_bulk_interval_unknown_key", "GetMetricHistoryBulkInterval", {"data": {"metricKey": "nope", "runIds": ["${ridge-small}"]}}),
    # a run still RUNNING (no end time, no user), with infinite and NaN latest metrics, then deleted
    record.c("running_run_create", "POST", API + "runs/create", {"experiment_id": "0", "start_time": T0, "run_name": "running"}, capture={"running": "run.info.run_id"}),
    record.c("running_run_log_infinite", "POST", API + "runs/log-batch", {"run_id": "${running}", "metrics": [
        {"key": "spike", "value": "Infinity", "timestamp": T0, "step": 0},
        {"key": "dip", "value": "-Infinity", "timestamp": T0, "step": 0},
        {"key": "spike", "value": 2.5, "timestamp": T0 + 1, "step": 1},
        {"key": "odd", "value": "NaN", "timestamp": T0, "step": 0},
    ]}),
    ui("gql_run_running", "GetRun", {"data": {"runId": "${running}"}}),
    gql("gql_run_running_info", '{ mlflowGetRun(input: {runId: "${running}"}) { run { info { runId runUuid runName userId status startTime endTime lifecycleStage } } } }'),
    ui("gql_bulk_interval_infinite", "GetMetricHistoryBulkInterval", {"data": {"endStep": None, "maxResults": 320, "metricKey": "spike", "runIds": ["${running}"], "startStep": None}}),
    record.c("running_run_delete", "POST", API + "runs/delete", {"run_id": "${running}"}),
    ui("gql_run_deleted", "GetRun", {"data": {"runId": "${running}"}}),
    ui("gql_search_runs_deleted_hidden", "SearchRuns", {"data": {"experimentIds": ["0"]}}),
    # ---- the other root fields ----
    gql("gql_list_artifacts", '{ mlflowListArtifacts(input: {runId: "${ridge-small}"}) { __typename rootUri nextPageToken files { __typename path isDir fileSize } apiError { code message } } }'),
    gql("gql_list_artifacts_path", '{ mlflowListArtifacts(input: {runUuid: "${ridge-small}", path: "plots"}) { rootUri files { path isDir fileSize } } }'),
    gql("gql_list_artifacts_unsafe_path", '{ mlflowListArtifacts(input: {runId: "${ridge-small}", path: "../x"}) { rootUri files { path } } }'),
    gql("gql_list_artifacts_missing_run", '{ mlflowListArtifacts(input: {runId: "' + MISSING_RUN + '"}) { rootUri files { path } } }'),
    gql("gql_list_artifacts_model_run", '{ mlflowListArtifacts(input: {runId: "${model_run}"}) { rootUri files { path isDir fileSize } } }'),
    gql("gql_search_model_versions", '{ mlflowSearchModelVersions(input: {filter: "name = \'${model_name}\'"}) { __typename nextPageToken modelVersions { __typename ' + MODEL_VERSION_FIELDS + " } apiError { code } } }"),
    gql("gql_search_model_versions_by_run", '{ mlflowSearchModelVersions(input: {filter: "run_id = \'${model_run}\'", maxResults: 1}) { nextPageToken modelVersions { name version runId status } } }'),
    gql("gql_search_model_versions_variables", "query Q($i: MlflowSearchModelVersionsInput) { mlflowSearchModelVersions(input: $i) { nextPageToken modelVersions { name version } } }", {"i": {"filter": "name = '${model_name}'", "maxResults": "1"}}),
    gql("gql_search_model_versions_bad_long_string", "query Q($i: MlflowSearchModelVersionsInput) { mlflowSearchModelVersions(input: $i) { modelVersions { name } } }", {"i": {"maxResults": "x"}}),
    # graphql-core passes the variables to a literal's parse_literal when the request has any; LongString's takes one argument
    gql("gql_long_string_literal_with_variables", 'query Q($f: String) { mlflowSearchModelVersions(input: {filter: $f, maxResults: 1}) { modelVersions { name version } } }', {"f": "name = '${model_name}'"}),
    gql("gql_string_variable_in_literal", 'query Q($f: String) { mlflowSearchModelVersions(input: {filter: $f}) { modelVersions { name version } } }', {"f": "name = '${model_name}'"}),
    gql("gql_search_model_versions_all", "{ mlflowSearchModelVersions { modelVersions { name version } } }"),
    gql("gql_search_model_versions_empty_input", "{ mlflowSearchModelVersions(input: {}) { modelVersions { name version } nextPageToken } }"),
    gql("gql_search_model_versions_string_max", '{ mlflowSearchModelVersions(input: {maxResults: "1"}) { modelVersions { name version } nextPageToken } }'),
    gql("gql_search_model_versions_bad_filter", '{ mlflowSearchModelVersions(input: {filter: "name =="}) { modelVersions { name } } }'),
    gql("gql_search_model_versions_deployment_state", "{ mlflowSearchModelVersions(input: {maxResults: 1}) { modelVersions { version deploymentJobState { jobId runId jobState runState currentTaskName } } } }"),
    gql("gql_search_datasets", 'mutation { mlflowSearchDatasets(input: {experimentIds: ["${experiment_id}"]}) { __typename datasetSummaries { __typename experimentId name digest context } apiError { code } } }'),
    gql("gql_search_datasets_none", "mutation { mlflowSearchDatasets(input: {experimentIds: []}) { datasetSummaries { name } } }"),
    gql("gql_search_datasets_too_many", "mutation M($ids: [String]) { mlflowSearchDatasets(input: {experimentIds: $ids}) { datasetSummaries { name } } }", {"ids": [str(i) for i in range(21)]}),
    gql("gql_search_datasets_as_query", '{ mlflowSearchDatasets(input: {experimentIds: ["${experiment_id}"]}) { datasetSummaries { name } } }'),
    gql("gql_search_runs_mutation", 'mutation { mlflowSearchRuns(input: {experimentIds: ["${experiment_id}"], filter: "attributes.run_name = \'sweep-child\'"}) { __typename nextPageToken runs { __typename info { runName status runId runUuid } data { __typename metrics { __typename key value step timestamp } } experiment { name } modelVersions { name } } } }'),
    gql("gql_search_runs_no_input", "{ mlflowSearchRuns { runs { info { runName } } nextPageToken } }"),
    gql("gql_typename_everywhere", 'query T { __typename mlflowGetRun(input: {runId: "${model_run}"}) { __typename run { __typename info { __typename status } data { __typename params { __typename key } } inputs { __typename } outputs { __typename modelOutputs { __typename step } } experiment { __typename } modelVersions { __typename status } } apiError { __typename } } }'),
    gql("gql_run_info_all_fields", '{ mlflowGetRun(input: {runId: "${parent}"}) { run { info { runId runUuid runName experimentId userId status startTime endTime artifactUri lifecycleStage } experiment { experimentId name artifactLocation lifecycleStage lastUpdateTime creationTime tags { key value } effectiveTraceArchivalRetention workspace } data { metrics { key value timestamp step datasetName datasetDigest modelId runId } } } } }'),
    gql("gql_metric_all_fields", '{ mlflowGetRun(input: {runId: "${child}"}) { run { data { metrics { key value timestamp step datasetName datasetDigest modelId runId } } } } }'),
    gql("gql_test_echo", '{ test(inputString: "hello") { output } }'),
    gql("gql_test_no_argument", "{ test { output } }"),
    gql("gql_test_mutation", 'mutation { testMutation(inputString: "hello") { output } }'),
    gql("gql_aliases", '{ a: test(inputString: "1") { out: output } b: test(inputString: "2") { output } }'),
    gql("gql_component_directive", 'query Echo @component(name: "x") { test(inputString: "a") { output } }'),
    gql("gql_component_on_mutation", 'mutation Echo @component(name: "x") { testMutation(inputString: "a") { output } }'),
    gql("gql_component_without_name", 'query Echo @component { test(inputString: "a") { output } }'),
    gql("gql_component_on_field", '{ test(inputString: "a") @component(name: "x") { output } }'),
    gql("gql_unknown_directive", 'query Echo @nope { test(inputString: "a") { output } }'),
    gql("gql_skip_include", '{ test(inputString: "a") @skip(if: true) { output } b: test(inputString: "b") @include(if: true) { output } }'),
    gql("gql_variables_default", 'query Echo($s: String = "dflt") { test(inputString: $s) { output } }'),
    gql("gql_introspection_typename", "{ __typename }"),
    gql("gql_introspection_type", '{ __type(name: "MlflowRunStatus") { name kind enumValues { name } } }'),
    gql("gql_fragment", 'query { ...F } fragment F on Query { test(inputString: "f") { output } }'),
    # ---- malformed, unknown, over the limits ----
    gql("gql_unknown_field", "{ nope }"),
    gql("gql_unknown_nested_field", '{ mlflowGetRun(input: {runId: "${parent}"}) { run { nope info { runName } } } }'),
    gql("gql_unknown_argument", '{ test(inputString: "a", other: 1) { output } }'),
    gql("gql_scalar_with_selection", '{ test(inputString: "a") { output { x } } }'),
    gql("gql_object_without_selection", "{ test }"),
    gql("gql_mutation_field_on_query", '{ testMutation(inputString: "a") { output } }'),
    gql("gql_query_field_on_mutation", 'mutation { mlflowGetExperiment(input: {experimentId: "0"}) { experiment { name } } }'),
    gql("gql_subscription", "subscription { test { output } }"),
    gql("gql_fragment_cycle", "{ ...A } fragment A on Query { ...A }"),
    gql("gql_fragment_cycle_via", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    gql("gql_unknown_fragment", "{ ...Nope }"),
    gql("gql_fragment_spread_twice_per_level", '{ ...F0 } fragment F0 on Query { ...F1 ...F1 } fragment F1 on Query { ...F2 ...F2 } fragment F2 on Query { test(inputString: "x") { output } }'),
    gql("gql_unknown_variable_type", 'query Q($x: Foo) { test(inputString: "a") { output } }'),
    gql("gql_list_input_single_value", '{ mlflowSearchRuns(input: {experimentIds: "${experiment_id}", filter: "attributes.run_name = \'sweep\'"}) { runs { info { runName } } } }'),
    gql("gql_huge_unknown_field", "{ " + "x" * 100000 + " }"),
    gql("gql_nested_braces_2000", "{" * 2000),
    gql("gql_nested_lists_2000", '{ test(inputString: ' + "[" * 2000 + '"a"' + "]" * 2000 + ") { output } }"),
    gql("gql_syntax_error", '{ test(inputString: "a") { output '),
    gql("gql_empty_query", ""),
    gql("gql_unknown_operation_name", '{ test(inputString: "a") { output } }', operation_name="Nope"),
    gql("gql_two_operations_no_name", 'query A { test(inputString: "a") { output } } query B { test(inputString: "b") { output } }'),
    gql("gql_two_operations_named", 'query A { test(inputString: "a") { output } } query B { test(inputString: "b") { output } }', operation_name="B"),
    gql("gql_variables_not_object", '{ test(inputString: "a") { output } }', variables="x"),
    gql("gql_depth_10", deep(10)),
    gql("gql_depth_11", deep(11)),
    gql("gql_selections_1001", "{ test(inputString: \"a\") { " + " ".join(f"f{i}" for i in range(1001)) + " } }"),
    gql("gql_root_fields_10", "{ " + " ".join(f'a{i}: test(inputString: "{i}") {{ output }}' for i in range(10)) + " }"),
    gql("gql_root_fields_11", "{ " + " ".join(f'a{i}: test(inputString: "{i}") {{ output }}' for i in range(11)) + " }"),
    gql("gql_aliases_11", '{ test(inputString: "a") { ' + " ".join(f"o{i}: output" for i in range(11)) + " } }"),
    gql("gql_aliases_11_in_fragments", '{ test(inputString: "a") { ... on Test { ' + " ".join(f"o{i}: output" for i in range(6)) + " } ...T } } fragment T on Test { " + " ".join(f"p{i}: output" for i in range(5)) + " }"),
    record.c("gql_missing_query", "POST", "/graphql", {"variables": {}}),
    record.c("gql_null_query", "POST", "/graphql", {"query": None}),
    record.c("gql_batch_array", "POST", "/graphql", [{"query": '{ test(inputString: "a") { output } }'}]),
    record.c("gql_not_json", "POST", "/graphql", raw="{not json"),
    record.c("gql_wrong_content_type", "POST", "/graphql", raw='{"query": "{ __typename }"}', content_type="text/plain"),
    record.c("gql_form_content_type", "POST", "/graphql", raw="query=%7B__typename%7D", content_type="application/x-www-form-urlencoded"),
    record.c("gql_get", "GET", "/graphql"),
    record.c("gql_get_query_string", "GET", "/graphql", query={"query": '{ test(inputString: "a") { output } }'}),
    record.c("gql_get_json_body", "GET", "/graphql", {"query": '{ test(inputString: "get") { output } }'}),
    record.c("gql_put", "PUT", "/graphql", {"query": "{ __typename }"}),
    record.c("gql_under_api", "POST", "/api/2.0/mlflow/graphql", {"query": "{ __typename }"}),
    record.c("gql_under_ajax_api", "POST", "/ajax-api/2.0/mlflow/graphql", {"query": "{ __typename }"}),
    # ---- server-info ----
    record.c("server_info_ajax", "GET", "/ajax-api/3.0/mlflow/server-info"),
    record.c("server_info_api", "GET", "/api/3.0/mlflow/server-info"),
    record.c("server_info_ajax_2_0", "GET", "/ajax-api/2.0/mlflow/server-info"),
    record.c("server_info_api_2_0", "GET", "/api/2.0/mlflow/server-info"),
    record.c("server_info_post", "POST", "/ajax-api/3.0/mlflow/server-info", {}),
    # ---- ui-telemetry: what the TelemetryLogger worker sends ----
    record.c("ui_telemetry_get", "GET", "/ajax-api/3.0/mlflow/ui-telemetry"),
    record.c("ui_telemetry_post", "POST", "/ajax-api/3.0/mlflow/ui-telemetry", {"records": [TELEMETRY_RECORD]}),
    record.c("ui_telemetry_post_empty", "POST", "/ajax-api/3.0/mlflow/ui-telemetry", {"records": []}),
    record.c("ui_telemetry_post_not_json", "POST", "/ajax-api/3.0/mlflow/ui-telemetry", raw="{not json"),
    record.c("ui_telemetry_under_api", "GET", "/api/3.0/mlflow/ui-telemetry"),
    record.c("ui_telemetry_2_0", "GET", "/ajax-api/2.0/mlflow/ui-telemetry"),
    # ---- the page and its files ----
    static("index", "/"),
    static("index_post", "/", method="POST"),
    static("index_html_at_root", "/index.html"),
    static("index_html_in_static_files", "/static-files/index.html"),
    static("hash_route_is_client_side", "/experiments/1"),
    static("main_js", BUILD + "js/main.c2f5f8d4.js", keep="headers"),
    static("main_js_cache_buster", BUILD + "js/main.c2f5f8d4.js?v=1", keep="headers", raw_path=True),
    static("chunk_js", BUILD + "js/3254.9017d695.chunk.js", keep="headers"),
    static("license_txt", BUILD + "js/main.c2f5f8d4.js.LICENSE.txt", keep="headers"),
    static("main_css", BUILD + "css/main.b0f58ef9.css", keep="headers"),
    static("telemetry_worker", "/static-files/TelemetryLogger.telemetry-worker.d0f8ea2c83c08b63528f.worker.js", keep="headers"),
    static("favicon", "/static-files/favicon.ico", keep="headers"),
    static("favicon_at_root", "/favicon.ico"),
    static("manifest", "/static-files/manifest.json"),
    static("asset_manifest", "/static-files/asset-manifest.json", keep="headers"),
    static("media_svg", BUILD + "media/default-error.f246ddf367c6fbd67942e5a13382a7f1.svg", keep="headers"),
    static("media_png", BUILD + "media/dspy.83c6a45ac2445dccd337.png", keep="headers"),
    static("media_woff2", BUILD + "media/fontawesome-webfont.20fd1704ea223900efa9.woff2", keep="headers"),
    static("media_woff", BUILD + "media/fontawesome-webfont.f691f37e57f04c152e23.woff", keep="headers"),
    static("media_ttf", BUILD + "media/codicon.f6283f7ccaed1249d9eb.ttf", keep="headers"),
    static("media_eot", BUILD + "media/fontawesome-webfont.8b43027f47b20503057d.eot", keep="headers"),
    static("media_mjs", BUILD + "media/pdf.worker.min.16b289c2599c81a29db9.mjs", keep="headers"),
    static("media_cjs", BUILD + "media/index.f6d03137e8c9dd0de04c.cjs", keep="headers"),
    static("notebook_renderer", "/static-files/lib/notebook-trace-renderer/index.html", keep="headers"),
    static("static_missing", BUILD + "js/nope.js"),
    static("static_directory", BUILD + "js/"),
    static("static_directory_no_slash", BUILD + "js"),
    static("static_root", "/static-files/"),
    static("static_post", BUILD + "js/main.c2f5f8d4.js", method="POST"),
    static("static_head", BUILD + "css/main.b0f58ef9.css", method="HEAD"),
    static("static_traversal_dotdot", "/static-files/../../etc/passwd", raw_path=True),
    static("static_traversal_encoded", "/static-files/%2e%2e/x", raw_path=True),
    static("static_traversal_encoded_deep", "/static-files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", raw_path=True),
    static("static_traversal_encoded_slash", "/static-files/static%2f..%2f..%2findex.html", raw_path=True),
    static("static_traversal_inside", "/static-files/static/js/../../index.html", raw_path=True),
    static("static_traversal_absolute", "/static-files//etc/passwd", raw_path=True),
    static("static_under_ajax_api", "/ajax-api/2.0/mlflow/static-files/favicon.ico"),
]


def stable(value, key=""):
    """"now" in a GraphQL LongString time becomes "<now>" (see the module doc),
    and an error message loses what tests/common/tracking.rs cuts from a REST
    `message`: a Python set's order, SQLAlchemy's text."""
    if key == "errors" and isinstance(value, list):
        return [cut(v) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return {k: stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [stable(v, key) for v in value]
    low = key.lower()
    if isinstance(value, str) and value.isdigit() and (low.endswith("time") or low.endswith("timestamp")) and int(value) > 1.75e12:
        return "<now>"
    return value


def cut(message):
    for mark in (" Error: (", " not one of '{"):
        if mark in message:
            message = message[: message.index(mark)]
    return message


def fill_case(base):
    """fill_store.fill(base), as the first case."""
    import fill_store
    from mlflow import MlflowClient

    # mlflow.start_run tags its run with the git commit, branch and remote of
    # the checkout the recorder runs from, which differ from one checkout
    # (and commit) to the next: no git tags.
    from mlflow.tracking.context import git_context

    git_context._resolve_git_info = lambda: {}
    ids = fill_store.fill(base)
    ids["source_name"] = MlflowClient(base).get_run(ids["model_run"]).data.tags.get("mlflow.source.name")
    answer = {"status": 200, "json": {k: ids.get(k) for k in FILL_KEYS}}
    case = {"name": "fill_store", "method": "FILL", "path": "tests/ui/fill_store.py", "capture": {k: k for k in FILL_KEYS}}
    return {**case, "answer": answer}, {k: v for k, v in ids.items() if v is not None}


def stabilize(cases):
    """`stable` on the answers of /graphql cases (record_auth.py uses it too)."""
    for case in cases:
        if case["path"] == "/graphql" and "json" in case["answer"]:
            case["answer"]["json"] = stable(case["answer"]["json"])
    return cases


def run(base):
    os.environ["LOGNAME"] = os.environ["USER"] = USER
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    first, env = fill_case(base)
    return [first, *stabilize(record.replay(base, CASES, env))]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--replay":
        with open(sys.argv[3], "w") as f:
            json.dump({"cases": run(sys.argv[2])}, f, indent=1)
        return
    import mlflow

    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        proc, base = record.start_server(d, env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_ENABLE_AI_GATEWAY="false"))
        try:
            cases = run(base)
        finally:
            os.killpg(proc.pid, 15)
            proc.wait()
    with open(os.path.join(OUT, "ui_cases.json"), "w") as f:
        json.dump({"mlflow": mlflow.__version__, "cases": cases}, f, indent=1)
    print(f"recorded {len(cases)} cases from mlflow {mlflow.__version__}")


if __name__ == "__main__":
    main()
