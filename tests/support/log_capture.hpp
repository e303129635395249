// log_capture.hpp — what the runner (and engines, through host->log) logged
// while a test ran: a ring-buffer sink on spdlog's default logger.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace sigrun::testing {

// Adds a sink to spdlog's default logger while it lives. Create it before
// any runner thread starts and destroy it after they all ended (the sink
// list itself is not thread-safe). Lines are "<level> <message>".
class LogCapture {
public:
    LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200'000)) {
        sink_->set_pattern("%l %v");
        spdlog::default_logger()->sinks().push_back(sink_);
    }
    ~LogCapture() { std::erase(spdlog::default_logger()->sinks(), sink_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    [[nodiscard]] std::vector<std::string> lines() const { return sink_->last_formatted(); }

    // Lines at `level` ("error", "warning", "info") that contain `text`.
    [[nodiscard]] std::vector<std::string> matching(const std::string& level, const std::string& text) const {
        std::vector<std::string> found;
        for (const auto& line : lines()) {
            if (line.rfind(level + " ", 0) == 0 && line.find(text) != std::string::npos) found.push_back(line);
        }
        return found;
    }

private:
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace sigrun::testing
