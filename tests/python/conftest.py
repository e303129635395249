"""Fixtures for the sigrun_journal tests: the real runner on the bundled sample.

ctest (tests/python/CMakeLists.txt) passes the executables of its own build
tree through the environment:

  SIGRUN_EXE, SIGRUN_JOURNAL_EXE       the runner and sigrun-journal
  SIGRUN_PLUGIN_OFI, _MICROPRICE, _TRADE_FLOW   the shipped engines
  SIGRUN_EXAMPLES_DATA                 examples/data
  SIGRUN_TEST_SLOW=1                   sanitizer/valgrind build: shorter live runs
  SIGRUN_TEST_VALGRIND(_SUPPRESSIONS)  memcheck build: spawned tools run under
                                       valgrind, as tests/support/child_command.hpp does
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

CHILD_MEMCHECK_EXIT = 97
SLOW = os.environ.get("SIGRUN_TEST_SLOW") == "1"


def env_path(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through ctest (ctest --preset release -L python), "
                    "which passes the build's executables", pytrace=False)
    return value


def child_command(exe, args, log):
    """argv for `exe args`, under valgrind in the memcheck build (report in `log`)."""
    argv = []
    valgrind = os.environ.get("SIGRUN_TEST_VALGRIND")
    if valgrind:
        argv = [valgrind, "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect", f"--error-exitcode={CHILD_MEMCHECK_EXIT}",
                "--keep-debuginfo=yes", "--num-callers=30",
                f"--suppressions={os.environ['SIGRUN_TEST_VALGRIND_SUPPRESSIONS']}", f"--log-file={log}"]
    return argv + [exe] + list(args)


def check_child(returncode, stdout, stderr, log, what):
    if returncode == CHILD_MEMCHECK_EXIT and os.environ.get("SIGRUN_TEST_VALGRIND"):
        pytest.fail(f"valgrind found errors or leaks in {what}:\n" + Path(log).read_text(), pytrace=False)
    assert returncode == 0, f"{what} exited {returncode}:\n{stdout}\n{stderr}"


class Run:
    """One finished runner run: its journals and what its summary printed."""

    def __init__(self, directory, stdout):
        self.dir = Path(directory)
        self.md = self.dir / "journal" / "md.journal"
        self.signals = self.dir / "journal" / "signals.journal"
        self.stdout = stdout
        m = re.search(r"^frames written\s+(\d+)$", stdout, re.M)
        self.frames_written = int(m.group(1)) if m else None
        m = re.search(r"^factors emitted\s+(\d+)", stdout, re.M)
        self.factors_emitted = int(m.group(1)) if m else None
        # "  microprice     microprice           BTCUSDT        61726.13162"
        tail = stdout.split("last factor values:", 1)
        self.last_values = {}
        if len(tail) == 2:
            for line in tail[1].splitlines():
                parts = line.split()
                if len(parts) == 4:
                    self.last_values[tuple(parts[:3])] = parts[3]


def engines(names=("ofi", "microprice", "trade_flow")):
    configs = {"ofi": {"levels": 5, "window_events": 100}, "microprice": {"levels": 5},
               "trade_flow": {"window_events": 200}}
    return [{"name": n, "library": env_path(f"SIGRUN_PLUGIN_{n.upper()}"), "config": configs[n]} for n in names]


def runner_config(directory, source, md_capacity=4096, signals_capacity=16384, engine_names=None):
    return {
        "journal": {"dir": str(Path(directory) / "journal"),
                    "md": {"capacity": md_capacity, "slot_size": 512},
                    "signals": {"capacity": signals_capacity, "slot_size": 512}},
        "source": source,
        "engines": engines() if engine_names is None else engines(engine_names),
        "output": {"print_factors": 0},
    }


def replay_source():
    data = Path(env_path("SIGRUN_EXAMPLES_DATA"))
    return {"kind": "replay", "speed": 0,
            "files": [str(data / "spot_btcusdt_book20.csv.gz"), str(data / "spot_btcusdt_trades.csv.gz")]}


def start_runner(directory, config):
    """Starts `sigrun --config` on `config` in `directory`; returns (Popen, valgrind log path)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "runner.json"
    path.write_text(json.dumps(config, indent=2))
    log = directory / "sigrun-valgrind.log"
    proc = subprocess.Popen(child_command(env_path("SIGRUN_EXE"), ["--config", str(path)], log),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, log


def run_runner(directory, config, timeout=240):
    proc, log = start_runner(directory, config)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    check_child(proc.returncode, out, err, log, "sigrun")
    return Run(directory, out)


def journal_tool(args, tmp_path, timeout=240):
    """`sigrun-journal args...`; returns its stdout."""
    log = Path(tmp_path) / "sigrun-journal-valgrind.log"
    proc = subprocess.run(child_command(env_path("SIGRUN_JOURNAL_EXE"), [str(a) for a in args], log),
                          capture_output=True, text=True, timeout=timeout)
    check_child(proc.returncode, proc.stdout, proc.stderr, log, "sigrun-journal")
    return proc.stdout


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The three shipped engines on the bundled Binance sample (5015 frames
    into a 4096-slot md journal, so it has lapped once)."""
    directory = tmp_path_factory.mktemp("demo")
    run = run_runner(directory, runner_config(directory, replay_source()))
    assert run.frames_written and run.factors_emitted and run.last_values, run.stdout
    return run
