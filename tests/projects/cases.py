"""The cases of the differential suite (differential.py).

Each case is the argument list of `mlflow run` (the same for `mlflowrs run`),
run in a fresh directory R holding copies of the fixtures under `fx/`
(relative paths in args resolve against R, the tool's working directory).
Placeholders in args and env values: {R} (that directory), {exp:NAME} and
{run:NAME} (ids made by setup steps), {sha:v1|dev|main} (commits of the git
fixture, deterministic).

Experiment names are unique across cases: with --tracking *-server, the cases
a worker runs share its servers.

Setup steps (run by the harness with the real mlflow library, identically for
both sides): ("experiment", name), ("deleted_experiment", name), ("run", name)
(a run in experiment 0), ("git", {remote: url, bare: bool}), ("zip", src_dir,
dest, prefix), ("write", relpath, text).

`expect` is checked on the real mlflow (side A) only: it proves the case
exercises what its name says. `tags` mark cases needing Docker, uv, pyenv
(virtualenv), git, or an absent conda; `--skip TAG,...` skips them.
"""

from dataclasses import dataclass, field


@dataclass
class Case:
    name: str
    args: list
    doc: str = ""
    tags: frozenset = frozenset()
    setup: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    env_unset: tuple = ()
    # "default": the mode's store through MLFLOW_TRACKING_URI; "unset": no
    # MLFLOW_TRACKING_URI (the default ./mlflow.db); "relative": sqlite:///mlflow.db.
    tracking: str = "default"
    # Start without a database file (the tool creates the schema).
    fresh_db: bool = False
    modes: tuple = ("sqlite", "mlflow-server", "mlflowrs-server")
    expect: dict = field(default_factory=dict)
    # --build-image: the built image's id differs between builds.
    normalize_image_id: bool = False
    literal_run_names: tuple = ()

    def __post_init__(self):
        self.tags = frozenset(self.tags)
        names = [self.args[i + 1] for i, a in enumerate(self.args[:-1]) if a == "--run-name"]
        self.literal_run_names = tuple(names)


LOCAL = ["--env-manager", "local"]
# Served from a local bare repository through url.insteadOf (differential.py).
GIT = "https://git.example.com/gitproj.git"
GIT_CREDS = "https://user:secret@git.example.com/gitproj.git"
SQLITE_ONLY = ("sqlite",)
OK = {"exit": 0, "runs": 1, "status": "FINISHED"}


def ok(**kw):
    return {**OK, **kw}


def err(exit=1, runs=0, **kw):
    return {"exit": exit, "runs": runs, **kw}


