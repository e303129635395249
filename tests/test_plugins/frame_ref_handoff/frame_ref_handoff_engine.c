/*
 * frame_ref_handoff — a plugin that reports SIGRUN_HANDOFF_FRAME_REF whatever
 * the build's ENABLE_ZERO_COPY, so a copy-mode runner's refusal ("plugin
 * built for frame-ref handoff, runner built for copy") can be tested in any
 * build. When a frame-ref runner does run it, it behaves like a well-behaved
 * frame-ref engine: it retains every frame and releases it before the next
 * one arrives and in signal_destroy, and emits "retained" = 1 or 0 (whether
 * the runner took the retain).
 *
 * Config {"misuse": "release_twice"} or {"misuse": "release_foreign"}: on
 * its 10th and 20th frame it also releases the frame it just released
 * again, or a pointer that was never retained (its own handle), the engine
 * bugs the runner must report (once) and survive without dropping a pin
 * twice.
 */
#include <stdlib.h>
#include <string.h>

#include "sigrun/signal_api.h"

typedef enum misuse { MISUSE_NONE, MISUSE_RELEASE_TWICE, MISUSE_RELEASE_FOREIGN } misuse;

typedef struct frame_ref_engine {
    const sigrun_host_api* host;
    const void* held; /* the one frame currently retained, or NULL */
    misuse misuse;
    unsigned long frames;
} frame_ref_engine;

static const sigrun_plugin_info frame_ref_info = {
    SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR, (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_FRAME_REF, "frame_ref_handoff", "1.0.0", 0, 0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &frame_ref_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    frame_ref_engine* engine = calloc(1, sizeof *engine);
    if (engine == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "frame_ref_handoff: out of memory creating the engine");
        return NULL;
    }
    engine->host = host;
    /* A test plugin: the two values are looked for, not parsed. */
    if (config_json != NULL && strstr(config_json, "\"release_twice\"") != NULL) {
        engine->misuse = MISUSE_RELEASE_TWICE;
    } else if (config_json != NULL && strstr(config_json, "\"release_foreign\"") != NULL) {
        engine->misuse = MISUSE_RELEASE_FOREIGN;
    }
    return engine;
}

static void release_held(frame_ref_engine* engine) {
    if (engine->held != NULL) {
        engine->host->frame_release(engine->host->host_ctx, engine->held);
        engine->held = NULL;
    }
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    frame_ref_engine* engine = handle;
    const sigrun_host_api* host = engine->host;
    if (type != SIGRUN_MSG_DEPTH && type != SIGRUN_MSG_TRADE) {
        return;
    }
    const void* released = engine->held;
    release_held(engine);
    ++engine->frames;
    if (engine->frames == 10 || engine->frames == 20) {
        if (engine->misuse == MISUSE_RELEASE_TWICE && released != NULL) {
            host->frame_release(host->host_ctx, released);
        } else if (engine->misuse == MISUSE_RELEASE_FOREIGN) {
            host->frame_release(host->host_ctx, engine);
        }
    }
    const int retained = host->frame_retain(host->host_ctx, data) == 0;
    if (retained) {
        engine->held = data;
    }
    /* Both messages start with the instrument name, which has no NUL when it
     * fills its array. */
    char instrument[SIGRUN_INSTRUMENT_LEN + 1];
    memcpy(instrument, data, SIGRUN_INSTRUMENT_LEN);
    instrument[SIGRUN_INSTRUMENT_LEN] = '\0';
    host->emit(host->host_ctx, "retained", instrument, retained ? 1.0 : 0.0);
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    frame_ref_engine* engine = handle;
    release_held(engine);
    free(engine);
}
