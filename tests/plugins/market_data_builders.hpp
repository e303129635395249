// Builders for the books and trades the engine tests feed, so a test reads as
// the book it describes: make_book({{100.0, 2.0}}, {{101.0, 3.0}}) is a book
// with best bid 100 x 2 and best ask 101 x 3 (price, size), other levels missing.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "sigrun/messages.h"

namespace sigrun::plugins::testing {

struct Level {
    double price;
    double size;
};

inline sigrun_depth make_book(std::initializer_list<Level> bids, std::initializer_list<Level> asks,
                              std::int64_t receive_time_ns = 0,
                              const char* instrument = "BTCUSDT") {
    sigrun_depth book{};
    std::strncpy(book.instrument, instrument, sizeof book.instrument);
    std::strncpy(book.exchange, "test", sizeof book.exchange);
    book.receive_time_ns = receive_time_ns;
    int i = 0;
    for (const Level& level : bids) {
        book.bid_price[i] = level.price;
        book.bid_size[i] = level.size;
        ++i;
    }
    i = 0;
    for (const Level& level : asks) {
        book.ask_price[i] = level.price;
        book.ask_size[i] = level.size;
        ++i;
    }
    return book;
}

inline sigrun_trade make_trade(double price, double size, std::int32_t aggressor_side,
                               std::int64_t receive_time_ns = 0,
                               const char* instrument = "BTCUSDT") {
    sigrun_trade trade{};
    std::strncpy(trade.instrument, instrument, sizeof trade.instrument);
    std::strncpy(trade.exchange, "test", sizeof trade.exchange);
    trade.receive_time_ns = receive_time_ns;
    trade.exchange_time_ns = receive_time_ns;
    trade.price = price;
    trade.size = size;
    trade.aggressor_side = aggressor_side;
    return trade;
}

}  // namespace sigrun::plugins::testing
