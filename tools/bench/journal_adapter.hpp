// journal_adapter.hpp — every call the benchmarks make into journal/, in one
// place, so that a change of the journal's API is a few lines here.
//
// Two APIs are handled, picked at compile time by what the types offer:
// - v1 (today): the in-place reader pins each frame (Reader::next_pinned,
//   PinnedFrame::release); nothing to register with the writer.
// - v2 (journal branch): Reader::next_in_place() returns {status, info, lost,
//   payload, slot} and the in-place reader is protected by a gating sequence
//   registered with Writer::gate_on(next_to_read), in which the reader stores
//   its next position after each frame.
// Both compile against whichever journal is in the tree: the v2 branches are
// discarded `if constexpr` arms until the members exist.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "sigrun/journal/reader.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::bench::journal_api {

using sigrun::journal::FrameInfo;
using sigrun::journal::Geometry;
using sigrun::journal::Reader;
using sigrun::journal::ReadStatus;
using sigrun::journal::Writer;
using sigrun::journal::WriterOptions;

template <class R>
concept HasNextInPlace = requires(R& r) { r.next_in_place(); };
template <class W>
concept HasGateOn = requires(W& w, const std::atomic<std::uint64_t>& g) { w.gate_on(g); };

// "v1 pinned" or "v2 gated": printed by the programs so a result says which.
template <class R = Reader>
constexpr const char* in_place_kind() {
    return HasNextInPlace<R> ? "next_in_place + gate_on (v2)" : "next_pinned (v1 pins)";
}

inline WriterOptions writer_options(Geometry geometry) {
    WriterOptions o;
    o.geometry = geometry;
    return o;
}

// gen_time 0: the writer reads CLOCK_REALTIME itself (one clock read per
// frame); otherwise the caller's timestamp is the frame's gen_time (v2; v1
// always read the clock and ignores it).
template <class W = Writer>
std::uint64_t write(W& w, std::int32_t type, std::span<const std::byte> payload, std::int64_t gen_time = 0) {
    if constexpr (requires { w.write(type, payload, std::int64_t{0}, std::int64_t{0}); }) {
        return w.write(type, payload, 0, gen_time);
    } else {
        return w.write(type, payload);
    }
}

// The in-place reader reads through the owner's writable mapping.
inline Reader in_place_reader(const Writer& w) { return Reader(w.mapping()); }
// The copying reader maps the file read-only, as another process would.
inline Reader copy_reader(const std::filesystem::path& path) { return Reader(path); }

// Registers the in-place reader's position with the writer (v2); v1 needs
// nothing (its pins hold the frames).
template <class W = Writer>
void gate(W& writer, const std::atomic<std::uint64_t>& next_to_read) {
    if constexpr (HasGateOn<W>) writer.gate_on(next_to_read);
}

template <class W>
concept HasPinWaitStats = requires(const W& w) { w.pin_wait_stats().waits; };

// Writes that waited for a pinned slot (v1); 0 where the journal has no such count.
template <class W = Writer>
std::uint64_t pin_waits(const W& writer) {
    if constexpr (HasPinWaitStats<W>) {
        return writer.pin_wait_stats().waits;
    } else {
        return 0;
    }
}

struct Step {
    ReadStatus status = ReadStatus::empty;
    std::uint64_t lost = 0;
};

// Reader::next into `buffer`; on a frame calls f(payload, info).
template <class F>
Step read_copy(Reader& reader, std::span<std::byte> buffer, F&& f) {
    const auto r = reader.next(buffer);
    if (r.status == ReadStatus::frame) f(static_cast<const std::byte*>(buffer.data()), r.info);
    return {r.status, r.lost};
}

// The dispatcher's way: the next frame in place; calls f(payload, info)
// while the frame is protected, then lets it go.
template <class R = Reader, class F>
Step read_in_place(R& reader, F&& f) {
    if constexpr (HasNextInPlace<R>) {
        const auto r = reader.next_in_place();
        if (r.status == ReadStatus::frame) f(r.payload, r.info);
        return {r.status, r.lost};
    } else {
        auto r = reader.next_pinned();
        if (r.status == ReadStatus::frame) {
            f(r.frame.payload(), r.info);
            r.frame.release();
        }
        return {r.status, r.lost};
    }
}

}  // namespace sigrun::bench::journal_api
