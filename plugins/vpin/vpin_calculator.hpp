// vpin_calculator.hpp — VPIN of one instrument's trades.
//
// Easley, López de Prado & O'Hara (2012), "Flow Toxicity and Liquidity in a
// High-Frequency World", Review of Financial Studies 25(5), 1457-1493.
//
// Trades are poured, in arrival order, into equal-volume buckets of volume V
// (bucket_volume): a trade that overflows the current bucket fills it, the
// bucket closes, and the rest of the trade goes on into the next one(s). Each
// closed bucket tau gets a buy volume V^B_tau and a sell volume
// V^S_tau = V - V^B_tau, and
//
//   VPIN = sum_{tau = n-N+1 .. n} |V^S_tau - V^B_tau| / (N V)     in [0, 1]
//
// over the last N closed buckets (`buckets`), published when a bucket closes
// and N buckets have closed.
//
// Classification of the volume:
//   aggressor  each trade's volume is buy volume when the buyer was the
//              aggressor, sell volume when the seller was; a trade of
//              unknown side counts half to each.
//   bulk       bulk volume classification per bucket (the paper's section
//              2): V^B_tau = V * Phi(dP_tau / sigma), where dP_tau is the
//              bucket's last trade price minus the previous bucket's last
//              (the first bucket: minus its own first trade price), Phi the
//              standard normal CDF and sigma the sample standard deviation
//              of dP over the last N buckets, this one included. While
//              sigma is not defined or 0 (fewer than two buckets, or no
//              price change) V^B_tau = V / 2.
//
// A trade whose price or size is not finite and > 0 is rejected (counted,
// nothing changes). Hot path: add() allocates nothing; the rings of N values
// are sized once. A bucket close re-sums the N imbalances (no running-sum
// drift over a long run; a close is rare next to the trades).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sigrun/messages.h"
#include "vpin_config.hpp"

namespace sigrun::plugins {

class VpinCalculator {
public:
    explicit VpinCalculator(const VpinConfig& config);

    // Adds one trade. Returns false (and changes nothing) when rejected.
    bool add(const sigrun_trade& trade) noexcept;

    // VPIN over the last N closed buckets; nullopt until N buckets closed.
    std::optional<double> vpin() const noexcept;
    // Buckets closed since the start (or the restored state's start).
    std::uint64_t buckets_closed() const noexcept { return closed_; }
    // Whether the last add() closed at least one bucket.
    bool closed_bucket() const noexcept { return closed_in_last_add_; }
    std::uint64_t rejected() const noexcept { return rejected_; }

    // The state as bytes (for a hot swap) and back. restore() returns false
    // for bytes that are not a state of this configuration.
    void save(std::vector<std::byte>& out) const;
    bool load(std::span<const std::byte>& in) noexcept;

private:
    void pour(double buy, double sell, double price) noexcept;
    void close_bucket(double price) noexcept;

    VpinConfig config_;
    std::size_t n_;
    // The open bucket.
    double filled_ = 0.0, buy_ = 0.0, sell_ = 0.0;
    double first_price_ = 0.0;  // of the open bucket, for the first bucket's dP (bulk)
    bool has_first_price_ = false;
    double last_close_ = 0.0;   // last trade price of the previous bucket (bulk)
    bool has_last_close_ = false;
    // Rings of the last N closed buckets: |V^S - V^B| and dP.
    std::vector<double> imbalance_, price_change_;
    std::uint64_t closed_ = 0;
    std::uint64_t rejected_ = 0;
    bool closed_in_last_add_ = false;
};

}  // namespace sigrun::plugins
