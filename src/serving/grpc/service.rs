//! The calls of `inference.GRPCInferenceService`, with the HTTP routes'
//! rules: the API key (health calls exempt), `--max-concurrent-requests`
//! (RESOURCE_EXHAUSTED, gRPC's 429), the request timeout
//! (DEADLINE_EXCEEDED) and `--max-body-bytes` (the largest message).

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};

use super::convert;
use super::proto::grpc_inference_service_server::GrpcInferenceService;
use super::proto::{model_metadata_response::TensorMetadata, *};
use crate::serving::http::AppState;
use crate::serving::model_slot::Served;
use crate::serving::v2;
use crate::telemetry;

pub(super) struct InferenceService {
    pub(super) state: AppState,
}

impl InferenceService {
    fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        match &self.state.api_key {
            Some(key) if !key.admits(&request.metadata().clone().into_headers()) => {
                Err(Status::unauthenticated(
                    "This server requires an API key: send it as 'Authorization: Bearer <key>'.",
                ))
            }
            _ => Ok(()),
        }
    }

    fn served(&self, name: &str) -> Result<Arc<Served>, Status> {
        self.state
            .model(name)
            .map(|i| self.state.models[i].current())
            .ok_or_else(|| Status::not_found(format!("Model {name} not found")))
    }
}

/// A V2 error's HTTP status as the gRPC code clients expect for it.
fn status(e: v2::infer::InferError) -> Status {
    let code = match e.status {
        400 | 422 => tonic::Code::InvalidArgument,
        404 => tonic::Code::NotFound,
        413 | 429 => tonic::Code::ResourceExhausted,
        504 => tonic::Code::DeadlineExceeded,
        _ => tonic::Code::Internal,
    };
    Status::new(code, e.message)
}

fn tensor_metadata(specs: &[mlflowrs_flavor_api::IoSpec]) -> Vec<TensorMetadata> {
    specs
        .iter()
        .map(|t| TensorMetadata {
            name: t.name.clone(),
            datatype: v2::datatype(t.dtype).into(),
            shape: t.shape.clone(),
        })
        .collect()
}

#[tonic::async_trait]
impl GrpcInferenceService for InferenceService {
    async fn server_live(
        &self,
        _: Request<ServerLiveRequest>,
    ) -> Result<Response<ServerLiveResponse>, Status> {
        Ok(Response::new(ServerLiveResponse { live: true }))
    }

    async fn server_ready(
        &self,
        _: Request<ServerReadyRequest>,
    ) -> Result<Response<ServerReadyResponse>, Status> {
        Ok(Response::new(ServerReadyResponse { ready: true }))
    }

    async fn model_ready(
        &self,
        request: Request<ModelReadyRequest>,
    ) -> Result<Response<ModelReadyResponse>, Status> {
        self.authorize(&request)?;
        self.served(&request.get_ref().name)?;
        Ok(Response::new(ModelReadyResponse { ready: true }))
    }

    async fn server_metadata(
        &self,
        request: Request<ServerMetadataRequest>,
    ) -> Result<Response<ServerMetadataResponse>, Status> {
        self.authorize(&request)?;
        Ok(Response::new(ServerMetadataResponse {
            name: "mlflowrs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            extensions: v2::EXTENSIONS.iter().map(|e| (*e).into()).collect(),
        }))
    }

    async fn model_metadata(
        &self,
        request: Request<ModelMetadataRequest>,
    ) -> Result<Response<ModelMetadataResponse>, Status> {
        self.authorize(&request)?;
        let served = self.served(&request.get_ref().name)?;
        let info = &served.info;
        Ok(Response::new(ModelMetadataResponse {
            name: info.name.clone(),
            versions: vec![info.version.clone()],
            platform: info.platform.into(),
            inputs: tensor_metadata(&info.inputs),
            outputs: tensor_metadata(&info.outputs),
        }))
    }

    async fn model_infer(
        &self,
        request: Request<ModelInferRequest>,
    ) -> Result<Response<ModelInferResponse>, Status> {
        let started = Instant::now();
        self.authorize(&request)?;
        let served = self.served(&request.get_ref().model_name)?;
        let _in_flight = telemetry::InFlight::start(&served.meters.in_flight);
        let answer = match self.state.permits.clone().try_acquire_owned() {
            Err(_) => Err(Status::resource_exhausted(
                "Too many concurrent requests; retry later.",
            )),
            Ok(_permit) => {
                let infer = async {
                    let request =
                        convert::request(request.into_inner()).map_err(Status::invalid_argument)?;
                    let outputs = served.infer_v2(&request).await.map_err(status)?;
                    Ok(convert::response(&served.info, request.id, outputs))
                };
                tokio::time::timeout(self.state.timeout, infer)
                    .await
                    .unwrap_or_else(|_| {
                        Err(Status::deadline_exceeded(
                            "Request processing time exceeded limit",
                        ))
                    })
            }
        };
        let http_status = match &answer {
            Ok(_) => 200,
            Err(s) => match s.code() {
                tonic::Code::InvalidArgument => 400,
                tonic::Code::ResourceExhausted => 429,
                tonic::Code::DeadlineExceeded => 504,
                _ => 500,
            },
        };
        served
            .meters
            .record(telemetry::GRPC_INFER_ROUTE, http_status, started.elapsed());
        answer.map(Response::new)
    }
}
