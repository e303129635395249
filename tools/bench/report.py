#!/usr/bin/env python3
"""Turns the raw outputs of tools/bench/run.sh into build/bench/results.json,
docs/performance.md (from tools/bench/performance.md.in, a Targets table at
its top), the plots, and the table between the perf-table markers of
README.md's "Performance" section.

Standard library + matplotlib (Debian python3-matplotlib) only.

results.json: a list of objects, one per measured thing, with at least
name, mode (copy | frame-ref | peer), payload_bytes, frames_per_s, p50_ns,
p99_ns, p999_ns, max_ns, allocs_per_event, instructions_per_event (null
where not measured), plus variant, cv (of frames_per_s across repetitions)
and source (the program that measured it).

Row names the targets read: handoff (an engine keeping each frame: what the
two handoff modes differ in) and handoff_borrowed (the C ABI call alone),
journal / journal_clock (1 writer -> 1 reader; journal_clock = the writer
reads its own clock), dispatch_null, dispatch_microprice, runner_e2e,
hot_swap_pause, and floor_* (one clock read, rdtsc, atomic increment,
compare-exchange on this machine in this run).
"""
import argparse
import glob
import json
import math
import os
import re
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def row(name, mode, payload, variant, source, **kw):
    r = {"name": name, "mode": mode, "payload_bytes": payload, "variant": variant,
         "frames_per_s": None, "cv": None, "p50_ns": None, "p99_ns": None, "p999_ns": None,
         "max_ns": None, "allocs_per_event": None, "instructions_per_event": None, "source": source}
    r.update(kw)
    return r


def gbench_aggregates(path):
    """{run_name: {"median": items/s, "cv": cv}} from a Google Benchmark JSON file."""
    out = {}
    for b in load(path).get("benchmarks", []):
        agg = b.get("aggregate_name")
        if agg not in ("median", "cv", "mean"):
            continue
        run = re.sub(r"/repeats:\d+", "", b["run_name"])
        value = b.get("items_per_second")
        if value is None:
            continue
        out.setdefault(run, {})[agg] = value
        out[run]["label"] = b.get("label", "")
    if not out:  # no repetitions: single runs
        for b in load(path).get("benchmarks", []):
            if "items_per_second" in b:
                out[re.sub(r"/repeats:\d+", "", b["run_name"])] = {"median": b["items_per_second"], "cv": None, "label": b.get("label", "")}
    return out


def callgrind_ir(out_path, txt_path):
    ir = None
    with open(out_path) as f:
        for line in f:
            m = re.match(r"^(summary|totals):\s+(\d+)", line)
            if m:
                ir = int(m.group(2))
    events = parse_kv(txt_path)["events"]
    return None if ir is None else ir / int(events)


def parse_kv(path):
    with open(path) as f:
        text = f.read()
    return dict(re.findall(r"(\w+)=(\S+)", text))


