#include "inspect.hpp"

#include "sigrun/factor_batch.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sigrun/journal/atomics.hpp"
#include "sigrun/journal/format.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/messages.h"

namespace sigrun::inspect {
namespace {

using journal::detail::load;

// A NUL-padded ASCII field (messages.h: a name that fills the array has no
// NUL); anything unprintable becomes '?' so one frame stays one line.
template <std::size_t N>
std::string text(const char (&field)[N]) {
    std::string s(field, ::strnlen(field, N));
    for (char& c : s) {
        if (c < 0x20 || c > 0x7e) c = '?';
    }
    return s.empty() ? std::string("-") : s;
}

std::string hex_prefix(std::span<const std::byte> payload, std::size_t max_bytes = 16) {
    std::string out;
    const std::size_t n = std::min(payload.size(), max_bytes);
    for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<unsigned>(payload[i]));
    if (payload.size() > n) out += "..";
    return out.empty() ? std::string("-") : out;
}

std::string level(double price, double size) {
    if (price == 0.0 && size == 0.0) return "-";
    return fmt::format("{} x {}", price, size);
}

const char* side_name(std::int32_t side) {
    switch (side) {
        case SIGRUN_SIDE_BUY: return "buy";
        case SIGRUN_SIDE_SELL: return "sell";
        default: return "unknown";
    }
}

// Copies a message out of the payload (which need not be aligned for it).
template <class Message>
bool decode(std::span<const std::byte> payload, Message& message) {
    if (payload.size() < sizeof(Message)) return false;
    std::memcpy(&message, payload.data(), sizeof(Message));
    return true;
}

bool process_running(std::int32_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace

JournalInfo read_info(const journal::Mapping& mapping) {
    const journal::FileHeader& header = mapping.header();
    const journal::Geometry& g = mapping.geometry();
    JournalInfo info;
    info.path = mapping.path();
    info.format_version = header.format_version;  // written once at creation
    info.created_time = header.created_time;
    info.geometry = g;
    // The header holds only a hint: probe the slots from it.
    info.last_sequence = journal::last_published(mapping);
    info.oldest = info.last_sequence == 0 ? 0 : mapping.oldest_possible(info.last_sequence);
    info.owner_pid = load(header.owner_pid, std::memory_order_relaxed);
    info.open_count = load(header.open_count, std::memory_order_relaxed);
    for (std::uint64_t i = 0; i < g.capacity; ++i) {
        const journal::FrameHeader& slot = mapping.slot(i);
        if (journal::pins_on(slot) != 0) ++info.pinned_slots;
        const std::uint64_t seq = load(slot.sequence, std::memory_order_acquire);
        if (seq != journal::kNoSequence && g.slot_index(seq) == i && seq >= info.oldest &&
            seq <= info.last_sequence) {
            ++info.frames_present;
        }
    }
    return info;
}

std::string format_time(std::int64_t ns) {
    if (ns == 0) return "-";
    const std::int64_t sec = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    const std::int64_t frac = ns - sec * 1'000'000'000;
    const time_t t = static_cast<time_t>(sec);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string format_info(const JournalInfo& info) {
    std::string owner;
    if (info.owner_pid == 0) {
        owner = "none (no writer has it open)";
    } else if (process_running(info.owner_pid)) {
        owner = fmt::format("{} (running)", info.owner_pid);
    } else {
        owner = fmt::format("{} (not running: the writer died; its next open recovers the file)",
                            info.owner_pid);
    }
    std::string out;
    auto line = [&out](std::string_view name, const std::string& value) {
        out += fmt::format("{:<15}{}\n", name, value);
    };
    const journal::Geometry& g = info.geometry;
    line("file", info.path.string());
    line("format", fmt::format("version {}", info.format_version));
    line("created", format_time(info.created_time));
    line("geometry", fmt::format("{} slots x {} bytes ({} payload bytes max), {} bytes on disk",
                                 g.capacity, g.slot_size, g.max_payload(), g.file_size()));
    line("last sequence", info.last_sequence == 0 ? std::string("none (empty)")
                                                  : fmt::to_string(info.last_sequence));
    line("oldest", info.oldest == 0 ? std::string("none (empty)") : fmt::to_string(info.oldest));
    const std::uint64_t span = info.last_sequence == 0 ? 0 : info.last_sequence - info.oldest + 1;
    line("frames", fmt::format("{} present of {} in [oldest, last]", info.frames_present, span));
    line("pinned slots", fmt::to_string(info.pinned_slots));
    line("owner pid", owner);
    line("writer opens", fmt::to_string(info.open_count));
    return out;
}

std::string type_name(std::int32_t msg_type) {
    switch (msg_type) {
        case SIGRUN_MSG_DEPTH: return "depth";
        case SIGRUN_MSG_TRADE: return "trade";
        case SIGRUN_MSG_FACTOR_BATCH: return "factors";
        default: return fmt::format("type {}", msg_type);
    }
}

std::string summarize(std::int32_t msg_type, std::span<const std::byte> payload) {
    switch (msg_type) {
        case SIGRUN_MSG_DEPTH: {
            sigrun_depth d;
            if (!decode(payload, d)) break;
            return fmt::format("{} {} bid {} ask {}", text(d.instrument), text(d.exchange),
                               level(d.bid_price[0], d.bid_size[0]),
                               level(d.ask_price[0], d.ask_size[0]));
        }
        case SIGRUN_MSG_TRADE: {
            sigrun_trade t;
            if (!decode(payload, t)) break;
            return fmt::format("{} {} price {} size {} side {}", text(t.instrument),
                               text(t.exchange), t.price, t.size, side_name(t.aggressor_side));
        }
        case SIGRUN_MSG_FACTOR_BATCH: {
            std::string line;
            const bool ok = for_each_factor(payload, [&](const sigrun_factor& f) {
                if (line.empty()) {
                    line = fmt::format("engine {} source_seq {}:", text(f.engine), f.source_sequence);
                } else {
                    line += ',';
                }
                line += fmt::format(" {} {} = {}", text(f.factor), text(f.instrument), f.value);
            });
            if (!ok) break;
            return line;
        }
        default:
            return fmt::format("len {} hex {}", payload.size(), hex_prefix(payload));
    }
    // A known type whose payload is too short to be that message.
    return fmt::format("len {} (too short for a {}) hex {}", payload.size(), type_name(msg_type),
                       hex_prefix(payload));
}

std::string format_frame(const journal::FrameInfo& info, std::span<const std::byte> payload) {
    return fmt::format("{:>10}  {:<7} {}  {}", info.sequence, type_name(info.msg_type),
                       format_time(info.gen_time), summarize(info.msg_type, payload));
}

DumpResult dump(journal::Reader& reader, const DumpOptions& options, std::FILE* out,
                std::FILE* notes) {
    const Selection& sel = options.selection;
    seek_to(reader, sel.from);
    std::optional<CsvLayout> layout = options.csv_layout;
    if (!layout && sel.type) {
        layout = *sel.type == SIGRUN_MSG_FACTOR_BATCH ? CsvLayout::factors : CsvLayout::md;
    }
    if (!layout && (sel.engine || sel.factor)) layout = CsvLayout::factors;
    std::optional<RowWriter> rows;
    if (options.format != DumpFormat::human) {
        rows.emplace(options.format == DumpFormat::json ? RowFormat::json : RowFormat::csv, layout, out);
    }
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::vector<sigrun_factor> values;
    DumpResult result;
    std::uint64_t read = 0;
    while (!options.count || result.frames < *options.count) {
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::frame) {
            if (options.progress) options.progress(++read);
            if (sel.past_end(r.info)) break;  // sequences and gen_times only grow
            if (sel.before_start(r.info)) continue;
            const auto payload = std::span<const std::byte>(buffer).first(r.info.length);
            if (!sel.matches(r.info, payload, values)) continue;
            ++result.frames;
            if (rows) {
                result.rows += rows->write(r.info, payload, values);
            } else {
                fmt::print(out, "{}\n", format_frame(r.info, payload));
                ++result.rows;
            }
        } else if (r.status == journal::ReadStatus::damaged) {
            result.damaged += r.lost;
            fmt::print(rows ? notes : out,
                       "# {} frame(s) from {} damaged (checksum, length or sequence does not match, or emptied "
                       "by recovery): skipped; `sigrun-journal verify` lists them\n",
                       r.lost, r.info.sequence);
        } else if (r.status == journal::ReadStatus::lost) {
            result.lost += r.lost;
            fmt::print(rows ? notes : out,
                       "# {} frame(s) lost: overwritten by the writer before they were read\n", r.lost);
            if (sel.to && sel.to->kind == Bound::Kind::sequence && reader.position() > sel.to->sequence) {
                break;
            }
        } else if (options.follow) {
            std::fflush(out);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else {
            break;
        }
    }
    if (rows) rows->finish();
    std::fflush(out);
    return result;
}

}  // namespace sigrun::inspect
