// runner/src/damaged_frame_log.hpp — the dispatcher's report of md frames the
// journal reader found damaged (checksum mismatch, impossible length, or a
// slot emptied by recovery): never dispatched, counted, and logged at most
// once per interval with how many were seen since the last line, so a
// damaged region does not turn into one log line per frame.
#pragma once

#include <chrono>
#include <cstdint>

#include <spdlog/spdlog.h>

namespace sigrun::runner {

class DamagedFrameLog {
public:
    static constexpr std::chrono::seconds kInterval{1};

    // `count` frames from `first_sequence` were skipped as damaged.
    void note(std::uint64_t first_sequence, std::uint64_t count) {
        total_ += count;
        unreported_ += count;
        const auto now = std::chrono::steady_clock::now();
        if (logged_once_ && now - last_line_ < kInterval) return;
        spdlog::error("md journal: frame {} is damaged (its checksum or header does not match); not "
                      "dispatched, skipped. {} damaged frame(s) skipped since the last report, {} in "
                      "total; run `sigrun-journal verify` on the journal for the full list",
                      first_sequence, unreported_, total_);
        unreported_ = 0;
        last_line_ = now;
        logged_once_ = true;
    }

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

private:
    std::uint64_t total_ = 0;
    std::uint64_t unreported_ = 0;
    bool logged_once_ = false;
    std::chrono::steady_clock::time_point last_line_{};
};

}  // namespace sigrun::runner
