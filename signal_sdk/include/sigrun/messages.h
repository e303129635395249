/*
 * sigrun/messages.h — the market-data and factor messages carried in sigrun
 * journals and handed to signal engines through signal_on_data().
 *
 * Plain C (C11 and C++20), fixed-width types only, standard layout, no
 * padding the compiler chooses: every size and offset is pinned by a static
 * assertion at the bottom of this file, in both languages. A message is
 * stored verbatim as the payload of one journal frame; the frame header's
 * msg type is one of the SIGRUN_MSG_* ids below.
 *
 * Growth rule: a message only grows at its end, and a new field's zero value
 * must mean "absent". Ids are never reused.
 *
 * Units, everywhere in this file:
 *   - prices: quote currency per unit of base (USDT for BTCUSDT), as double;
 *   - sizes: base-asset quantity (BTC for BTCUSDT), or contracts on coin-margined
 *     futures, as double;
 *   - times: nanoseconds since the Unix epoch (UTC), int64_t;
 *   - text: NUL-padded ASCII; a name that fills the array has no NUL.
 */
#ifndef SIGRUN_MESSAGES_H
#define SIGRUN_MESSAGES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Message ids (the `type` argument of signal_on_data and the journal frame's
 * msg type). */
enum {
    SIGRUN_MSG_DEPTH = 101,  /* sigrun_depth: order-book top levels */
    SIGRUN_MSG_TRADE = 103,  /* sigrun_trade: one executed trade */
    /* 201 was one sigrun_factor per frame (journal format 1); retired, never reused. */
    SIGRUN_MSG_FACTOR_BATCH = 202 /* sigrun_factor_batch + values: what one engine call published */
};

#define SIGRUN_DEPTH_LEVELS 10
#define SIGRUN_INSTRUMENT_LEN 32
#define SIGRUN_EXCHANGE_LEN 16
#define SIGRUN_NAME_LEN 32

/* Aggressor side of a trade: who crossed the spread. */
enum {
    SIGRUN_SIDE_UNKNOWN = 0,
    SIGRUN_SIDE_BUY = 1,   /* the taker bought (lifted the ask) */
    SIGRUN_SIDE_SELL = -1  /* the taker sold (hit the bid) */
};

/* Order-book snapshot after one book update (type 101).
 * Level 0 is the best price. Bids descend, asks ascend. A level that does
 * not exist (thin book) has price 0 and size 0. */
typedef struct sigrun_depth {
    char instrument[SIGRUN_INSTRUMENT_LEN]; /* e.g. "BTCUSDT" */
    char exchange[SIGRUN_EXCHANGE_LEN];     /* e.g. "binance-spot" */
    int64_t exchange_time_ns;               /* exchange event time; 0 if unknown */
    int64_t receive_time_ns;                /* local receive time of the update */
    double bid_price[SIGRUN_DEPTH_LEVELS];
    double bid_size[SIGRUN_DEPTH_LEVELS];
    double ask_price[SIGRUN_DEPTH_LEVELS];
    double ask_size[SIGRUN_DEPTH_LEVELS];
} sigrun_depth;

/* One executed trade (type 103). */
typedef struct sigrun_trade {
    char instrument[SIGRUN_INSTRUMENT_LEN];
    char exchange[SIGRUN_EXCHANGE_LEN];
    int64_t exchange_time_ns; /* trade time at the exchange */
    int64_t receive_time_ns;  /* local receive time */
    double price;
    double size;              /* > 0 */
    int64_t trade_id;         /* exchange trade id; 0 if unknown */
    int32_t aggressor_side;   /* SIGRUN_SIDE_* */
    uint32_t reserved;        /* zero */
} sigrun_trade;

/* Everything one signal_on_data call of one engine published (type 202):
 * this header, then `count` sigrun_factor_value entries right after it, so
 * the frame's payload is exactly
 *     sizeof(sigrun_factor_batch) + count * sizeof(sigrun_factor_value)
 * bytes. One journal frame per engine call (not one per value) is what keeps
 * factor publishing cheap; when a call publishes more values than one
 * signals slot holds, the runner writes several batches for that call.
 * Written by the runner into the signals journal; engines never fill one.
 * Readers decode it with sigrun/factor_batch.hpp (C++) or by these layouts. */
typedef struct sigrun_factor_batch {
    char engine[SIGRUN_NAME_LEN];   /* engine name from the runner config */
    uint64_t source_sequence;       /* md-journal sequence of the frame being handled */
    int64_t source_receive_time_ns; /* that frame's receive time */
    int64_t publish_time_ns;        /* when the runner wrote this batch */
    uint32_t count;                 /* sigrun_factor_value entries that follow, >= 1 */
    uint32_t reserved;              /* zero */
} sigrun_factor_batch;

/* One published value inside a sigrun_factor_batch. */
typedef struct sigrun_factor_value {
    char factor[SIGRUN_NAME_LEN];           /* factor name the engine registered */
    char instrument[SIGRUN_INSTRUMENT_LEN]; /* instrument given to emit */
    double value;
} sigrun_factor_value;

/* One factor value with its context: a sigrun_factor_value joined with its
 * batch header. Never stored in a journal; it is what readers of
 * sigrun_factor_batch frames hand out, one per value. */
typedef struct sigrun_factor {
    char engine[SIGRUN_NAME_LEN];
    char factor[SIGRUN_NAME_LEN];
    char instrument[SIGRUN_INSTRUMENT_LEN];
    double value;
    uint64_t source_sequence;
    int64_t source_receive_time_ns;
    int64_t publish_time_ns;
} sigrun_factor;

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Layout pins: a change here is an ABI break. */
#ifdef __cplusplus
#define SIGRUN_STATIC_ASSERT static_assert
#include <cstddef>
#else
#include <stddef.h>
#define SIGRUN_STATIC_ASSERT _Static_assert
#endif
SIGRUN_STATIC_ASSERT(sizeof(sigrun_depth) == 384, "sigrun_depth layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_depth, exchange_time_ns) == 48, "sigrun_depth layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_depth, bid_price) == 64, "sigrun_depth layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_depth, ask_size) == 304, "sigrun_depth layout changed");
SIGRUN_STATIC_ASSERT(sizeof(sigrun_trade) == 96, "sigrun_trade layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_trade, price) == 64, "sigrun_trade layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_trade, aggressor_side) == 88, "sigrun_trade layout changed");
SIGRUN_STATIC_ASSERT(sizeof(sigrun_factor_batch) == 64, "sigrun_factor_batch layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_factor_batch, source_sequence) == 32, "sigrun_factor_batch layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_factor_batch, count) == 56, "sigrun_factor_batch layout changed");
SIGRUN_STATIC_ASSERT(sizeof(sigrun_factor_value) == 72, "sigrun_factor_value layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_factor_value, value) == 64, "sigrun_factor_value layout changed");
SIGRUN_STATIC_ASSERT(sizeof(sigrun_factor) == 128, "sigrun_factor layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_factor, value) == 96, "sigrun_factor layout changed");
SIGRUN_STATIC_ASSERT(offsetof(sigrun_factor, publish_time_ns) == 120, "sigrun_factor layout changed");
#undef SIGRUN_STATIC_ASSERT

#endif /* SIGRUN_MESSAGES_H */
