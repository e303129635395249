/*
 * c_minimal — a signal engine in plain C11, written against signal_api.h
 * alone (no C++ SDK), to prove the ABI is usable from C.
 *
 * On every depth it emits "mid" = (best bid + best ask) / 2 when both sides
 * exist; on every trade it emits "last_price". It ignores message ids it
 * does not know. Its config, read through the host's config accessors of
 * ABI 1.2 (no JSON parser in C): {"offset": x} is added to every value
 * (default 0); any other key refuses the engine.
 *
 * Built four times:
 *   c_minimal      ABI 1.2: plugin id "org.sigrun.test.c-minimal", declares
 *                  the two types it handles, reads its config;
 *   c_abi_1_1      (SIGRUN_TEST_ABI_1_1) the plugin_info of a plugin built
 *                  against the 1.1 headers: minor 1, the 56-byte struct
 *                  without plugin_id; identified by its name;
 *   c_abi_1_0      (SIGRUN_TEST_ABI_1_0) the 1.0 headers: minor 0, the
 *                  40-byte struct without message_types, which the runner
 *                  must still load and call for every message type;
 *   bad_plugin_id  (SIGRUN_TEST_BAD_ID) a 1.2 plugin whose id is not
 *                  reverse-DNS: the runner must refuse it, naming the id.
 * The older variants do not touch the 1.2 host functions, as a plugin built
 * against older headers would not know them.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sigrun/signal_api.h"

typedef struct c_minimal_engine {
    const sigrun_host_api* host;
    double offset;
} c_minimal_engine;

#if SIGRUN_TEST_ABI_1_0 || SIGRUN_TEST_ABI_1_1
#define C_MINIMAL_READS_CONFIG 0
#else
#define C_MINIMAL_READS_CONFIG 1
#endif

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
    NULL,
};
#elif SIGRUN_TEST_ABI_1_1
static const int32_t c_minimal_types[] = {SIGRUN_MSG_DEPTH, SIGRUN_MSG_TRADE};
static const sigrun_plugin_info c_minimal_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    1,
    (uint32_t)offsetof(sigrun_plugin_info, plugin_id), /* what sizeof was in 1.1 */
    SIGRUN_HANDOFF_COPY,
    "c_abi_1_1",
    "1.1.0",
    0,
    0,
    c_minimal_types,
    2,
    0,
    NULL, /* beyond struct_size: the runner must not read it */
};
#else
static const int32_t c_minimal_types[] = {SIGRUN_MSG_DEPTH, SIGRUN_MSG_TRADE};
static const sigrun_plugin_info c_minimal_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, /* it never keeps `data` past the call */
#if SIGRUN_TEST_BAD_ID
    "bad_plugin_id",
#else
    "c_minimal",
#endif
    "1.0.0",
    0, /* no state carried across hot swap */
    0,
    c_minimal_types, /* the runner calls it for these only */
    2,
    0,
#if SIGRUN_TEST_BAD_ID
    "Bad Plugin Id",
#else
    "org.sigrun.test.c-minimal",
#endif
};
#endif

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &c_minimal_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    double offset = 0.0;
#if C_MINIMAL_READS_CONFIG
    /* The host says why in its log line; a C engine needs no JSON parser. */
    static const char* const known_keys[] = {"offset"};
    if (host->struct_size >= offsetof(sigrun_host_api, frame_info) + sizeof host->frame_info &&
        host->config_check_keys != NULL && host->config_get_double != NULL) {
        if (host->config_check_keys(host->host_ctx, known_keys, 1) != 0 ||
            host->config_get_double(host->host_ctx, "offset", &offset) < 0) {
            return NULL;
        }
    }
#endif
    c_minimal_engine* engine = malloc(sizeof *engine);
    if (engine == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "c_minimal: out of memory creating the engine");
        return NULL;
    }
    engine->host = host;
    engine->offset = offset;
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
            host->emit(host->host_ctx, "mid", instrument, (depth->bid_price[0] + depth->ask_price[0]) / 2.0 + engine->offset);
        }
    } else if (type == SIGRUN_MSG_TRADE) {
        const sigrun_trade* trade = data;
        instrument_text(trade->instrument, instrument);
        host->emit(host->host_ctx, "last_price", instrument, trade->price + engine->offset);
    }
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    free(handle);
}
