/*
 * c_minimal — a signal engine in plain C11, written against signal_api.h
 * alone (no C++ SDK), to prove the ABI is usable from C.
 *
 * On every depth it emits "mid" = (best bid + best ask) / 2 when both sides
 * exist; on every trade it emits "last_price". It ignores its config and
 * message ids it does not know.
 *
 * Built twice: as c_minimal (ABI 1.1: declares the two types it handles)
 * and, with SIGRUN_TEST_ABI_1_0, as c_abi_1_0: the plugin_info of a plugin
 * built against the 1.0 headers (minor 0, the 40-byte struct without
 * message_types), which a 1.1 runner must still load and call for every
 * message type.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sigrun/signal_api.h"

typedef struct c_minimal_engine {
    const sigrun_host_api* host;
} c_minimal_engine;

#if SIGRUN_TEST_ABI_1_0
static const sigrun_plugin_info c_minimal_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    0,
    (uint32_t)offsetof(sigrun_plugin_info, message_types), /* what sizeof was in 1.0 */
    SIGRUN_HANDOFF_COPY,
    "c_abi_1_0",
    "1.0.0",
    0,
    0,
    NULL, /* beyond struct_size: the runner must not read these */
    0,
    0,
};
#else
static const int32_t c_minimal_types[] = {SIGRUN_MSG_DEPTH, SIGRUN_MSG_TRADE};
static const sigrun_plugin_info c_minimal_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, /* it never keeps `data` past the call */
    "c_minimal",
    "1.0.0",
    0, /* no state carried across hot swap */
    0,
    c_minimal_types, /* the runner calls it for these only */
    2,
    0,
};
#endif

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &c_minimal_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    c_minimal_engine* engine = malloc(sizeof *engine);
    if (engine == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "c_minimal: out of memory creating the engine");
        return NULL;
    }
    engine->host = host;
    return engine;
}

/* An instrument name that fills its array has no NUL: terminate a copy. */
static void instrument_text(const char* instrument, char out[SIGRUN_INSTRUMENT_LEN + 1]) {
    memcpy(out, instrument, SIGRUN_INSTRUMENT_LEN);
    out[SIGRUN_INSTRUMENT_LEN] = '\0';
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    const c_minimal_engine* engine = handle;
    const sigrun_host_api* host = engine->host;
    char instrument[SIGRUN_INSTRUMENT_LEN + 1];
    if (type == SIGRUN_MSG_DEPTH) {
        const sigrun_depth* depth = data;
        if (depth->bid_price[0] > 0.0 && depth->ask_price[0] > 0.0) {
            instrument_text(depth->instrument, instrument);
            host->emit(host->host_ctx, "mid", instrument, (depth->bid_price[0] + depth->ask_price[0]) / 2.0);
        }
    } else if (type == SIGRUN_MSG_TRADE) {
        const sigrun_trade* trade = data;
        instrument_text(trade->instrument, instrument);
        host->emit(host->host_ctx, "last_price", instrument, trade->price);
    }
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    free(handle);
}
