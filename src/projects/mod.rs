//! What `mlflowrs run` needs beyond the project itself
//! (`mlflowrs-projects`): the tracking calls, the child process, conda,
//! downloads, and the Docker and Kubernetes backends. The order of a run
//! is `commands::run`'s.

pub mod child;
pub mod conda;
pub mod docker_backend;
pub mod downloads;
pub mod kubernetes_backend;
pub mod lifecycle;
pub mod tracking_client;
