// timer_expectations.hpp — where signal_on_timer must have fired in a run,
// worked out from md.journal with the rule of signal_api.h written out here
// (not with the runner's TimerSchedule), and where it did fire, read from
// signals.journal. Shared by the runner and hot-swap timer suites.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/messages.h"

namespace sigrun::timer_test {

// One on_timer call: the md frame whose receive time fired it, the deadline.
struct Fire {
    std::uint64_t sequence = 0;
    std::int64_t deadline_ns = 0;
    bool operator==(const Fire&) const = default;
};

struct MdFrame {
    std::uint64_t sequence = 0;
    std::int64_t receive_time_ns = 0;
};

// Every frame of md.journal (the test sizes it to hold the whole run).
inline std::vector<MdFrame> md_frames(const std::filesystem::path& md_journal) {
    journal::Reader reader(md_journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::vector<MdFrame> frames;
    for (auto r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
        if (r.status != journal::ReadStatus::frame) continue;
        MdFrame f{r.info.sequence, 0};
        std::memcpy(&f.receive_time_ns, buffer.data() + offsetof(sigrun_depth, receive_time_ns), sizeof f.receive_time_ns);
        frames.push_back(f);
    }
    return frames;
}

// signal_api.h: deadlines are the multiples of the interval; the first frame
// sets the clock; a frame at or past the next deadline fires once, before
// itself, with the last deadline it crossed. (Receive times are positive.)
inline std::vector<Fire> expected_fires(const std::vector<MdFrame>& frames, std::int64_t interval_ns) {
    std::vector<Fire> fires;
    std::int64_t next = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const std::int64_t t = frames[i].receive_time_ns;
        if (i == 0) {
            next = (t / interval_ns + 1) * interval_ns;
        } else if (t >= next) {
            const std::int64_t deadline = t / interval_ns * interval_ns;
            fires.push_back({frames[i].sequence, deadline});
            next = deadline + interval_ns;
        }
    }
    return fires;
}

// What c_timer published: one Fire per "deadline_ms" value of `engine`, from
// its batch's stamp, and the deadline it reported itself (ms).
struct Published {
    std::vector<Fire> fires;
    std::vector<std::int64_t> reported_ms;
    std::vector<std::uint64_t> frames_before;  // its "frames" value at each timer
};

inline Published published_fires(const std::filesystem::path& signals_journal, const std::string& engine) {
    journal::Reader reader(signals_journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    Published out;
    for (auto r = reader.next(buffer); r.status != journal::ReadStatus::empty; r = reader.next(buffer)) {
        if (r.status != journal::ReadStatus::frame || r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH) continue;
        for_each_factor(std::span(buffer).first(r.info.length), [&](const sigrun_factor& f) {
            if (std::string(f.engine, strnlen(f.engine, sizeof f.engine)) != engine) return;
            const std::string name(f.factor, strnlen(f.factor, sizeof f.factor));
            if (name == "deadline_ms") {
                out.fires.push_back({f.source_sequence, f.source_receive_time_ns});
                out.reported_ms.push_back(static_cast<std::int64_t>(f.value));
            } else if (name == "frames") {
                out.frames_before.push_back(static_cast<std::uint64_t>(f.value));
            }
        });
    }
    return out;
}

}  // namespace sigrun::timer_test