def collect(raw):
    rows = []
    machine = load(os.path.join(raw, "machine.json"))
    context = load(os.path.join(raw, "peers.json")).get("context", {})
    machine["journal_in_place_read"] = context.get("journal_in_place_read", "unknown")
    machine["pinned_cpus"] = context.get("pinned_cpus", "unknown")
    mode_of = {"release": "copy", "zero-copy": "frame-ref"}

    # journal vs peers: throughput, latency
    peers = gbench_aggregates(os.path.join(raw, "peers.json"))
    lat = {(l["name"], l["variant"], l["payload_bytes"]): l for l in load(os.path.join(raw, "latency.json"))}
    channel_keys = {"journal_copy": ("journal", "copy", "copy"), "journal_in_place": ("journal", "frame-ref", "in_place"),
                    "journal_clock_in_place": ("journal_clock", "frame-ref", "in_place"),
                    "boost_spsc": ("boost_spsc", "peer", "copy"), "rwqueue": ("rwqueue", "peer", "copy"),
                    "spsc_ring": ("spsc_ring", "peer", "copy")}
    for key, (name, mode, variant) in channel_keys.items():
        for payload in (64, 384):
            g = peers.get(f"BM_Channel/{key}/{payload}/real_time", {})
            l = lat.get((name, variant, payload), {})
            rows.append(row(name, mode, payload, variant, "bench_peers + latency_peers",
                            frames_per_s=g.get("median"), cv=g.get("cv"),
                            p50_ns=l.get("p50_ns"), p99_ns=l.get("p99_ns"), p999_ns=l.get("p999_ns"),
                            max_ns=l.get("max_ns"), latency_samples=l.get("samples")))
    g = peers.get("BM_CachelineRoundTrip/real_time", {})
    l = lat.get(("cacheline_roundtrip", "round_trip", 8), {})
    rows.append(row("cacheline_roundtrip", "peer", 8, "round_trip", "bench_peers + latency_peers",
                    frames_per_s=g.get("median"), cv=g.get("cv"), p50_ns=l.get("p50_ns"), p99_ns=l.get("p99_ns"),
                    p999_ns=l.get("p999_ns"), max_ns=l.get("max_ns"), latency_samples=l.get("samples")))

    # journal write alone
    j = gbench_aggregates(os.path.join(raw, "journal.json"))
    for payload in (64, 384):
        g = j.get(f"BM_WriteOnly/bytes:{payload}/real_time", {})
        rows.append(row("journal_write", "copy", payload, "write, own clock", "bench_journal",
                        frames_per_s=g.get("median"), cv=g.get("cv")))
        g = j.get(f"BM_WriteOnlyGenTime/bytes:{payload}/real_time", {})
        rows.append(row("journal_write_gen_time", "copy", payload, "write, caller's gen_time", "bench_journal",
                        frames_per_s=g.get("median"), cv=g.get("cv")))
    for prim in ("clock_realtime", "rdtsc", "atomic_increment", "compare_exchange"):
        g = j.get(f"BM_Primitive_{prim}", {})
        rows.append(row(f"floor_{prim}", "machine", None, "one thread, uncontended", "bench_journal",
                        frames_per_s=g.get("median"), cv=g.get("cv")))
    rows.append(row("journal_read", "copy", 384, "read", "bench_events"))
    rows.append(row("journal_read", "frame-ref", 384, "read_in_place", "bench_events"))

    # handoff, dispatch
    for preset, mode in mode_of.items():
        d = gbench_aggregates(os.path.join(raw, f"dispatch-{preset}.json"))
        for name, run, variant in (("handoff", "BM_Handoff/keep", "keeps each frame"),
                                   ("handoff_borrowed", "BM_Handoff/null", "borrowed (C ABI call alone)"),
                                   ("dispatch_null", "BM_Dispatch/null", "null engine"),
                                   ("dispatch_microprice", "BM_Dispatch/microprice", "microprice")):
            g = d.get(run, {})
            rows.append(row(name, mode, 384, variant, "bench_dispatch", frames_per_s=g.get("median"), cv=g.get("cv")))

    # instructions and allocations per event
    stage_row = {("release", "journal_write"): ("journal_write", "copy", 384),
                 ("release", "journal_read"): ("journal_read", "copy", 384),
                 ("release", "journal_read_in_place"): ("journal_read", "frame-ref", 384)}
    for preset, mode in mode_of.items():
        for stage, name in (("handoff_keep", "handoff"), ("handoff_null", "handoff_borrowed"), ("dispatch_null", "dispatch_null"),
                            ("dispatch_microprice", "dispatch_microprice")):
            stage_row[(preset, stage)] = (name, mode, 384)
    per_stage = {}
    for (preset, stage), key in stage_row.items():
        allocs_txt = os.path.join(raw, f"allocs-{preset}-{stage}.txt")
        cg_out = os.path.join(raw, f"callgrind-{preset}-{stage}.out")
        if not os.path.exists(allocs_txt):
            continue
        kv = parse_kv(allocs_txt)
        allocs = int(kv["allocs"]) / int(kv["events"])
        instr = callgrind_ir(cg_out, os.path.join(raw, f"callgrind-{preset}-{stage}.txt")) \
            if os.path.exists(cg_out) else None
        retains = int(kv["retains"]) / int(kv["events"]) if "retains" in kv else None
        per_stage[key] = (allocs, instr, retains)
    for r in rows:
        k = (r["name"], r["mode"], r["payload_bytes"])
        if k in per_stage:
            r["allocs_per_event"], r["instructions_per_event"] = per_stage[k][:2]
            if k[0].startswith("handoff"):
                r["retains_per_event"] = per_stage[k][2]
    # the journal 1 -> 1 handoff costs one write and one read
    for r in rows:
        if r["name"] == "journal" and r["payload_bytes"] == 384:
            w = per_stage.get(("journal_write", "copy", 384))
            rd = per_stage.get(("journal_read", r["mode"], 384))
            if w and rd:
                r["allocs_per_event"] = w[0] + rd[0]
                r["instructions_per_event"] = (w[1] + rd[1]) if w[1] is not None and rd[1] is not None else None

    # runner end to end; run.sh alternates the builds, run k of one beside run k of the other
    rate_of_run = {}
    for preset, mode in mode_of.items():
        rates, walls, frames, signals = [], [], None, []
        for path in sorted(glob.glob(os.path.join(raw, f"e2e-{preset}-*.txt"))):
            if path.endswith("-signals.txt"):
                continue
            sig = path[:-4] + "-signals.txt"
            if os.path.exists(sig):
                st = open(sig).read()
                last = re.search(r"last sequence\s+(\d+)", st)
                geo = re.search(r"(\d+) slots x (\d+) bytes", st)
                if last and geo:
                    signals.append((int(last.group(1)), int(geo.group(1)), int(geo.group(2))))
            text = open(path).read()
            secs = re.search(r"=== sigrun summary \(([\d.]+) s\) ===", text)
            disp = re.search(r"frames dispatched depth=(\d+) trade=(\d+) rejected=(\d+) lost=(\d+)", text)
            wall = re.search(r"wall_ns (\d+)", text)
            if not (secs and disp and wall):
                continue
            frames = int(disp.group(1)) + int(disp.group(2))
            rates.append(frames / float(secs.group(1)))
            k = re.search(r"-(\d+)\.txt$", path)
            if k:
                rate_of_run[(mode, int(k.group(1)))] = rates[-1]
            walls.append(int(wall.group(1)) / 1e9)
        if rates:
            rows.append(row("runner_e2e", mode, None, "synthetic, 3 engines", "sigrun",
                            frames_per_s=statistics.median(rates),
                            cv=(statistics.pstdev(rates) / statistics.mean(rates)) if len(rates) > 1 else None,
                            frames=frames, wall_s=statistics.median(walls),
                            wall_frames_per_s=frames / statistics.median(walls), runs=len(rates),
                            signals_frames=signals[0][0] if signals else None,
                            signals_capacity=signals[0][1] if signals else None,
                            signals_slot_size=signals[0][2] if signals else None))
    # frame-ref / copy, run k against run k (each pair ran back to back).
    pairs = sorted(rate_of_run[("frame-ref", k)] / rate_of_run[("copy", k)]
                   for (mode, k) in rate_of_run if mode == "copy" and ("frame-ref", k) in rate_of_run)
    if pairs:
        slower = sum(1 for x in pairs if x < 1.0)
        rows.append(row("runner_e2e_pair_ratio", "frame-ref", None, "frame-ref / copy frames/s, pair by pair",
                        "sigrun", ratio_median=statistics.median(pairs), ratio_min=pairs[0], ratio_max=pairs[-1],
                        pairs=len(pairs), pairs_slower=slower,
                        sign_test_p=sum(math.comb(len(pairs), i) for i in range(slower, len(pairs) + 1))
                        / 2 ** len(pairs)))

    # hot-swap switch pause (sigrun --reload-every)
    for preset, mode in mode_of.items():
        path = os.path.join(raw, f"hotswap-{preset}.txt")
        if not os.path.exists(path):
            continue
        text = open(path).read()
        m = re.search(r"hot swaps\s+(\d+) ok, (\d+) failed, (\d+) not unloaded; switch pause p50=(\d+) ns "
                      r"p99=(\d+) ns max=(\d+) ns", text)
        every = re.search(r"reload_every (\d+)", text)
        disp = re.search(r"frames dispatched depth=(\d+) trade=(\d+)", text)
        if not m:
            continue
        rows.append(row("hot_swap_pause", mode, None, "sigrun --reload-every, 3 engines, no state", "sigrun",
                        p50_ns=float(m.group(4)), p99_ns=float(m.group(5)), max_ns=float(m.group(6)),
                        swaps=int(m.group(1)), swaps_failed=int(m.group(2)), not_unloaded=int(m.group(3)),
                        reload_every=int(every.group(1)) if every else None,
                        frames=(int(disp.group(1)) + int(disp.group(2))) if disp else None))
    # sigrun-bridge over NATS JetStream (bench_bridge: counters, not items/s)
    path = os.path.join(raw, "bridge.json")
    if os.path.exists(path):
        for b in load(path).get("benchmarks", []):
            m = re.match(r"BM_Bridge(Publish|Latency)/replicas:(\d+)", b.get("run_name", b["name"]))
            if not m or b.get("run_type") == "aggregate":
                continue
            variant = f"R{m.group(2)}"
            if m.group(1) == "Publish":
                rows.append(row("bridge_publish", "copy", 96, variant, "bench_bridge",
                                frames_per_s=b.get("frames_per_s")))
            else:
                rows.append(row("bridge_latency", "copy", 96, variant, "bench_bridge",
                                p50_ns=b["p50_us"] * 1e3 if "p50_us" in b else None,
                                p99_ns=b["p99_us"] * 1e3 if "p99_us" in b else None))
    return machine, rows


