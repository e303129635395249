"""sigrun_journal against the C++ side: the frames `sigrun-journal dump`
prints, the factors the runner's summary reports, and lapped journals."""

import calendar
import re
import time
import warnings

import numpy as np
import pytest

from conftest import SLOW, check_child, journal_tool, runner_config, run_runner, start_runner
from sigrun_journal import MSG_DEPTH, MSG_FACTOR_BATCH, MSG_TRADE, Journal, LostFramesWarning

DUMP_LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(.*)$")
TYPE_NAMES = {MSG_DEPTH: "depth", MSG_TRADE: "trade", MSG_FACTOR_BATCH: "factors"}
SIDES = {1: "buy", -1: "sell"}


def parse_dump(text):
    """`sigrun-journal dump` output as ([(sequence, type, time, summary)], lost)."""
    frames, lost = [], 0
    for line in text.splitlines():
        m = re.match(r"^# (\d+) frame\(s\) lost", line)
        if m:
            lost += int(m.group(1))
            continue
        m = DUMP_LINE.match(line)
        assert m, f"unexpected dump line: {line!r}"
        frames.append((int(m.group(1)), m.group(2), m.group(3), m.group(4)))
    return frames, lost


def iso(ns):
    """gen_time as the dump prints it (format_time in inspect.cpp)."""
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"


def num(v):
    """A double as fmt's "{}" prints it: shortest round trip, like repr, without a trailing ".0"."""
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def level(price, size):
    return "-" if price == 0.0 and size == 0.0 else f"{num(price)} x {num(size)}"


def text(b):
    return b.decode("ascii")


def test_md_frames_match_sigrun_journal_dump(demo_run, tmp_path):
    dumped, dump_lost = parse_dump(journal_tool(["dump", demo_run.md], tmp_path))
    with Journal(demo_run.md) as j:
        it = j.frames()
        frames = list(it)
        assert it.lost == dump_lost == 0
        # Same frames, same order, same types and times.
        assert [f.sequence for f in frames] == [d[0] for d in dumped]
        assert len(frames) == j.capacity == 4096
        assert frames[-1].sequence == demo_run.frames_written == j.last_published()
        assert [TYPE_NAMES[f.msg_type] for f in frames] == [d[1] for d in dumped]
        assert [iso(f.gen_time) for f in frames] == [d[2] for d in dumped]

        # Decoded fields, every frame: what the dump's summary line shows.
        by_seq = {d[0]: d[3] for d in dumped}
        depth, trades = j.depth(), j.trades()
        assert len(depth) + len(trades) == len(frames)
        assert len(depth) > 1000 and len(trades) > 1000
        for d in depth:
            assert by_seq[int(d["sequence"])] == (
                f"{text(d['instrument'])} {text(d['exchange'])} "
                f"bid {level(d['bid_price'][0], d['bid_size'][0])} ask {level(d['ask_price'][0], d['ask_size'][0])}")
        for t in trades:
            assert by_seq[int(t["sequence"])] == (
                f"{text(t['instrument'])} {text(t['exchange'])} price {num(t['price'])} size {num(t['size'])} "
                f"side {SIDES.get(int(t['aggressor_side']), 'unknown')}")
        # Books look like books.
        assert (depth["ask_price"][:, 0] > depth["bid_price"][:, 0]).all()
        assert (np.diff(depth["bid_price"][:, :5], axis=1) < 0).all()
        assert set(depth["instrument"]) == {b"BTCUSDT"}


def test_signals_frames_match_sigrun_journal_dump(demo_run, tmp_path):
    dumped, _ = parse_dump(journal_tool(["dump", demo_run.signals], tmp_path))
    with Journal(demo_run.signals) as j:
        rows = j.factor_records()
    assert sorted(set(rows["sequence"].tolist())) == [d[0] for d in dumped]
    lines = {}
    for r in rows:
        seq = int(r["sequence"])
        head = f"engine {text(r['engine'])} source_seq {int(r['source_sequence'])}:"
        item = f" {text(r['factor'])} {text(r['instrument'])} = {num(r['value'])}"
        lines[seq] = lines[seq] + "," + item if seq in lines else head + item
    assert [lines[d[0]] for d in dumped] == [d[3] for d in dumped]


