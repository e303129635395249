// Small builders for the SDK tests: a depth or trade with recognisable values.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "sigrun/messages.h"

namespace sigrun::sdk_test {

inline void copy_name(char* field, std::size_t capacity, std::string_view name) {
    std::memset(field, 0, capacity);
    std::memcpy(field, name.data(), name.size() < capacity ? name.size() : capacity);
}

inline sigrun_depth make_depth(std::string_view instrument, std::int64_t receive_time_ns, double best_bid,
                               double best_ask) {
    sigrun_depth depth{};
    copy_name(depth.instrument, sizeof depth.instrument, instrument);
    copy_name(depth.exchange, sizeof depth.exchange, "binance-spot");
    depth.exchange_time_ns = receive_time_ns - 1000;
    depth.receive_time_ns = receive_time_ns;
    for (int level = 0; level < SIGRUN_DEPTH_LEVELS; ++level) {
        depth.bid_price[level] = best_bid - 0.1 * level;
        depth.bid_size[level] = 1.0 + level;
        depth.ask_price[level] = best_ask + 0.1 * level;
        depth.ask_size[level] = 2.0 + level;
    }
    return depth;
}

inline sigrun_trade make_trade(std::string_view instrument, std::int64_t receive_time_ns, double price,
                               double size) {
    sigrun_trade trade{};
    copy_name(trade.instrument, sizeof trade.instrument, instrument);
    copy_name(trade.exchange, sizeof trade.exchange, "binance-spot");
    trade.exchange_time_ns = receive_time_ns - 1000;
    trade.receive_time_ns = receive_time_ns;
    trade.price = price;
    trade.size = size;
    trade.trade_id = 42;
    trade.aggressor_side = SIGRUN_SIDE_BUY;
    return trade;
}

}  // namespace sigrun::sdk_test
