// runner/src/factor_publisher.hpp — writes engines' factor values to the
// signals journal (the `emit` end of the data path).
//
// Called on the dispatch thread only (emit is [dispatch-thread]), so it owns
// the signals journal's single writer without locking.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace sigrun::runner {

class FactorPublisher {
public:
    FactorPublisher(const std::filesystem::path& path, journal::Geometry geometry, std::uint64_t print_first);

    // Writes one factor frame; false (after logging) when the journal refused it.
    bool publish(const sigrun_factor& factor) noexcept;

    [[nodiscard]] std::uint64_t published() const noexcept { return published_; }
    [[nodiscard]] std::uint64_t failed() const noexcept { return failed_; }
    [[nodiscard]] const journal::Writer& writer() const noexcept { return writer_; }

private:
    journal::Writer writer_;
    std::uint64_t print_first_;
    std::uint64_t published_ = 0;
    std::uint64_t failed_ = 0;
};

// NUL-padded fixed text field -> std::string (stops at the first NUL or the end).
std::string field_string(const char* field, std::size_t size);

}  // namespace sigrun::runner