def test_factors_match_the_runner_summary(demo_run):
    pytest.importorskip("pandas", reason="Journal.factors() returns a pandas DataFrame")
    with Journal(demo_run.signals) as j:
        df = j.factors()
    assert list(df.columns) == ["sequence", "source_sequence", "source_receive_time_ns", "publish_time_ns",
                                "engine", "factor", "instrument", "value"]
    assert len(df) == demo_run.factors_emitted
    last = df.groupby(["engine", "factor", "instrument"], sort=True)["value"].last()
    # The summary prints {:.10g} of each (engine, factor, instrument)'s last value.
    assert {k: f"{v:.10g}" for k, v in last.items()} == demo_run.last_values
    # Every value refers to an md frame, in order.
    assert df["source_sequence"].between(1, demo_run.frames_written).all()
    assert df["source_sequence"].is_monotonic_increasing
    assert df["sequence"].is_monotonic_increasing


def test_depth_and_trades_as_dataframes(demo_run):
    pytest.importorskip("pandas", reason="as_frame=True returns pandas DataFrames")
    with Journal(demo_run.md) as j:
        books, trades = j.depth(as_frame=True), j.trades(as_frame=True)
        assert len(books) == len(j.depth()) and len(trades) == len(j.trades())
    assert {"sequence", "gen_time", "instrument", "bid_price_0", "ask_size_9"} <= set(books.columns)
    assert books["instrument"].eq("BTCUSDT").all()
    assert set(trades["aggressor_side"].unique()) <= {-1, 1}


def test_a_lapped_journal_reports_lost_frames(demo_run):
    # 5015 frames went through 4096 slots: 1..919 were overwritten.
    with Journal(demo_run.md) as j:
        last = j.last_published()
        lapped = last - j.capacity
        assert lapped == demo_run.frames_written - 4096 > 0
        it = j.frames(start=1)
        frames = list(it)
        assert it.lost == lapped and it.gaps == [(1, lapped)]
        assert frames[0].sequence == lapped + 1 and len(frames) == j.capacity
        with pytest.warns(LostFramesWarning, match=f"{lapped} frame"):
            depth = j.depth(start=1)
        assert j.lost == lapped
        assert depth["sequence"].min() > lapped
        # Reading from the oldest frame in the ring loses nothing, silently.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(j.depth()) == len(depth) and j.lost == 0


def test_small_ring_synthetic_source(tmp_path):
    """A 64-slot md journal lapped many times by a synthetic feed."""
    events = 3000
    run = run_runner(tmp_path, runner_config(
        tmp_path, {"kind": "synthetic", "seed": 11, "events": events, "instrument": "TESTUSD"},
        md_capacity=64, engine_names=("microprice",)))
    assert run.frames_written == events
    with Journal(run.md) as j:
        it = j.frames(start=1)
        frames = list(it)
        assert [f.sequence for f in frames] == list(range(events - 63, events + 1))
        assert it.lost == events - 64 and it.gaps == [(1, events - 64)]
        depth = j.depth(start=events - 63)
        assert j.lost == 0 and set(depth["instrument"]) == {b"TESTUSD"}


def test_reading_while_the_runner_writes(tmp_path):
    """A reader following a live writer that laps a 64-slot ring: every
    sequence is returned once or counted lost once, frames come in order,
    and none is torn (checksums verified when xxhash is installed, every
    message decodes to the configured instrument)."""
    events = 30_000 if SLOW else 400_000
    proc, log = start_runner(tmp_path, runner_config(
        tmp_path, {"kind": "synthetic", "seed": 5, "events": events, "instrument": "LIVEUSD"},
        md_capacity=64, engine_names=("microprice",)))
    md = tmp_path / "journal" / "md.journal"
    deadline = time.monotonic() + 120
    try:
        while not md.exists():                 # created under a private name, then linked: complete
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "md.journal never appeared"
            time.sleep(0.001)
        returned = lost = 0
        previous = 0
        with Journal(md) as j:
            it = j.frames(start=1)
            while True:
                running = proc.poll() is None
                for headers, payloads in it.batches():
                    seqs = headers["sequence"]
                    assert seqs[0] > previous and (np.diff(seqs.astype(np.int64)) > 0).all()
                    previous = int(seqs[-1])
                    assert set(headers["msg_type"].tolist()) <= {MSG_DEPTH, MSG_TRADE}
                    assert (payloads[:, :7].tobytes() == b"LIVEUSD" * len(headers))
                    returned += len(headers)
                if not running:
                    break
            lost = it.lost
            assert it.position - 1 == j.last_published() == events
        out, err = proc.communicate(timeout=60)
        check_child(proc.returncode, out, err, log, "sigrun")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert returned + lost == events
    assert returned >= 64       # at least the last ring's worth
    print(f"live read: {returned} frames returned, {lost} lost of {events}")
