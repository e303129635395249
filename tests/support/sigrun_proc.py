"""What the pytest suites (tests/monitoring, tests/python) share to run this
build's executables: the paths ctest passes in the environment, the argv of
a spawned tool (under valgrind in the memcheck build, as
tests/support/child_command.hpp does for the C++ suites), the check of its
valgrind report, and the shipped engines on the bundled Binance sample.

Each conftest.py puts this folder on sys.path and imports from here.
"""

import os
from pathlib import Path

import pytest

# valgrind's exit code when it found an error or a definite/indirect leak
# (kChildMemcheckExit in child_command.hpp).
CHILD_MEMCHECK_EXIT = 97


def env_path(name):
    """The value of `name`, which ctest sets; a clear failure when it is not."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through ctest (ctest --preset release -L monitoring "
                    "or -L python), which passes the build's executables", pytrace=False)
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
    return argv + [str(exe)] + [str(a) for a in args]


def fail_on_memcheck_report(returncode, log, what):
    """In the memcheck build, a valgrind report on `what` fails the test with the report."""
    if returncode == CHILD_MEMCHECK_EXIT and os.environ.get("SIGRUN_TEST_VALGRIND"):
        pytest.fail(f"valgrind found errors or leaks in {what}:\n" + Path(log).read_text(), pytrace=False)


def engines(names=("ofi", "microprice", "trade_flow")):
    """Config entries of the shipped engines `names`."""
    configs = {"ofi": {"levels": 5, "window_events": 100}, "microprice": {"levels": 5},
               "trade_flow": {"window_events": 200}}
    return [{"name": n, "library": env_path(f"SIGRUN_PLUGIN_{n.upper()}"), "config": configs[n]} for n in names]


def sample_files():
    """The bundled Binance sample: depth, then trades."""
    data = Path(env_path("SIGRUN_EXAMPLES_DATA"))
    return [str(data / "spot_btcusdt_book20.csv.gz"), str(data / "spot_btcusdt_trades.csv.gz")]
