"""Real-browser test of the MLflow web UI served by a tracking server.

    .venv/bin/python tests/ui/browser.py URL SCREENSHOT_DIR [--fill | --ids IDS.json]

Drives headless Debian Chromium through Selenium over MLflow's own prebuilt UI
(hash routes) and checks what a person would see on each page: experiments
list, runs table (columns, sorting, search filter), run page (params, metrics,
tags, metric charts), artifact previews (text and PNG), compare runs, the
registered models list, a registered model and a model version (schema,
alias). With --fill it first fills the server through tests/ui/fill_store.py;
with --ids it reads the ids fill_store printed; with neither it finds them
through the REST API (experiment "ui-experiment" must exist).

Every page's network traffic and console are read from Chromium's performance
and browser logs: a response >= 400, a failed load or a SEVERE console message
fails the page unless ALLOWED below says why it is expected. One PNG per page
goes to SCREENSHOT_DIR, and requests.json there lists, per page, the distinct
requests the UI made (method, path, status, GraphQL operation or the start
of a JSON body).

Prints one PASS/FAIL line per page, exits 1 on any failure.
"""

import argparse
import base64
import json
import os
import re
import sys
import time
import traceback
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30  # seconds per condition

# Requests that may fail (status >= 400 or a failed load) without failing the
# test: (regex searched in the URL, statuses allowed, why). A SEVERE console
# message that only reports one of these loads is allowed too.
ALLOWED = [
    (
        r"/ajax-api/2\.0/mlflow/users/current(\?|$)",
        {404},
        "every page asks who the user is, for the auth plugin's account menu; "
        "`mlflow server` without --app-name basic-auth answers 404 too, and the "
        "UI then shows no user",
    ),
    (
        r"/ajax-api/3\.0/mlflow/assistant/(config|providers)(\?|$)",
        {404, 501},
        "the MLflow Assistant side panel (GenAI, LLM chat) reads its settings on "
        "every page; real mlflow answers 200, a server without the assistant may "
        "answer 404/501 and the panel just stays unconfigured",
    ),
    (
        r"/ajax-api/2\.0/mlflow/gateway-proxy(\?|$)",
        {404, 501},
        "the runs page lists AI Gateway endpoints (GenAI prompt engineering) "
        "through the gateway proxy; real mlflow answers 200 {} with no gateway "
        "configured, a server without it may answer 404/501",
    ),
    (
        r"/ajax-api/3\.0/mlflow/ui-telemetry(\?|$)",
        {404, 501},
        "UI usage telemetry; losing it changes nothing on screen",
    ),
]

# SEVERE console messages that are not about a failed load and are expected:
# (regex, why).
ALLOWED_CONSOLE = [
    (
        r"ResizeObserver loop (completed with undelivered notifications|limit exceeded)",
        "benign browser report when a resize callback changes layout within one "
        "frame (the metric charts' containers do); the real mlflow UI logs it now "
        "and then on the run page's Model metrics tab, nothing is lost",
    ),
]

EXPECTED_EXPERIMENT = "ui-experiment"


# ------------------------------------------------------------------ helpers


class CheckFailed(Exception):
    pass


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--window-size=1400,900",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit chromedriver path: Selenium Manager never runs (no downloads).
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def allowed_failure(url, status):
    for pattern, statuses, _why in ALLOWED:
        if re.search(pattern, url) and (status in statuses):
            return True
    return False


