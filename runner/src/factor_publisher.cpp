#include "factor_publisher.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "sigrun/factor_batch.hpp"

namespace sigrun::runner {

std::string field_string(const char* field, std::size_t size) {
    return {field, strnlen(field, size)};
}

FactorPublisher::FactorPublisher(const std::filesystem::path& path, journal::Geometry geometry,
                                 std::uint64_t print_first)
    // The signals journal is never pinned: readers copy, so a write never waits.
    : writer_(path, journal::WriterOptions{geometry, std::chrono::milliseconds(0)}), print_first_(print_first) {
    if (max_batch_values() == 0) {
        throw std::invalid_argument(fmt::format("signals journal {}: slots of {} bytes cannot hold one factor value; "
                                                "use a slot_size of at least {}",
                                                path.string(), geometry.slot_size, factor_batch_bytes(1) + 64));
    }
}

std::uint32_t FactorPublisher::max_batch_values() const noexcept {
    const std::uint32_t payload = writer_.geometry().max_payload();
    if (payload < sizeof(sigrun_factor_batch)) return 0;
    return static_cast<std::uint32_t>((payload - sizeof(sigrun_factor_batch)) / sizeof(sigrun_factor_value));
}

bool FactorPublisher::publish_batch(std::span<const std::byte> batch, const sigrun_factor_batch& header) noexcept {
    try {
        writer_.write(SIGRUN_MSG_FACTOR_BATCH, batch, header.source_receive_time_ns, header.publish_time_ns);
    } catch (const std::exception& e) {
        if (failed_ == 0) spdlog::error("signals journal: {}", e.what());
        failed_ += header.count;
        return false;
    }
    if (published_ < print_first_) print(batch);
    published_ += header.count;
    return true;
}

void FactorPublisher::print(std::span<const std::byte> batch) const {
    std::uint64_t n = published_;
    for_each_factor(batch, [&](const sigrun_factor& f) {
        if (n++ >= print_first_) return;
        spdlog::info("factor {:>10} {:<18} {:<12} = {:.10g} (md seq {})", field_string(f.engine, sizeof f.engine),
                     field_string(f.factor, sizeof f.factor), field_string(f.instrument, sizeof f.instrument),
                     f.value, f.source_sequence);
    });
}

}  // namespace sigrun::runner
