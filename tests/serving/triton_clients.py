"""NVIDIA's tritonclient, HTTP and gRPC, with its default settings, asking
one model for predictions: `set_data_from_numpy(x)` (binary tensor data
over HTTP, raw_input_contents over gRPC) and no outputs named (all outputs,
as binary). Prints, as JSON, each transport's outputs by name (`as_numpy`
then `tolist`, bytes decoded), and what each server metadata advertises.

    triton_clients.py HTTP_PORT GRPC_PORT MODEL INPUTS_JSON

INPUTS_JSON: a list of {"name", "datatype", "data"} (data nested as the
tensor's shape).
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import triton_to_np_dtype


def plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def arrays(inputs):
    for spec in inputs:
        dtype = triton_to_np_dtype(spec["datatype"])
        if spec["datatype"] == "BYTES":
            data = np.array(
                [s.encode() for s in np.array(spec["data"]).ravel()], dtype=np.object_
            ).reshape(np.array(spec["data"]).shape)
        else:
            data = np.array(spec["data"], dtype=dtype)
        yield spec["name"], spec["datatype"], data


def ask(module, url, model, inputs):
    client = module.InferenceServerClient(url)
    assert client.is_server_live() and client.is_model_ready(model)
    tensors = []
    for name, datatype, data in arrays(inputs):
        tensor = module.InferInput(name, list(data.shape), datatype)
        tensor.set_data_from_numpy(data)
        tensors.append(tensor)
    result = client.infer(model, tensors)
    response = result.get_response()
    names = (
        [o["name"] for o in response["outputs"]]
        if isinstance(response, dict)
        else [o.name for o in response.outputs]
    )
    metadata = client.get_server_metadata()
    extensions = (
        metadata["extensions"] if isinstance(metadata, dict) else list(metadata.extensions)
    )
    return {name: plain(result.as_numpy(name).tolist()) for name in names}, extensions


def main():
    http_port, grpc_port, model, inputs = sys.argv[1:5]
    inputs = json.loads(inputs)
    http, http_extensions = ask(httpclient, f"127.0.0.1:{http_port}", model, inputs)
    grpc, grpc_extensions = ask(grpcclient, f"127.0.0.1:{grpc_port}", model, inputs)
    print(
        json.dumps(
            {
                "http": http,
                "grpc": grpc,
                "http_extensions": http_extensions,
                "grpc_extensions": grpc_extensions,
            }
        )
    )


if __name__ == "__main__":
    main()
