//! The binary of model images whose ONNX models tract serves, with no ONNX
//! Runtime in the image (`mlflowrs_image`).

fn main() -> std::process::ExitCode {
    mlflowrs_image::main(mlflowrs::serving::model_load::NativeBackends::tract_only())
}
