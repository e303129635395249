/*
 * c_timer — the ABI 1.3 timer and run entry points from plain C
 * (signal_on_timer, signal_on_start, signal_on_stop), for the runner's and
 * the harness's timer tests.
 *
 * It emits nothing from signal_on_data; each signal_on_timer emits, for
 * instrument "TIMER":
 *   "deadline_ms"  now_ns / 1e6 (a whole number of ms: exact in a double);
 *   "frames"       the frames it was handed before this timer.
 * It logs what a test checks, and an ERROR for every broken promise:
 *   INFO  "c_timer: on_start" / "c_timer: on_stop after F frames, T timers" /
 *         "c_timer: destroyed after on_stop" or "c_timer: destroyed without
 *         on_stop" (a version retired by a hot swap);
 *   ERROR on_start twice, on_stop twice, a frame or timer before on_start or
 *         after on_stop, a deadline not after the previous one, frame_info
 *         working inside on_timer, or emit NOT refused in on_start/on_stop.
 * Config: none (any key is refused).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sigrun/signal_api.h"

typedef struct c_timer_engine {
    const sigrun_host_api* host;
    int32_t deadline_ms, frames; /* factor ids */
    int started, stopped;
    uint64_t frames_seen, timers;
    int64_t last_deadline;
} c_timer_engine;

static const int32_t c_timer_types[] = {SIGRUN_MSG_DEPTH, SIGRUN_MSG_TRADE};
static const sigrun_plugin_info c_timer_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY,
    "c_timer",
    "1.3.0",
    0,
    0,
    c_timer_types,
    2,
    0,
    "org.sigrun.test.c-timer",
};

/* emit_value copies SIGRUN_INSTRUMENT_LEN bytes: a NUL-padded field, as in
 * the messages, not a short string literal. */
static const char kTimerInstrument[SIGRUN_INSTRUMENT_LEN] = "TIMER";

static void say(const c_timer_engine* e, int32_t level, const char* text) {
    e->host->log(e->host->host_ctx, level, text);
}

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &c_timer_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    if (host->struct_size < offsetof(sigrun_host_api, frame_info) + sizeof host->frame_info ||
        host->config_check_keys(host->host_ctx, NULL, 0) != 0) {
        return NULL;
    }
    c_timer_engine* e = calloc(1, sizeof *e);
    if (e == NULL) return NULL;
    e->host = host;
    e->deadline_ms = host->register_factor(host->host_ctx, "deadline_ms");
    e->frames = host->register_factor(host->host_ctx, "frames");
    return e;
}

SIGRUN_EXPORT void signal_on_start(void* handle) {
    c_timer_engine* e = handle;
    if (e->started) say(e, SIGRUN_LOG_ERROR, "c_timer: on_start called twice");
    if (e->frames_seen != 0 || e->timers != 0) say(e, SIGRUN_LOG_ERROR, "c_timer: on_start after frames or timers");
    e->started = 1;
    if (e->host->emit_value(e->host->host_ctx, e->frames, kTimerInstrument, 0.0) == 0) {
        say(e, SIGRUN_LOG_ERROR, "c_timer: emit was accepted in on_start");
    }
    say(e, SIGRUN_LOG_INFO, "c_timer: on_start");
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    c_timer_engine* e = handle;
    (void)type;
    (void)data;
    if (e->stopped) say(e, SIGRUN_LOG_ERROR, "c_timer: on_data after on_stop");
    ++e->frames_seen;
}

SIGRUN_EXPORT void signal_on_timer(void* handle, int64_t now_ns) {
    c_timer_engine* e = handle;
    sigrun_frame_info info = {sizeof info, 0, 0, 0};
    if (e->stopped) say(e, SIGRUN_LOG_ERROR, "c_timer: on_timer after on_stop");
    if (e->timers != 0 && now_ns <= e->last_deadline) say(e, SIGRUN_LOG_ERROR, "c_timer: deadline not increasing");
    if (e->host->frame_info(e->host->host_ctx, &info) == 0) say(e, SIGRUN_LOG_ERROR, "c_timer: frame_info worked in on_timer");
    e->last_deadline = now_ns;
    ++e->timers;
    e->host->emit_value(e->host->host_ctx, e->deadline_ms, kTimerInstrument, (double)(now_ns / 1000000));
    e->host->emit_value(e->host->host_ctx, e->frames, kTimerInstrument, (double)e->frames_seen);
}

SIGRUN_EXPORT void signal_on_stop(void* handle) {
    c_timer_engine* e = handle;
    char line[128];
    if (e->stopped) say(e, SIGRUN_LOG_ERROR, "c_timer: on_stop called twice");
    e->stopped = 1;
    if (e->host->emit_value(e->host->host_ctx, e->frames, kTimerInstrument, 0.0) == 0) {
        say(e, SIGRUN_LOG_ERROR, "c_timer: emit was accepted in on_stop");
    }
    snprintf(line, sizeof line, "c_timer: on_stop after %llu frames, %llu timers",
             (unsigned long long)e->frames_seen, (unsigned long long)e->timers);
    say(e, SIGRUN_LOG_INFO, line);
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    c_timer_engine* e = handle;
    say(e, SIGRUN_LOG_INFO, e->stopped ? "c_timer: destroyed after on_stop" : "c_timer: destroyed without on_stop");
    free(e);
}
