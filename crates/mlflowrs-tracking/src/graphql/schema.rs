//! MLflow's GraphQL schema (`mlflow/server/graphql/`, 3.17.2): each object
//! type's fields, the REST answer's key each one reads, and its kind. The
//! resolvers hand graphene protobuf messages, so a field the answer lacks
//! is the protobuf default ("", "0", 0.0, false, the enum's first value, an
//! empty list, a message of defaults), never null.

/// What a field holds and how it is written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    String,
    /// int64, written as a string (MLflow's `LongString`).
    Long,
    Int,
    Float,
    /// A metric value: NaN is null (`MlflowMetricExtension`).
    MetricValue,
    Boolean,
    /// The values, the protobuf default first.
    Enum(&'static [&'static str]),
    Object(&'static str),
    List(&'static Kind),
    /// Null unless a resolver says otherwise (`apiError`, `workspace`).
    AlwaysNull,
    /// `MlflowRunExtension.experiment` and `.modelVersions`: resolved by a
    /// further store call.
    RunExperiment,
    RunModelVersions,
}

pub(super) struct Field {
    pub name: &'static str,
    pub key: &'static str,
    pub kind: Kind,
}

const fn f(name: &'static str, key: &'static str, kind: Kind) -> Field {
    Field { name, key, kind }
}

use Kind::*;

const RUN_STATUS: &[&str] = &["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
const VERSION_STATUS: &[&str] = &["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"];
const JOB_CONNECTION_STATE: &[&str] = &[
    "DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED",
    "NOT_SET_UP",
    "CONNECTED",
    "NOT_FOUND",
    "REQUIRED_PARAMETERS_CHANGED",
];
const JOB_RUN_STATE: &[&str] = &[
    "DEPLOYMENT_JOB_RUN_STATE_UNSPECIFIED",
    "NO_VALID_DEPLOYMENT_JOB_FOUND",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "PENDING",
    "APPROVAL",
];

/// An input object type's fields, by GraphQL name.
pub(super) fn input_object(name: &str) -> Option<&'static [Field]> {
    Some(match name {
        "MlflowGetExperimentInput" => EXPERIMENT_INPUT,
        "MlflowGetRunInput" => RUN_INPUT,
        "MlflowGetMetricHistoryBulkIntervalInput" => BULK_INTERVAL_INPUT,
        "MlflowListArtifactsInput" => LIST_ARTIFACTS_INPUT,
        "MlflowSearchModelVersionsInput" => SEARCH_VERSIONS_INPUT,
        "MlflowSearchRunsInput" => SEARCH_RUNS_INPUT,
        "MlflowSearchDatasetsInput" => SEARCH_DATASETS_INPUT,
        _ => return None,
    })
}

/// A scalar type's kind, by GraphQL name (MLflow's `LongString` included).
pub(super) fn scalar(name: &str) -> Option<Kind> {
    Some(match name {
        "String" | "ID" => String,
        "Int" => Int,
        "Float" => Float,
        "Boolean" => Boolean,
        "LongString" => Long,
        _ => return None,
    })
}

/// An enum's values, by GraphQL name.
pub(super) fn enum_values(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "MlflowRunStatus" => RUN_STATUS,
        "MlflowModelVersionStatus" => VERSION_STATUS,
        "MlflowDeploymentJobConnectionState" => JOB_CONNECTION_STATE,
        "MlflowModelVersionDeploymentJobStateDeploymentJobRunState" => JOB_RUN_STATE,
        "MlflowViewType" => VIEW_TYPE,
        _ => return None,
    })
}

/// Enums whose protobuf default (0) has no GraphQL value: an unset field
/// of one is an error and null.
pub(super) fn default_unrepresentable(values: &[&str]) -> bool {
    values == JOB_CONNECTION_STATE || values == JOB_RUN_STATE
}

/// The GraphQL name of an enum, for validation messages.
pub(super) fn enum_name(values: &[&str]) -> &'static str {
    match values.first().copied() {
        Some("RUNNING") => "MlflowRunStatus",
        Some("PENDING_REGISTRATION") => "MlflowModelVersionStatus",
        Some("DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED") => "MlflowDeploymentJobConnectionState",
        Some("DEPLOYMENT_JOB_RUN_STATE_UNSPECIFIED") => {
            "MlflowModelVersionDeploymentJobStateDeploymentJobRunState"
        }
        _ => "MlflowViewType",
    }
}

