"""Starts a throwaway PostgreSQL server (as tests/registry/stack.py does)
for tests/tracking/rest.rs, prints its URI, and stops it when standard input
closes.

    .venv/bin/python tests/tracking/postgres.py
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registry"))

import stack  # noqa: E402


def main():
    logs = tempfile.mkdtemp(prefix="mlflowrs-pg-")
    procs = stack.Processes(logs)
    try:
        uri = stack.start_postgres(procs)
        print(uri.replace("postgresql+psycopg2://", "postgresql://"), flush=True)
        sys.stdin.read()
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
