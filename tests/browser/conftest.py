"""Browser tests: a real Jupyter server, a real headless Chromium, driven by Playwright.

The lessons' widgets are tested the way a student meets them, in both front ends students use:
JupyterLab and Jupyter Notebook 7 (the `notebook` package) open the notebook, "Run All Cells" is
clicked in the Run menu, and the test reads and clicks the rendered page. Every browser test runs
once per front end (the module-scoped `frontend` fixture: ids `jupyterlab` and `notebook7`), with the
same assertions; one server serves both (`/lab/...` and `/notebooks/...`).

Set-up, all per test session and always torn down (fixture finalisers):
  * a temporary Jupyter root: `notebooks/` holds *copies* of the lessons (so JupyterLab can never
    save outputs over the committed notebooks) and everything else in the repo is symlinked;
  * temporary Jupyter config/settings/workspace folders (no user settings leak in; autosave off;
    every cell kept in the DOM, not virtualised);
  * `jupyter lab` on a free 127.0.0.1 port with a random token (Notebook 7 is a server extension
    of the same server);
  * Debian's /usr/bin/chromium (or $BERTBOOK_CHROMIUM), headless, through Playwright, at device
    pixel ratio 2 (a HiDPI screen: blurry images would show, and screenshots are sharp).

Where Chromium or Playwright is missing the tests are skipped with a message saying what to
install -- unless the environment variable CI is set, where they fail instead.
Screenshots (named `jupyterlab-...png` and `notebook7-...png`), the server log and the browser
console go to test-artifacts/browser/.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"

# Every wait is bounded. The machine may be slow and shared: notebooks get minutes.
SERVER_START_TIMEOUT_S = float(os.environ.get("BERTBOOK_SERVER_TIMEOUT", 180))
PAGE_TIMEOUT_S = float(os.environ.get("BERTBOOK_PAGE_TIMEOUT", 120))
RUN_ALL_TIMEOUT_S = float(os.environ.get("BERTBOOK_RUN_ALL_TIMEOUT", 900))
WIDGET_TIMEOUT_S = float(os.environ.get("BERTBOOK_WIDGET_TIMEOUT", 120))
DEVICE_SCALE_FACTOR = 2
FRONTENDS = ("jupyterlab", "notebook7")

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium_path() -> str | None:
    """$BERTBOOK_CHROMIUM if set (and only it), else Debian's /usr/bin/chromium or one on PATH."""
    if os.environ.get("BERTBOOK_CHROMIUM"):
        path = os.environ["BERTBOOK_CHROMIUM"]
        return path if Path(path).exists() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _missing_requirement() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the Python package 'playwright' is not installed "
                "(pip install -e \".[test]\" installs it)")
    if _chromium_path() is None:
        where = os.environ.get("BERTBOOK_CHROMIUM") or "/usr/bin/chromium or on PATH"
        return (f"no Chromium found ({where}); Debian/Ubuntu: apt-get install -y chromium, "
                "or set BERTBOOK_CHROMIUM=/path/to/chromium-or-chrome")
    return None


def _require_browser() -> None:
    """Skip when Chromium/Playwright is missing -- but fail loudly on CI (env var CI set)."""
    missing = _missing_requirement()
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the browser suite cannot run: {missing}", pytrace=False)
    pytest.skip(f"browser test skipped: {missing}. Run the rest with -m 'not browser'.")


def pytest_collection_modifyitems(config, items):
    """Locally, mark every browser test skipped up front when Chromium or Playwright is missing."""
    if _missing_requirement() is None or os.environ.get("CI"):
        return  # on CI the lab_server fixture fails each test instead
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(
                reason=f"browser test skipped: {_missing_requirement()}. "
                       "Run the rest with -m 'not browser'."))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so fixtures can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --------------------------------------------------------------------------------------------
# The JupyterLab server
# --------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_lab_root(root: Path) -> None:
    """Symlink the repo into `root`, but *copy* the notebooks, so nothing can be saved over them."""
    for entry in REPO.iterdir():
        if entry.name in {".git", "notebooks", "test-artifacts"}:
            continue
        (root / entry.name).symlink_to(entry)
    nb_dir = root / "notebooks"
    nb_dir.mkdir()
    src_dir = REPO / "notebooks"
    if src_dir.is_dir():
        for entry in src_dir.iterdir():
            if entry.suffix == ".ipynb":
                shutil.copy2(entry, nb_dir / entry.name)
            elif entry.name != ".ipynb_checkpoints":
                (nb_dir / entry.name).symlink_to(entry)


