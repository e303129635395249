"""/metrics and --stats-json of the runner: the numbers match the summary,
and every mistake an operator can make is one line."""

import json
import re
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

from conftest import (Summary, env_path, free_port, read_stats, sample_files, stats_value, wait_until,
                      write_config)


def replay(speed=0):
    return {"kind": "replay", "speed": speed, "files": sample_files()}


def sigrun(*args, timeout=240):
    return subprocess.run([env_path("SIGRUN_EXE"), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def last_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return lines[-1]


def test_stats_json_at_exit_holds_the_summarys_numbers(tmp_path):
    config = write_config(tmp_path, replay(), md_capacity=4096)
    stats_path = tmp_path / "stats.json"
    r = sigrun("--config", config, "--stats-json", stats_path)
    assert r.returncode == 0, r.stderr
    summary = Summary(r.stdout)
    stats = read_stats(stats_path)
    assert stats_value(stats, "sigrun_frames_dispatched_total", type="depth") == summary.depth == 1793
    assert stats_value(stats, "sigrun_frames_dispatched_total", type="trade") == summary.trade == 3222
    assert stats_value(stats, "sigrun_frames_lost_total") == summary.lost
    assert stats_value(stats, "sigrun_frames_damaged_total") == summary.damaged == 0
    assert stats_value(stats, "sigrun_factors_published_total") == summary.factors
    assert stats_value(stats, "sigrun_md_frames_written_total") == 5015
    assert stats_value(stats, "sigrun_md_reader_lag_frames") == 0
    assert stats_value(stats, "sigrun_frames_pinned") == 0
    assert stats_value(stats, "sigrun_pin_held_longest_seconds") == 0  # the engines keep no frame
    for engine, numbers in summary.engines.items():
        assert stats_value(stats, "sigrun_engine_frames_total", engine=engine) == numbers["frames"]
        assert stats_value(stats, "sigrun_engine_factors_emitted_total", engine=engine) == numbers["factors"]
        # one sample per engine, 0 for engines that never overran (a stall: tests/runner/liveness_test.cpp)
        assert [s["value"] for s in stats["metrics"]["sigrun_watchdog_trips_total"]["samples"]
                if s["labels"]["engine"] == engine] == [0]
        latency = [s for s in stats["metrics"]["sigrun_engine_on_data_latency_seconds"]["samples"]
                   if s["labels"]["engine"] == engine][0]
        # Sampled every 32nd dispatch round: some samples, never more than frames.
        assert 0 < latency["count"] <= numbers["frames"]
        assert latency["buckets"][-1] == {"le": "+Inf", "count": latency["count"]}
        counts = [b["count"] for b in latency["buckets"]]
        assert counts == sorted(counts)
    # The shipped Grafana dashboard asks only for metrics the runner has.
    dashboard = json.loads((Path(env_path("SIGRUN_DOCS")) / "grafana-dashboard.json").read_text())
    named = {re.sub(r"_(bucket|count|sum)$", "", name) for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"sigrun_[a-z_0-9]+", target["expr"])}
    assert len(named) >= 15 and named <= set(stats["metrics"]), named - set(stats["metrics"])
    info = stats["metrics"]["sigrun_build_info"]["samples"][0]["labels"]
    assert info["handoff"] in ("copy", "frame-ref") and info["abi"].startswith("1.")


def test_metrics_endpoint_serves_the_runners_families(tmp_path, procs):
    port = free_port()
    # journal source: the runner stays up until SIGTERM
    feed = subprocess.run([env_path("SIGRUN_FEED_EXE"), "synthetic", "--journal", tmp_path / "feed", "--events", "500"],
                          capture_output=True, text=True, timeout=60)
    assert feed.returncode == 0, feed.stderr
    config = write_config(tmp_path / "r", {"kind": "journal", "start": "oldest", "md": str(tmp_path / "feed" / "md.journal")},
                          metrics={"listen": f"127.0.0.1:{port}"})
    runner = procs.start("runner", env_path("SIGRUN_EXE"), ["--config", config])

    def scrape():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
        except OSError:
            return None
        values = {}
        for line in text.splitlines():
            if line.startswith("sigrun_frames_dispatched_total{"):
                values[line.split('"')[1]] = float(line.rsplit(" ", 1)[1])
        return text if sum(values.values()) == 500 else None

    text = wait_until("/metrics to show all 500 frames dispatched", scrape, timeout=60, interval=0.2)
    for family in ("sigrun_build_info", "sigrun_engine_on_data_latency_seconds_bucket", "sigrun_md_reader_lag_frames",
                   "sigrun_hot_swaps_total", "sigrun_engine_errors_total", "sigrun_engine_frames_held",
                   'sigrun_watchdog_trips_total{engine="ofi"} 0'):
        assert family in text, family
    # An external writer: no own feed, no pins (frames are copied out).
    assert "sigrun_md_frames_written_total" not in text and "sigrun_frames_pinned" not in text
    assert "sigrun_pin_held_longest_seconds" not in text
    rc, out, err = procs.finish(runner, sig=signal.SIGTERM)
    assert rc == 0, err
    summary = Summary(out)
    assert summary.depth + summary.trade == 500


def test_a_busy_metrics_port_is_one_line_and_no_journal_is_created(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = write_config(tmp_path, replay(), metrics={"listen": f"127.0.0.1:{port}"})
        r = sigrun("--config", config)
    assert r.returncode == 1
    line = last_line(r.stderr)
    assert "$.metrics.listen" in line and f"127.0.0.1:{port}" in line and "pick a free port" in line, line
    assert not (tmp_path / "journal").exists()


def test_a_malformed_listen_address_is_a_config_error(tmp_path):
    for listen, problem in (("localhost", "is not host:port"), ("127.0.0.1:http", "no port number"),
                            ("127.0.0.1:70000", "no port number")):
        config = write_config(tmp_path, replay(), metrics={"listen": listen})
        r = sigrun("--config", config, "--check-config")
        assert r.returncode == 1
        line = last_line(r.stderr)
        assert "$.metrics.listen" in line and problem in line, line
    config = write_config(tmp_path, replay(), metrics={"port": 1})
    r = sigrun("--config", config, "--check-config")
    assert r.returncode == 1 and "$.metrics.port is not a known key" in last_line(r.stderr)


def test_stats_json_mistakes_exit_2_before_anything_runs(tmp_path):
    config = write_config(tmp_path, replay())
    r = sigrun("--config", config, "--stats-json", tmp_path / "missing" / "stats.json")
    assert r.returncode == 2 and "not a folder; create it first" in last_line(r.stderr)
    r = sigrun("--config", config, "--stats-json", tmp_path)
    assert r.returncode == 2 and "is a directory" in last_line(r.stderr)
    r = sigrun("--config", config, "--stats-interval", 1)
    assert r.returncode == 2 and "--stats-json" in last_line(r.stderr)
    r = sigrun("--config", config, "--stats-json", tmp_path / "s.json", "--stats-interval", 0)
    assert r.returncode == 2
    assert not (tmp_path / "journal").exists()


def test_stats_interval_rewrites_the_file_during_the_run(tmp_path, procs):
    config = write_config(tmp_path, replay(speed=40), md_capacity=4096)
    stats_path = tmp_path / "stats.json"
    runner = procs.start("runner", env_path("SIGRUN_EXE"),
                         ["--config", config, "--stats-json", stats_path, "--stats-interval", 0.2])
    seen = set()

    def growing():
        stats = read_stats(stats_path)
        if stats:
            seen.add(stats_value(stats, "sigrun_frames_dispatched_total"))
        return len({v for v in seen if 0 < v < 5015}) >= 2

    wait_until("two different partial counts in the stats file", growing, timeout=60, interval=0.05)
    rc, out, err = procs.finish(runner, timeout=120)
    assert rc == 0, err
    assert stats_value(read_stats(stats_path), "sigrun_frames_dispatched_total") == 5015
