//! The messages, service trait and client generated from
//! `grpc_predict_v2.proto` by `build.rs`.
#![allow(clippy::all, clippy::pedantic)]

tonic::include_proto!("inference");
