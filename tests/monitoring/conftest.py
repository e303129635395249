"""Helpers for the monitoring tests: sigrun with /metrics and --stats-json,
sigrun-feed feeding runners in "journal" source mode, and Debian's real
Prometheus server scraping a runner.

ctest (tests/monitoring/CMakeLists.txt) passes this build's executables:
  SIGRUN_EXE, SIGRUN_FEED_EXE, SIGRUN_JOURNAL_EXE, SIGRUN_PLUGIN_OFI/_MICROPRICE/_TRADE_FLOW,
  SIGRUN_EXAMPLES_DATA, SIGRUN_DOCS (docs/, for prometheus.yml), PROMETHEUS_EXE,
  SIGRUN_TEST_VALGRIND(_SUPPRESSIONS) in the memcheck build.
Every process a test starts is stopped by the test (the `procs` fixture
kills what is left), and every wait is bounded.
"""

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from sigrun_proc import child_command, engines, env_path, fail_on_memcheck_report, sample_files  # noqa: E402

def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout, interval=0.1):
    """Polls `predicate` until it returns something truthy (returned), or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}", pytrace=False)
        time.sleep(interval)


class Procs:
    """Processes a test started; whatever is still running at teardown is killed."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.running = []

    def start(self, name, exe, args):
        log = self.dir / f"{name}-valgrind.log"
        out = open(self.dir / f"{name}.out", "w")
        err = open(self.dir / f"{name}.err", "w")
        proc = subprocess.Popen(child_command(exe, args, log), stdout=out, stderr=err, text=True)
        proc.name, proc.log, proc.out_path, proc.err_path = name, log, Path(out.name), Path(err.name)
        out.close()
        err.close()
        self.running.append(proc)
        return proc

    def finish(self, proc, timeout=120, sig=None):
        """Optionally signals `proc`, waits (bounded) and returns (returncode, stdout, stderr)."""
        if sig is not None and proc.poll() is None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"{proc.name} did not exit within {timeout} s:\n{proc.err_path.read_text()}", pytrace=False)
        self.running.remove(proc)
        out, err = proc.out_path.read_text(), proc.err_path.read_text()
        fail_on_memcheck_report(proc.returncode, proc.log, proc.name)
        return proc.returncode, out, err

    def kill_all(self):
        for proc in self.running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.running.clear()


@pytest.fixture
def procs(tmp_path):
    p = Procs(tmp_path)
    yield p
    p.kill_all()


def write_config(directory, source, metrics=None, md_capacity=8192):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "journal": {"dir": str(directory / "journal"),
                    "md": {"capacity": md_capacity, "slot_size": 512},
                    "signals": {"capacity": 65536, "slot_size": 512}},
        "source": source,
        "engines": engines(),
        "output": {"print_factors": 0},
    }
    if metrics is not None:
        config["metrics"] = metrics
    path = directory / "runner.json"
    path.write_text(json.dumps(config, indent=2))
    return path


class Summary:
    """The numbers of the runner's end-of-run summary."""

    def __init__(self, stdout):
        m = re.search(r"^frames dispatched depth=(\d+) trade=(\d+) rejected=(\d+) lost=(\d+) damaged=(\d+)$", stdout, re.M)
        assert m, f"no summary in:\n{stdout}"
        self.depth, self.trade, self.rejected, self.lost, self.damaged = map(int, m.groups())
        m = re.search(r"^factors emitted\s+(\d+)", stdout, re.M)
        self.factors = int(m.group(1))
        # "ofi            ofi 0.1.0                        1793      10752      4479 ..."
        self.engines = {}
        for m in re.finditer(r"^(\w+)\s+\S+ \S+\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+\d+$", stdout, re.M):
            self.engines[m.group(1)] = {"frames": int(m.group(2)), "factors": int(m.group(3))}


class FeedSummary:
    """sigrun-feed's final line."""

    def __init__(self, stdout):
        m = re.search(r"wrote (\d+) frames \(depth (\d+), trade (\d+)\)", stdout)
        assert m, f"no feed summary in:\n{stdout}"
        self.frames, self.depth, self.trade = map(int, m.groups())
        self.stopped = "stopped by signal" in stdout


def stats_value(stats, name, **labels):
    """Sum of the samples of `name` in a --stats-json document whose labels include `labels`."""
    samples = stats["metrics"][name]["samples"]
    return sum(s["value"] for s in samples if all(s["labels"].get(k) == v for k, v in labels.items()))


def read_stats(path):
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def dispatched_in_stats(path):
    stats = read_stats(path)
    return int(stats_value(stats, "sigrun_frames_dispatched_total")) if stats else 0


def one_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


__all__ = ["signal"]
