import os
os.environ.setdefault("MLFLOW_FLASK_SERVER_SECRET_KEY","x")
from mlflow.server import auth as A
import collections
rows = collections.defaultdict(list)
for (p,m),v in A.BEFORE_REQUEST_VALIDATORS.items():
    if p.startswith("/api/2.0/mlflow/") or p.startswith("/api/3.0/mlflow/") :
        name = getattr(v,"__name__",repr(v))
        rows[(p,m)] = name
for k in sorted(rows): print(k[1], k[0], rows[k])
print("----AFTER")
for (p,m),v in sorted(A.AFTER_REQUEST_HANDLERS.items()):
    if p.startswith("/api/2.0/mlflow/"): print(m,p,v.__name__)