class Page:
    """Network and console of one page load, read from Chromium's logs."""

    def __init__(self, driver, base):
        self.driver = driver
        self.base = base.rstrip("/")
        self.requests = {}  # requestId -> dict
        self.console = []

    def drain(self):
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            method, params = msg.get("method"), msg.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                req = params["request"]
                r = self.requests.setdefault(rid, {})
                r.update(method=req.get("method"), url=req.get("url"), t=params.get("timestamp"))
                body = req.get("postData")
                if body and "/graphql" in req.get("url", ""):
                    try:
                        r["op"] = json.loads(body).get("operationName")
                    except ValueError:
                        pass
                elif body:
                    r["body"] = body[:300]
            elif method == "Network.responseReceived":
                resp = params["response"]
                r = self.requests.setdefault(rid, {"url": resp.get("url"), "method": "?"})
                r["status"] = resp.get("status")
            elif method == "Network.loadingFailed":
                r = self.requests.setdefault(rid, {"url": "?", "method": "?"})
                r["failed"] = params.get("errorText")
                r["canceled"] = params.get("canceled", False)
        self.console.extend(self.driver.get_log("browser"))

    def own(self, url):
        return url.startswith(self.base) and not url.startswith("data:")

    def listing(self):
        """Distinct requests to the server: 'METHOD /path?query STATUS [op]'."""
        out = []
        for r in self.requests.values():
            url = r.get("url") or "?"
            if not self.own(url) or "/static-files/" in url:
                continue
            path = url[len(self.base) :] or "/"
            line = f"{r.get('method', '?')} {path} {r.get('status', r.get('failed', '-'))}"
            if r.get("op"):
                line += f" [{r['op']}]"
            elif r.get("body"):
                line += f" {r['body']}"
            if line not in out:
                out.append(line)
        return out

    def static_count(self):
        return sum(1 for r in self.requests.values() if "/static-files/" in (r.get("url") or ""))

    def problems(self):
        bad = []
        for r in self.requests.values():
            url = r.get("url") or "?"
            if url.startswith(("data:", "blob:")):
                continue
            status = r.get("status")
            if r.get("failed"):
                # A fetch the page itself aborted (a newer query replaced it,
                # or the page was left) is not a server failure.
                if r.get("canceled") or r.get("failed") == "net::ERR_ABORTED":
                    continue
                if not allowed_failure(url, status):
                    bad.append(f"load failed {r['failed']}: {r.get('method')} {url}")
            elif status is not None and status >= 400 and not allowed_failure(url, status):
                bad.append(f"HTTP {status}: {r.get('method')} {url}")
        for c in self.console:
            if c.get("level") != "SEVERE":
                continue
            text = c.get("message", "")
            m = re.match(r"(\S+) - Failed to load resource: .*status of (\d+)", text)
            if m and allowed_failure(m.group(1), int(m.group(2))):
                continue
            if m and any(
                r.get("url") == m.group(1) and r.get("failed") and r.get("canceled")
                for r in self.requests.values()
            ):
                continue
            if any(re.search(p, text) for p, _why in ALLOWED_CONSOLE):
                continue
            bad.append(f"console: {text[:300]}")
        return bad