def _write_settings(settings_dir: Path) -> None:
    """JupyterLab user settings for a test run: no autosave, no virtualised cells, no news."""
    settings = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        # Keep every cell in the DOM, so the test sees every prompt and output.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false", "checkForUpdates": False},
    }
    for rel, value in settings.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class LabServer:
    def __init__(self, proc: subprocess.Popen, url: str, token: str, root: Path, log: Path):
        self.proc, self.url, self.token, self.root, self.log = proc, url, token, root, log

    def api(self, method: str, path: str, timeout: float = 10.0):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def kernel_states(self) -> list[str]:
        """Execution state of every kernel; ["unknown"] while the server cannot say (a poll retries)."""
        try:
            return [k["execution_state"] for k in self.api("GET", "/api/kernels")]
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            return [f"unknown ({error})"]


def _kill_kernels_of(server_pid: int) -> None:
    """Kernels run in their own sessions; find the ones this server started, by JPY_PARENT_PID."""
    marker = f"JPY_PARENT_PID={server_pid}".encode()
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc_dir / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc_dir.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _stop_server(server: LabServer) -> None:
    proc = server.proc
    if proc.poll() is None:
        try:  # polite first: shut the kernels, then the server
            for kernel in server.api("GET", "/api/kernels", timeout=5):
                server.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=20)
            server.api("POST", "/api/shutdown", timeout=5)
            proc.wait(timeout=20)
        except Exception:
            pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait(timeout=10)
    _kill_kernels_of(proc.pid)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    _require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    _make_lab_root(root)
    settings = base / "settings"
    _write_settings(settings)

    env = dict(os.environ)
    # tests/conftest.py sets MPLBACKEND=Agg for the quick suite; a student's kernel has the inline
    # backend, so the kernel must not inherit Agg (plt.show() would draw nothing).
    env.pop("MPLBACKEND", None)
    env.update({
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"),
        "PYTHONUNBUFFERED": "1",
    })
    port, token = _free_port(), secrets.token_hex(16)
    # one server per pytest-xdist worker (each runs its own browser test files), so one log each
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    stem = f"jupyter-server-{worker}" if worker else "jupyter-server"
    log = ARTIFACTS / f"{stem}.log"
    if log.exists():
        log.replace(ARTIFACTS / f"{stem}.previous.log")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True",          # lets the test read cell models
           "--JupyterNotebookApp.expose_app_in_browser=True",   # the same in Notebook 7
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           # Should pytest be killed before its finalisers run, the server still goes: idle
           # kernels are culled after 10 minutes, and a server with no kernels stops 10 later.
           "--ServerApp.shutdown_no_activity_timeout=600",
           "--MappingKernelManager.cull_idle_timeout=600",
           "--MappingKernelManager.cull_interval=60",
           "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI machines run as root
        cmd.append("--allow-root")
    with open(log, "w") as log_file:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(proc, f"http://127.0.0.1:{port}", token, root, log)
    # `timeout` and CI runners stop pytest with SIGTERM, which skips finalisers; make it an
    # interrupt instead, so the server, its kernels and the browser are still shut down.
    previous_handler = signal.getsignal(signal.SIGTERM)

    def _interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "/api/status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                            f"{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        _stop_server(server)
        signal.signal(signal.SIGTERM, previous_handler)


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(lab_server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        # A persistent context gives Chromium a fresh --user-data-dir of our own.
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000}, device_scale_factor=DEVICE_SCALE_FACTOR,
            timeout=PAGE_TIMEOUT_S * 1000)
        try:
            yield context
        finally:
            context.close()
    finally:
        pw.stop()


