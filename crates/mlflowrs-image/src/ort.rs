//! The binary of model images served by ONNX Runtime, natively evaluated
//! tabular flavors or Python (`mlflowrs_image`).

fn main() -> std::process::ExitCode {
    mlflowrs_image::main(mlflowrs::serving::model_load::NativeBackends::ORT_ONLY)
}