CASES = [
    # ---------------------------------------------------------------- params
    Case("params-declared-defaults", ["fx/basic", "-P", "alpha=0.5", *LOCAL],
         "declared params: bare type (required) and {type, default}", expect=ok()),
    Case("params-quoting",
         ["fx/basic", "-P", "alpha=1", "-P", "name=it's a \"test\"", "-P", "x=a b",
          "-P", "k=a=b=c", "-P", "dir/key=v", "-P", "e=", "-P", "d=$HOME", "-P", "u=h\u00e9llo",
          "-P", "semi=a;b", "-P", "glob=*", *LOCAL],
         "shlex quoting of declared and extra values and keys, split at the first '='",
         expect=ok()),
    Case("params-extra-key-needs-quoting", ["fx/basic", "-P", "alpha=1", "-P", "weird key=v", *LOCAL],
         "an extra key is logged shlex-quoted, and \"'weird key'\" is no valid param name",
         expect=err(runs=1, status="RUNNING")),
    Case("params-extra-order", ["fx/basic", "-P", "z=1", "-P", "a=2", "-P", "alpha=3", "-P", "m=4",
                                *LOCAL],
         "extra params appended as --k v in the order given", expect=ok()),
    Case("params-newline", ["fx/basic", "-P", "alpha=a\nb", *LOCAL],
         "a value with a newline (multi-line === record)", expect=ok()),
    Case("params-float-not-validated", ["fx/basic", "-P", "alpha=abc", "-P", "beta=x", *LOCAL],
         "float/int types are never checked", expect=ok()),
    Case("params-missing-one", ["fx/basic", *LOCAL], "No value given for missing parameters: 'alpha'",
         expect=err(stderr=["No value given for missing parameters: 'alpha'"])),
    Case("params-missing-two", ["fx/basic", "-e", "two_required", *LOCAL],
         "missing params in declaration order", expect=err()),
    Case("params-braces", ["fx/basic", "-e", "braces", *LOCAL],
         "str.format: {{ }} escapes, repeated and dashed placeholders", expect=ok()),
    Case("params-format-spec", ["fx/basic", "-e", "format_spec", *LOCAL],
         "str.format: !r conversion, :>6 spec, [0] index on the quoted value", expect=ok()),
    Case("params-format-spec-breaks-quoting", ["fx/basic", "-e", "format_spec", "-P",
                                               "x=hello world", *LOCAL],
         "{x[0]} of a quoted value is a lone quote: bash fails, run FAILED",
         expect=err(runs=1, status="FAILED")),
    Case("params-undeclared-placeholder", ["fx/basic", "-e", "undeclared_placeholder", *LOCAL],
         "a {placeholder} with no declared param: KeyError after the run exists",
         expect=err(runs=1, status="RUNNING")),
    Case("params-long-value", ["fx/basic", "-P", "alpha=" + "x" * 6001, *LOCAL],
         "a param value over MLflow's 6000-character limit (logged truncated)", expect=ok()),

    # ----------------------------------------------------------- entry points
    Case("entry-declared-wins-over-script", ["fx/basic", "-e", "echo.py", *LOCAL],
         "a declared entry point named echo.py wins", expect=ok(stdout=["declared"])),
    Case("entry-declared-sh", ["fx/basic", "-e", "sh", "-P", "msg=a b", *LOCAL],
         "a declared bash command", expect=ok()),
    Case("entry-not-declared", ["fx/basic", "-e", "foo", *LOCAL],
         "Could not find foo among entry points [...]", expect=err()),
    Case("entry-not-declared-txt", ["fx/noproject", "-e", "notes.txt", *LOCAL],
         "an unsupported extension", expect=err()),
    Case("entry-no-command", ["fx/nocommand", *LOCAL],
         "an entry point without a command: None.format after the run exists",
         expect=err(runs=1, status="RUNNING")),
    Case("child-fails-exit-3", ["fx/basic", "-e", "fail", *LOCAL],
         "a failing child (exit 3): the tool exits 1, the run is FAILED",
         expect=err(runs=1, status="FAILED")),

    # --------------------------------------------------------- no MLproject
    Case("noproject-py", ["fx/noproject", "-e", "echo.py", "-P", "a=1", "-P", "b=x y", *LOCAL],
         "no MLproject: -e x.py runs `python x.py` with params as --k v", expect=ok()),
    Case("noproject-sh", ["fx/noproject", "-e", "run.sh", "-P", "a=1", *LOCAL],
         "no MLproject: -e x.sh runs `$SHELL x.sh`", expect=ok()),
    Case("noproject-main", ["fx/noproject", *LOCAL], "no MLproject: -e main is an error",
         expect=err()),
    Case("noproject-space-in-name", ["fx/noproject", "-e", "my echo.py", *LOCAL],
         "a script name that needs quoting", expect=ok()),
    Case("noproject-subdir-script", ["fx/noproject", "-e", "sub/echo.py", *LOCAL],
         "a script in a subdirectory", expect=ok()),
    Case("noproject-missing-script", ["fx/noproject", "-e", "missing.py", *LOCAL],
         "the script's existence is not checked: python fails, run FAILED",
         expect=err(runs=1, status="FAILED")),
    Case("noproject-r-script", ["fx/noproject", "-e", "x.R", *LOCAL],
         "-e x.R runs Rscript (absent here: exit 127, run FAILED)",
         expect=err(runs=1, status="FAILED")),
    Case("sh-shell-unset", ["fx/noproject", "-e", "run.sh", *LOCAL], "SHELL unset: `bash run.sh`",
         env_unset=("SHELL",), expect=ok()),
    Case("sh-shell-custom", ["fx/noproject", "-e", "run.sh", *LOCAL], "SHELL=/bin/sh",
         env={"SHELL": "/bin/sh"}, expect=ok()),
    Case("sh-shell-empty", ["fx/noproject", "-e", "run.sh", *LOCAL],
         "SHELL set but empty", env={"SHELL": ""}, expect={"runs": 1}),

    # --------------------------------------------------------- MLproject file
    Case("mlproject-lowercase", ["fx/lowercase", *LOCAL], "a file named `mlproject`",
         expect=ok(stdout=["from-lowercase-mlproject"])),
    Case("mlproject-empty", ["fx/emptyfile", *LOCAL], "an empty MLproject: AttributeError",
         expect=err()),
    Case("mlproject-name-only-main", ["fx/nameonly", *LOCAL], "no entry_points: main is unknown",
         expect=err()),
    Case("mlproject-name-only-script", ["fx/nameonly", "-e", "echo.py", *LOCAL],
         "no entry_points: a script runs", expect=ok()),
    Case("multiple-env-fields-two", ["fx/multienv", *LOCAL],
         "python_env + conda_env: a set repr (order from PYTHONHASHSEED=0)", expect=err()),
    Case("multiple-env-fields-three", ["fx/multienv3", *LOCAL],
         "python_env + conda_env + docker_env", expect=err()),
    Case("missing-python-env-file", ["fx/missing_python_env", *LOCAL],
         "python_env names a missing file", expect=err()),
    Case("missing-conda-env-file", ["fx/missing_conda_env", *LOCAL],
         "conda_env names a missing file", expect=err()),
    Case("docker-env-no-image", ["fx/docker_noimage", *LOCAL], "docker_env without image",
         expect=err()),
    Case("docker-env-bad-volumes", ["fx/docker_badvolumes", *LOCAL], "volumes not a list",
         expect=err()),
    Case("docker-env-bad-environment", ["fx/docker_badenv", *LOCAL], "environment not a list",
         expect=err()),
    Case("docker-env-bad-environment-item", ["fx/docker_badenv_item", *LOCAL],
         "an environment item that is a mapping", expect=err()),
    Case("docker-env-no-name", ["fx/docker_noname", *LOCAL],
         "docker_env without a project name: after the run exists",
         expect=err(runs=1, status="RUNNING")),
    Case("docker-env-empty-falls-through", ["fx/docker_empty", *LOCAL],
         "docker_env: {} is falsy: a plain python project", expect=ok()),

    # ------------------------------------------------------------ YAML quirks
    Case("yaml-defaults", ["fx/quirks", *LOCAL],
         "0.10, 1.0e-3, 1e-3, yes/on/true/No/OFF, 010, 1_000, 0x1F, [1,2], quoted, ''",
         expect=ok()),
    Case("yaml-defaults-more", ["fx/quirks", "-e", "more", *LOCAL],
         "1.0e3, 08, sexagesimal, inf/nan, 1e-05, 1e+20, big int, 0b101, dates, a map",
         expect=ok()),
    Case("yaml-null-defaults-missing", ["fx/quirks", "-e", "nulls", *LOCAL],
         "null/~/bare/typed-without-default are required, '' is not", expect=err()),
    Case("yaml-null-defaults-given",
         ["fx/quirks", "-e", "nulls", "-P", "n_null=1", "-P", "n_tilde=2", "-P", "n_bare=3",
          "-P", "n_no_default=4", *LOCAL], "the required ones given", expect=ok()),
    Case("yaml-free-types", ["fx/quirks", "-e", "free_types", *LOCAL],
         "unknown type names, a float type with a non-float default", expect=ok()),

    # ------------------------------------------------------------ path / uri
    Case("path-relative-to-cwd", ["fx/paths", "-P", "data=fx/paths/data.txt", *LOCAL],
         "a path param is made absolute against the tool's cwd; logged raw", expect=ok()),
    Case("path-relative-to-project-missing", ["fx/paths", "-P", "data=data.txt", *LOCAL],
         "a path relative to the project dir does not exist from the cwd",
         expect=err(runs=1, status="RUNNING")),
    Case("path-file-uri", ["fx/paths", "-P", "data=file://{R}/fx/paths/data.txt", *LOCAL],
         "a file:// path param", expect=ok()),
    Case("path-directory", ["fx/paths", "-P", "data={R}/fx", *LOCAL], "a directory path param",
         expect=ok()),
    Case("path-default-missing", ["fx/paths", "-e", "default_path", *LOCAL],
         "a relative path default, missing from the cwd",
         expect=err(runs=1, status="RUNNING")),
    Case("path-default-found", ["fx/paths", "-e", "default_path", *LOCAL],
         "a relative path default, present in the cwd", setup=[("write", "data.txt", "cwd data\n")],
         expect=ok()),
    Case("uri-bad", ["fx/paths", "-e", "uri_only", "-P", "model=notauri", *LOCAL],
         "Expected URI for parameter: after create_run, no params",
         expect=err(runs=1, status="RUNNING")),
    Case("uri-good", ["fx/paths", "-e", "uri_only", "-P", "model=file:///x/y", *LOCAL],
         "a uri param", expect=ok()),
    Case("uri-missing", ["fx/paths", "-e", "uri_only", *LOCAL], "a required uri param",
         expect=err()),

    # ------------------------------------------------------------ experiments
    Case("experiment-name-new", ["fx/basic", "-P", "alpha=1", "--experiment-name", "new-exp",
                                 *LOCAL], "creates the experiment", expect=ok()),
    Case("experiment-name-existing", ["fx/basic", "-P", "alpha=1", "--experiment-name", "by-name",
                                      *LOCAL], "an existing experiment by name",
         setup=[("experiment", "by-name")], expect=ok()),
    Case("experiment-id-existing", ["fx/basic", "-P", "alpha=1", "--experiment-id",
                                    "{exp:by-id}", *LOCAL], "an existing experiment by id",
         setup=[("experiment", "by-id")], expect=ok()),
    Case("experiment-id-bad", ["fx/basic", "-P", "alpha=1", "--experiment-id", "12345", *LOCAL],
         "an unknown experiment id: create_run fails", expect=err()),
    Case("experiment-id-not-a-number", ["fx/basic", "-P", "alpha=1", "--experiment-id", "abc",
                                        *LOCAL], "a non-numeric experiment id", expect=err()),
    Case("experiment-name-deleted", ["fx/basic", "-P", "alpha=1", "--experiment-name", "gone",
                                     *LOCAL], "a deleted experiment by name",
         setup=[("deleted_experiment", "gone")], expect=err()),
    Case("experiment-name-empty", ["fx/basic", "-P", "alpha=1", "--experiment-name", "", *LOCAL],
         "an empty name means the default experiment", expect=ok()),
    Case("experiment-both-flags", ["fx/basic", "-P", "alpha=1", "--experiment-name", "x",
                                   "--experiment-id", "0", *LOCAL], "UsageError",
         expect=err(exit=2)),
    Case("experiment-name-flag-id-env", ["fx/basic", "-P", "alpha=1", "--experiment-name", "x",
                                         *LOCAL], "--experiment-name with MLFLOW_EXPERIMENT_ID set",
         env={"MLFLOW_EXPERIMENT_ID": "0"}, expect=err(exit=2)),
    Case("experiment-name-env", ["fx/basic", "-P", "alpha=1", *LOCAL], "MLFLOW_EXPERIMENT_NAME",
         env={"MLFLOW_EXPERIMENT_NAME": "from-env"}, expect=ok()),
    Case("experiment-id-env", ["fx/basic", "-P", "alpha=1", *LOCAL], "MLFLOW_EXPERIMENT_ID",
         setup=[("experiment", "by-env-id")], env={"MLFLOW_EXPERIMENT_ID": "{exp:by-env-id}"},
         expect=ok()),

    # ------------------------------------------------------------ CLI errors
    Case("P-without-equals", ["fx/basic", "-P", "alpha", *LOCAL], "UsageError", expect=err(exit=2)),
    Case("P-repeated", ["fx/basic", "-P", "alpha=1", "-P", "alpha=2", *LOCAL], "UsageError",
         expect=err(exit=2)),
    Case("A-repeated", ["fx/basic", "-P", "alpha=1", "-A", "t", "-A", "t", *LOCAL], "UsageError",
         expect=err(exit=2)),
    Case("A-ignored-without-docker", ["fx/basic", "-P", "alpha=1", "-A", "t", "-A", "gpus=all",
                                      *LOCAL], "docker args on a non-docker project", expect=ok()),
    Case("env-manager-bad", ["fx/basic", "-P", "alpha=1", "--env-manager", "pip"],
         "a bad --env-manager: a traceback", expect=err()),
    Case("env-manager-conda-on-python-project", ["fx/basic", "-P", "alpha=1", "--env-manager",
                                                 "conda"],
         "conda on a python project: after the run exists", expect=err(runs=1, status="RUNNING")),
    Case("backend-unknown", ["fx/basic", "-P", "alpha=1", "-b", "nope", *LOCAL],
         "an unknown backend: a run is created, then the error",
         expect=err(runs=1, status="RUNNING")),
    Case("backend-kubernetes-without-config", ["fx/basic", "-P", "alpha=1", "-b", "kubernetes",
                                               *LOCAL], "UsageError", expect=err(exit=2)),
    Case("backend-kubernetes-non-docker-project", ["fx/basic", "-P", "alpha=1", "-b", "kubernetes",
                                                   "-c", "{}", *LOCAL],
         "kubernetes on a project without docker_env", expect=err(runs=1, status="RUNNING")),
    Case("backend-databricks-without-config", ["fx/basic", "-P", "alpha=1", "-b", "databricks",
                                               *LOCAL], "databricks without -c", expect=err()),
    Case("backend-databricks-local-tracking", ["fx/basic", "-P", "alpha=1", "-b", "databricks",
                                               "-c", "{}", *LOCAL],
         "databricks needs a databricks or http tracking URI", modes=SQLITE_ONLY, expect=err()),
    Case("backend-config-bad-json", ["fx/basic", "-P", "alpha=1", "-c", "{bad", *LOCAL],
         "UsageError with json's parse error", expect=err(exit=2)),
    Case("backend-config-file-bad-json", ["fx/basic", "-P", "alpha=1", "-c", "fx/configs/bad.json",
                                          *LOCAL], "a .json file that does not parse",
         expect=err()),
    Case("backend-config-file-missing", ["fx/basic", "-P", "alpha=1", "-c", "nope.json", *LOCAL],
         "a missing .json file", expect=err()),
    Case("backend-config-json-local", ["fx/basic", "-P", "alpha=1", "-c", '{"a": 1}', *LOCAL],
         "a JSON config is ignored by the local backend", expect=ok()),
    Case("backend-config-file-local", ["fx/basic", "-P", "alpha=1", "-c", "fx/configs/good.json",
                                       *LOCAL], "a JSON file config on the local backend",
         expect=ok()),

    # ------------------------------------------------------ run name, storage
    Case("run-name", ["fx/basic", "-P", "alpha=1", "--run-name", "my-run", *LOCAL],
         "--run-name sets the tag and runs.name", expect=ok()),
    Case("run-name-empty", ["fx/basic", "-P", "alpha=1", "--run-name", "", *LOCAL],
         "--run-name ''", expect={"exit": 0, "runs": 1}),
    Case("storage-dir", ["fx/basic", "-P", "alpha=1", "--storage-dir", "{R}/store/deep", *LOCAL],
         "--storage-dir: created, holds the mkdtemp", expect=ok()),
    Case("storage-dir-relative", ["fx/basic", "-P", "alpha=1", "--storage-dir", "rel/store",
                                  *LOCAL], "a relative --storage-dir", expect=ok()),
    Case("storage-dir-env", ["fx/basic", "-P", "alpha=1", *LOCAL], "MLFLOW_TMP_DIR",
         env={"MLFLOW_TMP_DIR": "{R}/store2"}, expect=ok()),
    Case("run-id-existing", ["fx/basic", "-P", "alpha=1", "--run-id", "{run:pre}", *LOCAL],
         "--run-id reuses a run: no tags or params logged", setup=[("run", "pre")],
         expect={"exit": 0, "runs": 1, "status": "FINISHED"}),
    Case("run-id-unknown", ["fx/basic", "-P", "alpha=1", "--run-id",
                            "0123456789abcdef0123456789abcdef", *LOCAL], "an unknown --run-id",
         expect=err()),

    # ------------------------------------------------------- URIs, subdirs
    Case("version-on-non-git-dir", ["fx/basic", "-v", "abc", "-P", "alpha=1", *LOCAL],
         "Setting a version is only supported for Git project URIs", expect=err()),
    Case("subdir-good", ["fx#basic", "-P", "alpha=1", *LOCAL],
         "uri#subdir: source.name is the uri verbatim", expect=ok()),
    Case("subdir-missing", ["fx#nope", *LOCAL], "Could not find subdirectory", expect=err()),
    Case("subdir-with-dot", ["fx#basic.x", *LOCAL], "'.' is not allowed", expect=err()),
    Case("subdir-quoted-uri", ["'fx#basic'", "-P", "alpha=1", *LOCAL],
         "surrounding quotes are stripped", expect=ok()),
    Case("subdir-absolute", ["{R}/fx#basic", "-P", "alpha=1", *LOCAL], "an absolute uri#subdir",
         expect=ok()),
    Case("uri-file-scheme", ["file://{R}/fx/basic", "-P", "alpha=1", *LOCAL], "a file:// uri",
         expect=ok()),
    Case("uri-file-scheme-subdir", ["file://{R}/fx#basic", "-P", "alpha=1", *LOCAL],
         "a file:// uri with #subdir", expect=ok()),
    Case("uri-trailing-slash", ["{R}/fx/basic/", "-P", "alpha=1", *LOCAL],
         "an absolute path with a trailing slash", expect=ok()),
    Case("uri-dot-slash", ["./fx/basic", "-P", "alpha=1", *LOCAL], "a ./relative path",
         expect=ok()),
    Case("uri-nonexistent", ["no-such-dir", *LOCAL],
         "a uri that is no local path is fetched as git", tags={"git"}, expect=err()),

    # -------------------------------------------------------------------- git
    Case("git-url-head", [GIT + "#sub", *LOCAL],
         "a git URL without -v: the HEAD branch, cloned into a mkdtemp", tags={"git"},
         setup=[("git",)], expect=ok(stdout=["version-two"])),
    Case("git-url-sha", [GIT + "#sub", "-v", "{sha:v1}", *LOCAL],
         "-v <commit sha>", tags={"git"}, setup=[("git",)], expect=ok(stdout=["version-one"])),
    Case("git-url-branch", [GIT + "#sub", "-v", "dev", *LOCAL],
         "-v <branch>: the branch tag", tags={"git"}, setup=[("git",)],
         expect=ok(stdout=["version-dev"])),
    Case("git-url-tag", [GIT + "#sub", "-v", "v1", *LOCAL], "-v <tag>",
         tags={"git"}, setup=[("git",)], expect=ok(stdout=["version-one"])),
    Case("git-url-credentials", [GIT_CREDS + "#sub", *LOCAL],
         "credentials in the URL: kept in source.name, stripped from repoURL", tags={"git"},
         setup=[("git",)], expect=ok(stdout=["version-two"])),
    Case("git-url-bad-version", [GIT + "#sub", "-v", "nosuch", *LOCAL],
         "Unable to checkout version", tags={"git"}, setup=[("git",)], expect=err()),
    Case("git-url-missing-subdir", [GIT + "#nosub", *LOCAL],
         "a missing subdir of a fetched repo", tags={"git"}, setup=[("git",)], expect=err()),
    Case("git-url-no-subdir", [GIT, *LOCAL],
         "the repo root has no MLproject: main is unknown", tags={"git"}, setup=[("git",)],
         expect=err()),
    Case("git-file-url-is-local", ["file://{R}/gitproj.git#sub", *LOCAL],
         "a file:// URL of an existing bare repo is a local directory, not cloned",
         tags={"git"}, setup=[("git",)], expect=err()),
    Case("git-bare-path-is-local", ["{R}/gitproj.git#sub", *LOCAL],
         "a bare repo given as a path is a local directory", tags={"git"}, setup=[("git",)],
         expect=err()),
    Case("git-working-copy", ["fx/gitproj/sub", *LOCAL],
         "a local git working copy: commit and repoURL (credentials stripped), file://...#sub",
         tags={"git"}, setup=[("git", {"remote": "https://user:pass@example.com/x.git"})],
         expect=ok(stdout=["version-two"])),
    Case("git-working-copy-hash-subdir", ["fx/gitproj#sub", *LOCAL],
         "a working copy as dir#subdir", tags={"git"},
         setup=[("git", {"remote": "https://user:pass@example.com/x.git"})], expect=ok()),
    Case("git-working-copy-dirty", ["fx/gitproj/sub", *LOCAL],
         "uncommitted changes run as they are; the commit tag is HEAD", tags={"git"},
         setup=[("git", {"bare": False}),
                ("write", "fx/gitproj/sub/MLproject",
                 "entry_points:\n  main:\n    command: python echo.py dirty\n")],
         expect=ok(stdout=["dirty"])),
    Case("git-working-copy-version", ["{R}/fx/gitproj#sub", "-v", "v1", *LOCAL],
         "-v on a local working copy (no remote) fetches from itself and checks out in place",
         tags={"git"}, setup=[("git", {"bare": False})], expect=ok(stdout=["version-one"])),
    Case("git-working-copy-version-relative", ["fx/gitproj#sub", "-v", "v1", *LOCAL],
         "the same with a relative path: origin is that relative path, which git resolves "
         "from inside the repo, and fails", tags={"git"}, setup=[("git", {"bare": False})],
         expect=err()),

    # -------------------------------------------------------------------- zip
    Case("zip-flat", ["basic.zip", "-P", "alpha=1", *LOCAL], "a local zip archive",
         setup=[("zip", "basic", "basic.zip")], expect=ok()),
    Case("zip-nested-subdir", ["nested.zip#basic", "-P", "alpha=1", *LOCAL], "zip#subdir",
         setup=[("zip", "basic", "nested.zip", "basic/")], expect=ok()),
    Case("zip-file-uri", ["file://{R}/basic.zip", "-P", "alpha=1", *LOCAL], "a file:// zip",
         setup=[("zip", "basic", "basic.zip")], expect=ok()),

    # ------------------------------------------------------- tracking stores
    Case("tracking-uri-unset", ["fx/basic", "-P", "alpha=1", *LOCAL],
         "no MLFLOW_TRACKING_URI: ./mlflow.db", tracking="unset",
         env_unset=("MLFLOW_TRACKING_URI",), modes=SQLITE_ONLY, expect=ok()),
    Case("tracking-uri-relative", ["fx/basic", "-P", "alpha=1", *LOCAL],
         "MLFLOW_TRACKING_URI=sqlite:///mlflow.db, passed verbatim to the child",
         tracking="relative", modes=SQLITE_ONLY, expect=ok()),
    Case("fresh-db", ["fx/basic", "-P", "alpha=1", *LOCAL],
         "no database yet: the tool creates MLflow's schema and the default experiment",
         fresh_db=True, modes=SQLITE_ONLY, expect=ok()),
    Case("fresh-db-error-before-run", ["fx/basic", *LOCAL],
         "no database yet, an error before create_run", fresh_db=True, modes=SQLITE_ONLY,
         expect=err()),
    Case("fresh-db-experiment-name", ["fx/basic", "-P", "alpha=1", "--experiment-name", "e1",
                                      *LOCAL], "no database yet, a new experiment",
         fresh_db=True, modes=SQLITE_ONLY, expect=ok()),

    # --------------------------------------------- children using mlflow
    Case("child-logs-metrics", ["fx/tracked", "-e", "log_metrics", *LOCAL],
         "the child logs metrics/param/tag via mlflow.start_run()", expect=ok()),
    Case("child-set-terminated-failed", ["fx/tracked", "-e", "set_terminated", *LOCAL],
         "the child marks the run FAILED and exits 0: mlflow overwrites it with FINISHED",
         expect={"exit": 0, "runs": 1, "status": "FINISHED"}),
    Case("child-end-run-killed", ["fx/tracked", "-e", "end_run_killed", *LOCAL],
         "start_run()/end_run('KILLED'), exit 0: overwritten with FINISHED",
         expect={"exit": 0, "runs": 1, "status": "FINISHED"}),
    Case("child-raise-in-run", ["fx/tracked", "-e", "raise_in_run", *LOCAL],
         "an exception inside `with start_run()`", expect=err(runs=1, status="FAILED")),
    Case("child-finish-then-fail", ["fx/tracked", "-e", "finish_then_fail", *LOCAL],
         "the child ends FINISHED then exits 4: the tool exits 1, the run becomes FAILED",
         expect=err(runs=1, status="FAILED")),

    # ---------------------------------------------------------- env managers
    Case("env-manager-auto-conda-absent", ["fx/condaproj", "-e", "echo.py"],
         "conda.yaml without --env-manager: conda, which is not installed",
         tags={"noconda"}, expect=err(runs=1, status="RUNNING")),
    Case("uv-python-env", ["fx/uvproj", "--env-manager", "uv"],
         "--env-manager uv on python_env.yaml without dependencies", tags={"uv"},
         expect=ok()),
    Case("uv-conda-yaml", ["fx/condaproj", "-e", "echo.py", "--env-manager", "uv"],
         "--env-manager uv on a conda.yaml project", tags={"uv"}, expect=ok()),
    Case("virtualenv-python-env", ["fx/uvproj", "--env-manager", "virtualenv"],
         "--env-manager virtualenv (pyenv + venv)", tags={"pyenv"}, expect=ok()),
    Case("virtualenv-auto-bare-project", ["fx/noproject", "-e", "echo.py"],
         "no --env-manager on a bare project: virtualenv", tags={"pyenv"}, expect=ok()),

    # ---------------------------------------------------------------- docker
    Case("docker-run", ["fx/docker", "-A", "e=AVAR=from-A", "-A", "network=none", "-A", "init",
                        *LOCAL],
         "docker_env without --build-image: the base image as is, volumes, env, -A",
         tags={"docker"}, env={"COPIED_VAR": "copied"}, expect=ok()),
    Case("docker-build-image", ["fx/docker", "--build-image", "-A", "e=AVAR=from-A",
                                "-A", "network=none", "-P", "x=it's", *LOCAL],
         "docker_env with --build-image", tags={"docker"}, env={"COPIED_VAR": "copied"},
         normalize_image_id=True, expect=ok()),
    Case("docker-missing-host-variable", ["fx/docker", *LOCAL],
         "a host variable not set, with a [NAME, value] pair in the list: TypeError",
         tags={"docker"},
         expect=err(runs=1, status="RUNNING")),
    Case("docker-missing-host-variable-names-only", ["fx/docker_strenv", *LOCAL],
         "an unset host variable when environment lists only names: the intended message",
         tags={"docker"}, env={"COPIED_VAR": "c"}, expect=err(runs=1, status="RUNNING")),
    Case("docker-sh-script", ["fx/docker", "-e", "run.sh", "-P", "a=1", "-A", "network=none",
                              *LOCAL],
         "an undeclared .sh entry point in the image: `$SHELL run.sh` inside the container",
         tags={"docker"}, env={"COPIED_VAR": "c"}, expect=ok()),
    Case("docker-env-manager-ignored", ["fx/docker", "--env-manager", "virtualenv",
                                        "-A", "network=none"],
         "docker_env ignores --env-manager", tags={"docker"}, env={"COPIED_VAR": "c"},
         expect=ok()),
    Case("docker-kubernetes-empty-config", ["fx/docker", "-b", "kubernetes", "-c", "{}"],
         "kubernetes with an empty config", tags={"docker"}, expect=err(runs=1, status="RUNNING")),
    Case("docker-kubernetes-no-template", ["fx/docker", "-b", "kubernetes", "-c",
                                           '{"repository-uri": "r"}'],
         "kubernetes config without kube-job-template-path", tags={"docker"},
         expect=err(runs=1, status="RUNNING")),
    Case("docker-kubernetes-template-missing",
         ["fx/docker", "-b", "kubernetes", "-c",
          '{"kube-job-template-path": "nope.yaml", "repository-uri": "r"}'],
         "kubernetes with a missing job template", tags={"docker"},
         expect=err(runs=1, status="RUNNING")),
]

# Cases where mlflowrs differs from mlflow run on purpose (docs/compatibility.md,
# "Projects"): reported, not failed.
KNOWN_DIFFERENCES = {
    "git-working-copy-version": "a local working copy run at a version is cloned into a "
    "temporary directory (the command's cwd), never checked out in place",
    "git-working-copy-version-relative": "the same, with a relative path",
}
