use super::*;

const ONNX_MODEL: &str = r#"
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_session_options: null
    onnx_version: 1.23.2
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 942
model_uuid: 9f0b45a3bf794102b3c592d6f1ff783f
prompts: null
future_field: {a: 1}
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: ndarray
signature:
  inputs: '[{"name": "input", "type": "tensor", "tensor-spec": {"dtype": "float32",
    "shape": [-1, 4]}}]'
  outputs: '[{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64",
    "shape": [-1]}}]'
  params: '[{"name": "temperature", "default": 0.5, "shape": null, "type": "double"},
    {"name": "stop", "default": ["\n"], "shape": [-1], "type": "string"}]'
type_hint_from_example: false
utc_time_created: '2026-11-24 00:30:52.101638'
"#;

fn parse(text: &str) -> Result<MlModel, MlModelError> {
    MlModel::parse(text, Path::new("/m/MLmodel"), PathBuf::from("/m"))
}

#[test]
fn reads_every_field_and_keeps_unknown_ones() {
    let m = parse(ONNX_MODEL).unwrap();
    assert_eq!(m.flavor_names(), vec!["onnx", "python_function"]);
    assert_eq!(m.mlflow_version.as_deref(), Some("3.17.2"));
    assert_eq!(m.model_size_bytes, Some(942));
    assert_eq!(m.model_id, None);
    assert!(m.extra.contains_key("future_field"));
    let Some(Schema::Tensors(t)) = m.input_schema() else {
        panic!("tensor schema")
    };
    assert_eq!(t[0].shape, vec![-1, 4]);
    assert_eq!(t[0].dtype, mlflowrs_flavor_api::DType::F32);
    let params = m.signature.unwrap().params.unwrap();
    assert_eq!(params[1].shape, Some(vec![-1]));
    assert_eq!(m.saved_input_example_info.unwrap().kind, "ndarray");
}

#[test]
fn column_specs_with_complex_types_and_legacy_optional() {
    let text = r#"
flavors: {python_function: {loader_module: x}}
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "array", "items": {"type": "long"}, "name": "arr", "required": false}, {"type": "object", "properties": {"y": {"type": "string", "required": false}, "x": {"type": "double", "required": true}}, "name": "obj"}, {"type": "map", "values": {"type": "long"}, "name": "m"}, {"type": "any", "name": "any"}, {"type": "string", "name": "old", "optional": true}]'
"#;
    let m = parse(text).unwrap();
    let Some(Schema::Columns(c)) = m.input_schema() else {
        panic!()
    };
    assert_eq!(c.len(), 6);
    assert!(!c[1].required);
    assert!(!c[5].required);
    assert_eq!(
        c[2].ty.repr(),
        "Object(x: double (required), y: string (optional))"
    );
}

#[test]
fn bad_files_name_the_field() {
    let e = parse("flavors: 3").unwrap_err().to_string();
    assert!(e.contains("/m/MLmodel") && e.contains("flavors"), "{e}");
    let e = parse("flavors: {a: {}}\nsignature: {inputs: '[{\"type\": \"tensor\"}]'}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("signature") && e.contains("tensor-spec"), "{e}");
    let e = parse("flavors: {a: {}}\nmodel_size_bytes: big")
        .unwrap_err()
        .to_string();
    assert!(e.contains("model_size_bytes"), "{e}");
    let e = parse(": : :").unwrap_err().to_string();
    assert!(e.contains("YAML"), "{e}");
    let e = MlModel::load(Path::new("/nonexistent/dir"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Could not find an \"MLmodel\""), "{e}");
}

#[test]
fn reads_the_saved_input_examples_of_a_real_model() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/iris-onnx");
    let m = MlModel::load(&dir).unwrap();
    let ex = m
        .input_example()
        .unwrap()
        .expect("the example model has an input example");
    assert_eq!(ex.info.kind, "ndarray");
    let mlflowrs_protocol::pyjson::Json::List(rows) = &ex.example else {
        panic!("{:?}", ex.example)
    };
    assert_eq!(rows.len(), 2);
    let serving = ex.serving_input.expect("serving_input_example.json");
    assert!(serving.contains("\"inputs\""), "{serving}");
    assert_eq!(m.mlflow_version.as_deref(), Some("3.17.2"));
    assert!(m.model_uuid.is_some());
}
