//! The commands behind the CLI, one file each, each starting from its
//! validated settings: `models serve` is `scoring_server`, `server` is
//! `tracking_server`, `models build-docker` and `generate-dockerfile` are
//! `docker`; `ui fetch` is `ui_fetch`; `run` (MLflow Projects) is `run`.

pub mod docker;
pub mod healthcheck;
pub mod predict;
pub mod resolve;
pub mod run;
pub mod scoring_server;
pub mod tracking_server;
pub mod ui_fetch;
