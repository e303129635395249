// runner/src/journal_recovery_log.hpp — says at open what the journal's
// recovery found and discarded (journal/PROTOCOL.md, section 5), so that
// frames dropped from a reopened journal are never a silent gap.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "sigrun/journal/writer.hpp"

namespace sigrun::runner {

// One line per journal a writer opened: info when nothing was dropped,
// a warning naming each reason otherwise. Nothing for a file just created.
inline void log_journal_recovery(std::string_view name, const journal::Writer& writer) {
    if (writer.mapping()->created()) return;
    const journal::RecoveryReport& r = writer.recovery();
    const std::string path = writer.mapping()->path().string();
    if (r.frames_discarded == 0 && r.stale_pins_cleared == 0) {
        spdlog::info("{} journal {}: reopened, {} intact frame(s), last sequence {}", name, path, r.frames_intact,
                     r.last_sequence);
        return;
    }
    spdlog::warn("{} journal {}: recovery kept {} intact frame(s) up to sequence {} and discarded {}: {} damaged "
                 "(checksum, length or sequence did not match: a write torn by a crash or a damaged file; first "
                 "in slot {}), {} older than the ring holds; cleared {} pin(s) left by the previous owner. "
                 "Readers see the discarded frames counted as damaged, not as lapped",
                 name, path, r.frames_intact, r.last_sequence, r.frames_discarded, r.frames_damaged,
                 r.first_damaged_slot, r.frames_stale, r.stale_pins_cleared);
}

}  // namespace sigrun::runner
