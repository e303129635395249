#include "vpin_config.hpp"

namespace sigrun::plugins {

VpinConfig read_vpin_config(Config& reader) {
    VpinConfig out;
    out.bucket_volume = reader.required_number("bucket_volume", {0.0, 1e15}, "volume of one bucket, base units");
    if (!(out.bucket_volume > 0.0)) reader.fail("\"bucket_volume\" must be greater than 0, got 0");
    out.buckets = reader.integer("buckets", out.buckets, {1, VpinConfig::kMaxBuckets}, "buckets VPIN averages");
    out.classification = reader.text("classification", "aggressor", {"aggressor", "bulk"}) == "bulk"
                             ? VolumeClassification::bulk
                             : VolumeClassification::aggressor;
    return out;
}

}  // namespace sigrun::plugins
