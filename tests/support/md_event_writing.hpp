// md_event_writing.hpp — tests that play an external feed (the runner reads
// md.journal as "source": {"kind": "journal"}) write each market-data event
// the way the runner's own feed does: its type, its payload bytes, its
// receive time as the frame's time.
#pragma once

#include <cstddef>
#include <span>

namespace sigrun::testing {

// `Writer` is journal::Writer, `Event` market_data::Event (templates, so the
// shared test support links neither).
template <class Writer, class Event>
void write_event(Writer& md, const Event& event) {
    md.write(event.type(), std::span(static_cast<const std::byte*>(event.payload()), event.payload_size()),
             event.receive_time_ns());
}

}  // namespace sigrun::testing