class UI:
    def __init__(self, base, shots):
        self.base = base.rstrip("/")
        self.shots = shots
        self.driver = make_driver()
        if AUTH_HEADERS:
            self.driver.execute_cdp_cmd("Network.enable", {})
            self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": AUTH_HEADERS})
        self.page = None
        # Before any UI page: on a same-origin page (/health), pick the "Model
        # training" workflow (the sidebar toggle stores it so) and close the
        # MLflow Assistant side panel, which otherwise opens on first load and
        # takes a third of the width. Without the first, an experiment opens on
        # the GenAI overview (traces charts) instead of its runs table.
        self.driver.get(self.base + "/health")
        self.driver.execute_script(
            "localStorage.setItem('mlflow.workflowType_v1', JSON.stringify('machine_learning'));"
            "localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');"
            "localStorage.setItem('mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', 'true');"
        )

    # navigation ---------------------------------------------------------
    def open(self, route):
        """A fresh page load of `#route` (about:blank first, so a hash route
        is not just a client-side hash change)."""
        d = self.driver
        d.get("about:blank")
        d.get_log("performance")
        d.get_log("browser")
        self.page = Page(d, self.base)
        d.get(f"{self.base}/#{route}")
        self.wait(lambda: d.execute_script("return document.readyState") == "complete", "page load")
        self.dismiss_popups()

    def dismiss_popups(self):
        """The assistant side panel, guidance popovers ("Got it") and tours."""
        d = self.driver
        try:
            self.wait(
                lambda: d.find_elements(By.CSS_SELECTOR, "nav, [role=navigation], aside, main")
                or d.find_elements(By.XPATH, "//*[contains(@class,'mlflow')]"),
                "app shell",
                timeout=WAIT,
            )
        except CheckFailed:
            return
        for css in (
            '[data-component-id="mlflow.assistant.chat_panel.close"]',
            '[data-component-id*="onboarding"][aria-label="Close"]',
            '[data-component-id*="tour"][aria-label="Close"]',
        ):
            for b in d.find_elements(By.CSS_SELECTOR, css):
                self.safe_click(b)
        for b in d.find_elements(By.XPATH, "//button[normalize-space()='Got it' or normalize-space()='Dismiss' or normalize-space()='Skip tour']"):
            self.safe_click(b)

    def safe_click(self, el):
        try:
            if el.is_displayed():
                el.click()
        except (ElementClickInterceptedException, StaleElementReferenceException):
            try:
                self.driver.execute_script("arguments[0].click()", el)
            except (StaleElementReferenceException, JavascriptException):
                pass

    # waiting ------------------------------------------------------------
    def wait(self, cond, what, timeout=WAIT):
        def attempt(_):
            try:
                return cond()
            except (StaleElementReferenceException, NoSuchElementException, JavascriptException):
                return False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(attempt)
        except TimeoutException:
            raise CheckFailed(f"timed out after {timeout}s waiting for {what}") from None

    def visible(self, xpath):
        return [e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()]

    def wait_text(self, text, exact=True, what=None):
        lit = xpath_literal(text)
        xp = f"//*[normalize-space(text())={lit}]" if exact else f"//*[contains(text(),{lit})]"
        return self.wait(lambda: self.visible(xp), what or f"text {text!r}")[0]

    def click_text(self, text, tag="*"):
        el = self.wait(lambda: self.visible(f"//{tag}[normalize-space()={xpath_literal(text)}]"), f"{text!r} to click")[0]
        el.click()
        return el

    def table_row(self, first_cell):
        """Cells' text of a table row (role=row or <tr>) whose first cell reads first_cell."""
        lit = xpath_literal(first_cell)
        xp = f"//*[@role='row'][*[@role='cell'][1][normalize-space()={lit}]] | //tr[td[1][normalize-space()={lit}]]"
        rows = self.visible(xp)
        if not rows:
            return None
        return [c.text.strip() for c in rows[0].find_elements(By.XPATH, "./*[@role='cell'] | ./td")]

    def shot(self, name):
        path = os.path.join(self.shots, name)
        self.driver.save_screenshot(path)
        return path

    def body(self):
        return self.driver.find_element(By.TAG_NAME, "body").text


def xpath_literal(s):
    if "'" not in s:
        return f"'{s}'"
    if '"' not in s:
        return f'"{s}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in s.split("'")) + ")"


# ---------------------------------------------------------------- REST ids


# `--basic-auth USER:PASSWORD`: the Authorization header every request
# carries (the browser's through DevTools, as a logged-in user's would).
AUTH_HEADERS = {}


def rest(base, path, body=None):
    url = base.rstrip("/") + "/api/2.0/mlflow/" + path
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **AUTH_HEADERS})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def discover(base):
    exp = rest(base, "experiments/get-by-name?experiment_name=" + EXPECTED_EXPERIMENT)["experiment"]
    ids = {"experiment_id": exp["experiment_id"], "experiment_name": exp["name"]}
    runs = rest(base, "runs/search", {"experiment_ids": [exp["experiment_id"]], "max_results": 100})
    for run in runs.get("runs", []):
        name = run["info"].get("run_name")
        rid = run["info"]["run_id"]
        if name in ("ridge-small", "ridge-large"):
            ids[name] = rid
        elif name == "sweep":
            ids["parent"] = rid
        elif name == "sweep-child":
            ids["child"] = rid
        elif name == "with-model":
            ids["model_run"] = rid
    ids["model_name"] = "ui-model"
    ids["model_version"] = "1"
    ids["model_version_2"] = "2"
    missing = {"ridge-small", "ridge-large", "parent", "child", "model_run"} - set(ids)
    if missing:
        raise SystemExit(f"runs not found through REST: {sorted(missing)} (fill the server with --fill)")
    return ids


# ------------------------------------------------------------------ checks


