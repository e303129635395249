"""The vpin engine on the bundled real sample, run by the real runner, against
an independent implementation of Easley, Lopez de Prado & O'Hara (2012) with
numpy: bucket boundaries from the cumulative volume (the C++ engine pours
trade by trade), buy volume per bucket from the cumulative buy volume at the
boundaries, bulk classification with the normal CDF from math.erf."""

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import env_path, replay_source, run_runner, runner_config
from sigrun_journal import Journal

BUCKET_VOLUME = 0.5
BUCKETS = 20


def sample_trades():
    data = Path(env_path("SIGRUN_EXAMPLES_DATA"))
    t = pd.read_csv(data / "spot_btcusdt_trades.csv.gz")
    # the runner replays in receive-time order; stable for equal times
    return t.sort_values("local_ts_ns", kind="stable").reset_index(drop=True)


def expected_vpin(trades, classification):
    qty = trades["qty"].to_numpy(float)
    price = trades["price"].to_numpy(float)
    buy_share = np.where(trades["taker_side"] == "buy", 1.0, np.where(trades["taker_side"] == "sell", 0.0, 0.5))
    cum = np.cumsum(qty)
    cum_buy = np.cumsum(qty * buy_share)
    closed = int(cum[-1] // BUCKET_VOLUME + 1e-12)
    bounds = BUCKET_VOLUME * np.arange(1, closed + 1)
    # the trade that fills each boundary, and the buy volume up to it
    closer = np.searchsorted(cum, bounds - 1e-12, side="left")
    prev_cum = np.where(closer > 0, cum[closer - 1], 0.0)
    prev_buy = np.where(closer > 0, cum_buy[closer - 1], 0.0)
    buy_at_bound = prev_buy + (bounds - prev_cum) * buy_share[closer]
    bucket_buy = np.diff(np.concatenate([[0.0], buy_at_bound]))
    if classification == "aggressor":
        imbalance = np.abs(BUCKET_VOLUME - 2.0 * bucket_buy)
    else:
        close = price[closer]
        dp = np.diff(np.concatenate([[price[0]], close]))
        imbalance = np.empty(closed)
        for k in range(closed):
            window = dp[max(0, k - BUCKETS + 1):k + 1]
            sigma = np.std(window, ddof=1) if len(window) >= 2 else 0.0
            phi = 0.5 * math.erfc(-dp[k] / sigma / math.sqrt(2.0)) if sigma > 0 else 0.5
            imbalance[k] = abs(BUCKET_VOLUME - 2.0 * BUCKET_VOLUME * phi)
    vpin = np.array([imbalance[k - BUCKETS + 1:k + 1].sum() / (BUCKETS * BUCKET_VOLUME)
                     for k in range(BUCKETS - 1, closed)])
    # one value per trade that closes buckets: the last bucket it closed
    last_closed_by_trade = {}
    for k, i in enumerate(closer):
        last_closed_by_trade[int(i)] = k
    return np.array([vpin[k - BUCKETS + 1] for i, k in sorted(last_closed_by_trade.items()) if k >= BUCKETS - 1])


@pytest.mark.parametrize("classification", ["aggressor", "bulk"])
def test_vpin_matches_an_independent_implementation_on_the_sample(tmp_path, classification):
    config = runner_config(tmp_path, replay_source(), engine_names=())
    config["engines"] = [{"name": "vpin", "library": env_path("SIGRUN_PLUGIN_VPIN"),
                          "config": {"bucket_volume": BUCKET_VOLUME, "buckets": BUCKETS,
                                     "classification": classification}}]
    run = run_runner(tmp_path, config)
    factors = Journal(run.signals).factors()
    got = factors[factors.factor == "vpin"]["value"].to_numpy(float)
    want = expected_vpin(sample_trades(), classification)
    assert len(want) > 20, "the sample closes enough buckets for a real check"
    assert len(got) == len(want)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.all((got >= 0) & (got <= 1))
