#!/usr/bin/env python3
"""Plots the demo's microprice against the mid price, from its journals.

    tools/demo.sh                                   # writes build/release/demo/journal/
    PYTHONPATH=python python3 python/examples/plot_microprice.py [journal dir] [out.png]

Reads signals.journal (every factor the engines published) and md.journal
(the book updates still in its ring: the demo's 4096 slots hold the last
4096 of its 5015 frames), joins the microprice factor to the book update it
was computed from (source_sequence = md sequence) and saves a PNG:
best bid/ask, mid and microprice over the 60 book updates where the mid
moved least, and microprice - mid in ticks over everything both journals
hold. docs/python-microprice.png was made by this script from a run of
tools/demo.sh.
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sigrun_journal import Journal  # noqa: E402

journal_dir = sys.argv[1] if len(sys.argv) > 1 else "build/release/demo/journal"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/python-microprice.png"

factors = Journal(f"{journal_dir}/signals.journal").factors()
books = Journal(f"{journal_dir}/md.journal").depth(as_frame=True)
micro = factors[factors.factor == "microprice"].merge(
    books, left_on="source_sequence", right_on="sequence", suffixes=("", "_md"))
micro["time"] = pd.to_datetime(micro.receive_time_ns, unit="ns")
micro["mid"] = (micro.bid_price_0 + micro.ask_price_0) / 2
tick = 0.01

fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), gridspec_kw={"height_ratios": [3, 2]})
# Top: the 60 consecutive book updates where the mid moved least, so that the
# one-tick spread and where the microprice sits inside it are visible.
n = 60
quietest = (micro.mid.rolling(n).max() - micro.mid.rolling(n).min()).iloc[n - 1:].idxmin()
window = micro.loc[quietest - n + 1:quietest]
for column, colour, style, label in [("bid_price_0", "tab:green", "-", "best bid"),
                                     ("ask_price_0", "tab:red", "-", "best ask"),
                                     ("mid", "grey", "--", "mid"), ("value", "tab:blue", "-", "microprice")]:
    top.step(window.time, window[column], where="post", color=colour, ls=style,
             lw=1.6 if column == "value" else 0.9, label=label)
top.set_title(f"{micro.instrument.iloc[-1]}: microprice vs mid (Binance spot sample through the sigrun demo)")
top.set_ylabel("price (USDT)")
top.ticklabel_format(axis="y", useOffset=False)
top.legend(loc="upper left", fontsize=8, ncol=4)
top.set_xlabel(f"{n} consecutive book updates, receive time (UTC)")
# Bottom: microprice - mid in ticks over everything both journals hold.
half_spread = (micro.ask_price_0 - micro.bid_price_0) / 2 / tick
bottom.fill_between(micro.time, -half_spread, half_spread, step="post", color="0.9", label="half spread")
bottom.plot(micro.time, (micro.value - micro.mid) / tick, color="tab:blue", lw=0.6, label="microprice - mid")
bottom.set_ylim(-0.6, 0.6)
bottom.set_ylabel("ticks (clipped to ±0.6)")
bottom.legend(loc="upper left", fontsize=8, ncol=2)
bottom.set_xlabel(f"receive time (UTC), all {len(micro)} book updates still in md.journal's ring")
fig.tight_layout()
fig.savefig(out, dpi=110)
print(f"{out}: {len(micro)} microprice values joined to their book updates")
