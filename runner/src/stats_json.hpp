// runner/src/stats_json.hpp — --stats-json: the metrics of /metrics as one
// JSON file, written at exit and every --stats-interval seconds.
//
// The file is written beside PATH and renamed over it, so a reader never
// sees half a file. Layout: {"written_at": ISO time, "metrics": {name:
// {"type", "help", "samples": [{"labels": {...}, "value": v}]}}}; a
// histogram sample has "count", "sum" and "buckets": [{"le": "1e-06",
// "count": cumulative}, ..., {"le": "+Inf", ...}] instead of "value".
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace sigrun::runner {

nlohmann::json metrics_to_json(const std::vector<prometheus::MetricFamily>& families);

// Why `path` cannot take the stats file (its folder is missing or not
// writable, or it is a directory); empty when it can.
std::string stats_path_problem(const std::filesystem::path& path);

class StatsJsonWriter {
public:
    // Writes now and then every `interval` (0: only on write_now()).
    // Throws std::runtime_error (one line naming PATH) when a write fails.
    StatsJsonWriter(std::filesystem::path path, std::chrono::milliseconds interval,
                    std::shared_ptr<const prometheus::Collectable> metrics);
    ~StatsJsonWriter();
    StatsJsonWriter(const StatsJsonWriter&) = delete;
    StatsJsonWriter& operator=(const StatsJsonWriter&) = delete;

    // Stops the periodic writes, then writes the final numbers. Throws like
    // the constructor.
    void finish();

private:
    void write_now();
    void stop_thread();

    std::filesystem::path path_;
    std::chrono::milliseconds interval_;
    std::shared_ptr<const prometheus::Collectable> metrics_;
    std::mutex mutex_;  // one write at a time; guards stopping_
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sigrun::runner