const VIEW_TYPE: &[&str] = &["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];

const KEY_VALUE: &[Field] = &[f("key", "key", String), f("value", "value", String)];
const API_ERROR: Field = f("apiError", "apiError", AlwaysNull);

/// The object types reachable from the root fields, by GraphQL name.
pub(super) fn object(name: &str) -> Option<&'static [Field]> {
    Some(match name {
        "MlflowExperiment" => {
            const FIELDS: &[Field] = &[
                f("experimentId", "experiment_id", String),
                f("name", "name", String),
                f("artifactLocation", "artifact_location", String),
                f("lifecycleStage", "lifecycle_stage", String),
                f("lastUpdateTime", "last_update_time", Long),
                f("creationTime", "creation_time", Long),
                f("tags", "tags", List(&Object("MlflowExperimentTag"))),
                f(
                    "effectiveTraceArchivalRetention",
                    "effective_trace_archival_retention",
                    String,
                ),
                f("workspace", "workspace", String),
            ];
            FIELDS
        }
        "MlflowExperimentTag"
        | "MlflowRunTag"
        | "MlflowParam"
        | "MlflowInputTag"
        | "MlflowModelVersionTag" => KEY_VALUE,
        "MlflowModelParam" => {
            const FIELDS: &[Field] = &[f("name", "name", String), f("value", "value", String)];
            FIELDS
        }
        "MlflowGetExperimentResponse" => {
            const FIELDS: &[Field] = &[
                f("experiment", "experiment", Object("MlflowExperiment")),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowGetRunResponse" => {
            const FIELDS: &[Field] = &[f("run", "run", Object("MlflowRunExtension")), API_ERROR];
            FIELDS
        }
        "MlflowSearchRunsResponse" => {
            const FIELDS: &[Field] = &[
                f("runs", "runs", List(&Object("MlflowRunExtension"))),
                f("nextPageToken", "next_page_token", String),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowRunExtension" => {
            const FIELDS: &[Field] = &[
                f("info", "info", Object("MlflowRunInfo")),
                f("data", "data", Object("MlflowRunData")),
                f("inputs", "inputs", Object("MlflowRunInputs")),
                f("outputs", "outputs", Object("MlflowRunOutputs")),
                f("experiment", "", RunExperiment),
                f("modelVersions", "", RunModelVersions),
            ];
            FIELDS
        }
        "MlflowRunInfo" => {
            const FIELDS: &[Field] = &[
                f("runId", "run_id", String),
                f("runUuid", "run_uuid", String),
                f("runName", "run_name", String),
                f("experimentId", "experiment_id", String),
                f("userId", "user_id", String),
                f("status", "status", Enum(RUN_STATUS)),
                f("startTime", "start_time", Long),
                f("endTime", "end_time", Long),
                f("artifactUri", "artifact_uri", String),
                f("lifecycleStage", "lifecycle_stage", String),
            ];
            FIELDS
        }
        "MlflowRunData" => {
            const FIELDS: &[Field] = &[
                f("metrics", "metrics", List(&Object("MlflowMetricExtension"))),
                f("params", "params", List(&Object("MlflowParam"))),
                f("tags", "tags", List(&Object("MlflowRunTag"))),
            ];
            FIELDS
        }
        "MlflowMetricExtension" | "MlflowMetric" | "MlflowModelMetric" => {
            const FIELDS: &[Field] = &[
                f("key", "key", String),
                f("value", "value", MetricValue),
                f("timestamp", "timestamp", Long),
                f("step", "step", Long),
                f("datasetName", "dataset_name", String),
                f("datasetDigest", "dataset_digest", String),
                f("modelId", "model_id", String),
                f("runId", "run_id", String),
            ];
            FIELDS
        }
        "MlflowRunInputs" => {
            const FIELDS: &[Field] = &[
                f(
                    "datasetInputs",
                    "dataset_inputs",
                    List(&Object("MlflowDatasetInput")),
                ),
                f(
                    "modelInputs",
                    "model_inputs",
                    List(&Object("MlflowModelInput")),
                ),
            ];
            FIELDS
        }
        "MlflowDatasetInput" => {
            const FIELDS: &[Field] = &[
                f("tags", "tags", List(&Object("MlflowInputTag"))),
                f("dataset", "dataset", Object("MlflowDataset")),
            ];
            FIELDS
        }
        "MlflowDataset" => {
            const FIELDS: &[Field] = &[
                f("name", "name", String),
                f("digest", "digest", String),
                f("sourceType", "source_type", String),
                f("source", "source", String),
                f("schema", "schema", String),
                f("profile", "profile", String),
            ];
            FIELDS
        }
        "MlflowModelInput" => {
            const FIELDS: &[Field] = &[f("modelId", "model_id", String)];
            FIELDS
        }
        "MlflowRunOutputs" => {
            const FIELDS: &[Field] = &[f(
                "modelOutputs",
                "model_outputs",
                List(&Object("MlflowModelOutput")),
            )];
            FIELDS
        }
        "MlflowModelOutput" => {
            const FIELDS: &[Field] = &[f("modelId", "model_id", String), f("step", "step", Long)];
            FIELDS
        }
        "MlflowModelVersion" => {
            const FIELDS: &[Field] = &[
                f("name", "name", String),
                f("version", "version", String),
                f("creationTimestamp", "creation_timestamp", Long),
                f("lastUpdatedTimestamp", "last_updated_timestamp", Long),
                f("userId", "user_id", String),
                f("currentStage", "current_stage", String),
                f("description", "description", String),
                f("source", "source", String),
                f("runId", "run_id", String),
                f("status", "status", Enum(VERSION_STATUS)),
                f("statusMessage", "status_message", String),
                f("tags", "tags", List(&Object("MlflowModelVersionTag"))),
                f("runLink", "run_link", String),
                f("aliases", "aliases", List(&String)),
                f("modelId", "model_id", String),
                f(
                    "modelParams",
                    "model_params",
                    List(&Object("MlflowModelParam")),
                ),
                f(
                    "modelMetrics",
                    "model_metrics",
                    List(&Object("MlflowModelMetric")),
                ),
                f(
                    "deploymentJobState",
                    "deployment_job_state",
                    Object("MlflowModelVersionDeploymentJobState"),
                ),
            ];
            FIELDS
        }
        "MlflowModelVersionDeploymentJobState" => {
            const FIELDS: &[Field] = &[
                f("jobId", "job_id", String),
                f("runId", "run_id", String),
                f("jobState", "job_state", Enum(JOB_CONNECTION_STATE)),
                f("runState", "run_state", Enum(JOB_RUN_STATE)),
                f("currentTaskName", "current_task_name", String),
            ];
            FIELDS
        }
        "MlflowSearchModelVersionsResponse" => {
            const FIELDS: &[Field] = &[
                f(
                    "modelVersions",
                    "model_versions",
                    List(&Object("MlflowModelVersion")),
                ),
                f("nextPageToken", "next_page_token", String),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowListArtifactsResponse" => {
            const FIELDS: &[Field] = &[
                f("rootUri", "root_uri", String),
                f("files", "files", List(&Object("MlflowFileInfo"))),
                f("nextPageToken", "next_page_token", String),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowFileInfo" => {
            const FIELDS: &[Field] = &[
                f("path", "path", String),
                f("isDir", "is_dir", Boolean),
                f("fileSize", "file_size", Long),
            ];
            FIELDS
        }
        "MlflowGetMetricHistoryBulkIntervalResponse" => {
            const FIELDS: &[Field] = &[
                f("metrics", "metrics", List(&Object("MlflowMetricWithRunId"))),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowMetricWithRunId" => {
            const FIELDS: &[Field] = &[
                f("key", "key", String),
                f("value", "value", Float),
                f("timestamp", "timestamp", Long),
                f("step", "step", Long),
                f("runId", "run_id", String),
            ];
            FIELDS
        }
        "MlflowSearchDatasetsResponse" => {
            const FIELDS: &[Field] = &[
                f(
                    "datasetSummaries",
                    "dataset_summaries",
                    List(&Object("MlflowDatasetSummary")),
                ),
                API_ERROR,
            ];
            FIELDS
        }
        "MlflowDatasetSummary" => {
            const FIELDS: &[Field] = &[
                f("experimentId", "experiment_id", String),
                f("name", "name", String),
                f("digest", "digest", String),
                f("context", "context", String),
            ];
            FIELDS
        }
        "Test" | "TestMutation" => {
            const FIELDS: &[Field] = &[f("output", "output", String)];
            FIELDS
        }
        "ApiError" => {
            const FIELDS: &[Field] = &[
                f("code", "code", String),
                f("message", "message", String),
                f("helpUrl", "help_url", String),
                f("traceId", "trace_id", String),
                f(
                    "errorDetails",
                    "error_details",
                    List(&Object("ErrorDetail")),
                ),
            ];
            FIELDS
        }
        "ErrorDetail" => {
            const FIELDS: &[Field] =
                &[f("field", "field", String), f("message", "message", String)];
            FIELDS
        }
        _ => return None,
    })
}

/// A root field: its answer's type and the input type of its `input`
/// argument (with each input field's REST name and kind).
pub(super) struct Root {
    pub name: &'static str,
    pub answer: &'static str,
    pub input: &'static [Field],
}

const EXPERIMENT_INPUT: &[Field] = &[f("experimentId", "experiment_id", String)];
const RUN_INPUT: &[Field] = &[
    f("runId", "run_id", String),
    f("runUuid", "run_uuid", String),
];
const BULK_INTERVAL_INPUT: &[Field] = &[
    f("runIds", "run_ids", List(&String)),
    f("metricKey", "metric_key", String),
    f("startStep", "start_step", Int),
    f("endStep", "end_step", Int),
    f("maxResults", "max_results", Int),
];
const LIST_ARTIFACTS_INPUT: &[Field] = &[
    f("runId", "run_id", String),
    f("runUuid", "run_uuid", String),
    f("path", "path", String),
    f("pageToken", "page_token", String),
];
const SEARCH_VERSIONS_INPUT: &[Field] = &[
    f("filter", "filter", String),
    f("maxResults", "max_results", Long),
    f("orderBy", "order_by", List(&String)),
    f("pageToken", "page_token", String),
];
const SEARCH_RUNS_INPUT: &[Field] = &[
    f("experimentIds", "experiment_ids", List(&String)),
    f("filter", "filter", String),
    f("runViewType", "run_view_type", Enum(VIEW_TYPE)),
    f("maxResults", "max_results", Int),
    f("orderBy", "order_by", List(&String)),
    f("pageToken", "page_token", String),
];
const SEARCH_DATASETS_INPUT: &[Field] = &[f("experimentIds", "experiment_ids", List(&String))];

pub(super) const QUERY_ROOTS: &[Root] = &[
    Root {
        name: "mlflowGetExperiment",
        answer: "MlflowGetExperimentResponse",
        input: EXPERIMENT_INPUT,
    },
    Root {
        name: "mlflowGetMetricHistoryBulkInterval",
        answer: "MlflowGetMetricHistoryBulkIntervalResponse",
        input: BULK_INTERVAL_INPUT,
    },
    Root {
        name: "mlflowGetRun",
        answer: "MlflowGetRunResponse",
        input: RUN_INPUT,
    },
    Root {
        name: "mlflowListArtifacts",
        answer: "MlflowListArtifactsResponse",
        input: LIST_ARTIFACTS_INPUT,
    },
    Root {
        name: "mlflowSearchModelVersions",
        answer: "MlflowSearchModelVersionsResponse",
        input: SEARCH_VERSIONS_INPUT,
    },
    Root {
        name: "mlflowSearchRuns",
        answer: "MlflowSearchRunsResponse",
        input: SEARCH_RUNS_INPUT,
    },
    Root {
        name: "test",
        answer: "Test",
        input: &[],
    },
];

pub(super) const MUTATION_ROOTS: &[Root] = &[
    Root {
        name: "mlflowSearchDatasets",
        answer: "MlflowSearchDatasetsResponse",
        input: SEARCH_DATASETS_INPUT,
    },
    Root {
        name: "mlflowSearchRuns",
        answer: "MlflowSearchRunsResponse",
        input: SEARCH_RUNS_INPUT,
    },
    Root {
        name: "testMutation",
        answer: "TestMutation",
        input: &[],
    },
];
