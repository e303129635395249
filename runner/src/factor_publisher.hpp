// runner/src/factor_publisher.hpp — writes engines' factor values to the
// signals journal (the `emit` end of the data path): one frame per engine
// call, a sigrun_factor_batch built by the engine's EngineHost.
//
// Called on the dispatch thread only (emit is [dispatch-thread]), so it owns
// the signals journal's single writer without locking.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "relaxed_counter.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/messages.h"

namespace sigrun::runner {

class FactorPublisher {
public:
    FactorPublisher(const std::filesystem::path& path, journal::Geometry geometry, std::uint64_t print_first);

    // Writes one batch frame (`batch` is its whole payload, `header` its
    // first bytes, already filled); false (after logging) when the journal
    // refused it. The batch's publish time is the frame's gen_time.
    bool publish_batch(std::span<const std::byte> batch, const sigrun_factor_batch& header) noexcept;

    // How many values one batch frame holds in this journal's slots.
    [[nodiscard]] std::uint32_t max_batch_values() const noexcept;

    // Values written (not frames), and values lost to a refused write.
    [[nodiscard]] std::uint64_t published() const noexcept { return published_.load(); }  // [thread-safe]
    [[nodiscard]] std::uint64_t failed() const noexcept { return failed_.load(); }
    [[nodiscard]] const journal::Writer& writer() const noexcept { return writer_; }

private:
    void print(std::span<const std::byte> batch) const;

    journal::Writer writer_;
    std::uint64_t print_first_;
    RelaxedCounter published_;
    RelaxedCounter failed_;
};

// NUL-padded fixed text field -> std::string (stops at the first NUL or the end).
std::string field_string(const char* field, std::size_t size);

}  // namespace sigrun::runner
