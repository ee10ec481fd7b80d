"""Writes the schema mlflowrs server creates in an empty database: MLflow's
own, as the real `mlflow` package (tests/conformance/requirements.txt) makes
it, so a database either server created can be served by the other.

    .venv/bin/python tests/tracking/dump_schema.py            # SQLite
    .venv/bin/python tests/tracking/dump_schema.py --postgres  # starts PostgreSQL, pg_dump

    .venv/bin/python tests/tracking/dump_schema.py --auth [--postgres]  # the basic-auth app's store

Output: crates/mlflowrs-tracking/src/schema/{sqlite,postgres}.sql, and with --auth
crates/mlflowrs-tracking/src/schema/auth_{sqlite,postgres}.sql. Run again when the pinned
mlflow changes.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "mlflowrs-tracking", "src", "schema")
HEADER = "-- MLflow {version}'s schema (alembic head {head}), written by tests/tracking/dump_schema.py.\n"


AUTH = False


def make_store(uri, root):
    if AUTH:
        from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as AuthStore

        AuthStore().init_db(uri)
        return
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    SqlAlchemyStore(uri, root)


def version_table():
    return "alembic_version_auth" if AUTH else "alembic_version"


def out_name(dialect):
    return f"auth_{dialect}.sql" if AUTH else f"{dialect}.sql"


def sqlite(version):
    import sqlite3

    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "mlflow.db")
        make_store(f"sqlite:///{db}", "mlflow-artifacts:/")
        c = sqlite3.connect(db)
        (head,) = c.execute(f"SELECT version_num FROM {version_table()}").fetchone()
        rows = c.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
        data = seed_rows(c.execute)
    with open(os.path.join(OUT, out_name("sqlite")), "w") as f:
        f.write(HEADER.format(version=version, head=head))
        for (sql,) in rows:
            f.write(sql.strip() + ";\n")
        f.writelines(data)
        f.write(f"INSERT INTO {version_table()} (version_num) VALUES ('{head}');\n")
    return head


def quote(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def seed_rows(execute, schema=""):
    """The rows MLflow's migrations insert (the default workspace); the
    Default experiment is the store's, added at start-up as MLflow does."""
    out = []
    for table in [] if AUTH else ["workspaces"]:
        for row in execute(f"SELECT * FROM {table}").fetchall() if schema == "" else execute(table):
            out.append(f"INSERT INTO {schema}{table} VALUES ({', '.join(quote(v) for v in row)});\n")
    return out


def postgres(version):
    sys.path.insert(0, os.path.join(HERE, "..", "registry"))
    import stack

    logs = tempfile.mkdtemp()
    procs = stack.Processes(logs)
    try:
        uri = stack.start_postgres(procs)
        make_store(uri, "mlflow-artifacts:/")
        url = uri.replace("postgresql+psycopg2://", "postgresql://")
        found = sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin/pg_dump"))
        pg_dump = found[-1] if found else shutil.which("pg_dump")
        dump = subprocess.run(
            [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--no-comments", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        head = subprocess.run(
            [pg_dump.replace("pg_dump", "psql"), url, "-tAc", f"SELECT version_num FROM {version_table()}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        import psycopg2

        conn = psycopg2.connect(url)
        cur = conn.cursor()

        def rows(table):
            cur.execute(f"SELECT * FROM public.{table}")
            return cur.fetchall()

        data = seed_rows(rows, "public.")
        conn.close()
    finally:
        procs.stop()
    # pg_dump's session settings and search_path reset would leave the
    # server's later queries without a schema on their path.
    lines = [
        l
        for l in dump.splitlines()
        if not l.startswith(("SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict"))
    ]
    with open(os.path.join(OUT, out_name("postgres")), "w") as f:
        f.write(HEADER.format(version=version, head=head))
        f.write("\n".join(lines).strip() + "\n")
        f.writelines(data)
        f.write(f"INSERT INTO public.{version_table()} (version_num) VALUES ('{head}');\n")
    return head


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--auth", action="store_true")
    args = ap.parse_args()
    global AUTH
    AUTH = args.auth
    import mlflow

    os.makedirs(OUT, exist_ok=True)
    head = (postgres if args.postgres else sqlite)(mlflow.__version__)
    print(f"mlflow {mlflow.__version__}, alembic head {head}")


if __name__ == "__main__":
    main()
