"""sigrun-feed: one feed process serving runners in "journal" source mode."""

import json
import signal
import subprocess
from pathlib import Path

from conftest import (FeedSummary, Summary, dispatched_in_stats, env_path, one_line, read_stats, sample_files,
                      stats_value, wait_until, write_config)


def feed(*args, timeout=120):
    return subprocess.run([env_path("SIGRUN_FEED_EXE"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_one_feed_two_runners_each_dispatch_every_frame(tmp_path, procs):
    shared = tmp_path / "shared"
    # The 3-minute sample at 50x its recorded pace: ~3.6 s, so the runners
    # start while the feed is still writing.
    feeder = procs.start("feed", env_path("SIGRUN_FEED_EXE"),
                         ["replay", "--journal", shared, "--capacity", 8192, "--speed", 50, "--files", *sample_files()])
    md = shared / "md.journal"
    wait_until("sigrun-feed to create md.journal", lambda: md.exists() and md.stat().st_size > 0, timeout=30)
    runners = []
    for name in ("a", "b"):
        config = write_config(tmp_path / name, {"kind": "journal", "start": "oldest", "md": str(md)})
        stats = tmp_path / name / "stats.json"
        runners.append((procs.start(f"runner-{name}", env_path("SIGRUN_EXE"),
                                    ["--config", config, "--stats-json", stats, "--stats-interval", 0.2]), stats))
        assert runners[-1][0].poll() is None
    rc, out, err = procs.finish(feeder, timeout=120)
    assert rc == 0, err
    fed = FeedSummary(out)
    assert fed.frames == 5015 and fed.depth == 1793 and fed.trade == 3222, out
    assert all(runner.poll() is None for runner, _ in runners), "a runner exited before it was stopped"
    for runner, stats in runners:
        wait_until(f"{runner.name} to dispatch all {fed.frames} frames",
                   lambda: dispatched_in_stats(stats) == fed.frames, timeout=120)
    for runner, stats in runners:
        rc, out, err = procs.finish(runner, sig=signal.SIGTERM)
        assert rc == 0, err
        summary = Summary(out)
        assert (summary.depth, summary.trade, summary.lost, summary.rejected) == (fed.depth, fed.trade, 0, 0), out
        # Every engine saw every frame of the types it takes.
        assert summary.engines["ofi"]["frames"] == fed.depth
        assert summary.engines["microprice"]["frames"] == fed.depth
        assert summary.engines["trade_flow"]["frames"] == fed.trade
        assert (Path(stats).parent / "journal" / "signals.journal").exists()


def dump_md(journal, tmp_path):
    """md frames as dicts without the writer's clock (gen_time), via sigrun-journal dump --json."""
    out = subprocess.run([env_path("SIGRUN_JOURNAL_EXE"), "dump", journal, "--json"], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    frames = []
    for line in out.splitlines():
        frame = json.loads(line)
        frame.pop("gen_time_ns")
        frame.pop("gen_time")
        frames.append(frame)
    return frames


def test_synthetic_feed_writes_what_the_runners_own_feed_writes(tmp_path, procs):
    rc = feed("synthetic", "--journal", tmp_path / "feed", "--seed", 7, "--events", 3000)
    assert rc.returncode == 0, rc.stderr
    assert FeedSummary(rc.stdout).frames == 3000
    config = write_config(tmp_path / "runner", {"kind": "synthetic", "seed": 7, "events": 3000})
    runner = procs.start("runner", env_path("SIGRUN_EXE"), ["--config", config])
    rc_runner, out, err = procs.finish(runner)
    assert rc_runner == 0, err
    ours = dump_md(tmp_path / "feed" / "md.journal", tmp_path)
    theirs = dump_md(tmp_path / "runner" / "journal" / "md.journal", tmp_path)
    assert len(ours) == 3000
    assert ours == theirs


def test_sigterm_stops_the_feed_cleanly(tmp_path, procs):
    feeder = procs.start("feed", env_path("SIGRUN_FEED_EXE"),
                         ["replay", "--journal", tmp_path, "--speed", 1, "--files", *sample_files()])
    md = tmp_path / "md.journal"
    wait_until("the first frames", lambda: md.exists() and md.stat().st_size > 0, timeout=30)
    rc, out, err = procs.finish(feeder, sig=signal.SIGTERM, timeout=30)
    assert rc == 0, err
    summary = FeedSummary(out)
    assert summary.stopped and summary.frames < 5015, out


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    for args in (["replay", "--journal", tmp_path], ["replay", "--journal", tmp_path, "--files", tmp_path / "nope.csv.gz"],
                 ["synthetic"], ["synthetic", "--journal", tmp_path, "--events", "-3"], ["bogus"]):
        r = feed(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "see sigrun-feed --help" in one_line(r.stderr)
    assert not (tmp_path / "md.journal").exists()


def test_a_journal_of_another_geometry_is_refused_and_left_untouched(tmp_path):
    assert feed("synthetic", "--journal", tmp_path, "--events", 100).returncode == 0
    before = (tmp_path / "md.journal").read_bytes()
    r = feed("synthetic", "--journal", tmp_path, "--events", 100, "--capacity", 8192)
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert "4096 slots" in line and "8192" in line and "geometry" in line, line
    assert (tmp_path / "md.journal").read_bytes() == before


def test_a_bad_capacity_and_an_unusable_folder_exit_1_with_one_line(tmp_path):
    r = feed("synthetic", "--journal", tmp_path / "a", "--capacity", 1000)
    assert r.returncode == 1 and "power of two" in one_line(r.stderr)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = feed("synthetic", "--journal", blocker / "sub")
    assert r.returncode == 1 and "use a writable folder" in one_line(r.stderr)


def test_a_malformed_input_file_exits_1_naming_it(tmp_path):
    bad = tmp_path / "x_book20.csv.gz"
    bad.write_bytes(b"not gzip at all")
    r = feed("replay", "--journal", tmp_path / "j", "--files", bad)
    assert r.returncode == 1
    assert str(bad) in one_line(r.stderr)
    assert not (tmp_path / "j" / "md.journal").exists()


def test_record_of_the_raw_capture_gives_the_derived_files_frames(tmp_path):
    """sigrun-feed record rebuilds the book from the raw diff-depth stream;
    the derived CSVs were made from the same capture with the same rules:
    every frame (depth and trade, in order) must be identical."""
    data = Path(env_path("SIGRUN_SHARED_DATA"))
    assert data.is_dir(), f"{data} is missing: the raw Binance sample lives in ../shared/data next to the repository"
    raw = [data / "raw" / "spot" / "btcusdt_20240808.gz", data / "raw" / "spot" / "btcusdt_20240809.gz"]
    derived = [data / "derived" / "spot_btcusdt_book20.csv.gz", data / "derived" / "spot_btcusdt_trades.csv.gz"]
    r = feed("record", "--journal", tmp_path / "raw", "--capacity", 32768, "--files", *raw)
    assert r.returncode == 0, r.stderr
    r = feed("replay", "--journal", tmp_path / "derived", "--capacity", 32768, "--files", *derived)
    assert r.returncode == 0, r.stderr
    recorded = dump_md(tmp_path / "raw" / "md.journal", tmp_path)
    replayed = dump_md(tmp_path / "derived" / "md.journal", tmp_path)
    depth = [f for f in recorded if f["type"] == "depth"]
    assert len(depth) == 6493 and len(recorded) == 6493 + 19904
    first_mismatch = next((i for i, (a, b) in enumerate(zip(recorded, replayed)) if a != b), None)
    assert first_mismatch is None, (recorded[first_mismatch], replayed[first_mismatch])
    assert len(recorded) == len(replayed)


def test_record_refuses_a_capture_with_a_gap(tmp_path):
    data = Path(env_path("SIGRUN_SHARED_DATA"))
    # The 0809 file alone has no snapshot; its diffs continue 0808's chain,
    # so without 0808 nothing is synced and only trades come out - but 0809
    # followed by 0808 breaks the update-id chain.
    raw = [data / "raw" / "spot" / "btcusdt_20240808.gz", data / "raw" / "spot" / "ethusdt_20240809.gz"]
    r = feed("record", "--journal", tmp_path / "j", "--files", *raw, "--instrument", "BTCUSDT")
    assert r.returncode == 1
    line = [l for l in r.stderr.splitlines() if l.strip()][-1]
    assert "ethusdt_20240809.gz" in line and "gap" in line, line


def test_a_runner_naming_a_missing_feed_journal_is_one_line(tmp_path):
    missing = tmp_path / "no-feed" / "md.journal"
    config = write_config(tmp_path / "r", {"kind": "journal", "start": "oldest", "md": str(missing)})
    r = subprocess.run([env_path("SIGRUN_EXE"), "--config", config], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    line = [l for l in r.stderr.splitlines() if l.strip()][-1]
    assert str(missing) in line and "No such file" in line, line