class NotebookPage:
    """One notebook open in JupyterLab or Notebook 7, with the few UI actions the tests need.

    Both front ends are built from the same JupyterLab components, so the page has the same CSS
    classes (.jp-NotebookPanel, .jp-CodeCell, .lm-MenuBar ...) and the same menus; only the URL
    differs."""

    def __init__(self, page, server: LabServer, path: str, console: list[str], frontend: str = "jupyterlab"):
        if frontend not in FRONTENDS:
            raise ValueError(f"frontend must be one of {FRONTENDS}, got {frontend!r}")
        self.page, self.server, self.path, self.console = page, server, path, console
        self.frontend = frontend
        self.run_state: dict | None = None
        self.missing: set[str] = set()

    # ---- opening and running ---------------------------------------------------------------
    def url(self) -> str:
        if self.frontend == "notebook7":
            return f"{self.server.url}/notebooks/{self.path}?token={self.server.token}"
        # A fresh workspace per page, so a tab never restores another test's open notebooks.
        workspace = f"test-{Path(self.path).stem}-{secrets.token_hex(4)}"
        return f"{self.server.url}/lab/workspaces/{workspace}/tree/{self.path}?token={self.server.token}"

    def open(self) -> None:
        self.page.goto(self.url(), timeout=PAGE_TIMEOUT_S * 1000)
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(
            timeout=PAGE_TIMEOUT_S * 1000)
        self.wait_kernel_idle(PAGE_TIMEOUT_S)

    def wait_kernel_idle(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            states = self.server.kernel_states()
            if states and all(s == "idle" for s in states):
                return
            time.sleep(0.5)
        raise TimeoutError(f"kernel not idle after {timeout_s:.0f} s: {self.server.kernel_states()}")

    def click_menu(self, menu: str, item: str) -> None:
        """Click `menu` in the menu bar, then `item` in the menu that opens."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
        entry = self.page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True)
        entry.first.click()

    def cell_states(self) -> dict:
        """Prompts and error outputs of every code cell, read from the page (and cell models)."""
        return self.page.evaluate(r"""() => {
          const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
          const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')];
          const out = {busy: 0, unrun: 0, run: 0, errors: [], source: 'page'};
          cells.forEach((cell, i) => {
            const src = (cell.querySelector('.cm-content') || {innerText: ''}).innerText.trim();
            const prompt = (cell.querySelector('.jp-InputArea-prompt') || {innerText: ''}).innerText;
            if (prompt.includes('*')) out.busy++;
            else if (/\[\d+\]/.test(prompt)) out.run++;
            else if (src) out.unrun++;
            for (const o of cell.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
              const text = o.innerText;
              if (/Traceback|^\w*(Error|Exception)\b/m.test(text))
                out.errors.push(`code cell ${i + 1}: ${text.slice(0, 3000)}`);
            }
            for (const o of cell.querySelectorAll('.jp-OutputArea-output')) {
              if (/Error displaying widget|Failed to load model class/.test(o.innerText))
                out.errors.push(`code cell ${i + 1}: widget did not render: ${o.innerText.slice(0, 500)}`);
            }
          });
          // The cell models say for certain which cells ran (also those whose input is collapsed,
          // which the page does not show) and which outputs are exceptions (output_type "error").
          const app = window.jupyterapp;
          const widget = app && app.shell.currentWidget;
          if (widget && widget.content && widget.content.model) {
            const cellList = widget.content.model.cells;
            let run = 0, unrun = 0, code = 0;
            for (let i = 0; i < cellList.length; i++) {
              const model = cellList.get(i);
              if (model.type !== 'code') continue;
              code++;
              if (model.executionCount) run++;
              else if (model.sharedModel.getSource().trim()) unrun++;
              for (let j = 0; j < model.outputs.length; j++) {
                const o = model.outputs.get(j).toJSON();
                if (o.output_type === 'error')
                  out.errors.push(`cell ${i + 1} (model): ${o.ename}: ${o.evalue}`);
              }
            }
            Object.assign(out, {run, unrun: Math.max(unrun, out.unrun), source: 'model'});
          }
          out.total = cells.length;
          return out;
        }""")

    def run_all(self, timeout_s: float = RUN_ALL_TIMEOUT_S) -> dict:
        """Edit > Clear Outputs of All Cells, Run > Run All Cells, then wait until every cell ran
        (or one failed) and the kernel idles. Clearing first removes the committed outputs and
        execution counts, so a cell that never runs is seen as unrun, not as done."""
        self.click_menu("Edit", "Clear Outputs of All Cells")
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-CodeCell .jp-InputArea-prompt')].some(p => /\\[\\d+\\]/.test(p.innerText))",
            timeout=PAGE_TIMEOUT_S * 1000)
        self.click_menu("Run", "Run All Cells")
        deadline = time.monotonic() + timeout_s
        started = time.monotonic()
        idle_polls = 0
        while True:
            state = self.cell_states()
            if state["busy"] == 0 and (state["unrun"] == 0 or state["errors"]):
                kernels = self.server.kernel_states()
                idle_polls = idle_polls + 1 if all(k == "idle" for k in kernels) else 0
                if idle_polls >= 3:
                    state["seconds"] = round(time.monotonic() - started, 1)
                    return state
            else:
                idle_polls = 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"Run All did not finish in {timeout_s:.0f} s: {state}")
            time.sleep(1.0)

    # ---- widgets -----------------------------------------------------------------------------
    def widget(self, selector: str):
        """The first element matching `selector` in the notebook, once visible.

        Fails at once (not after a timeout per test) when Run All stopped early, or when the same
        widget was already looked for in vain."""
        if self.run_state and (self.run_state["errors"] or self.run_state["unrun"]):
            pytest.fail(f"{self.path} did not run through, so its widgets cannot be tested: "
                        f"{self.run_state['errors'][:2] or self.run_state}", pytrace=False)
        if selector in self.missing:
            pytest.fail(f"{selector} was not found in {self.path} (see the earlier failure)", pytrace=False)
        loc = self.page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) {selector}")
        try:
            loc.first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_S * 1000)
        except Exception:
            self.missing.add(selector)
            pytest.fail(f"no visible {selector} in {self.path} after {WIDGET_TIMEOUT_S:.0f} s: the widget "
                        "did not render, or lost its CSS class", pytrace=False)
        return loc.first

    def image_digest(self, container, attempts: int = 20) -> str:
        """SHA-256 of the bytes of every <img> inside `container` (fetches blob:/data: URLs).

        While ipywidgets swaps an image, the old blob: URL may already be revoked; then retry."""
        for _ in range(attempts):
            digest = container.evaluate(r"""async (el) => {
              const imgs = el.tagName === 'IMG' ? [el] : [...el.querySelectorAll('img')];
              const parts = [];
              try {
                for (const img of imgs) {
                  const buf = await (await fetch(img.src)).arrayBuffer();
                  const digest = await crypto.subtle.digest('SHA-256', buf);
                  parts.push([...new Uint8Array(digest)]
                             .map(b => b.toString(16).padStart(2, '0')).join(''));
                }
              } catch (e) { return null; }
              return parts.join(',');
            }""")
            if digest is not None:
                return digest
            time.sleep(0.2)
        raise AssertionError("could not read the image bytes (blob URL kept failing)")

    def nudge_slider(self, handle, direction: int, pixels: float = 20) -> None:
        """Move an ipywidgets slider as a mouse user does: click its track `pixels` CSS pixels right
        (direction +1) or left (-1) of the handle. Arrow keys on a focused handle work in
        JupyterLab, but Notebook 7 does not pass them to the slider, so the tests click instead."""
        handle.scroll_into_view_if_needed(timeout=WIDGET_TIMEOUT_S * 1000)
        at = handle.bounding_box()
        self.page.mouse.click(at["x"] + at["width"] / 2 + direction * pixels, at["y"] + at["height"] / 2)

    def screenshot(self, locator, name: str) -> Path:
        """Save a screenshot of `locator` as test-artifacts/browser/<frontend>-<name>."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.frontend}-{name}"
        locator.scroll_into_view_if_needed(timeout=WIDGET_TIMEOUT_S * 1000)
        locator.screenshot(path=str(path), timeout=WIDGET_TIMEOUT_S * 1000)
        return path


_OPEN_PAGES: list[NotebookPage] = []


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request):
    """After a failed test, save what every open notebook tab shows (test-artifacts/browser/)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for nb in _OPEN_PAGES:
        name = f"FAILED-{request.node.name}-{nb.frontend}-{Path(nb.path).stem}.png"
        try:
            nb.page.screenshot(path=str(ARTIFACTS / name), timeout=30_000)
        except Exception as error:  # a screenshot must not hide the real failure
            print(f"no failure screenshot: {error}")


@pytest.fixture(scope="module", params=FRONTENDS)
def frontend(request) -> str:
    """The front end a module's tests run in: every browser test runs in both."""
    return request.param