def runs_grid_rows(ui):
    """[(run name, row id)] of the runs table, in displayed order."""
    out = []
    for r in ui.driver.find_elements(By.CSS_SELECTOR, ".ag-pinned-left-cols-container [role=row]"):
        idx = r.get_attribute("row-index")
        name = r.find_elements(By.CSS_SELECTOR, '[col-id="attributes.`Run Name`"]')
        # The cell reads "#93320b\nwith-model" (the run's colour, then its name link).
        name = name[0].text.strip().splitlines()[-1].strip() if name and name[0].text.strip() else ""
        if idx is not None:
            out.append((int(idx), name, r.get_attribute("row-id")))
    return [(n, rid) for _, n, rid in sorted(out)]


def grid_cell(ui, row_id, col_id):
    cells = ui.driver.find_elements(By.CSS_SELECTOR, f'[role=row][row-id="{row_id}"] [col-id="{col_id}"]')
    return cells[0].text.strip() if cells else None


def check_experiments(ui, ids):
    ui.open("/experiments")
    ui.wait(
        lambda: ui.visible(f"//a[normalize-space()={xpath_literal(ids['experiment_name'])}]"),
        "experiment link",
    )
    ui.wait(lambda: ui.visible("//*[@title='team']/following-sibling::*[@title='vision']"), "the experiment's tag team: vision")
    ui.shot("experiments.png")
    return f"lists {ids['experiment_name']!r} with tag team: vision"


def order_of(names, wanted):
    return [n for n in names if n in wanted]


def check_runs_table(ui, ids):
    exp = ids["experiment_id"]
    d = ui.driver
    ui.open(f"/experiments/{exp}")
    ui.wait(lambda: "/runs" in d.current_url, "redirect to the runs tab")
    ui.wait(lambda: {"ridge-small", "ridge-large", "sweep", "with-model"} <= {n for n, _ in runs_grid_rows(ui)}, "run names in the table")
    ui.dismiss_popups()
    # Metric and param columns are opt-in: tick rmse and alpha in "Columns",
    # and untick wide attribute columns so they all fit without scrolling
    # (ag-grid renders only the columns in view).
    ui.wait(lambda: ui.visible("//*[@data-testid='column-selection-dropdown']"), "Columns button")[0].click()
    for title, want in (("rmse", True), ("alpha", True), ("Dataset", False), ("Source", False)):
        node = ui.wait(lambda: ui.visible(f"//span[@title='{title}']/preceding-sibling::span[contains(@class,'tree-checkbox')]"), f"column {title} in the picker")[0]
        checked = "checked" in (node.get_attribute("class") or "")
        if checked != want:
            node.click()
    d.find_element(By.CSS_SELECTOR, '[data-testid="column-selection-dropdown"]').click()
    rows = dict(runs_grid_rows(ui))
    small, large, wm = rows["ridge-small"], rows["ridge-large"], rows["with-model"]
    expect = {
        small: ("0.1", "0.00333"),
        large: ("10", "0.01"),
        wm: ("1", "0.5"),
    }

    def cells_ok():
        for rid, (alpha, rmse) in expect.items():
            a = grid_cell(ui, rid, "params.`alpha`")
            m = grid_cell(ui, rid, "metrics.`rmse`")
            if a != alpha or not (m or "").startswith(rmse):
                return False
        return grid_cell(ui, rows["sweep"], "metrics.`rmse`") == "-"

    ui.wait(cells_ok, "alpha/rmse cells 0.1/0.00333, 10/0.01, 1/0.5 and '-' for sweep")
    ui.wait(lambda: ui.visible("//*[@data-testid='sort-header-rmse']") and ui.visible("//*[@data-testid='sort-header-alpha']"), "rmse and alpha headers")
    ui.shot("runs-table.png")

    # Sorting by the metric: first click descending, second ascending; runs
    # without the metric (sweep) come last either way.
    header = ui.visible("//*[@data-testid='sort-header-rmse']")[0]
    header.click()
    ui.wait(lambda: "orderByKey=metrics.%60rmse%60" in d.current_url and "orderByAsc=false" in d.current_url, "URL order by rmse desc")
    want = ["with-model", "ridge-large", "ridge-small"]
    ui.wait(lambda: order_of([n for n, _ in runs_grid_rows(ui)], want) == want and runs_grid_rows(ui)[-1][0] == "sweep", f"rows sorted rmse desc {want} then sweep")
    ui.visible("//*[@data-testid='sort-header-rmse']")[0].click()
    ui.wait(lambda: "orderByAsc=true" in d.current_url, "URL order by rmse asc")
    want_asc = list(reversed(want))
    ui.wait(lambda: order_of([n for n, _ in runs_grid_rows(ui)], want_asc) == want_asc and runs_grid_rows(ui)[-1][0] == "sweep", f"rows sorted rmse asc {want_asc} then sweep")
    ui.shot("runs-sorted.png")

    # Search filter: every run with an rmse has its last value below 1, so
    # `metrics.rmse < 1` hides only the parent "sweep" (no rmse); the child
    # "sweep-child" (0.75) matches. `metrics.rmse < 0.005` leaves ridge-small.
    def search(text):
        box = ui.wait(lambda: ui.visible("//input[@data-testid='search-box']"), "search box")[0]
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        ui.wait(lambda: "searchFilter=" + urllib.parse.quote_plus(text) in d.current_url, f"URL searchFilter {text!r}")

    search("metrics.rmse < 1")
    want = {"ridge-small", "ridge-large", "with-model", "sweep-child"}
    ui.wait(lambda: {n for n, _ in runs_grid_rows(ui)} == want, f"rows {sorted(want)} for metrics.rmse < 1")
    ui.wait(lambda: re.search(r"\b4\s+matching runs", ui.body()), "'4 matching runs'")
    search("metrics.rmse < 0.005")
    ui.wait(lambda: [n for n, _ in runs_grid_rows(ui)] == ["ridge-small"], "only ridge-small for metrics.rmse < 0.005")
    ui.shot("runs-filtered.png")
    return "names, alpha/rmse columns with values; sort by rmse desc/asc; filters rmse<1 (4 rows, no sweep) and rmse<0.005 (ridge-small)"


