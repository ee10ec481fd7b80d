"""Server CPU time per runs/log-batch of 100 metrics, one connection, fresh SQLite:

    python3 benches/tracking_cpu.py path/to/mlflowrs N LABEL

Run it for two builds (before, after) in one session to compare; the
server process's CPU time comes from /proc, so fsync waits do not count.
"""
import json, os, subprocess, sys, tempfile, time, http.client
bin_ = sys.argv[1]; n = int(sys.argv[2])
d = tempfile.mkdtemp(); port = 20000 + os.getpid() % 20000
p = subprocess.Popen([bin_, "server", "--port", str(port), "--backend-store-uri", "sqlite:///m.db"], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(200):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", "/health"); c.getresponse().read(); break
    except Exception: time.sleep(0.05)
def post(path, body):
    c.request("POST", "/api/2.0/mlflow/" + path, json.dumps(body), {"Content-Type": "application/json"}); r = c.getresponse(); return json.loads(r.read() or b"{}")
exp = post("experiments/create", {"name": "b"})["experiment_id"]
run = post("runs/create", {"experiment_id": exp, "start_time": 1})["run"]["info"]["run_id"]
def cpu():
    f = open(f"/proc/{p.pid}/stat").read().split(")")[1].split(); return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
c0 = cpu(); t0 = time.time()
for i in range(n):
    post("runs/log-batch", {"run_id": run, "metrics": [{"key": f"m{k}", "value": i + 0.25, "timestamp": 1700000000000, "step": i} for k in range(100)]})
c1 = cpu(); t1 = time.time()
p.terminate(); p.wait()
print(f"{sys.argv[3]}: server CPU {1000*(c1-c0)/n:.3f} ms per log-batch(100), wall {1000*(t1-t0)/n:.2f} ms")
