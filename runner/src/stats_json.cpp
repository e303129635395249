#include "stats_json.hpp"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sigrun::runner {
namespace {

const char* type_name(prometheus::MetricType type) {
    switch (type) {
        case prometheus::MetricType::Counter: return "counter";
        case prometheus::MetricType::Gauge: return "gauge";
        case prometheus::MetricType::Histogram: return "histogram";
        case prometheus::MetricType::Summary: return "summary";
        default: return "untyped";
    }
}

// Bounds as Prometheus prints them in `le`.
std::string bound_text(double bound) { return std::isinf(bound) ? "+Inf" : fmt::format("{}", bound); }

}  // namespace

nlohmann::json metrics_to_json(const std::vector<prometheus::MetricFamily>& families) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& family : families) {
        nlohmann::json samples = nlohmann::json::array();
        for (const auto& m : family.metric) {
            nlohmann::json sample;
            sample["labels"] = nlohmann::json::object();
            for (const auto& label : m.label) sample["labels"][label.name] = label.value;
            switch (family.type) {
                case prometheus::MetricType::Counter: sample["value"] = m.counter.value; break;
                case prometheus::MetricType::Gauge: sample["value"] = m.gauge.value; break;
                case prometheus::MetricType::Histogram: {
                    sample["count"] = m.histogram.sample_count;
                    sample["sum"] = m.histogram.sample_sum;
                    auto& buckets = sample["buckets"] = nlohmann::json::array();
                    for (const auto& b : m.histogram.bucket) {
                        buckets.push_back({{"le", bound_text(b.upper_bound)}, {"count", b.cumulative_count}});
                    }
                    break;
                }
                default: sample["value"] = m.untyped.value; break;
            }
            samples.push_back(std::move(sample));
        }
        metrics[family.name] = {{"type", type_name(family.type)}, {"help", family.help}, {"samples", samples}};
    }
    return metrics;
}

std::string stats_path_problem(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return "is a directory; name a file";
    const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(parent, ec)) return fmt::format("is in {}, which is not a folder; create it first", parent.string());
    if (::access(parent.c_str(), W_OK | X_OK) != 0) return fmt::format("is in {}, which is not writable; pick a writable folder", parent.string());
    return {};
}

StatsJsonWriter::StatsJsonWriter(std::filesystem::path path, std::chrono::milliseconds interval,
                                 std::shared_ptr<const prometheus::Collectable> metrics)
    : path_(std::move(path)), interval_(interval), metrics_(std::move(metrics)) {
    write_now();  // fails here, before the run, when PATH cannot be written
    if (interval_.count() > 0) {
        thread_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
                lock.unlock();
                try {
                    write_now();
                } catch (const std::exception& e) {
                    spdlog::error("{}", e.what());  // the run goes on; the final write reports again
                }
                lock.lock();
            }
        });
    }
}

StatsJsonWriter::~StatsJsonWriter() { stop_thread(); }

void StatsJsonWriter::stop_thread() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void StatsJsonWriter::finish() {
    stop_thread();
    write_now();
}

void StatsJsonWriter::write_now() {
    const nlohmann::json document{
        {"written_at", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::time(nullptr)))},
        {"metrics", metrics_to_json(metrics_->Collect())}};
    auto temporary = path_;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << document.dump(1) << '\n';
        out.close();
        if (!out) {
            throw std::runtime_error(fmt::format("--stats-json {}: cannot write {}; pick a writable path",
                                                 path_.string(), temporary.string()));
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path_, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        throw std::runtime_error(fmt::format("--stats-json {}: cannot replace it ({}); pick a writable path",
                                             path_.string(), ec.message()));
    }
}

}  // namespace sigrun::runner