def plotted_lines(ui, legend):
    """Rendered plotly lines of the chart card whose legend reads `legend`:
    [(points in the path, drawn width in px)]."""
    return ui.driver.execute_script(
        """
        const legend = arguments[0];
        const out = [];
        for (const plot of document.querySelectorAll('.js-plotly-plot')) {
          let card = plot;
          for (let i = 0; i < 8 && card && !(card.innerText || '').includes(legend); i++) card = card.parentElement;
          if (!card || !(card.innerText || '').includes(legend)) continue;
          for (const p of plot.querySelectorAll('.scatterlayer path.js-line')) {
            const dd = p.getAttribute('d') || '';
            const points = (dd.match(/[ML]/g) || []).length;
            out.push([points, p.getBBox().width]);
          }
        }
        return out;
        """,
        legend,
    )


def check_run_page(ui, ids):
    exp, rid = ids["experiment_id"], ids["ridge-small"]
    ui.open(f"/experiments/{exp}/runs/{rid}")
    ui.wait(lambda: ui.visible("//h2[normalize-space()='ridge-small'] | //*[@data-testid='page-header']//*[normalize-space(text())='ridge-small']") or ui.visible("//*[normalize-space(text())='ridge-small']"), "run name header")
    checks = {
        "param alpha": ("alpha", ["alpha", "0.1"]),
        "param solver": ("solver", ["solver", "auto"]),
        "metric rmse": ("rmse", ["rmse", "0.0033333333333333335"]),
        "metric r2": ("r2", ["r2", "0.9966666666666667"]),
        "metric loss": ("loss", ["loss", "0.5"]),
    }
    for what, (first, cells) in checks.items():
        ui.wait(lambda: ui.table_row(first) == cells, f"{what} row {cells}")
    ui.wait_text("model_type", what="tag model_type")
    ui.wait(lambda: ": ridge" in ui.body() or "model_type: ridge" in ui.body(), "tag value ridge")
    ui.wait_text("Run ridge-small: alpha=0.1.", what="the run description (mlflow.note.content)")
    ui.wait_text("Finished", what="status Finished")
    ui.shot("run-page.png")

    # Metric charts: the "Model metrics" tab draws one plotly chart per metric.
    ui.click_text("Model metrics", tag="*[@role='tab' or self::button or self::a]")
    ui.wait(lambda: "/model-metrics" in ui.driver.current_url, "model-metrics route")

    def drawn():
        lines = plotted_lines(ui, "ridge-small (rmse)")
        return any(points >= 3 and width > 100 for points, width in lines)

    ui.wait(drawn, "rmse chart with a drawn line (>= 3 points, > 100 px wide)")
    ui.wait(lambda: any(w > 100 for _, w in plotted_lines(ui, "ridge-small (r2)")), "r2 chart drawn")
    ui.shot("run-metrics.png")
    return "params alpha/solver, metrics rmse/r2/loss, tag model_type, description; rmse and r2 charts drawn"


