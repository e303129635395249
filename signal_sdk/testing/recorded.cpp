#include "sigrun/testing/recorded.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "sigrun/journal/reader.hpp"
#include "sigrun/market_data/replay_source.hpp"
#include "sigrun/messages.h"

namespace sigrun::testing {
namespace {

[[noreturn]] void refuse(const std::filesystem::path& path, std::uint64_t sequence, const std::string& problem,
                         const char* fix) {
    throw std::runtime_error("sigrun::testing: journal " + path.string() + ": frame " + std::to_string(sequence) +
                             " " + problem + "; " + fix);
}

// A frame's payload as the message the runner would dispatch (its
// frame_validation rules: known type, exact struct length).
template <typename Struct>
market_data::Event message_of(const journal::FrameInfo& info, std::span<const std::byte> payload,
                              const std::filesystem::path& path) {
    if (info.length != sizeof(Struct)) {
        refuse(path, info.sequence,
               "is " + std::to_string(info.length) + " bytes, a message of its type " +
                   std::to_string(info.msg_type) + " is " + std::to_string(sizeof(Struct)),
               "write the journal with a sigrun of this SDK's version");
    }
    Struct message;
    std::memcpy(&message, payload.data(), sizeof message);
    return market_data::Event(message);
}

}  // namespace

std::vector<Message> read_csv(const std::filesystem::path& book_csv, const std::filesystem::path& trades_csv) {
    return read_csv(std::vector<market_data::FileSpec>{{book_csv, market_data::FileKind::Book20, {}, {}},
                                                       {trades_csv, market_data::FileKind::Trades, {}, {}}});
}

std::vector<Message> read_csv(std::vector<market_data::FileSpec> files) {
    market_data::ReplaySource source(std::move(files));  // as fast as possible: no pacing
    std::vector<Message> messages;
    while (std::optional<market_data::Event> event = source.next()) messages.push_back({*event, 0});
    return messages;
}

std::vector<Message> read_journal(const std::filesystem::path& md_journal) {
    journal::Reader reader(md_journal);  // read-only mapping, oldest frame first
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::vector<Message> messages;
    for (;;) {
        const journal::ReadResult read = reader.next(buffer);
        switch (read.status) {
            case journal::ReadStatus::empty:
                return messages;
            case journal::ReadStatus::lost:
                refuse(md_journal, read.info.sequence, "and " + std::to_string(read.lost) + " before it were overwritten while reading",
                       "read the journal when its writer has stopped");
            case journal::ReadStatus::damaged:
                refuse(md_journal, read.info.sequence,
                       "is damaged (with " + std::to_string(read.lost) + " frames in all)",
                       "check it with sigrun-journal verify, or write it again");
            case journal::ReadStatus::frame:
                break;
        }
        const std::span<const std::byte> payload(buffer.data(), read.info.length);
        switch (read.info.msg_type) {
            case SIGRUN_MSG_DEPTH:
                messages.push_back({message_of<sigrun_depth>(read.info, payload, md_journal), read.info.sequence});
                break;
            case SIGRUN_MSG_TRADE:
                messages.push_back({message_of<sigrun_trade>(read.info, payload, md_journal), read.info.sequence});
                break;
            default:
                refuse(md_journal, read.info.sequence,
                       "has message type " + std::to_string(read.info.msg_type) + ", not depth (" +
                           std::to_string(SIGRUN_MSG_DEPTH) + ") or trade (" + std::to_string(SIGRUN_MSG_TRADE) + ")",
                       "pass an md.journal (market data), not a signals.journal");
        }
    }
}

std::vector<Emitted> feed(Harness& engine, std::span<const Message> messages) {
    std::vector<Emitted> out;
    for (const Message& m : messages) {
        std::vector<Emitted> emitted =
            engine.feed(m.event.type(), m.event.payload(), m.event.receive_time_ns(), m.sequence);
        out.insert(out.end(), std::make_move_iterator(emitted.begin()), std::make_move_iterator(emitted.end()));
    }
    return out;
}

}  // namespace sigrun::testing
