#!/usr/bin/env python3
"""Differential test of `mlflowrs run` against the real `mlflow run` (3.17.2).

Every case (cases.py) runs once with the real `mlflow run` (side A) and once
with `--mlflowrs PATH` (side B, invoked as `PATH run ARGS...` with exactly the
same ARGS), each in a fresh realpath'd temporary directory outside any git
repository, with fresh copies of the fixture projects (fixtures/) and its own
fresh tracking store. The harness then compares, after normalisation:

  * the exit code;
  * stdout, byte for byte, once run ids are <RID> and temp paths <TMP>;
  * stderr, only the `=== ... ===` log records (timestamp removed, level and
    logger kept), the `Usage:`/`Try`/`Error:` lines and the last traceback line;
  * the store: experiments and runs (status, end_time null-ness, ids, user,
    legacy columns, name == mlflow.runName, artifact_uri), every tag, every
    param and the metrics the child logged.

Without --mlflowrs both sides run the real mlflow: a self-check of the
harness (it must pass, which proves the normalisation right).

    .venv/bin/python tests/projects/differential.py [--mlflowrs target/debug/mlflowrs]
        [--tracking sqlite|mlflow-server|mlflowrs-server] [-k SUBSTR] [--skip docker,uv]
        [--list] [-j N] [--show] [--keep]
"""

import argparse
import concurrent.futures
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV = REPO / ".venv"
VENV_BIN = VENV / "bin"
MLFLOW = VENV_BIN / "mlflow"
FIXTURES = HERE / "fixtures"

# The harness imports mlflow for store setup (experiments, runs): re-exec
# under the repository's venv if this interpreter lacks it.
try:
    import mlflow  # noqa: F401
except ImportError:
    venv_python = VENV_BIN / "python"
    if venv_python.exists() and Path(sys.executable).resolve() != venv_python.resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    raise

import logging  # noqa: E402

logging.getLogger("mlflow").setLevel(logging.WARNING)
sys.path.insert(0, str(HERE))
import cases as cases_mod  # noqa: E402

GIT_URL = "https://git.example.com/gitproj.git"
GIT_URL_WITH_CREDENTIALS = "https://user:secret@git.example.com/gitproj.git"
DOCKER_IMAGE = "mlflowrs-projects-test:1"
DOCKER_BASE_IMAGE = "mlflowrs-projects-pybase:1"
RUN_NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d+$")
LOG_RE = re.compile(
    r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$"
)
MKDTEMP_RE = re.compile(r"(?<=/)tmp[a-z0-9_]{8}(?![A-Za-z0-9_])")
SERVER_RE = re.compile(r"http://127\.0\.0\.1:\d+")
# Deterministic git history: same shas on both sides and on every machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}
PASS_ENV = (
    "HOME",
    "LANG",
    "LC_ALL",
    "PYENV_ROOT",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "PYTHONDONTWRITEBYTECODE",
    "RUST_BACKTRACE",
    "RUST_LOG",
)

_print_lock = threading.Lock()
_docker_lock = threading.Lock()


def log(msg):
    with _print_lock:
        print(msg, flush=True)