# ---------------------------------------------------------------- formatting
def rate(v):
    if v is None:
        return "–"
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"


def ns(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.1f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} µs"
    return f"{v:.0f} ns"


def num(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def pct(v):
    return "–" if v is None else f"{v * 100:.1f} %"


def ratio(a, b):
    return "–" if a is None or b in (None, 0) else f"{a / b:.2f}×"


def find(rows, name, mode=None, payload=None):
    for r in rows:
        if r["name"] == name and (mode is None or r["mode"] == mode) and (payload is None or r["payload_bytes"] == payload):
            return r
    return None


def per_event_ns(r):
    return None if r is None or not r.get("frames_per_s") else 1e9 / r["frames_per_s"]


STAGES = [("journal_write", "copy", 384, "journal write"),
          ("journal", "copy", 384, "journal 1→1, copy read"),
          ("journal", "frame-ref", 384, "journal 1→1, in-place read"),
          ("handoff", "copy", 384, "handoff keeping the frame, copy"),
          ("handoff", "frame-ref", 384, "handoff keeping the frame, frame-ref"),
          ("handoff_borrowed", "copy", 384, "handoff borrowed, copy"),
          ("handoff_borrowed", "frame-ref", 384, "handoff borrowed, frame-ref"),
          ("dispatch_null", "copy", 384, "dispatch null, copy"),
          ("dispatch_null", "frame-ref", 384, "dispatch null, frame-ref"),
          ("dispatch_microprice", "copy", 384, "dispatch microprice, copy"),
          ("dispatch_microprice", "frame-ref", 384, "dispatch microprice, frame-ref"),
          ("runner_e2e", "copy", None, "runner end to end, copy"),
          ("runner_e2e", "frame-ref", None, "runner end to end, frame-ref")]


def machine_section(m):
    ls, le = m.get("load_start", [None] * 3), m.get("load_end", [None] * 3)
    fmt = lambda l: " / ".join("–" if x is None else f"{x:.2f}" for x in l)
    return "\n".join([
        "| | |", "|---|---|",
        f"| CPU | {m.get('cpu')}{' (virtual machine)' if m.get('hypervisor') else ''} |",
        f"| cores | {m.get('cores')} ({m.get('cpus_allowed')} allowed to the run) |",
        f"| kernel | {m.get('kernel')} |",
        f"| CPUs the two threads are pinned to | {m.get('pinned_cpus')} |",
        f"| journal in-place read | {m.get('journal_in_place_read')} |",
        f"| code | commit {m.get('commit')} |",
        f"| run | {m.get('started')} → {m.get('finished')}{' (`--quick`)' if m.get('quick') else ''} |",
        f"| load average 1/5/15 min, start | {fmt(ls)} |",
        f"| load average 1/5/15 min, end | {fmt(le)} |",
    ])


def peers_section(rows):
    out = []
    for payload in (64, 384):
        ref = find(rows, "spsc_ring", "peer", payload)
        out += [f"**{payload} B payload**", "",
                "| channel | frames/s (median) | CV | vs boost | vs `rwqueue` | vs `spsc_ring` | p50 | p99 | p99.9 | max | "
                "p50 vs boost | p50 vs `spsc_ring` |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        boost, rwq = find(rows, "boost_spsc", "peer", payload), find(rows, "rwqueue", "peer", payload)
        for name, mode, label in (("journal", "copy", "sigrun journal, copy read (`Reader::next`, other processes)"),
                                  ("journal", "frame-ref", "sigrun journal, in-place read (the runner's dispatcher)"),
                                  ("journal_clock", "frame-ref", "sigrun journal, in-place read, writer reads its own clock"),
                                  ("boost_spsc", "peer", "`boost::lockfree::spsc_queue`"),
                                  ("rwqueue", "peer", "`moodycamel::ReaderWriterQueue`"),
                                  ("spsc_ring", "peer", "`spsc_ring` (padded, cached indices)")):
            r = find(rows, name, mode, payload)
            if r is None:
                continue
            out.append(f"| {label} | {rate(r['frames_per_s'])} | {pct(r['cv'])} | "
                       f"{ratio(r['frames_per_s'], boost and boost['frames_per_s'])} | "
                       f"{ratio(r['frames_per_s'], rwq and rwq['frames_per_s'])} | "
                       f"{ratio(r['frames_per_s'], ref and ref['frames_per_s'])} | {ns(r['p50_ns'])} | "
                       f"{ns(r['p99_ns'])} | {ns(r['p999_ns'])} | {ns(r['max_ns'])} | "
                       f"{ratio(r['p50_ns'], boost and boost['p50_ns'])} | "
                       f"{ratio(r['p50_ns'], ref and ref['p50_ns'])} |")
        out.append("")
    c = find(rows, "cacheline_roundtrip")
    if c:
        out += ["**The floor: one cache line between the two CPUs** (round trip = store, "
                "the other CPU sees it and answers, the first sees the answer)", "",
                "| | round trips/s (median) | p50 | p99 | p99.9 | max |", "|---|---:|---:|---:|---:|---:|",
                f"| `cacheline_roundtrip` | {rate(c['frames_per_s'])} | {ns(c['p50_ns'])} | {ns(c['p99_ns'])} | "
                f"{ns(c['p999_ns'])} | {ns(c['max_ns'])} |", ""]
        j = find(rows, "journal", "frame-ref", 384)
        if j and j["p50_ns"] and c["p50_ns"]:
            out.append(f"One-way p50 of the in-place journal read (384 B) is {j['p50_ns'] / (c['p50_ns'] / 2):.1f}× "
                       f"half a cache-line round trip ({c['p50_ns'] / 2:.0f} ns), the least any cross-core handoff "
                       f"can cost.")
            out.append("")
    samples = {r.get("latency_samples") for r in rows if r.get("latency_samples")}
    if samples:
        out.append(f"Latency samples per row: {', '.join(str(s) for s in sorted(samples))}.")
    return "\n".join(out)


def stages_section(rows, base):
    out = ["| stage | mode | frames/s (median) | CV | ns/event | before | after/before | instructions/event | "
           "before | allocs/event | before |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, mode, payload, label in STAGES + [("journal_read", "copy", 384, "journal read, copy (single thread)"),
                                                ("journal_read", "frame-ref", 384, "journal read, in place (single thread)")]:
        r = find(rows, name, mode, payload)
        if r is None:
            continue
        b = find(base, name, mode, payload) if base else None
        now, then = per_event_ns(r), per_event_ns(b)
        out.append(f"| {label} | {mode} | {rate(r['frames_per_s'])} | {pct(r['cv'])} | {num(now)} | {num(then)} | "
                   f"{ratio(now, then)} | {num(r['instructions_per_event'])} | "
                   f"{num(b and b['instructions_per_event'])} | {num(r['allocs_per_event'], 2)} | "
                   f"{num(b and b['allocs_per_event'], 2)} |")
    return "\n".join(out)


def ratios_section(rows):
    out = []
    def line(text, a, b):
        if a is not None and b not in (None, 0):
            out.append(f"- {text}: {a / b:.2f}×")
    for p in (64, 384):
        j, jr = find(rows, "journal", "copy", p), find(rows, "journal", "frame-ref", p)
        ring = find(rows, "spsc_ring", "peer", p)
        best = max((find(rows, n, "peer", p) for n in ("boost_spsc", "rwqueue", "spsc_ring")),
                   key=lambda r: (r and r["frames_per_s"]) or 0)
        if best and j:
            line(f"journal copy read vs the fastest peer (`{best['name']}`), {p} B, frames/s", j["frames_per_s"], best["frames_per_s"])
        if best and jr:
            line(f"journal in-place read vs the fastest peer (`{best['name']}`), {p} B, frames/s", jr["frames_per_s"], best["frames_per_s"])
        if ring and jr:
            line(f"journal in-place read vs `spsc_ring`, {p} B, p50 latency", jr["p50_ns"], ring["p50_ns"])
    for name in ("handoff", "handoff_borrowed", "dispatch_null", "dispatch_microprice", "runner_e2e"):
        c, f = find(rows, name, "copy"), find(rows, name, "frame-ref")
        if c and f:
            line(f"`{name}`, frame-ref vs copy, ns/event", per_event_ns(f), per_event_ns(c))
    return "\n".join(out) if out else "(not measured)"


# ---------------------------------------------------------------- targets
MET, NOT_MET, UNKNOWN = "met", "**not met**", "not measured"


def status(ok):
    return UNKNOWN if ok is None else (MET if ok else NOT_MET)


def targets(rows, base):
    """The issue's targets, each read from this run: a list of dicts with
    target, measured, ratio, status and bound (what limits it, measured in the
    same run; shown when the target is not met)."""
    out = []

    def add(group, target, measured, ratio_text, ok, bound=""):
        out.append({"group": group, "target": target, "measured": measured, "ratio": ratio_text,
                    "status": status(ok), "ok": ok, "bound": bound if ok is False else ""})

    def ev(name, mode, payload=384):
        return per_event_ns(find(rows, name, mode, payload))

    floor = {k: per_event_ns(find(rows, f"floor_{k}", "machine"))
             for k in ("clock_realtime", "rdtsc", "atomic_increment", "compare_exchange")}
    rt = find(rows, "cacheline_roundtrip")

    # (1) allocations per dispatched event
    for mode in ("copy", "frame-ref"):
        counted = [(n, find(rows, n, mode, 384)) for n in ("dispatch_null", "dispatch_microprice", "handoff",
                                                           "handoff_borrowed")]
        counted = [(n, r["allocs_per_event"]) for n, r in counted if r and r["allocs_per_event"] is not None]
        worst = max((a for _, a in counted), default=None)
        add("1", f"0 allocations per dispatched event, {mode}",
            "–" if worst is None else f"{worst:.3f} allocs/event (max of " + ", ".join(f"`{n}`" for n, _ in counted) + ")",
            "–", None if worst is None else worst == 0,
            "allocating stages: " + ", ".join(f"`{n}` {a:.3f}" for n, a in counted if a))

    # (2) handoff keeping the frame
    f, c = ev("handoff", "frame-ref"), ev("handoff", "copy")
    fb, cb = ev("handoff_borrowed", "frame-ref"), ev("handoff_borrowed", "copy")
    fr = find(rows, "handoff", "frame-ref", 384)
    fi = fr and fr.get("instructions_per_event")
    retains = fr and fr.get("retains_per_event")
    inc, cas = floor["atomic_increment"], floor["compare_exchange"]
    fr_bound = (f"on the dispatch thread a keep and its drop are two plain stores to the slot's pin counters "
                f"(`Pins::add`, `Pins::drop` on the pin thread: no locked instruction; off it each would be one "
                f"atomic increment, {num(inc, 1)} ns); the borrowed call alone is {num(fb, 1)} ns"
                + (f", so the other {f - fb:.1f} ns are the keep itself: two more C ABI calls "
                   "(`frame_retain`, `frame_release`), the slot found from the payload pointer and the "
                   "host's per-engine count that catches a double release" if f and fb else "")
                + (f"; {fi:.0f} instructions/event" if fi else "")
                + (f"; {retains:.2f} retains/event" if retains is not None else ""))
    add("2", "handoff keeping a 384 B Depth, frame-ref ≤ 15 ns/event", f"{num(f, 1)} ns", ratio(f, 15),
        None if f is None else f <= 15, fr_bound)
    add("2", "handoff keeping, frame-ref faster than copy (same run)", f"{num(f, 1)} ns vs {num(c, 1)} ns",
        ratio(f, c), None if f is None or c is None else f < c, fr_bound)
    add("2", "handoff keeping a 384 B Depth, copy ≤ 40 ns/event", f"{num(c, 1)} ns", ratio(c, 40),
        None if c is None else c <= 40,
        f"floor in this run: the borrowed call {num(cb, 1)} ns + a 384 B copy + one compare-exchange "
        f"({num(cas, 1)} ns) to give the block back")

    # (3) journal vs boost
    for reader, mode, label in (("in-place read (runner)", "frame-ref", "in-place"), ("copy read (other processes)", "copy", "copy")):
        for payload, want in ((384, 1.0), (64, 0.8)):
            j, b = find(rows, "journal", mode, payload), find(rows, "boost_spsc", "peer", payload)
            jv, bv = j and j["frames_per_s"], b and b["frames_per_s"]
            rr = jv / bv if jv and bv else None
            jc = find(rows, "journal_clock", "frame-ref", payload)
            add("3", f"journal 1W→1R {payload} B, {reader}: throughput ≥ {want:.1f}× boost",
                f"{rate(jv)}/s vs {rate(bv)}/s", "–" if rr is None else f"{rr:.2f}×",
                None if rr is None else rr >= want,
                f"in this run: the writer alone (`journal_write`, caller's gen_time) "
                f"{rate((find(rows, 'journal_write_gen_time', 'copy', payload) or {}).get('frames_per_s'))}/s, so the "
                f"limit is the reader and the cache lines it shares with the writer; `rwqueue` "
                f"{rate((find(rows, 'rwqueue', 'peer', payload) or {}).get('frames_per_s'))}/s, `spsc_ring` "
                f"{rate((find(rows, 'spsc_ring', 'peer', payload) or {}).get('frames_per_s'))}/s"
                + (f"; the writer reading its own clock (`journal_clock`, in place) {rate(jc['frames_per_s'])}/s" if jc else ""))
        for payload in (64, 384):
            j, b = find(rows, "journal", mode, payload), find(rows, "boost_spsc", "peer", payload)
            jp, bp = j and j["p50_ns"], b and b["p50_ns"]
            rr = jp / bp if jp and bp else None
            add("3", f"journal {payload} B, {reader}: p50 latency ≤ 1.5× boost's",
                f"{ns(jp)} vs {ns(bp)}", "–" if rr is None else f"{rr:.2f}×", None if rr is None else rr <= 1.5,
                f"floor in this run: half a cache-line round trip, {ns(rt and rt['p50_ns'] and rt['p50_ns'] / 2)} p50; "
                f"one clock read {num(floor['clock_realtime'], 1)} ns (the stamp is the only one here)")

    # (4) dispatch to a no-op engine
    for mode in ("copy", "frame-ref"):
        r = find(rows, "dispatch_null", mode, 384)
        v = r and r["frames_per_s"]
        b = ev("handoff_borrowed", mode)
        add("4", f"dispatch ≥ 10 M Depth frames/s to a no-op engine, {mode}", f"{rate(v)}/s",
            ratio(v, 10e6), None if v is None else v >= 10e6,
            f"in this run: {num(per_event_ns(r), 1)} ns/frame, of which the borrowed C ABI call {num(b, 1)} ns"
            + (f"; {r['instructions_per_event']:.0f} instructions/frame" if r and r["instructions_per_event"] else ""))

    # (5) microprice
    for mode in ("copy", "frame-ref"):
        r = find(rows, "dispatch_microprice", mode, 384)
        v = per_event_ns(r)
        dn = ev("dispatch_null", mode)
        w = per_event_ns(find(rows, "journal_write_gen_time", "copy", 384))
        add("5", f"microprice ≤ 300 ns/frame incl. signals writes, {mode}", f"{num(v, 1)} ns", ratio(v, 300),
            None if v is None else v <= 300,
            f"in this run: dispatch to a no-op engine {num(dn, 1)} ns + one journal write of 384 B {num(w, 1)} ns + "
            f"one clock read (the batch's publish time) {num(floor['clock_realtime'], 1)} ns"
            + (f" = {dn + w + floor['clock_realtime']:.0f} ns before microprice's own arithmetic"
               if dn and w and floor['clock_realtime'] else ""))

    # (6) runner end to end
    rc, rf = find(rows, "runner_e2e", "copy"), find(rows, "runner_e2e", "frame-ref")
    for mode, r in (("copy", rc), ("frame-ref", rf)):
        b = find(base, "runner_e2e", mode) if base else None
        v, bv = r and r["frames_per_s"], b and b["frames_per_s"]
        rr = v / bv if v and bv else None
        add("6", f"runner end to end ≥ 2× the baseline frames/s, {mode}", f"{rate(v)}/s vs {rate(bv)}/s before",
            "–" if rr is None else f"{rr:.2f}×", None if rr is None else rr >= 2.0,
            "two busy threads (feed, dispatch) on a 2-core machine shared with other work; see the load average")
    v1, v2 = rc and rc["frames_per_s"], rf and rf["frames_per_s"]
    pr = find(rows, "runner_e2e_pair_ratio", "frame-ref")
    if pr:
        # Each pair ran back to back, so a drift of the machine cancels out.
        # "Slower" must show in the pairs: a one-sided sign test on how many
        # pairs frame-ref lost (p < 0.05: slower; otherwise not slower).
        add("6", "runner end to end, zero-copy not slower than copy",
            f"{rate(v2)}/s vs {rate(v1)}/s; frame-ref/copy pair by pair: median {pr['ratio_median']:.3f} "
            f"(min {pr['ratio_min']:.3f}, max {pr['ratio_max']:.3f}); frame-ref slower in "
            f"{pr['pairs_slower']} of {pr['pairs']} pairs, one-sided sign test p = {pr['sign_test_p']:.2f}",
            f"{pr['ratio_median']:.2f}×",
            # below 5 pairs even "lost every pair" has p >= 0.05: no verdict
            None if pr["pairs"] < 5 else pr["sign_test_p"] >= 0.05,
            "with the shipped engines (none keeps a frame) the two builds run the same dispatch code "
            "(callgrind: the same instructions per run); the pairs spread from "
            f"{pr['ratio_min']:.3f} to {pr['ratio_max']:.3f}")
    else:
        add("6", "runner end to end, zero-copy not slower than copy", f"{rate(v2)}/s vs {rate(v1)}/s",
            ratio(v2, v1), None if not v1 or not v2 else v2 >= v1,
            f"spread of this row across runs: CV copy {pct(rc and rc['cv'])}, frame-ref {pct(rf and rf['cv'])}")

    # (7) hot swap
    for mode in ("copy", "frame-ref"):
        r = find(rows, "hot_swap_pause", mode)
        p99 = r and r["p99_ns"]
        add("7", f"hot-swap switch pause p99 < 50 µs, {mode}",
            "–" if r is None else f"p99 {ns(p99)} (p50 {ns(r['p50_ns'])}, max {ns(r['max_ns'])}, {r['swaps']} swaps)",
            ratio(p99, 50e3), None if p99 is None else p99 < 50e3,
            "" if r is None else f"{r['swaps']} swaps, {r['swaps_failed']} failed, {r['not_unloaded']} not unloaded")
    return out


def targets_section(ts):
    out = ["| # | target | measured (this run) | ratio | status | bound measured in the same run (when not met) |",
           "|---|---|---|---:|---|---|"]
    for t in ts:
        out.append(f"| {t['group']} | {t['target']} | {t['measured']} | {t['ratio']} | {t['status']} | {t['bound']} |")
    met = sum(1 for t in ts if t["ok"])
    out += ["", f"{met} of {len(ts)} met, {sum(1 for t in ts if t['ok'] is False)} not met"
                f"{', ' + str(sum(1 for t in ts if t['ok'] is None)) + ' not measured' if any(t['ok'] is None for t in ts) else ''}."]
    return "\n".join(out)


def readme_table(ts, machine):
    out = [f"From `tools/bench/run.sh{' --quick' if machine.get('quick') else ''}`"
           f"{' (fewer repetitions and samples: noisier)' if machine.get('quick') else ''}, commit {machine.get('commit')}, "
           f"{machine.get('started')}, {machine.get('cpu')} ({machine.get('cores')} cores, load "
           f"{machine.get('load_start', [0])[0]:.1f} → {(machine.get('load_end') or [0])[0]:.1f}); "
           f"details and the bounds behind any miss: [docs/performance.md](docs/performance.md).", "",
           "| target | measured | ratio | status |", "|---|---|---:|---|"]
    for t in ts:
        out.append(f"| {t['target']} | {t['measured']} | {t['ratio']} | {t['status']} |")
    return "\n".join(out)


def write_readme(path, table):
    start, end = "<!-- perf-table:start -->", "<!-- perf-table:end -->"
    text = open(path).read()
    if start not in text or end not in text:
        sys.exit(f"report.py: {path} has no {start} / {end} markers (README's Performance section)")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + start + "\n<!-- Generated by tools/bench/run.sh (report.py): edit the script, not this table. -->\n"
                + table + "\n" + end + tail)


def floors_section(rows):
    out = ["| floor | ns (median) |", "|---|---:|"]
    for k, label in (("clock_realtime", "one `clock_gettime(CLOCK_REALTIME)` (the journal writer's, when gen_time is 0)"),
                     ("rdtsc", "one `rdtsc` (the benchmarks' stamp)"),
                     ("atomic_increment", "one uncontended atomic increment (a frame-ref keep or drop off the dispatch thread)"),
                     ("compare_exchange", "one uncontended compare-exchange (a drop off the dispatch thread, `CopyPool::give_back`)")):
        out.append(f"| {label} | {num(per_event_ns(find(rows, f'floor_{k}', 'machine')), 1)} |")
    c = find(rows, "cacheline_roundtrip")
    if c:
        out.append(f"| one cache line there and back between the two CPUs (p50) | {num(c['p50_ns'], 0)} |")
    for p in (64, 384):
        a, b = find(rows, "journal_write", "copy", p), find(rows, "journal_write_gen_time", "copy", p)
        if a and b and a["frames_per_s"] and b["frames_per_s"]:
            out.append(f"| journal write {p} B, own clock − caller's gen_time | "
                       f"{per_event_ns(a) - per_event_ns(b):.1f} |")
    return "\n".join(out)


def e2e_section(rows, base):
    out = ["| run | mode | frames | frames/s (median, summary time) | CV | before | after/before | frames/s (wall, process) | "
           "signals frames written | signals ring |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for mode in ("copy", "frame-ref"):
        r = find(rows, "runner_e2e", mode)
        if r is None:
            continue
        b = find(base, "runner_e2e", mode) if base else None
        sf, cap, slot = r.get("signals_frames"), r.get("signals_capacity"), r.get("signals_slot_size")
        ring = "–" if not cap else (f"{cap} × {slot} B" + (f", overwritten ~{sf / cap:.0f}× (keeps the last {cap})"
                                                            if sf and sf > cap else ", holds the whole run"))
        out.append(f"| {r.get('runs')} run(s) | {mode} | {num(r.get('frames'))} | {rate(r['frames_per_s'])} | {pct(r['cv'])} | "
                   f"{rate(b and b['frames_per_s'])} | {ratio(r['frames_per_s'], b and b['frames_per_s'])} | "
                   f"{rate(r.get('wall_frames_per_s'))} | {num(sf)} | {ring} |")
    out += ["", "| hot swap | mode | frames | swaps (failed, not unloaded) | reload every | switch pause p50 | p99 | max |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for mode in ("copy", "frame-ref"):
        r = find(rows, "hot_swap_pause", mode)
        if r is None:
            continue
        out.append(f"| `sigrun --reload-every` | {mode} | {num(r.get('frames'))} | {r['swaps']} ({r['swaps_failed']}, "
                   f"{r['not_unloaded']}) | {num(r.get('reload_every'))} frames | {ns(r['p50_ns'])} | {ns(r['p99_ns'])} | "
                   f"{ns(r['max_ns'])} |")
    return "\n".join(out)


def bridge_section(rows):
    out = ["| sigrun-bridge, loopback | R1 (one node) | R3 (3-node cluster) |", "|---|---:|---:|"]
    cells = {}
    for variant in ("R1", "R3"):
        p = next((r for r in rows if r["name"] == "bridge_publish" and r["variant"] == variant), None)
        lat = next((r for r in rows if r["name"] == "bridge_latency" and r["variant"] == variant), None)
        cells[variant] = (rate(p and p["frames_per_s"]), ns(lat and lat["p50_ns"]), ns(lat and lat["p99_ns"]))
    if not any(r["name"].startswith("bridge_") for r in rows):
        return "Not measured in this run: `bench_bridge` is built only where `nats-server` is installed."
    out.append(f"| publish throughput, trade frames (96 B), every frame acknowledged | {cells['R1'][0]} | {cells['R3'][0]} |")
    out.append(f"| journal to journal latency p50 (5 000 frames/s) | {cells['R1'][1]} | {cells['R3'][1]} |")
    out.append(f"| journal to journal latency p99 | {cells['R1'][2]} | {cells['R3'][2]} |")
    return "\n".join(out)


# ---------------------------------------------------------------- plots
def plots(raw, rows, base, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cdf = load(os.path.join(raw, "latency_cdf.json"))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, payload in zip(axes, (64, 384)):
        for s in cdf:
            if s["payload_bytes"] not in (payload, 8) or not s["samples"]:
                continue
            xs = [p[1] for p in s["points"]]
            ys = [max(1.0 - p[0], 1e-7) for p in s["points"]]
            label = s["name"] if s["name"] != "journal" else f"journal ({s['variant'].replace('_', '-')})"
            style = "--" if s["name"] == "cacheline_roundtrip" else "-"
            ax.step(xs, ys, style, where="post", label=label + (" (round trip)" if style == "--" else ""))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("one-way latency, ns (log)")
        ax.set_title(f"{payload} B payload")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("fraction of samples slower (1 − CDF, log)")
    axes[1].legend(fontsize=8)
    fig.suptitle("1 writer → 1 reader across the two CPUs: latency distribution")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "bench-latency-cdf.png"), dpi=110)
    plt.close(fig)

    labels, now_ns, then_ns, now_ir, then_ir = [], [], [], [], []
    for name, mode, payload, label in STAGES:
        r = find(rows, name, mode, payload)
        if r is None:
            continue
        b = find(base, name, mode, payload) if base else None
        labels.append(label)
        now_ns.append(per_event_ns(r) or 0)
        then_ns.append(per_event_ns(b) or 0)
        now_ir.append(r["instructions_per_event"] or 0)
        then_ir.append((b and b["instructions_per_event"]) or 0)
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(labels) + 1.8), sharey=True)
    ys = list(range(len(labels)))
    for ax, before, after, title in ((axes[0], then_ns, now_ns, "ns per event (log)"),
                                     (axes[1], then_ir, now_ir, "instructions per event (callgrind, log)")):
        ax.barh([y + 0.2 for y in ys], before, height=0.4, label="before (docs/bench-baseline.json)", color="#bbbbbb")
        ax.barh([y - 0.2 for y in ys], after, height=0.4, label="after (this run)", color="#1f77b4")
        ax.set_xscale("log")
        ax.set_title(title)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels(labels)
    axes[0].invert_yaxis()
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "bench-stages.png"), dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--baseline")
    ap.add_argument("--template", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--plots", required=True)
    ap.add_argument("--readme", help="README.md whose perf-table markers get the targets table")
    a = ap.parse_args()

    machine, rows = collect(a.raw)
    for r in rows:  # which code, when: a baseline copied from this file keeps it
        r["commit"] = machine.get("commit")
        r["run_started"] = machine.get("started")
        r["quick"] = machine.get("quick")
    with open(a.results, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    base = None
    base_note = "no baseline (docs/bench-baseline.json missing): the *before* columns are empty"
    if a.baseline and os.path.exists(a.baseline):
        base = load(a.baseline)
        b0 = base[0] if base else {}
        base_note = (f"before = `docs/bench-baseline.json` (commit {b0.get('commit', 'unknown')}, "
                     f"run of {b0.get('run_started', 'unknown')}); this run: commit {machine.get('commit')}")
    plots(a.raw, rows, base, a.plots)
    ts = targets(rows, base)
    sections = {
        "TARGETS": targets_section(ts),
        "FLOORS": floors_section(rows),
        "E2E": e2e_section(rows, base),
        "BRIDGE": bridge_section(rows),
        "MACHINE": machine_section(machine),
        "PEERS": peers_section(rows),
        "STAGES": stages_section(rows, base),
        "RATIOS": ratios_section(rows),
        "BASELINE_NOTE": base_note,
        "MODE": "`--quick` (fewer repetitions and samples)" if machine.get("quick") else "full",
    }
    text = open(a.template).read()
    for k, v in sections.items():
        text = text.replace("@@" + k + "@@", v)
    left = re.findall(r"@@\w+@@", text)
    if left:
        sys.exit(f"report.py: unknown placeholders in {a.template}: {', '.join(left)}")
    with open(a.doc, "w") as f:
        f.write(text)
    if a.readme:
        write_readme(a.readme, readme_table(ts, machine))


if __name__ == "__main__":
    main()
