//! The gRPC form of the Open Inference Protocol (`--grpc-port`, off by
//! default): KServe's `inference.GRPCInferenceService`, which Triton's
//! clients speak, answered by the same engines, limits and API key as the
//! HTTP routes. `service.rs` answers the calls; `convert.rs` turns the
//! messages into `v2::infer`'s request and back.

mod convert;
pub mod proto;
mod service;

use std::future::Future;

use crate::serving::http::AppState;

/// Serves the gRPC service on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let max_message = state.max_body_bytes;
    let service = proto::grpc_inference_service_server::GrpcInferenceServiceServer::new(
        service::InferenceService { state },
    )
    .max_decoding_message_size(max_message)
    .max_encoding_message_size(usize::MAX);
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            shutdown,
        )
        .await
}
