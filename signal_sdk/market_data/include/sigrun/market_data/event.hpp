// sigrun::market_data::Event — one market-data message as a feed source hands
// it out: the message id (SIGRUN_MSG_DEPTH or SIGRUN_MSG_TRADE) and the C
// struct from sigrun/messages.h, by value.
//
// It is what a feed writes into the md journal: `type()` is the frame's msg
// type and `payload()`/`payload_size()` the bytes to store, so
//     signal_on_data(handle, ev.type(), ev.payload())
// is valid for the lifetime of `ev`.
#pragma once

#include <sigrun/messages.h>

#include <cstddef>
#include <cstdint>
#include <variant>

namespace sigrun::market_data {

class Event {
public:
    explicit Event(const sigrun_depth& depth) noexcept : msg_(depth) {}
    explicit Event(const sigrun_trade& trade) noexcept : msg_(trade) {}

    /// SIGRUN_MSG_DEPTH or SIGRUN_MSG_TRADE.
    [[nodiscard]] int type() const noexcept {
        return is_depth() ? SIGRUN_MSG_DEPTH : SIGRUN_MSG_TRADE;
    }
    [[nodiscard]] bool is_depth() const noexcept { return std::holds_alternative<sigrun_depth>(msg_); }
    [[nodiscard]] bool is_trade() const noexcept { return std::holds_alternative<sigrun_trade>(msg_); }

    /// The depth message; throws std::bad_variant_access when is_trade().
    [[nodiscard]] const sigrun_depth& depth() const { return std::get<sigrun_depth>(msg_); }
    /// The trade message; throws std::bad_variant_access when is_depth().
    [[nodiscard]] const sigrun_trade& trade() const { return std::get<sigrun_trade>(msg_); }

    /// Local receive time of the message, ns since the Unix epoch (the replay order key).
    [[nodiscard]] std::int64_t receive_time_ns() const noexcept {
        return std::visit([](const auto& m) { return m.receive_time_ns; }, msg_);
    }

    /// The message bytes (a sigrun_depth or a sigrun_trade), valid while this Event lives.
    [[nodiscard]] const void* payload() const noexcept {
        return std::visit([](const auto& m) -> const void* { return &m; }, msg_);
    }
    [[nodiscard]] std::size_t payload_size() const noexcept {
        return is_depth() ? sizeof(sigrun_depth) : sizeof(sigrun_trade);
    }

private:
    std::variant<sigrun_depth, sigrun_trade> msg_;
};

}  // namespace sigrun::market_data
