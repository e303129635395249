"""The real thing: Debian's Prometheus server scrapes a runner on loopback
with docs/prometheus.yml, and its HTTP API returns the runner's numbers."""

import json
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import FeedSummary, Summary, env_path, free_port, sample_files, wait_until, write_config


def query(prometheus_port, expression):
    """The value of an instant query (a single series), or None."""
    url = f"http://127.0.0.1:{prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except OSError:
        return None
    result = body.get("data", {}).get("result", [])
    return float(result[0]["value"][1]) if len(result) == 1 else None


def query_status(prometheus_port, expression):
    """(status, result) of an instant query; status "error" when Prometheus refuses the expression."""
    url = f"http://127.0.0.1:{prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    return body["status"], body.get("data", {}).get("result", []), body.get("error")


def dashboard_expressions():
    dashboard = json.loads((Path(env_path("SIGRUN_DOCS")) / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"].replace("$job", ".*").replace("$instance", ".*")


def ready(prometheus_port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{prometheus_port}/-/ready", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def test_prometheus_scrapes_frames_dispatched_and_it_matches_the_summary(tmp_path, procs):
    runner_port, prometheus_port = free_port(), free_port()
    shipped = (Path(env_path("SIGRUN_DOCS")) / "prometheus.yml").read_text()
    assert '"127.0.0.1:9464"' in shipped
    (tmp_path / "prometheus.yml").write_text(shipped.replace("127.0.0.1:9464", f"127.0.0.1:{runner_port}"))
    prometheus = procs.start("prometheus", env_path("PROMETHEUS_EXE"),
                             [f"--config.file={tmp_path / 'prometheus.yml'}",
                              f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                              f"--web.listen-address=127.0.0.1:{prometheus_port}"])
    wait_until("prometheus to be ready", lambda: ready(prometheus_port) or prometheus.poll() is not None, timeout=60)
    assert prometheus.poll() is None, (tmp_path / "prometheus.err").read_text()

    # The bundled sample at 20x its recorded pace (~9 s) from a separate feed,
    # so the runner (journal source) is still up when the input has ended.
    shared = tmp_path / "shared"
    feeder = procs.start("feed", env_path("SIGRUN_FEED_EXE"),
                         ["replay", "--journal", shared, "--capacity", 8192, "--speed", 20, "--files", *sample_files()])
    md = shared / "md.journal"
    wait_until("md.journal", lambda: md.exists() and md.stat().st_size > 0, timeout=30)
    config = write_config(tmp_path / "runner", {"kind": "journal", "start": "oldest", "md": str(md)},
                          metrics={"listen": f"127.0.0.1:{runner_port}"})
    runner = procs.start("runner", env_path("SIGRUN_EXE"), ["--config", config])

    expression = 'sum(sigrun_frames_dispatched_total{job="sigrun"})'
    seen = []

    def increased():
        value = query(prometheus_port, expression)
        if value is not None and (not seen or value != seen[-1]):
            seen.append(value)
        return len(seen) >= 2 and seen[-1] > seen[0]

    wait_until("prometheus to scrape sigrun_frames_dispatched_total twice, increasing", increased, timeout=60,
               interval=0.5)
    rc, out, err = procs.finish(feeder, timeout=120)
    assert rc == 0, err
    fed = FeedSummary(out)
    assert fed.frames == 5015
    scraped = wait_until("prometheus to scrape all 5015 frames",
                         lambda: query(prometheus_port, expression) == fed.frames and fed.frames, timeout=60,
                         interval=0.5)
    assert query(prometheus_port, 'up{job="sigrun"}') == 1
    # Every query of the shipped Grafana dashboard parses, and those over
    # what a runner reading another process's journal has (no own feed, no
    # pins: frames are copied out) return data.
    own_feed_only = ("sigrun_frames_pinned", "sigrun_writer_pin", "sigrun_md_frames_written", "sigrun_pin_held_longest")
    checked = 0
    for title, expression in dashboard_expressions():
        status, result, error = query_status(prometheus_port, expression)
        assert status == "success", (title, expression, error)
        if not any(name in expression for name in own_feed_only):
            assert result, (title, expression)
            checked += 1
    assert checked >= 15
    assert query(prometheus_port, 'sum(sigrun_engine_frames_total{job="sigrun",engine="trade_flow"})') == fed.trade

    # Once the runner is gone Prometheus marks its series stale: compare
    # with the value scraped while it ran.
    rc, out, err = procs.finish(runner, sig=signal.SIGTERM)
    assert rc == 0, err
    summary = Summary(out)
    assert summary.depth + summary.trade == scraped == fed.frames
    assert all(later >= earlier for earlier, later in zip(seen, seen[1:])), seen
    rc, _, err = procs.finish(prometheus, sig=signal.SIGTERM, timeout=60)
    assert rc == 0, err


def test_promtool_accepts_the_shipped_scrape_config():
    promtool = Path(env_path("PROMETHEUS_EXE")).with_name("promtool")
    r = subprocess.run([promtool, "check", "config", Path(env_path("SIGRUN_DOCS")) / "prometheus.yml"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
