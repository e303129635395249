/*
 * slow_engine — a runner-test plugin that sleeps in every signal_on_data
 * (about 100 microseconds), so that the feed outruns the dispatcher and a
 * small md ring is always full. Copy handoff; emits "seen" per message.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sigrun/signal_api.h"

typedef struct slow_engine {
    const sigrun_host_api* host;
    double seen;
} slow_engine;

static const sigrun_plugin_info slow_engine_info = {
    SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR, (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, "slow_engine", "1.0.0", 0, 0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &slow_engine_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    slow_engine* engine = calloc(1, sizeof *engine);
    if (engine != NULL) engine->host = host;
    return engine;
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    slow_engine* engine = handle;
    const struct timespec pause = {0, 100000};
    char instrument[SIGRUN_INSTRUMENT_LEN + 1];
    (void)type;
    nanosleep(&pause, NULL);
    /* instrument is the first field of both sigrun_depth and sigrun_trade */
    memcpy(instrument, data, SIGRUN_INSTRUMENT_LEN);
    instrument[SIGRUN_INSTRUMENT_LEN] = '\0';
    engine->seen += 1.0;
    engine->host->emit(engine->host->host_ctx, "seen", instrument, engine->seen);
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    free(handle);
}