def check_artifact_text(ui, ids):
    exp, rid = ids["experiment_id"], ids["ridge-small"]
    ui.open(f"/experiments/{exp}/runs/{rid}/artifacts/notes.txt")
    ui.wait(lambda: ui.visible("//*[@data-testid='artifact-tree-node'][@artifact-name='notes.txt']"), "notes.txt in the artifact tree")
    ui.wait(lambda: "hello from ridge-small" in ui.body() and "line two" in ui.body(), "notes.txt text in the preview")
    ui.shot("artifact-text.png")
    return "tree lists notes.txt; preview shows 'hello from ridge-small' / 'line two'"


def check_artifact_png(ui, ids):
    exp, rid = ids["experiment_id"], ids["ridge-small"]
    ui.open(f"/experiments/{exp}/runs/{rid}/artifacts")
    ui.wait(lambda: ui.visible("//*[@data-testid='artifact-tree-node'][@artifact-name='plots']"), "plots folder")[0].click()
    ui.wait(lambda: ui.visible("//*[@data-testid='artifact-tree-node'][@artifact-name='tiny.png']"), "plots/tiny.png")[0].click()

    def loaded():
        return ui.driver.execute_script(
            """return Array.from(document.images).filter(i =>
                 i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:')
                 && (i.alt || '').endsWith('tiny.png')).map(i => [i.naturalWidth, i.naturalHeight]);"""
        )

    size = ui.wait(loaded, "an <img> of plots/tiny.png loaded from a blob (naturalWidth > 0)")[0]
    ui.shot("artifact-png.png")
    return f"plots/tiny.png shown as a blob image {size[0]}x{size[1]}"


