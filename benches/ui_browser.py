"""Browser benchmark of the MLflow web UI on two tracking servers that hold the
same data (benches/ui_fill_large.py run against each):

    .venv/bin/python benches/ui_browser.py URL_A LABEL_A URL_B LABEL_B [--rounds 3]

In headless Chromium (Selenium, as tests/ui/browser.py), per server, over
--rounds rounds alternating A and B, after one unmeasured warm-up load each:

  table      navigation to `#/experiments/<bench-1000>` until the runs table
             shows its first rows (>= 5 "bench-run-" rows drawn), browser cache
             warm (the UI bundle cached, as for a person coming back)
  table-cold the same with Chromium's cache disabled (the ~15 MB of
             /static-files/ served again)
  charts     navigation to a run's "Model metrics" tab until its first charts
             are drawn (>= 3 plotly charts with a line)

Times are ms from navigation start (performance.now() in the page, polled each
animation frame). Then the latency of
`GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=..(100 runs)
&metric_key=m0&max_results=320`, median of 20 calls (urllib, alternating A/B).
Prints the samples, a table of medians and the ratios A/B.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from browser import make_driver  # noqa: E402

EXPERIMENT = "bench-1000"
TIMEOUT_MS = 120000

# Resolves with performance.now() once `cond` holds, polled each frame.
WAIT_JS = """
const done = arguments[arguments.length - 1];
const cond = new Function(arguments[0]);
const limit = arguments[1];
(function poll() {
  let ok = false;
  try { ok = cond(); } catch (e) {}
  if (ok) return done(performance.now());
  if (performance.now() > limit) return done(-1);
  requestAnimationFrame(poll);
})();
"""

TABLE_READY = """
const rows = document.querySelectorAll('.ag-pinned-left-cols-container [role=row]');
let n = 0;
for (const r of rows) if ((r.innerText || '').includes('bench-run-')) n++;
return n >= 5;
"""

CHARTS_READY = """
let n = 0;
for (const plot of document.querySelectorAll('.js-plotly-plot')) {
  for (const p of plot.querySelectorAll('.scatterlayer path.js-line')) {
    if ((p.getAttribute('d') || '').length > 10) { n++; break; }
  }
}
return n >= 3;
"""


def rest(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base.rstrip("/") + "/api/2.0/mlflow/" + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


class Server:
    def __init__(self, url, label):
        self.url = url.rstrip("/")
        self.label = label
        exp = rest(self.url, "experiments/get-by-name?experiment_name=" + EXPERIMENT)["experiment"]
        self.exp = exp["experiment_id"]
        runs = rest(
            self.url,
            "runs/search",
            {"experiment_ids": [self.exp], "max_results": 100, "order_by": ["attributes.start_time DESC"]},
        )["runs"]
        if len(runs) < 100:
            raise SystemExit(f"{label}: {EXPERIMENT} has {len(runs)} runs, fill it with benches/ui_fill_large.py")
        self.run_ids = [r["info"]["run_id"] for r in runs]
        self.run = self.run_ids[0]
        self.driver = None
        self.samples = {"table": [], "table-cold": [], "charts": [], "bulk-interval": []}

    def start(self):
        self.driver = make_driver()
        self.driver.set_script_timeout(TIMEOUT_MS / 1000 + 10)
        d = self.driver
        d.get(self.url + "/health")
        d.execute_script(
            "localStorage.setItem('mlflow.workflowType_v1', JSON.stringify('machine_learning'));"
            "localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');"
            "localStorage.setItem('mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', 'true');"
        )

    def timed(self, route, cond, cold=False):
        d = self.driver
        d.get("about:blank")
        d.execute_cdp_cmd("Network.enable", {})
        d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": cold})
        d.get(f"{self.url}/#{route}")
        ms = d.execute_async_script(WAIT_JS, cond, TIMEOUT_MS)
        if ms < 0:
            raise SystemExit(f"{self.label}: {route} not ready within {TIMEOUT_MS} ms")
        return ms

    def table(self, cold=False):
        return self.timed(f"/experiments/{self.exp}", TABLE_READY, cold)

    def charts(self):
        return self.timed(f"/experiments/{self.exp}/runs/{self.run}/model-metrics", CHARTS_READY)

    def bulk_url(self):
        q = [("run_ids", r) for r in self.run_ids[:100]] + [("metric_key", "m0"), ("max_results", "320")]
        return self.url + "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + urllib.parse.urlencode(q)

    def bulk_once(self):
        t0 = time.perf_counter()
        with urllib.request.urlopen(self.bulk_url(), timeout=60) as r:
            body = r.read()
        ms = (time.perf_counter() - t0) * 1000
        n = len(json.loads(body).get("metrics", []))
        if n != 100 * 100:
            raise SystemExit(f"{self.label}: bulk-interval returned {n} points, expected 10000")
        return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url_a")
    ap.add_argument("label_a")
    ap.add_argument("url_b")
    ap.add_argument("label_b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()
    servers = [Server(args.url_a, args.label_a), Server(args.url_b, args.label_b)]
    try:
        for s in servers:
            s.start()
            s.table()  # warm-up: server caches, browser cache, JIT
            s.charts()
        for i in range(args.rounds):
            for s in servers:
                s.samples["table"].append(s.table())
                s.samples["table-cold"].append(s.table(cold=True))
                s.samples["charts"].append(s.charts())
                print(
                    f"round {i + 1} {s.label}: table {s.samples['table'][-1]:.0f} ms, "
                    f"table-cold {s.samples['table-cold'][-1]:.0f} ms, charts {s.samples['charts'][-1]:.0f} ms",
                    flush=True,
                )
    finally:
        for s in servers:
            if s.driver:
                s.driver.quit()
    for s in servers:
        s.bulk_once()  # warm-up
    for _ in range(args.calls):
        for s in servers:
            s.samples["bulk-interval"].append(s.bulk_once())

    a, b = servers
    names = {
        "table": "runs table first rows (warm cache)",
        "table-cold": "runs table first rows (cache off)",
        "charts": "run page metric charts drawn",
        "bulk-interval": f"get-history-bulk-interval 100 runs ({args.calls} calls)",
    }
    w = max(len(v) for v in names.values())
    print()
    print(f"{'median ms':<{w}}  {a.label:>12}  {b.label:>12}  {'A/B':>6}")
    for key, title in names.items():
        ma, mb = statistics.median(a.samples[key]), statistics.median(b.samples[key])
        print(f"{title:<{w}}  {ma:>12.1f}  {mb:>12.1f}  {ma / mb:>6.2f}")
    print()
    for s in servers:
        print(s.label, json.dumps({k: [round(x, 1) for x in v] for k, v in s.samples.items()}))


if __name__ == "__main__":
    main()
