"""Fixtures for the sigrun_journal tests: the real runner on the bundled sample
(what the pytest suites share lives in tests/support/sigrun_proc.py).

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
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
from sigrun_proc import child_command, engines, env_path, fail_on_memcheck_report, sample_files  # noqa: E402

SLOW = os.environ.get("SIGRUN_TEST_SLOW") == "1"


def check_child(returncode, stdout, stderr, log, what):
    fail_on_memcheck_report(returncode, log, what)
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
    return {"kind": "replay", "speed": 0, "files": sample_files()}


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
