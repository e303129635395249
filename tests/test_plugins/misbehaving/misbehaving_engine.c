/*
 * misbehaving — an engine that, on its {"at_frame": N}th frame (default 1),
 * does {"action": ...}:
 *   "none"      nothing (the default: loads, runs and unloads cleanly)
 *   "hang"      never returns from signal_on_data (sleeps forever)
 *   "stall"     sleeps {"stall_ms": M} ms (default 1000) in that one call, then
 *               returns: one watchdog trip, and the run goes on
 *   "segv"      writes to a page mapped without access (a real fault, not a
 *               null store, which UBSan would report before the fault)
 *   "abort"     calls abort()
 *   "overflow"  recurses until its stack overflows
 * For the liveness and crash-containment tests: the runner's watchdog must
 * name it when it hangs (and count a stall), a stop must still end the run, and a crash must be
 * reported with the engine and the frame before the process dies.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sigrun/signal_api.h"

enum action { ACTION_NONE, ACTION_HANG, ACTION_STALL, ACTION_SEGV, ACTION_ABORT, ACTION_OVERFLOW };

typedef struct misbehaving_engine {
    enum action action;
    uint64_t at_frame;
    uint64_t stall_ms;
    uint64_t frames;
} misbehaving_engine;

static const sigrun_plugin_info misbehaving_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY,
    "misbehaving",
    "1.0.0",
    0,
    0,
    NULL, /* every message type */
    0,
    0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &misbehaving_info;
}

/* The value of "key" in a flat JSON object: just enough for this plugin's config. */
static const char* find_value(const char* json, const char* key) {
    const char* at = strstr(json, key);
    if (at == NULL) return NULL;
    at = strchr(at + strlen(key), ':');
    if (at == NULL) return NULL;
    ++at;
    while (*at == ' ' || *at == '"') ++at;
    return at;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    misbehaving_engine* engine = calloc(1, sizeof *engine);
    if (engine == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "misbehaving: out of memory creating the engine");
        return NULL;
    }
    engine->at_frame = 1;
    const char* action = find_value(config_json, "\"action\"");
    if (action != NULL) {
        if (strncmp(action, "hang", 4) == 0) engine->action = ACTION_HANG;
        else if (strncmp(action, "stall", 5) == 0) engine->action = ACTION_STALL;
        else if (strncmp(action, "segv", 4) == 0) engine->action = ACTION_SEGV;
        else if (strncmp(action, "abort", 5) == 0) engine->action = ACTION_ABORT;
        else if (strncmp(action, "overflow", 8) == 0) engine->action = ACTION_OVERFLOW;
    }
    const char* at_frame = find_value(config_json, "\"at_frame\"");
    if (at_frame != NULL) engine->at_frame = strtoull(at_frame, NULL, 10);
    engine->stall_ms = 1000;
    const char* stall_ms = find_value(config_json, "\"stall_ms\"");
    if (stall_ms != NULL) engine->stall_ms = strtoull(stall_ms, NULL, 10);
    return engine;
}

/* Not a tail call and not foldable: every level keeps a live buffer. The
 * recursion without end is the point (the stack overflow the runner must
 * report), so the compiler's warning about it is off here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int __attribute__((noinline)) recurse(volatile char* previous, int depth) {
    volatile char buffer[1024];
    buffer[0] = (char)depth;
    buffer[1023] = previous != NULL ? previous[0] : 0;
    return recurse(buffer, depth + 1) + buffer[1023];
}
#pragma GCC diagnostic pop

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    (void)type;
    (void)data;
    misbehaving_engine* engine = handle;
    if (++engine->frames != engine->at_frame) return;
    switch (engine->action) {
        case ACTION_HANG:
            for (;;) {
                const struct timespec second = {1, 0};
                nanosleep(&second, NULL);
            }
        case ACTION_STALL: {
            const struct timespec stall = {(time_t)(engine->stall_ms / 1000), (long)(engine->stall_ms % 1000) * 1000000L};
            struct timespec left = stall;
            while (nanosleep(&left, &left) != 0) {
            }
            break;
        }
        case ACTION_SEGV: {
            void* page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (page == MAP_FAILED) abort();
            volatile int* forbidden = (volatile int*)page;
            *forbidden = 1;
            break;
        }
        case ACTION_ABORT:
            abort();
        case ACTION_OVERFLOW:
            (void)recurse(NULL, 0);
            break;
        case ACTION_NONE:
            break;
    }
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    free(handle);
}
