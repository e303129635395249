// vpin_config.hpp — the vpin engine's configuration.
//
// JSON keys (docs/engines.md is the user-facing reference):
//   "bucket_volume"   number > 0, required: the volume V of one bucket, in the
//                     instrument's base unit (the paper: a day's volume / 50).
//   "buckets"         integer 1..10000, default 50: VPIN averages the last N
//                     buckets.
//   "classification"  "aggressor" (default): buy/sell volume from the
//                     exchange's aggressor flag; "bulk": bulk volume
//                     classification of each bucket from its price change.
#pragma once

#include <cstdint>

#include "sigrun/config.hpp"

namespace sigrun::plugins {

enum class VolumeClassification : std::uint32_t { aggressor = 0, bulk = 1 };

struct VpinConfig {
    static constexpr std::int64_t kMaxBuckets = 10'000;
    double bucket_volume = 0.0;
    std::int64_t buckets = 50;
    VolumeClassification classification = VolumeClassification::aggressor;
    bool operator==(const VpinConfig&) const = default;
};

// Reads the engine's config through `reader` (which refuses unknown keys
// when finished). Throws sigrun::ConfigError naming the key.
VpinConfig read_vpin_config(Config& reader);

}  // namespace sigrun::plugins
