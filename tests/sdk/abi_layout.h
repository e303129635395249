/*
 * abi_layout.h — the ABI's sizes and offsets as a C compiler and a C++
 * compiler see them. abi_layout.c (compiled as C11) and abi_layout_test.cpp
 * (C++20) each expand SIGRUN_ABI_LAYOUT into a table; the test compares them
 * entry by entry, so a struct that a C plugin and the C++ runner lay out
 * differently fails here rather than as corrupt data at run time.
 */
#ifndef SIGRUN_TESTS_SDK_ABI_LAYOUT_H
#define SIGRUN_TESTS_SDK_ABI_LAYOUT_H

#include <stddef.h>

#include "sigrun/messages.h"
#include "sigrun/signal_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(type, member): every member whose offset is part of the ABI. */
#define SIGRUN_ABI_MEMBERS(X)                                                                   \
    X(sigrun_plugin_info, abi_major) X(sigrun_plugin_info, abi_minor)                           \
    X(sigrun_plugin_info, struct_size) X(sigrun_plugin_info, handoff)                           \
    X(sigrun_plugin_info, name) X(sigrun_plugin_info, version)                                  \
    X(sigrun_plugin_info, state_version) X(sigrun_plugin_info, reserved)                        \
    X(sigrun_plugin_info, message_types) X(sigrun_plugin_info, message_type_count)              \
    X(sigrun_plugin_info, reserved1) X(sigrun_plugin_info, plugin_id)                           \
    X(sigrun_host_api, abi_version) X(sigrun_host_api, struct_size) X(sigrun_host_api, host_ctx) \
    X(sigrun_host_api, log) X(sigrun_host_api, emit) X(sigrun_host_api, frame_retain)           \
    X(sigrun_host_api, frame_release) X(sigrun_host_api, register_factor)                       \
    X(sigrun_host_api, emit_value) X(sigrun_host_api, config_get_double)                        \
    X(sigrun_host_api, config_get_int) X(sigrun_host_api, config_get_string)                    \
    X(sigrun_host_api, config_check_keys) X(sigrun_host_api, frame_info)                        \
    X(sigrun_frame_info, struct_size) X(sigrun_frame_info, type) X(sigrun_frame_info, sequence) \
    X(sigrun_frame_info, receive_time_ns)                                                       \
    X(sigrun_depth, instrument) X(sigrun_depth, exchange) X(sigrun_depth, exchange_time_ns)     \
    X(sigrun_depth, receive_time_ns) X(sigrun_depth, bid_price) X(sigrun_depth, bid_size)       \
    X(sigrun_depth, ask_price) X(sigrun_depth, ask_size)                                        \
    X(sigrun_trade, instrument) X(sigrun_trade, exchange) X(sigrun_trade, exchange_time_ns)     \
    X(sigrun_trade, receive_time_ns) X(sigrun_trade, price) X(sigrun_trade, size)               \
    X(sigrun_trade, trade_id) X(sigrun_trade, aggressor_side) X(sigrun_trade, reserved)         \
    X(sigrun_factor, engine) X(sigrun_factor, factor) X(sigrun_factor, instrument)              \
    X(sigrun_factor, value) X(sigrun_factor, source_sequence)                                   \
    X(sigrun_factor, source_receive_time_ns) X(sigrun_factor, publish_time_ns)                  \
    X(sigrun_factor_batch, engine) X(sigrun_factor_batch, source_sequence)                      \
    X(sigrun_factor_batch, source_receive_time_ns) X(sigrun_factor_batch, publish_time_ns)      \
    X(sigrun_factor_batch, count) X(sigrun_factor_batch, reserved)                              \
    X(sigrun_factor_value, factor) X(sigrun_factor_value, instrument) X(sigrun_factor_value, value)

/* X(type): every struct whose size and alignment are part of the ABI. */
#define SIGRUN_ABI_STRUCTS(X) \
    X(sigrun_plugin_info) X(sigrun_host_api) X(sigrun_depth) X(sigrun_trade) X(sigrun_factor) \
    X(sigrun_factor_batch) X(sigrun_factor_value) X(sigrun_frame_info)

typedef struct sigrun_layout_entry {
    const char* what; /* e.g. "offsetof(sigrun_depth, bid_price)" */
    size_t value;
} sigrun_layout_entry;

/* The table as the C compiler computed it. */
const sigrun_layout_entry* sigrun_c_abi_layout(size_t* count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGRUN_TESTS_SDK_ABI_LAYOUT_H */