@pytest.fixture(scope="module")
def open_notebook(lab_server, browser, frontend):
    """Factory: open a notebook in a new tab of `frontend` and run all its cells through the UI.

    Returns (NotebookPage, run_state). The tab is closed, and its kernel shut down, at module end
    (and before the same module runs in the other front end).
    """
    pages = []

    def _open(rel_path: str, copy_from: Path | None = None):
        if copy_from is not None:  # a notebook from outside the repo (the harness's self-test)
            shutil.copy2(copy_from, lab_server.root / rel_path)
        if not (lab_server.root / rel_path).exists():
            pytest.fail(f"{rel_path} does not exist in the repo", pytrace=False)
        page = browser.new_page()
        page.set_default_timeout(WIDGET_TIMEOUT_S * 1000)
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        nb = NotebookPage(page, lab_server, rel_path, console, frontend)
        pages.append(nb)
        _OPEN_PAGES.append(nb)
        nb.open()
        nb.run_state = nb.run_all()
        return nb, nb.run_state

    yield _open

    for nb in pages:
        stem = f"{nb.frontend}-{Path(nb.path).stem}"
        (ARTIFACTS / f"{stem}-console.log").write_text("\n".join(nb.console))
        try:  # the page as it was left: the first thing to look at when a test failed
            nb.page.screenshot(path=str(ARTIFACTS / f"{stem}-page.png"), timeout=30_000)
        except Exception:
            pass
        nb.page.close()
        _OPEN_PAGES.remove(nb)
    try:
        for kernel in lab_server.api("GET", "/api/kernels"):
            lab_server.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
    except (urllib.error.URLError, OSError) as error:   # the session teardown kills them anyway
        print(f"could not shut the kernels down: {error}")