def python_version():
    out = subprocess.run(
        [str(VENV_BIN / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env():
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["PATH"] = f"{VENV_BIN}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
    env["USER"] = "tester"
    env["LOGNAME"] = "tester"
    env["SHELL"] = "/bin/bash"
    env["PYTHONHASHSEED"] = "0"
    # No network here: keep MLflow's telemetry thread quiet (both sides alike).
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "true"
    return env


# --------------------------------------------------------------------------
# Servers (--tracking mlflow-server / mlflowrs-server)
# --------------------------------------------------------------------------


class Server:
    """One tracking server over its own fresh sqlite DB."""

    def __init__(self, kind, mlflowrs, label):
        self.dir = Path(tempfile.mkdtemp(prefix=f"mlflowrs-diff-server-{label}-")).resolve()
        self.db = self.dir / "server.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        uri = f"sqlite:///{self.db}"
        if kind == "mlflow-server":
            cmd = [str(MLFLOW), "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", "1"]
        else:
            cmd = [mlflowrs, "server", "--backend-store-uri", uri, "-p", str(self.port)]
        env = base_env()
        env["USER"] = env["LOGNAME"] = "server"
        self.log_path = self.dir / "server.log"
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server {self.url} not ready after {timeout}s:\n"
                           + self.log_path.read_text(errors="replace")[-3000:])

    def stop(self, keep=False):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Store access
# --------------------------------------------------------------------------


def make_template_db():
    """A fresh MLflow DB made once by the real mlflow (as `mlflow run` would
    make it), copied into every case: creating the schema costs ~6 s."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    tdir = Path(tempfile.mkdtemp(prefix="mlflowrs-diff-template-")).resolve()
    store = SqlAlchemyStore(f"sqlite:///{tdir}/mlflow.db", str(tdir / "mlruns"))
    store.engine.dispose()
    return tdir


def install_template_db(template_dir, root):
    shutil.copy(template_dir / "mlflow.db", root / "mlflow.db")
    con = sqlite3.connect(root / "mlflow.db")
    with con:
        con.execute(
            "UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)",
            (str(template_dir), str(root)),
        )
    con.close()


@contextlib.contextmanager
def setup_store(tracking_uri, root):
    """The store used by case setup steps (as the tool under test would see it)."""
    if tracking_uri.startswith("http"):
        from mlflow.store.tracking.rest_store import RestStore
        from mlflow.utils.rest_utils import MlflowHostCreds

        yield RestStore(lambda: MlflowHostCreds(tracking_uri))
    else:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        store = SqlAlchemyStore(tracking_uri, str(root / "mlruns"))
        try:
            yield store
        finally:
            store.engine.dispose()


def read_db(db_path):
    """Everything the comparison looks at, raw, from one sqlite DB."""
    if not Path(db_path).exists():
        return None
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    con.row_factory = sqlite3.Row
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}

        def rows(sql):
            return [dict(r) for r in con.execute(sql)] if sql.split(" FROM ")[1].split()[0] in tables else []

        return {
            "tables": sorted(tables),
            "alembic": [r["version_num"] for r in rows("SELECT version_num FROM alembic_version")],
            "experiments": rows("SELECT * FROM experiments"),
            "experiment_tags": rows("SELECT * FROM experiment_tags"),
            "runs": rows("SELECT * FROM runs"),
            "tags": rows("SELECT * FROM tags"),
            "params": rows("SELECT * FROM params"),
            "metrics": rows("SELECT * FROM metrics"),
        }
    finally:
        con.close()


def db_ids(db_path):
    raw = read_db(db_path)
    if raw is None:
        return set(), set()
    return ({r["run_uuid"] for r in raw["runs"]},
            {str(e["experiment_id"]) for e in raw["experiments"]})


# --------------------------------------------------------------------------
# Case setup
# --------------------------------------------------------------------------


def git(cwd, *args, env=None, date=None):
    e = dict(env or {})
    e.update(GIT_ENV)
    if date:
        e["GIT_AUTHOR_DATE"] = e["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", *args], cwd=cwd, env=e, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip()


def make_git_project(root, env, ctx, remote=None, bare=True):
    """fx/gitproj becomes a repository: v1 (tagged) -> main's v2; branch dev
    from v1. Optionally served through a bare clone, root/gitproj.git."""
    repo = root / "fx" / "gitproj"
    mlproject = repo / "sub" / "MLproject"
    template = mlproject.read_text()

    def commit(version, msg, date):
        mlproject.write_text(template.replace("@VERSION@", version))
        git(repo, "add", "-A", env=env)
        git(repo, "commit", "-q", "-m", msg, env=env, date=date)
        return git(repo, "rev-parse", "HEAD", env=env)

    git(repo, "init", "-q", "-b", "main", env=env)
    ctx["sha:v1"] = commit("version-one", "v1", "2024-01-01T00:00:00+0000")
    git(repo, "tag", "v1", env=env)
    git(repo, "checkout", "-q", "-b", "dev", env=env)
    ctx["sha:dev"] = commit("version-dev", "dev", "2024-01-02T00:00:00+0000")
    git(repo, "checkout", "-q", "main", env=env)
    ctx["sha:main"] = commit("version-two", "v2", "2024-01-03T00:00:00+0000")
    if bare:
        # Served as https://git.example.com/gitproj.git (with or without
        # credentials) through url.insteadOf in the global gitconfig: a
        # file:// URL or a path would be a local directory to `mlflow run`,
        # which only clones what does not exist locally.
        bare_dir = root / "gitproj.git"
        git(root, "clone", "-q", "--bare", str(repo), str(bare_dir), env=env)
        git(bare_dir, "config", "uploadpack.allowAnySHA1InWant", "true", env=env)
        with open(root / "gitconfig", "a") as f:
            for url in (GIT_URL, GIT_URL_WITH_CREDENTIALS):
                f.write(f'[url "file://{bare_dir}"]\n\tinsteadOf = {url}\n')
    if remote:
        git(repo, "remote", "add", "origin", remote, env=env)


def make_zip(root, src, dest, prefix=""):
    src_dir = root / "fx" / src
    with zipfile.ZipFile(root / dest, "w") as z:
        for p in sorted(src_dir.rglob("*")):
            if p.is_file():
                z.write(p, prefix + str(p.relative_to(src_dir)))


def apply_setup(case, root, env, tracking_uri, ctx):
    for step in case.setup:
        kind, *args = step
        if kind == "experiment":
            (name,) = args
            with setup_store(tracking_uri, root) as store:
                ctx[f"exp:{name}"] = store.create_experiment(name)
        elif kind == "deleted_experiment":
            (name,) = args
            with setup_store(tracking_uri, root) as store:
                eid = store.create_experiment(name)
                store.delete_experiment(eid)
                ctx[f"exp:{name}"] = eid
        elif kind == "run":
            (name,) = args
            from mlflow.entities import RunTag

            with setup_store(tracking_uri, root) as store:
                run = store.create_run(
                    experiment_id="0", user_id="tester", start_time=int(time.time() * 1000),
                    tags=[RunTag("mlflow.user", "tester")], run_name=None,
                )
                ctx[f"run:{name}"] = run.info.run_id
        elif kind == "git":
            make_git_project(root, env, ctx, **(args[0] if args else {}))
        elif kind == "zip":
            make_zip(root, *args)
        elif kind == "write":
            path, text = args
            p = root / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        else:
            raise ValueError(f"unknown setup step {kind}")


PLACEHOLDER_RE = re.compile(r"\{(R|(?:exp|run|sha):[\w-]+)\}")


def subst(text, ctx):
    return PLACEHOLDER_RE.sub(lambda m: str(ctx[m.group(1)]), text)


# --------------------------------------------------------------------------
# Running one side of a case
# --------------------------------------------------------------------------


def copy_fixtures(root, pyver):
    shutil.copytree(FIXTURES, root / "fx", symlinks=False)
    for p in (root / "fx").rglob("*"):
        if p.is_file() and p.suffix in (".yaml", ".yml"):
            text = p.read_text()
            if "@PYTHON_VERSION@" in text:
                p.write_text(text.replace("@PYTHON_VERSION@", pyver))


def run_side(case, label, tool, opts, server, template_dir):
    """Runs one tool on one case; returns the raw result."""
    root = Path(tempfile.mkdtemp(prefix=f"mlflowrs-diff-{case.name[:40]}-{label}-")).resolve()
    for d in ("tmp", "envs"):
        (root / d).mkdir()
    (root / "gitconfig").write_text(
        "[user]\n\tname = Tester\n\temail = tester@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    copy_fixtures(root, opts.pyver)
    env = base_env()
    env["TMPDIR"] = str(root / "tmp")
    env["MLFLOW_ENV_ROOT"] = str(root / "envs")
    env["GIT_CONFIG_GLOBAL"] = str(root / "gitconfig")
    env["GIT_CONFIG_NOSYSTEM"] = "1"

    # Where the store is, and how the tool is told.
    if case.tracking == "unset" or (case.tracking == "relative") or server is None:
        db_path = root / "mlflow.db"
        uri = f"sqlite:///{db_path}"
        if not case.fresh_db:
            install_template_db(template_dir, root)
        if case.tracking == "default":
            env["MLFLOW_TRACKING_URI"] = uri
        elif case.tracking == "relative":
            env["MLFLOW_TRACKING_URI"] = "sqlite:///mlflow.db"
    else:
        db_path = server.db
        uri = server.url
        env["MLFLOW_TRACKING_URI"] = uri

    server_mode = server is not None and case.tracking == "default"
    # Server stores are shared by the cases a worker runs: only what appears
    # from here on (setup included) belongs to this case.
    before_runs, before_exps = db_ids(db_path) if server_mode else (set(), set())
    ctx = {"R": str(root)}
    apply_setup(case, root, dict(env), uri, ctx)
    for k, v in case.env.items():
        env[k] = subst(v, ctx)
    for k in case.env_unset:
        env.pop(k, None)
    args = [subst(a, ctx) for a in case.args]

    cmd = [*tool, "run", *args]
    lock = docker_lock() if "docker" in case.tags else contextlib.nullcontext()
    with lock:
        t0 = time.time()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=opts.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            timed_out = True
        elapsed = time.time() - t0
    raw_db = read_db(db_path)
    if raw_db is not None and server_mode:
        raw_db["runs"] = [r for r in raw_db["runs"] if r["run_uuid"] not in before_runs]
        keep = {r["run_uuid"] for r in raw_db["runs"]}
        for t in ("tags", "params", "metrics"):
            raw_db[t] = [r for r in raw_db[t] if r["run_uuid"] in keep]
        raw_db["experiments"] = [e for e in raw_db["experiments"]
                                 if str(e["experiment_id"]) not in before_exps]
        new_exps = {str(e["experiment_id"]) for e in raw_db["experiments"]}
        raw_db["experiment_tags"] = [t for t in raw_db["experiment_tags"]
                                     if str(t["experiment_id"]) in new_exps]
    return {
        "label": label,
        "root": root,
        "ctx": ctx,
        "cmd": cmd,
        "exit": "TIMEOUT" if timed_out else proc.returncode,
        "stdout": out.decode("utf-8", "replace"),
        "stderr": err.decode("utf-8", "replace"),
        "db": raw_db,
        "server_url": server.url if server is not None else None,
        "server_mode": server_mode,
        "elapsed": elapsed,
    }


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------


def extract_stderr(text):
    """The `=== ... ===` records (level and logger kept, timestamp dropped),
    click's Usage/Try/Error lines, and the last traceback's exception line(s)."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = LOG_RE.match(line)
        if m and m.group(4).startswith("==="):
            rec = [f"{m.group(2)} {m.group(3)}: {m.group(4)}"]
            j = i
            while not rec[-1].rstrip().endswith("===") and j + 1 < len(lines) and len(rec) < 100:
                if LOG_RE.match(lines[j + 1]):
                    break
                j += 1
                rec.append(lines[j])
            out.extend(rec)
            i = j + 1
            continue
        if line.startswith(("Usage:", "Error:", "Try '")):
            # Each tool names itself in click's usage lines (docs/compatibility.md).
            out.append(re.sub(r"\bmlflowrs run\b", "mlflow run", line))
        i += 1
    tb_starts = [k for k, l in enumerate(lines) if l == "Traceback (most recent call last):"]
    if tb_starts:
        k = tb_starts[-1] + 1
        while k < len(lines) and (lines[k].startswith(" ") or lines[k] == ""):
            k += 1
        exc = []
        while k < len(lines) and lines[k] != "" and not LOG_RE.match(lines[k]) and len(exc) < 20:
            exc.append(lines[k])
            k += 1
        out.extend("traceback: " + l for l in exc)
    # MLflow prints a Python set here, in hash order; mlflowrs sorts it
    # (docs/compatibility.md): compare the members.
    def sorted_set(m):
        return "{" + ", ".join(sorted(m.group(1).split(", "))) + "}"
    return [re.sub(r"(?<=multiple environment fields: )\{([^}]*)\}", sorted_set, l) for l in out]


class Normaliser:
    def __init__(self, raw, case):
        self.raw = raw
        self.case = case
        db = raw["db"] or {}
        runs = sorted(db.get("runs", []), key=lambda r: (r["start_time"] or 0, r["run_uuid"]))
        self.runs = runs
        self.rid_map = {}
        for i, r in enumerate(runs):
            self.rid_map[r["run_uuid"]] = "<RID>" if len(runs) == 1 else f"<RID{i + 1}>"
        self.exp_map = {}
        if raw["server_mode"]:
            exps = sorted((str(e["experiment_id"]) for e in db.get("experiments", [])), key=int)
            for i, e in enumerate(exps):
                if e != "0":
                    self.exp_map[e] = f"<E{i + 1}>"
        # Random run names also show in stdout ("View run NAME at: ..." with an
        # http tracking URI).
        self.random_names = set()
        for r in runs:
            for v in [r["name"]] + [t["value"] for t in db.get("tags", [])
                                    if t["run_uuid"] == r["run_uuid"] and t["key"] == "mlflow.runName"]:
                if v and v not in case.literal_run_names and RUN_NAME_RE.match(v):
                    self.random_names.add(v)
        # A setup run that the case reuses (--run-id) is not new in server mode.
        for k, v in raw["ctx"].items():
            if k.startswith("run:") and v not in self.rid_map:
                self.rid_map[v] = f"<RID:{k[4:]}>"

    def text(self, s):
        if s is None:
            return None
        s = str(s)
        s = s.replace(str(self.raw["root"]), "<TMP>")
        if self.raw["server_url"]:
            s = s.replace(self.raw["server_url"], "<SERVER>")
        for rid, label in self.rid_map.items():
            s = s.replace(rid, label)
        s = MKDTEMP_RE.sub("<MKDTEMP>", s)
        for name in self.random_names:
            s = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "<RANDOM-NAME>", s)
        if self.case.normalize_image_id:
            s = re.sub(r"sha256:[0-9a-f]{64}", "sha256:<IMAGE-ID>", s)
        if self.exp_map:
            def exp_sub(m):
                return m.group(1) + self.exp_map.get(m.group(2), m.group(2)) + m.group(3)
            s = re.sub(r'("exp": "|^exp: |MLFLOW_EXPERIMENT_ID=|mlflow-artifacts:/|#/experiments/|The experiment |experiment_id=)(\d+)(\b)',
                       exp_sub, s, flags=re.M)
        return s

    def exp(self, e):
        e = str(e) if e is not None else None
        return self.exp_map.get(e, e)

    def run_name(self, value, run):
        if value is None:
            return None
        if value in self.case.literal_run_names:
            return value
        if RUN_NAME_RE.match(value):
            return "<RANDOM-NAME>"
        return value

    def artifact(self, s):
        s = self.text(s)
        if s and self.exp_map:
            s = re.sub(r"/(\d+)(/<RID[^>]*>/artifacts|$)",
                       lambda m: "/" + self.exp_map.get(m.group(1), m.group(1)) + m.group(2), s)
        return s


def abbreviate(line, limit=2000):
    """Very long lines (a 6000-character param) are shown by length and hash."""
    if len(line) <= limit:
        return line
    digest = hashlib.sha1(line.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{line[:120]}... ({len(line)} chars, sha1 {digest})"


def describe(raw, case):
    """The normalised record of one side, as lines, plus the harness checks."""
    n = Normaliser(raw, case)
    lines = [f"exit code: {raw['exit']}"]
    stdout = n.text(raw["stdout"])
    lines.append("stdout:" + ("" if stdout else " (empty)"))
    for l in (stdout.split("\n")[:-1] if stdout.endswith("\n") else stdout.split("\n")) if stdout else []:
        lines.append("  | " + abbreviate(l))
    if stdout and not stdout.endswith("\n"):
        lines.append("  (no newline at end of stdout)")
    lines.append("stderr (filtered):")
    for l in extract_stderr(raw["stderr"]):
        lines.append("  | " + abbreviate(n.text(l)))
    db = raw["db"]
    if db is None:
        lines.append("store: no database file")
        return lines, n
    if not raw["server_mode"]:
        lines.append(f"store.alembic_version: {db['alembic']}")
        if case.fresh_db:
            lines.append(f"store.tables: {db['tables']}")
    lines.append(f"store.experiments: {len(db['experiments'])}")
    for e in sorted(db["experiments"], key=lambda e: int(e["experiment_id"])):
        lines.append(
            f"  experiment {n.exp(e['experiment_id'])}: name={e['name']!r} "
            f"artifact_location={n.artifact(e['artifact_location'])!r} "
            f"lifecycle_stage={e['lifecycle_stage']} workspace={e.get('workspace')!r}"
        )
        for t in sorted((t for t in db["experiment_tags"] if t["experiment_id"] == e["experiment_id"]),
                        key=lambda t: t["key"]):
            lines.append(f"    tag {t['key']} = {n.text(t['value'])!r}")
    lines.append(f"store.runs: {len(n.runs)}")
    for r in n.runs:
        rid = r["run_uuid"]
        tags = {t["key"]: t["value"] for t in db["tags"] if t["run_uuid"] == rid}
        run_name_tag = tags.get("mlflow.runName")
        lines.append(f"  run {n.rid_map[rid]}:")
        lines.append(f"    status={r['status']} end_time={'null' if r['end_time'] is None else 'set'} "
                     f"start_time={'null' if r['start_time'] is None else 'set'} "
                     f"deleted_time={'null' if r.get('deleted_time') is None else 'set'}")
        lines.append(f"    experiment_id={n.exp(r['experiment_id'])} user_id={r['user_id']!r} "
                     f"lifecycle_stage={r['lifecycle_stage']}")
        lines.append(f"    legacy: source_type={r['source_type']!r} source_name={r['source_name']!r} "
                     f"entry_point_name={r['entry_point_name']!r} "
                     f"source_version={r['source_version']!r}")
        lines.append(f"    name={n.run_name(r['name'], r)!r} "
                     f"(name == mlflow.runName tag: {r['name'] == run_name_tag})")
        lines.append(f"    artifact_uri={n.artifact(r['artifact_uri'])!r}")
        lines.append("    tags:")
        for k in sorted(tags):
            v = n.run_name(tags[k], r) if k == "mlflow.runName" else n.text(tags[k])
            lines.append(f"      {k} = {v!r}")
        lines.append("    params:")
        for p in sorted((p for p in db["params"] if p["run_uuid"] == rid), key=lambda p: p["key"]):
            lines.append(abbreviate(f"      {p['key']} = {n.text(p['value'])!r}"))
        ms = sorted(((m["key"], m["step"], m["value"], m["is_nan"])
                     for m in db["metrics"] if m["run_uuid"] == rid), key=repr)
        if ms:
            lines.append("    metrics:")
            for k, step, v, is_nan in ms:
                lines.append(f"      {k} step={step} value={v!r} is_nan={bool(is_nan)}")
    # Harness checks: what the child saw is what the store holds.
    run_exp = {r["run_uuid"]: str(r["experiment_id"]) for r in n.runs}
    run_exp.update({v: None for k, v in raw["ctx"].items() if k.startswith("run:") and v not in run_exp})
    for l in raw["stdout"].splitlines():
        try:
            obj = json.loads(l)
        except ValueError:
            continue
        if isinstance(obj, dict) and "rid" in obj:
            ok = obj["rid"] in run_exp
            lines.append(f"check: child's MLFLOW_RUN_ID is a run of the store: {ok}")
            if ok and run_exp[obj["rid"]] is not None and "exp" in obj:
                lines.append("check: child's MLFLOW_EXPERIMENT_ID is that run's experiment: "
                             f"{obj['exp'] == run_exp[obj['rid']]}")
    return lines, n


def expectation_problems(case, raw):
    """Checks the case does what it says on the real mlflow (side A)."""
    problems = []
    exp = case.expect
    if "exit" in exp and raw["exit"] != exp["exit"]:
        problems.append(f"expected exit {exp['exit']}, got {raw['exit']}")
    runs = (raw["db"] or {}).get("runs", [])
    if "runs" in exp and len(runs) != exp["runs"]:
        problems.append(f"expected {exp['runs']} new run(s), got {len(runs)}")
    if "status" in exp:
        got = sorted(r["status"] for r in runs)
        if got != sorted(exp["status"] if isinstance(exp["status"], list) else [exp["status"]]):
            problems.append(f"expected status {exp['status']}, got {got}")
    for s in exp.get("stderr", []):
        if s not in raw["stderr"]:
            problems.append(f"expected {s!r} in stderr")
    for s in exp.get("stdout", []):
        if s not in raw["stdout"]:
            problems.append(f"expected {s!r} in stdout")
    return problems


# --------------------------------------------------------------------------
# Docker image (no image can be pulled here)
# --------------------------------------------------------------------------


@contextlib.contextmanager
def docker_lock():
    """One Docker case side at a time, across threads and harness processes
    (--build-image tags the same image name on both sides)."""
    with _docker_lock, open(Path(tempfile.gettempdir()) / "mlflowrs-projects-docker.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def docker_available():
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_docker_image(rebuild=False):
    """FROM scratch: this machine's Python (docker/python-base.sh), plus bash
    and its libraries, plus /echo.py and /run.sh for runs without
    --build-image (which use the image as is, without the project)."""
    with docker_lock():
        have = subprocess.run(["docker", "image", "inspect", DOCKER_IMAGE], capture_output=True)
        if have.returncode == 0 and not rebuild:
            return
        build_docker_image()


def build_docker_image():
    log(f"building {DOCKER_IMAGE} ...")
    subprocess.run(["bash", str(REPO / "docker" / "python-base.sh"), DOCKER_BASE_IMAGE,
                    str(VENV_BIN / "python")], check=True, cwd=REPO, capture_output=True)
    ctx = Path(tempfile.mkdtemp(prefix="mlflowrs-diff-image-"))
    try:
        rootfs = ctx / "rootfs"
        bash = Path(shutil.which("bash")).resolve()
        files = {bash}
        ldd = subprocess.run(["ldd", str(bash)], capture_output=True, text=True).stdout
        for l in ldd.splitlines():
            parts = l.split()
            for p in parts:
                if p.startswith("/"):
                    files.add(Path(p))
        for f in files:
            dst = rootfs / str(f).lstrip("/")
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f.resolve(), dst)
        for d in ("bin", "usr/bin"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
            shutil.copy2(bash, rootfs / d / "bash")
        shutil.copy2(FIXTURES / "docker" / "echo.py", rootfs / "echo.py")
        shutil.copy2(FIXTURES / "docker" / "run.sh", rootfs / "run.sh")
        (ctx / "Dockerfile").write_text(f"FROM {DOCKER_BASE_IMAGE}\nCOPY rootfs/ /\nWORKDIR /\n")
        subprocess.run(["docker", "build", "-q", "-t", DOCKER_IMAGE, str(ctx)], check=True,
                       capture_output=True)
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


class Cache:
    """Side A's normalised records (the real mlflow is deterministic once
    normalised, and costs ~5 s of imports per invocation), keyed by everything
    they depend on: the case, the fixtures, this harness, the versions of
    mlflow, Python and git (plus uv, or the Docker image, for those cases)."""

    def __init__(self, directory, mode):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        for p in sorted(FIXTURES.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(FIXTURES)).encode() + b"\0" + p.read_bytes() + b"\0")
        h.update(Path(__file__).read_bytes())
        import importlib.metadata

        for cmd in (["git", "--version"],):
            h.update(subprocess.run(cmd, capture_output=True).stdout)
        h.update(importlib.metadata.version("mlflow").encode())
        h.update(python_version().encode() + mode.encode())
        self.base = h.hexdigest()
        self.extra = {}

    def _extra(self, tag):
        if tag not in self.extra:
            cmd = {"uv": [str(VENV_BIN / "uv"), "--version"],
                   "docker": ["docker", "image", "inspect", "-f", "{{.Id}}", DOCKER_IMAGE],
                   "pyenv": ["pyenv", "--version"]}.get(tag)
            self.extra[tag] = (subprocess.run(cmd, capture_output=True).stdout.decode()
                               if cmd else "")
        return self.extra[tag]

    def path(self, case):
        fields = {k: v for k, v in vars(case).items() if k != "doc"}
        fields["tags"] = sorted(fields["tags"])
        key = json.dumps([self.base, fields, [self._extra(t) for t in sorted(case.tags)]],
                         sort_keys=True, default=str)
        return self.dir / f"{case.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def get(self, case):
        p = self.path(case)
        if p.exists():
            with contextlib.suppress(ValueError):
                return json.loads(p.read_text())
        return None

    def put(self, case, record):
        p = self.path(case)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(p)


def run_case(case, opts, tools, servers, template_dir, cache):
    cached = cache.get(case) if cache is not None else None
    pair = servers.get() if servers is not None else (None, None)
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            fa = None if cached else ex.submit(run_side, case, "a", tools[0], opts, pair[0],
                                               template_dir)
            fb = ex.submit(run_side, case, "b", tools[1], opts, pair[1], template_dir)
            a, b = (fa.result() if fa else None), fb.result()
    finally:
        if servers is not None:
            servers.put(pair)
    if cached:
        la, problems = cached["la"], cached["problems"]
        a = {"cmd": cached["cmd"], "elapsed": cached["elapsed"], "stderr": cached["stderr"],
             "cached": True}
    else:
        la, _ = describe(a, case)
        problems = expectation_problems(case, a)
        if cache is not None:
            cache.put(case, {"la": la, "problems": problems, "cmd": a["cmd"],
                             "elapsed": a["elapsed"], "stderr": a["stderr"]})
    lb, _ = describe(b, case)
    result = {"case": case, "a": a, "b": b, "la": la, "lb": lb, "same": la == lb,
              "problems": problems}
    if not opts.keep:
        for side in (a, b):
            if "root" in side:
                shutil.rmtree(side["root"], ignore_errors=True)
    return result


def report(res, opts, names):
    case = res["case"]
    ok = res["same"] and not res["problems"]
    t = (f"{res['a']['elapsed']:.1f}s{' cached' if res['a'].get('cached') else ''}"
         f"/{res['b']['elapsed']:.1f}s")
    lines = [f"{'ok  ' if ok else 'FAIL'} {case.name} ({t})"]
    if res["problems"]:
        lines.append(f"  the case itself is off on {names[0]} (side A):")
        lines += [f"    - {p}" for p in res["problems"]]
    if not res["same"] or opts.show or res["problems"]:
        lines.append(f"  A: {' '.join(map(str, res['a']['cmd']))}")
        lines.append(f"  B: {' '.join(map(str, res['b']['cmd']))}")
    if not res["same"]:
        diff = difflib.unified_diff(res["la"], res["lb"], fromfile=names[0], tofile=names[1],
                                    lineterm="", n=3)
        lines += ["    " + l for l in diff]
        if opts.raw:
            for side, name in (("a", names[0]), ("b", names[1])):
                lines.append(f"  raw stderr of {name}:")
                lines += ["    " + l for l in res[side]["stderr"].splitlines()]
    elif opts.show:
        lines += ["    " + l for l in res["la"]]
        if opts.raw:
            lines.append("  raw stderr:")
            lines += ["    " + l for l in res["a"]["stderr"].splitlines()]
    log("\n".join(lines))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mlflowrs", help="the binary under test (run as `PATH run ...`); "
                    "omitted: both sides run the real mlflow (self-check)")
    ap.add_argument("--tracking", choices=["sqlite", "mlflow-server", "mlflowrs-server"],
                    default="sqlite")
    ap.add_argument("-k", action="append", default=[],
                    help="only cases whose name contains this (repeatable, or comma-separated)")
    ap.add_argument("--skip", default="", help="comma-separated tags to skip (docker,uv,pyenv,git)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="cases at once (each runs both sides)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per tool invocation")
    ap.add_argument("--show", action="store_true", help="print every case's record, even equal")
    ap.add_argument("--raw", action="store_true", help="with a diff or --show: the raw stderr too")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--rebuild-image", action="store_true", help=f"rebuild {DOCKER_IMAGE}")
    ap.add_argument("--cache-dir", default=str(REPO / "target" / "projects-differential-cache"),
                    help="where side A's (real mlflow's) normalised records are cached when "
                    "--mlflowrs is given (default: %(default)s)")
    ap.add_argument("--no-cache", action="store_true",
                    help="always run the real mlflow (the cache is never used in self-check "
                    "mode, nor with --tracking mlflowrs-server)")
    opts = ap.parse_args()

    all_cases = cases_mod.CASES
    names = [c.name for c in all_cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names: {dup}"
    selected = [c for c in all_cases if opts.tracking in c.modes]
    ks = [k for arg in opts.k for k in arg.split(",") if k]
    if ks:
        selected = [c for c in selected if any(k in c.name for k in ks)]
    skip = {s for s in opts.skip.split(",") if s}
    auto_skip = {}
    if any("docker" in c.tags for c in selected) and "docker" not in skip and not docker_available():
        auto_skip["docker"] = "docker info failed"
    if not (VENV_BIN / "uv").exists() and not shutil.which("uv"):
        auto_skip["uv"] = "uv not installed (pip install -r tests/projects/requirements.txt)"
    opts.pyver = python_version()
    if not shutil.which("pyenv") or subprocess.run(
            ["pyenv", "prefix", opts.pyver], capture_output=True).returncode != 0:
        auto_skip["pyenv"] = f"pyenv with Python {opts.pyver} not available"
    if shutil.which("conda"):
        auto_skip["noconda"] = "conda is installed (these cases need it absent)"

    if opts.list:
        for c in selected:
            print(f"{c.name:45s} [{','.join(sorted(c.tags))}] {c.doc}")
        print(f"{len(selected)} cases")
        return 0

    runnable, skipped = [], []
    for c in selected:
        why = [t for t in c.tags if t in skip] + [f"{t}: {auto_skip[t]}" for t in c.tags if t in auto_skip]
        (skipped if why else runnable).append((c, why))
    if opts.mlflowrs:
        tool_b = [str(Path(opts.mlflowrs).resolve())]
        names_ = ("mlflow", "mlflowrs")
    else:
        tool_b = [str(MLFLOW)]
        names_ = ("mlflow", "mlflow (self-check)")
    tools = ([str(MLFLOW)], tool_b)
    if opts.tracking == "mlflowrs-server" and not opts.mlflowrs:
        sys.exit("--tracking mlflowrs-server needs --mlflowrs")

    t0 = time.time()
    if any("docker" in c.tags for c, _ in runnable):
        ensure_docker_image(opts.rebuild_image)
    cache = None
    if opts.mlflowrs and not opts.no_cache and opts.tracking != "mlflowrs-server":
        cache = Cache(opts.cache_dir, opts.tracking)
    template_dir = make_template_db()
    servers = None
    all_servers = []
    try:
        if opts.tracking != "sqlite":
            servers = queue.Queue()
            for i in range(opts.jobs):
                pair = (Server(opts.tracking, opts.mlflowrs, f"{i}a"),
                        Server(opts.tracking, opts.mlflowrs, f"{i}b"))
                all_servers += pair
                servers.put(pair)
            for s in all_servers:
                s.wait_ready()
            log(f"{len(all_servers)} {opts.tracking} servers ready ({time.time() - t0:.1f}s)")
        for c, why in skipped:
            log(f"skip {c.name} ({'; '.join(why)})")
        failed = []
        with concurrent.futures.ThreadPoolExecutor(opts.jobs) as ex:
            futs = {ex.submit(run_case, c, opts, tools, servers, template_dir, cache): c
                    for c, _ in runnable}
            for f in concurrent.futures.as_completed(futs):
                c = futs[f]
                try:
                    res = f.result()
                except Exception:
                    log(f"FAIL {c.name}: harness error\n{traceback.format_exc()}")
                    failed.append(c.name)
                    continue
                if not report(res, opts, names_):
                    failed.append(c.name)
    finally:
        for s in all_servers:
            s.stop(keep=opts.keep)
        shutil.rmtree(template_dir, ignore_errors=True)
    log(f"\n{len(runnable) - len(failed)}/{len(runnable)} cases pass, {len(skipped)} skipped, "
        f"{time.time() - t0:.0f}s ({opts.tracking}, {names_[0]} vs {names_[1]})")
    if failed:
        log("differ: " + " ".join(sorted(failed)))
        known = getattr(cases_mod, "KNOWN_DIFFERENCES", {}) if opts.mlflowrs else {}
        for name in sorted(set(failed) & set(known)):
            log(f"  known difference, documented: {name}: {known[name]}")
        if set(failed) - set(known):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
