"""pytest plugin (scripts/mlflow-suite/run.sh): runs MLflow's own server tests against `mlflowrs server`.

Only the server start-up is redirected; no assertion changes.
  MLFLOWRS_BIN=path   redirect to mlflowrs (unset: the real mlflow server, unchanged)
  SUITE_PG=postgresql://user@host:port   fresh PostgreSQL database per test instead of SQLite
"""
import contextlib
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

BIN = os.environ.get("MLFLOWRS_BIN")
PG = os.environ.get("SUITE_PG")
_last = {}


def _wait(url, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflowrs server exited with {proc.returncode}")
        try:
            if requests.get(url + "/health", timeout=0.5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("mlflowrs server did not start")


def _start(port, backend, root, extra_env=None, app=None):
    cmd = [BIN, "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", _backend(backend).replace("postgresql+psycopg2://", "postgresql://")]
    if root:
        cmd += ["--default-artifact-root", root]
    if app and "auth" in app:
        cmd += ["--app-name", "basic-auth"]
    env = {**os.environ, **{k: str(v) for k, v in (extra_env or {}).items()}}
    return subprocess.Popen(cmd, env=env)


class RsServerThread:
    def __init__(self, app=None, port=None):
        self.port = port
        self.host = "127.0.0.1"
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None

    def __enter__(self):
        self.proc = _start(self.port, _last["backend"], _last.get("root"))
        _wait(self.url, self.proc)
        return self.url

    def __exit__(self, *a):
        self.proc.terminate()
        self.proc.wait()

    start = __enter__

    def shutdown(self):
        self.__exit__()


def _recording(orig):
    def initialize_backend_stores(backend_store_uri=None, registry_store_uri=None,
                                  default_artifact_root=None, *a, **k):
        _last["backend"] = backend_store_uri
        _last["root"] = default_artifact_root
        return orig(backend_store_uri, registry_store_uri, default_artifact_root, *a, **k)
    return initialize_backend_stores


@contextlib.contextmanager
def _rs_init_server(backend_uri, root_artifact_uri, extra_env=None, app=None, server_type=None):
    from tests.helper_functions import get_safe_port
    port = get_safe_port()
    proc = _start(port, backend_uri, root_artifact_uri, extra_env, app)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait()


def pytest_configure(config):
    if BIN:
        here = os.path.dirname(os.path.abspath(__file__))
        os.environ["PATH"] = os.path.join(here, "bin") + os.pathsep + os.environ["PATH"]


def _pg_db_uri(*args, **kwargs):
    yield _backend("sqlite:///unused").replace("postgresql://", "postgresql+psycopg2://")


def pytest_collection_finish(session):
    if PG:
        # The tests' own database is PostgreSQL too (not only the server's),
        # so what they read and write in process is what the server sees.
        for item in session.items:
            info = getattr(item, "_fixtureinfo", None)
            for fixturedef in (info.name2fixturedefs.get("db_uri", ()) if info else ()):
                fixturedef.func = _pg_db_uri
    if not BIN:
        return
    for name, mod in list(sys.modules.items()):
        if not name.startswith("tests.") or mod is None:
            continue
        if hasattr(mod, "ServerThread"):
            mod.ServerThread = RsServerThread
        if hasattr(mod, "_init_server"):
            mod._init_server = _rs_init_server
        if hasattr(mod, "initialize_backend_stores"):
            mod.initialize_backend_stores = _recording(mod.initialize_backend_stores)


_template = {}


def _pg_exec(sql):
    import psycopg2
    conn = psycopg2.connect(PG + "/postgres")
    conn.autocommit = True
    with conn.cursor() as c:
        c.execute(sql)
    conn.close()


def _backend(uri, default_artifact_root=None):
    """With SUITE_PG, the server's SQLite store becomes a fresh PostgreSQL database in MLflow's schema."""
    if not PG or not uri.startswith("sqlite"):
        return uri
    if "name" not in _template:
        name = "tmpl_" + uuid.uuid4().hex[:8]
        _pg_exec(f"CREATE DATABASE {name}")
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
        s = SqlAlchemyStore(f"{PG}/{name}".replace("postgresql://", "postgresql+psycopg2://"), "/tmp/pg-artifacts")
        s.engine.dispose()
        _template["name"] = name
    db = "t_" + uuid.uuid4().hex[:12]
    _pg_exec(f"CREATE DATABASE {db} TEMPLATE {_template['name']}")
    if default_artifact_root:
        # As the test's own SqlAlchemyStore(uri, root) would have made it.
        import psycopg2
        conn = psycopg2.connect(f"{PG}/{db}")
        conn.autocommit = True
        with conn.cursor() as c:
            c.execute(
                "UPDATE experiments SET artifact_location = %s WHERE experiment_id = 0",
                (default_artifact_root.rstrip("/") + "/0",),
            )
        conn.close()
    return f"{PG}/{db}"
