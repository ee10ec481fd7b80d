"""Writes the request schemas MLflow's REST handlers validate against, as
the real `mlflow` package (tests/conformance/requirements.txt) defines them,
so mlflowrs server refuses what `mlflow server` refuses, with its messages.

    .venv/bin/python tests/tracking/dump_request_schemas.py

For every `/api/2.0/mlflow/...` endpoint: the request message's fields as
protobuf's JSON parser sees them (name, JSON name, type, repeated, nested
message), and the handler's `schema=` validators in order, read from the
handler's source (`_assert_string`, `_assert_required`, the limits its
lambdas check). Output: crates/mlflowrs-tracking/src/schema/requests.json.
Run again when the pinned mlflow changes.
"""

import ast
import inspect
import json
import os
import textwrap

from google.protobuf import descriptor

import mlflow
from mlflow.server import handlers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "mlflowrs-tracking", "src", "schema", "requests.json")
PREFIX = "/api/2.0/mlflow/"

TYPES = {
    descriptor.FieldDescriptor.CPPTYPE_INT32: "int",
    descriptor.FieldDescriptor.CPPTYPE_INT64: "int",
    descriptor.FieldDescriptor.CPPTYPE_UINT32: "int",
    descriptor.FieldDescriptor.CPPTYPE_UINT64: "int",
    descriptor.FieldDescriptor.CPPTYPE_DOUBLE: "float",
    descriptor.FieldDescriptor.CPPTYPE_FLOAT: "float",
    descriptor.FieldDescriptor.CPPTYPE_BOOL: "bool",
    descriptor.FieldDescriptor.CPPTYPE_ENUM: "enum",
    descriptor.FieldDescriptor.CPPTYPE_MESSAGE: "message",
}
SIMPLE = {
    "_assert_required": "required",
    "_assert_string": "string",
    "_assert_intlike": "intlike",
    "_assert_bool": "bool",
    "_assert_floatlike": "floatlike",
    "_assert_array": "array",
    "_assert_dict": "dict",
    "_assert_map_key_present": "map_key_present",
    "_assert_item_type_string": "item_type_string",
}


def message_schema(desc, messages):
    if desc.full_name in messages:
        return desc.full_name
    messages[desc.full_name] = None
    fields = []
    for f in desc.fields:
        field = {"name": f.name, "json_name": f.json_name, "repeated": f.is_repeated}
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_STRING:
            field["type"] = "bytes" if f.type == descriptor.FieldDescriptor.TYPE_BYTES else "string"
        else:
            field["type"] = TYPES[f.cpp_type]
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_INT32:
            field["bits"] = 32
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_UINT32:
            field["bits"] = 32
            field["unsigned"] = True
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_UINT64:
            field["unsigned"] = True
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_ENUM:
            field["enum"] = {v.name: v.number for v in f.enum_type.values}
        if f.cpp_type == descriptor.FieldDescriptor.CPPTYPE_MESSAGE:
            if f.message_type.GetOptions().map_entry:
                field["type"] = "map"
                field["repeated"] = False
            elif f.message_type.full_name.startswith("google.protobuf."):
                field["type"] = "any"
            else:
                field["message"] = message_schema(f.message_type, messages)
        fields.append(field)
    messages[desc.full_name] = fields
    return desc.full_name


def constant(node):
    return eval(compile(ast.Expression(node), "<schema>", "eval"), vars(handlers))


def template(node):
    """A message: f-string parts that use the value become {len} / {value}."""
    if not isinstance(node, ast.JoinedStr):
        return constant(node)
    out = ""
    for part in node.values:
        if isinstance(part, ast.Constant):
            out += part.value.replace("{", "{{").replace("}", "}}")
        else:
            src = ast.unparse(part.value)
            if src == "len(x)":
                out += "{len}"
            elif src in ("x", "int(x)"):
                out += "{value}"
            else:
                out += str(constant(part.value)).replace("{", "{{").replace("}", "}}")
    return out


def local_checks(tree):
    """The handler's own `_assert_*_fields_present(items)` helpers: each item
    must have the keys it reads, reported as `items[i].key`."""
    checks = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("_assert_")):
            continue
        fields, path = [], None
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "_assert_required":
                fields.append(call.args[0].args[0].value)
                path = call.keywords[0].value.values[0].value.split("[")[0]
        checks[node.name] = {"check": "items_present", "fields": fields, "path": path}
    return checks


def validator(node, local):
    if isinstance(node, ast.Name):
        if node.id in local:
            return local[node.id]
        return {"check": SIMPLE[node.id]}
    if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Call):
        call = node.body
        name = call.func.id
        kwargs = {k.arg: template(k.value) for k in call.keywords}
        of = "len" if ast.unparse(call.args[0]) == "len(x)" else "int"
        if name == "_assert_less_than_or_equal":
            out = {"check": "less_than_or_equal", "of": of, "max": constant(call.args[1])}
        elif name == "_assert_intlike_within_range":
            out = {
                "check": "intlike_within_range",
                "of": of,
                "min": constant(call.args[1]),
                "max": constant(call.args[2]),
            }
        else:
            return {"check": "unknown", "name": name}
        if "message" in kwargs:
            out["message"] = kwargs["message"]
        elif len(call.args) > 3 and name == "_assert_intlike_within_range":
            out["message"] = template(call.args[3])
        elif len(call.args) > 2 and name == "_assert_less_than_or_equal":
            out["message"] = template(call.args[2])
        return out
    if isinstance(node, ast.Name) or isinstance(node, ast.Attribute):
        return {"check": "unknown"}
    return {"check": "unknown", "name": ast.unparse(node)}


def handler_schema(fn):
    """The message class and `schema=` of the handler's _get_request_message call."""
    fn = inspect.unwrap(fn)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None, None
    tree = ast.parse(source)
    local = local_checks(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_get_request_message"):
            continue
        message = node.args[0]
        cls = getattr(message.func, "id", None) or ast.unparse(message.func)
        schema = {}
        for kw in node.keywords:
            if kw.arg == "schema" and isinstance(kw.value, ast.Dict):
                for key, value in zip(kw.value.keys, kw.value.values):
                    schema[constant(key)] = [validator(v, local) for v in value.elts]
        return cls, schema
    return None, None


def main():
    messages = {}
    endpoints = []
    for path, fn, methods in handlers.get_endpoints():
        if not path.startswith(PREFIX):
            continue
        cls_name, schema = handler_schema(fn)
        if cls_name is None:
            continue
        cls = eval(cls_name, vars(handlers))
        for method in methods:
            endpoints.append({
                "path": path[len(PREFIX):],
                "method": method,
                "message": message_schema(cls.DESCRIPTOR, messages),
                "schema": [{"param": k, "checks": v} for k, v in schema.items()],
            })
    with open(OUT, "w") as f:
        json.dump(
            {"mlflow_version": mlflow.__version__, "endpoints": endpoints, "messages": messages},
            f,
            indent=1,
            sort_keys=True,
        )
        f.write("\n")
    print(f"{len(endpoints)} endpoints, {len(messages)} messages -> {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