def check_compare(ui, ids):
    exp = ids["experiment_id"]
    runs = json.dumps([ids["ridge-small"], ids["ridge-large"]])
    exps = json.dumps([exp])
    ui.open(f"/compare-runs?runs={urllib.parse.quote(runs)}&experiments={urllib.parse.quote(exps)}")
    ui.wait_text("Comparing 2 Runs from 1 Experiment", what="compare header")
    ui.wait_text("ridge-small")
    ui.wait_text("ridge-large")
    ui.wait(lambda: ui.visible(f"//*[normalize-space(text())={xpath_literal(ids['ridge-small'])}]"), "run id of ridge-small")

    def param_row(name):
        for row in ui.visible(f"//tr[th[normalize-space()='{name}'] or td[1][normalize-space()='{name}']]"):
            return [c.text.strip() for c in row.find_elements(By.XPATH, "./th|./td")]
        return None

    ui.wait(lambda: param_row("alpha") == ["alpha", "0.1", "10"], "params row alpha 0.1 | 10")
    ui.wait(lambda: param_row("solver") == ["solver", "auto", "auto"], "params row solver auto | auto")
    ui.wait(lambda: ui.driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"), "parallel coordinates plot")
    ui.shot("compare.png")
    return "both runs, ids, params alpha 0.1|10 and solver auto|auto, plot"


def check_models(ui, ids):
    name = ids["model_name"]
    ui.open("/models")
    ui.wait(lambda: ui.visible(f"//a[@href='#/models/{name}'][normalize-space()='{name}']"), f"{name} link")
    ui.wait(lambda: ui.visible(f"//a[@href='#/models/{name}/versions/{ids['model_version_2']}']"), "latest version link")
    ui.wait(lambda: ui.visible("//*[@title='champion']"), "alias champion")
    ui.shot("models.png")
    return f"{name}, latest Version {ids['model_version_2']}, @champion"


def check_model(ui, ids):
    name = ids["model_name"]
    ui.open(f"/models/{name}")
    ui.wait_text("A model for the UI.", what="model description")
    for v in (ids["model_version"], ids["model_version_2"]):
        ui.wait(lambda: ui.visible(f"//a[normalize-space()='Version {v}']"), f"Version {v} link")
    ui.wait(lambda: ui.visible("//*[@title='champion']"), "alias champion")
    ui.shot("model.png")
    return "description, versions 1 and 2, @champion"


def check_model_version(ui, ids):
    name, v = ids["model_name"], ids["model_version"]
    ui.open(f"/models/{name}/versions/{v}")
    ui.wait_text(f"Version {v}")
    ui.wait(lambda: ui.visible("//*[@title='champion']") or ui.visible("//*[contains(normalize-space(),'@ champion')][not(*)]"), "alias champion")
    ui.wait(lambda: ui.table_row("validated") and ui.table_row("validated")[:2] == ["validated", "yes"], "version tag validated=yes")
    ui.wait(lambda: ui.visible("//a[normalize-space()='with-model']"), "source run link")
    # The signature: the Schema table's "Inputs (1)" row expands to the tensor spec.
    inputs = ui.wait(lambda: ui.visible("//*[@role='cell']//*[normalize-space(text())='Inputs (1)']"), "schema Inputs (1)")[0]
    inputs.click()
    ui.wait_text("Tensor (dtype: float64, shape: [-1,2])", what="the input tensor spec")
    ui.shot("model-version.png")
    return "Version 1, @champion, tag validated=yes, source run, signature input tensor float64"


CHECKS = [
    ("experiments", check_experiments),
    ("runs-table", check_runs_table),
    ("run-page", check_run_page),
    ("artifact-text", check_artifact_text),
    ("artifact-png", check_artifact_png),
    ("compare", check_compare),
    ("models", check_models),
    ("model", check_model),
    ("model-version", check_model_version),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("screenshot_dir")
    ap.add_argument("--fill", action="store_true", help="fill the server with tests/ui/fill_store.py first")
    ap.add_argument("--ids", help="JSON file of ids printed by fill_store.py")
    ap.add_argument("--only", help="comma-separated check names")
    ap.add_argument("--basic-auth", metavar="USER:PASSWORD", help="log in to a server run with --app-name basic-auth")
    args = ap.parse_args(argv)
    os.makedirs(args.screenshot_dir, exist_ok=True)
    if args.basic_auth:
        user, _, password = args.basic_auth.partition(":")
        os.environ["MLFLOW_TRACKING_USERNAME"] = user
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
        AUTH_HEADERS["Authorization"] = "Basic " + base64.b64encode(args.basic_auth.encode()).decode()
    if args.fill:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import fill_store

        ids = fill_store.fill(args.url)
    elif args.ids:
        with open(args.ids) as f:
            ids = json.load(f)
    else:
        ids = discover(args.url)

    ui = UI(args.url, args.screenshot_dir)
    failures = 0
    report = {}
    try:
        for name, fn in CHECKS:
            if args.only and name not in args.only.split(","):
                continue
            t0 = time.monotonic()
            detail, problems = None, []
            try:
                detail = fn(ui, ids)
            except CheckFailed as e:
                problems.append(str(e))
            except Exception as e:  # a broken selector etc.: report, go on
                problems.append(f"{type(e).__name__}: {e}".splitlines()[0])
                traceback.print_exc(file=sys.stderr)
            if ui.page is not None:
                ui.page.drain()
                problems.extend(ui.page.problems())
                report[name] = {"requests": ui.page.listing(), "static_files": ui.page.static_count()}
            if problems:
                failures += 1
                try:
                    ui.shot(f"{name}-FAILED.png")
                except Exception:
                    pass
                print(f"FAIL {name}: " + " | ".join(problems), flush=True)
            else:
                print(f"PASS {name} ({time.monotonic() - t0:.1f}s): {detail}", flush=True)
    finally:
        ui.driver.quit()
    with open(os.path.join(args.screenshot_dir, "requests.json"), "w") as f:
        json.dump(report, f, indent=1)
    total = len(report)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
