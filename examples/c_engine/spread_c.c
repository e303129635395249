/*
 * spread_c — the spread engine in plain C: signal_api.h only, no JSON parser
 * (the config is read through the host), one compiler line:
 *
 *   cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -I<prefix>/include spread_c.c -o libspread_c.so -lm
 *
 * Config: {"tick_size": 0.01}; any other key is refused.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <sigrun/signal_api.h>

typedef struct spread_c {
    const sigrun_host_api* host;
    int32_t spread_ticks; /* factor id from register_factor */
    double tick_size;
} spread_c;

static const int32_t spread_c_types[] = {SIGRUN_MSG_DEPTH};
static const sigrun_plugin_info spread_c_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, /* never keeps `data` past the call */
    "spread_c",
    "1.0.0",
    0, /* no state carried across a hot swap */
    0,
    spread_c_types, /* called for depth only */
    1,
    0,
    "com.example.spread-c",
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &spread_c_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json; /* read through the host instead */
    static const char* const known_keys[] = {"tick_size"};
    double tick_size = 0.01;
    /* A runner older than ABI 1.2 has no config accessors or emit_value. */
    if (host->struct_size < offsetof(sigrun_host_api, frame_info) + sizeof host->frame_info ||
        host->config_check_keys == NULL || host->config_get_double == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "spread_c: needs a runner with ABI 1.2 or later");
        return NULL;
    }
    /* Each call logs its own reason (the key, what it holds) when it fails. */
    if (host->config_check_keys(host->host_ctx, known_keys, 1) != 0 ||
        host->config_get_double(host->host_ctx, "tick_size", &tick_size) < 0) {
        return NULL;
    }
    if (!(tick_size > 0.0)) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "spread_c: \"tick_size\" must be greater than 0");
        return NULL;
    }
    spread_c* engine = malloc(sizeof *engine);
    if (engine == NULL) return NULL;
    engine->host = host;
    engine->tick_size = tick_size;
    engine->spread_ticks = host->register_factor(host->host_ctx, "spread_ticks");
    if (engine->spread_ticks < 0) {
        free(engine);
        return NULL;
    }
    return engine;
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    const spread_c* engine = handle;
    if (type != SIGRUN_MSG_DEPTH) return;
    const sigrun_depth* depth = data; /* borrowed for this call */
    if (depth->bid_price[0] <= 0.0 || depth->ask_price[0] <= 0.0) return;
    const double ticks = round((depth->ask_price[0] - depth->bid_price[0]) / engine->tick_size);
    engine->host->emit_value(engine->host->host_ctx, engine->spread_ticks, depth->instrument, ticks);
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    free(handle);
}
