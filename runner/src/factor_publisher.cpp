#include "factor_publisher.hpp"

#include <cstring>

#include <spdlog/spdlog.h>

namespace sigrun::runner {

std::string field_string(const char* field, std::size_t size) {
    return {field, strnlen(field, size)};
}

FactorPublisher::FactorPublisher(const std::filesystem::path& path, journal::Geometry geometry,
                                 std::uint64_t print_first)
    // The signals journal is never pinned: readers copy, so a write never waits.
    : writer_(path, journal::WriterOptions{geometry, std::chrono::milliseconds(0)}), print_first_(print_first) {}

bool FactorPublisher::publish(const sigrun_factor& factor) noexcept {
    try {
        writer_.write_message(SIGRUN_MSG_FACTOR, factor, factor.source_receive_time_ns);
    } catch (const std::exception& e) {
        if (failed_++ == 0) spdlog::error("signals journal: {}", e.what());
        return false;
    }
    ++published_;
    if (published_ <= print_first_) {
        spdlog::info("factor {:>10} {:<18} {:<12} = {:.10g} (md seq {})",
                     field_string(factor.engine, sizeof factor.engine),
                     field_string(factor.factor, sizeof factor.factor),
                     field_string(factor.instrument, sizeof factor.instrument), factor.value,
                     factor.source_sequence);
    }
    return true;
}

}  // namespace sigrun::runner
