#!/usr/bin/env python3
"""Turns the raw outputs of tools/bench/run.sh into build/bench/results.json,
docs/performance.md (from tools/bench/performance.md.in) and the plots.

Standard library + matplotlib (Debian python3-matplotlib) only.

results.json: a list of objects, one per measured thing, with at least
name, mode (copy | frame-ref | peer), payload_bytes, frames_per_s, p50_ns,
p99_ns, p999_ns, max_ns, allocs_per_event, instructions_per_event (null
where not measured), plus variant, cv (of frames_per_s across repetitions)
and source (the program that measured it).
"""
import argparse
import glob
import json
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
        rows.append(row("journal_write", "copy", payload, "write", "bench_journal",
                        frames_per_s=g.get("median"), cv=g.get("cv")))
    rows.append(row("journal_read", "copy", 384, "read", "bench_events"))
    rows.append(row("journal_read", "frame-ref", 384, "read_in_place", "bench_events"))

    # handoff, dispatch
    for preset, mode in mode_of.items():
        d = gbench_aggregates(os.path.join(raw, f"dispatch-{preset}.json"))
        for name, run in (("handoff", "BM_Handoff/null"), ("dispatch_null", "BM_Dispatch/null"),
                          ("dispatch_microprice", "BM_Dispatch/microprice")):
            g = d.get(run, {})
            rows.append(row(name, mode, 384, "null engine" if name != "dispatch_microprice" else "microprice",
                            "bench_dispatch", frames_per_s=g.get("median"), cv=g.get("cv")))

    # instructions and allocations per event
    stage_row = {("release", "journal_write"): ("journal_write", "copy", 384),
                 ("release", "journal_read"): ("journal_read", "copy", 384),
                 ("release", "journal_read_in_place"): ("journal_read", "frame-ref", 384)}
    for preset, mode in mode_of.items():
        for stage, name in (("handoff_null", "handoff"), ("dispatch_null", "dispatch_null"),
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
        per_stage[key] = (allocs, instr)
    for r in rows:
        k = (r["name"], r["mode"], r["payload_bytes"])
        if k in per_stage:
            r["allocs_per_event"], r["instructions_per_event"] = per_stage[k]
    # the journal 1 -> 1 handoff costs one write and one read
    for r in rows:
        if r["name"] == "journal" and r["payload_bytes"] == 384:
            w = per_stage.get(("journal_write", "copy", 384))
            rd = per_stage.get(("journal_read", r["mode"], 384))
            if w and rd:
                r["allocs_per_event"] = w[0] + rd[0]
                r["instructions_per_event"] = (w[1] + rd[1]) if w[1] is not None and rd[1] is not None else None

    # runner end to end
    for preset, mode in mode_of.items():
        rates, walls, frames = [], [], None
        for path in sorted(glob.glob(os.path.join(raw, f"e2e-{preset}-*.txt"))):
            text = open(path).read()
            secs = re.search(r"=== sigrun summary \(([\d.]+) s\) ===", text)
            disp = re.search(r"frames dispatched depth=(\d+) trade=(\d+) rejected=(\d+) lost=(\d+)", text)
            wall = re.search(r"wall_ns (\d+)", text)
            if not (secs and disp and wall):
                continue
            frames = int(disp.group(1)) + int(disp.group(2))
            rates.append(frames / float(secs.group(1)))
            walls.append(int(wall.group(1)) / 1e9)
        if rates:
            rows.append(row("runner_e2e", mode, None, "synthetic, 3 engines", "sigrun",
                            frames_per_s=statistics.median(rates),
                            cv=(statistics.pstdev(rates) / statistics.mean(rates)) if len(rates) > 1 else None,
                            frames=frames, wall_s=statistics.median(walls),
                            wall_frames_per_s=frames / statistics.median(walls), runs=len(rates)))
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
          ("handoff", "copy", 384, "handoff, copy"),
          ("handoff", "frame-ref", 384, "handoff, frame-ref"),
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
                "| channel | frames/s (median) | CV | vs `spsc_ring` | p50 | p99 | p99.9 | max | p50 vs `spsc_ring` |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, mode, label in (("journal", "copy", "sigrun journal, copy read (`Reader::next`)"),
                                  ("journal", "frame-ref", "sigrun journal, in-place read (dispatcher)"),
                                  ("boost_spsc", "peer", "`boost::lockfree::spsc_queue`"),
                                  ("rwqueue", "peer", "`moodycamel::ReaderWriterQueue`"),
                                  ("spsc_ring", "peer", "`spsc_ring` (padded, cached indices)")):
            r = find(rows, name, mode, payload)
            if r is None:
                continue
            out.append(f"| {label} | {rate(r['frames_per_s'])} | {pct(r['cv'])} | "
                       f"{ratio(r['frames_per_s'], ref and ref['frames_per_s'])} | {ns(r['p50_ns'])} | "
                       f"{ns(r['p99_ns'])} | {ns(r['p999_ns'])} | {ns(r['max_ns'])} | "
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
    for name in ("handoff", "dispatch_null", "dispatch_microprice", "runner_e2e"):
        c, f = find(rows, name, "copy"), find(rows, name, "frame-ref")
        if c and f:
            line(f"`{name}`, frame-ref vs copy, ns/event", per_event_ns(f), per_event_ns(c))
    return "\n".join(out) if out else "(not measured)"


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
    sections = {
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


if __name__ == "__main__":
    main()
