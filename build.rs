//! Generates the gRPC inference service (`src/serving/grpc/`) from its
//! .proto with protox, so that no `protoc` is needed to build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "src/serving/grpc/grpc_predict_v2.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["src/serving/grpc"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .btree_map(".")
        .compile_fds(descriptors)?;
    Ok(())
}
