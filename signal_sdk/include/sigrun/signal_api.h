/*
 * sigrun/signal_api.h — the stable C ABI between the sigrun runner (the host)
 * and a signal engine living in a shared library (the plugin).
 *
 * Read this file top to bottom: it is the whole contract. Plain C (C11 and
 * C++20), fixed-width types, no C++ types, no exceptions across it.
 *
 * Threads named in the annotations:
 *   [load-thread]     the runner thread that loads a library and creates the
 *                     engine: the main thread at start-up, the hot-swap thread
 *                     later. Never the dispatch thread.
 *   [dispatch-thread] the one runner thread that calls signal_on_data for an
 *                     engine. All signal_on_data, signal_on_timer,
 *                     signal_on_start and signal_on_stop calls for one handle
 *                     come from it, one at a time, in journal order.
 *   [thread-safe]     any thread, including threads the engine started itself.
 *
 * Lifetime of one engine:
 *   signal_plugin_info()          [load-thread]  checked before anything else
 *   signal_create(host, config)   [load-thread]
 *   signal_restore(...)           [dispatch-thread] optional, at a hot swap
 *   signal_on_start(handle)       [dispatch-thread] optional, once per run,
 *                                 before its first frame (1.3)
 *   signal_on_data(...) * N       [dispatch-thread], with signal_on_timer
 *                                 calls in between (optional, 1.3)
 *   signal_snapshot(...)          [dispatch-thread] optional, at a hot swap
 *   signal_on_stop(handle)        [dispatch-thread] optional, once per run,
 *                                 after its last frame (1.3)
 *   signal_destroy(handle)        [load-thread or dispatch-thread], never
 *                                 concurrently with another call on that handle
 *   dlclose()                     only after signal_destroy returned AND every
 *                                 frame the engine retained was released.
 *
 * Versioning and growth:
 *   - SIGRUN_ABI_VERSION_MAJOR changes only on a break; the runner refuses a
 *     plugin whose major differs, naming both versions.
 *   - A minor bump adds fields at the END of a struct or a new optional entry
 *     point found by name with dlsym; both sides read `struct_size` before
 *     touching a field that may be newer than they are.
 *
 * Cost model of the hot path (what the runner promises and what an engine
 * should do to keep its part cheap):
 *   - `data` is BORROWED: the runner keeps the frame intact for the whole
 *     signal_on_data call (it gates the journal writer), so reading it costs
 *     nothing. Keep a frame past the call only when you must (frame_retain in
 *     frame-ref mode: one atomic increment; a copy otherwise).
 *   - An engine is called only for the message types it declares in
 *     sigrun_plugin_info::message_types.
 *   - Factor names are registered once (register_factor, at create time);
 *     emit_value then costs a few stores, and everything one call published
 *     becomes one signals-journal frame after the call returns.
 */
#ifndef SIGRUN_SIGNAL_API_H
#define SIGRUN_SIGNAL_API_H

#include <stdint.h>

#include "sigrun/messages.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIGRUN_ABI_VERSION_MAJOR 1
/* Minor 1: sigrun_plugin_info::message_types, sigrun_host_api::register_factor
 * and emit_value. Plugins built for 1.0 still load: they get every message
 * type and publish through emit. */
/* Minor 2: sigrun_plugin_info::plugin_id; sigrun_host_api::config_get_double,
 * config_get_int, config_get_string, config_check_keys and frame_info.
 * Plugins built for 1.0 or 1.1 still load: they are identified by name and
 * see no new host function (they do not know it is there). */
/* Minor 3: optional entry points signal_on_timer (receive-time timers, the
 * interval set by the engine's "timer_ms" in the runner config),
 * signal_on_start and signal_on_stop. Plugins built for 1.0 to 1.2 still
 * load: they export none of them and are never called for them (a runner
 * config giving such an engine "timer_ms" is refused, naming the key). */
#define SIGRUN_ABI_VERSION_MINOR 3
/* Longest plugin_id the runner accepts, without the NUL. */
#define SIGRUN_PLUGIN_ID_MAX 128
/* Both halves in one word, as sigrun_host_api::abi_version carries it. */
#define SIGRUN_ABI_VERSION ((uint32_t)((SIGRUN_ABI_VERSION_MAJOR << 16) | SIGRUN_ABI_VERSION_MINOR))

/* Marks the plugin's exported entry points; plugins are built with
 * -fvisibility=hidden so that these are the only symbols they export. */
#if defined(__GNUC__)
#define SIGRUN_EXPORT __attribute__((visibility("default")))
#else
#define SIGRUN_EXPORT
#endif

/* How the engine receives `data` in signal_on_data. Fixed when the plugin is
 * built (ENABLE_ZERO_COPY) and reported in sigrun_plugin_info::handoff. */
typedef enum sigrun_handoff {
    /* The engine copies what it keeps before signal_on_data returns. Runs on
     * any runner. */
    SIGRUN_HANDOFF_COPY = 0,
    /* The engine may keep `data` after the call by retaining the frame with
     * host->frame_retain and releasing it later with host->frame_release.
     * Needs a runner built with ENABLE_ZERO_COPY=ON; any other runner refuses
     * the plugin at load time with an error naming both modes. */
    SIGRUN_HANDOFF_FRAME_REF = 1
} sigrun_handoff;

typedef enum sigrun_log_level {
    SIGRUN_LOG_DEBUG = 0,
    SIGRUN_LOG_INFO = 1,
    SIGRUN_LOG_WARN = 2,
    SIGRUN_LOG_ERROR = 3
} sigrun_log_level;

/* What the plugin is. Returned by signal_plugin_info(); owned by the plugin,
 * static storage, valid until the library is closed. */
typedef struct sigrun_plugin_info {
    /* Read first, before any other field: the runner refuses the plugin when
     * this differs from its own SIGRUN_ABI_VERSION_MAJOR. */
    uint32_t abi_major;
    uint32_t abi_minor;
    /* sizeof(sigrun_plugin_info) the plugin was built with. */
    uint32_t struct_size;
    /* A sigrun_handoff value. */
    uint32_t handoff;
    /* Plugin name and version, NUL-terminated, never NULL. For logs and the
     * runner summary. */
    const char* name;
    const char* version;
    /* Version of the byte format written by signal_snapshot. 0 means the
     * plugin carries no state across a hot swap. State is carried only
     * between two plugins that report the same non-zero state_version. */
    uint32_t state_version;
    uint32_t reserved; /* zero */

    /* ---- since ABI 1.1 (present when struct_size reaches them) ---- */

    /* The SIGRUN_MSG_* ids this engine handles: the runner calls
     * signal_on_data only with these types. NULL (or a 1.0 plugin) means
     * "every type", as in 1.0. Static storage owned by the plugin, valid
     * until the library is closed; `message_type_count` entries. */
    const int32_t* message_types;
    uint32_t message_type_count;
    uint32_t reserved1; /* zero */

    /* ---- since ABI 1.2 (present when struct_size reaches it) ---- */

    /* The plugin's stable identity, reverse-DNS like CLAP's
     * ("com.example.spread"): 1 to SIGRUN_PLUGIN_ID_MAX characters of
     * [a-z0-9._-], at least one '.', NUL-terminated. It names WHAT the plugin
     * is across all its versions: a hot swap to a library with another id is
     * refused unless the engine's runner config lists that id in
     * "allow_replace_with". Static storage owned by the plugin, valid until
     * the library is closed. NULL (or a 1.0/1.1 plugin): the plugin is
     * identified by `name`. A malformed id makes the runner refuse the
     * plugin, naming it. */
    const char* plugin_id;
} sigrun_plugin_info;

/* What the host tells an engine about the frame it is handling (frame_info). */
typedef struct sigrun_frame_info {
    /* sizeof(sigrun_frame_info) the runner filled in. */
    uint32_t struct_size;
    /* The message type of the frame (a SIGRUN_MSG_* id). */
    int32_t type;
    /* The frame's sequence in md.journal (1, 2, ... with no gaps except
     * frames the dispatcher lost, which it logs): a jump tells the engine
     * frames were skipped. */
    uint64_t sequence;
    /* The message's receive time (the same as the message's own
     * receive_time_ns field), ns since the Unix epoch. */
    int64_t receive_time_ns;
} sigrun_frame_info;

/* The host's services, given to signal_create. Owned by the host; the pointer
 * and every function in it stay valid until signal_destroy returns. The
 * plugin may keep the pointer in its engine state. */
typedef struct sigrun_host_api {
    /* SIGRUN_ABI_VERSION of the runner. */
    uint32_t abi_version;
    /* sizeof(sigrun_host_api) the runner was built with: a function pointer
     * that lies beyond it does not exist. */
    uint32_t struct_size;
    /* Opaque, passed back as the first argument of every function below.
     * One per engine instance. */
    void* host_ctx;

    /* Write one line to the runner's log, tagged with the engine's name.
     * `message` is NUL-terminated and copied before the call returns.
     * [thread-safe] */
    void (*log)(void* host_ctx, int32_t level, const char* message);

    /* Publish one factor value by name: the 1.0 form, kept for plugins
     * built against it and for convenience (it looks the name up on every
     * call; emit_value with a registered id is the fast form). Lands in the
     * same sigrun_factor_batch as emit_value, see there.
     * `factor` and `instrument` are NUL-terminated, copied (truncated to
     * SIGRUN_NAME_LEN / SIGRUN_INSTRUMENT_LEN) before the call returns.
     * Returns 0 when written, non-zero when refused (called outside
     * signal_on_data / signal_on_timer, or the signals journal could not
     * take it; the reason is logged by the runner).
     * [dispatch-thread], only from inside signal_on_data or signal_on_timer. */
    int32_t (*emit)(void* host_ctx, const char* factor, const char* instrument, double value);

    /* Keep the frame that `data` points into alive after signal_on_data
     * returns: the journal writer will not overwrite it until the matching
     * frame_release. `data` must be the `data` argument of the current
     * signal_on_data call. Returns 0 on success, non-zero when the runner
     * cannot retain it (copy-mode runner, a journal owned by another process,
     * or not the current frame). Costs one store to the frame's pin count in
     * the journal (on the dispatch thread no locked instruction: the journal
     * keeps that thread's pins in counters only it writes).
     * Each successful retain needs exactly one frame_release. Engines built
     * with the C++ SDK never call this directly: sigrun::Engine::keep does.
     * [dispatch-thread], only from inside signal_on_data. */
    int32_t (*frame_retain)(void* host_ctx, const void* data);

    /* Drop one reference taken with frame_retain. `data` is the pointer that
     * was retained (the `data` argument of that signal_on_data call). After
     * the last release the engine must not read `data` again. Costs one
     * store when called from inside a signal_on_data call, one atomic
     * increment from any other thread. Must happen before
     * signal_destroy returns: the runner reports and force-releases frames
     * an engine still holds after destroy, as a bug in the engine.
     * [thread-safe] */
    void (*frame_release)(void* host_ctx, const void* data);

    /* ---- since ABI 1.1: a plugin checks struct_size before using these ---- */

    /* Register a factor name once and get its id for emit_value. `factor` is
     * NUL-terminated, 1 to SIGRUN_NAME_LEN characters. The same name gives
     * the same id again. Returns the id (>= 0), or -1 when the name is empty
     * or too long (logged by the runner).
     * [load-thread] inside signal_create, or [dispatch-thread]. */
    int32_t (*register_factor)(void* host_ctx, const char* factor);

    /* Publish one factor value: the fast form of emit. `factor_id` comes from
     * register_factor of this engine; `instrument` points at
     * SIGRUN_INSTRUMENT_LEN bytes, NUL-padded, exactly like the `instrument`
     * field of sigrun_depth / sigrun_trade (pass that field itself), and is
     * copied before the call returns. The runner collects the values of one
     * signal_on_data call and writes them after the call returns as one
     * sigrun_factor_batch frame, stamped with the engine's name and the
     * sequence and receive time of the frame being handled (inside
     * signal_on_timer: see there for the stamp).
     * Returns 0 when taken, non-zero when refused (outside signal_on_data /
     * signal_on_timer, or an unknown factor id; the reason is logged once).
     * [dispatch-thread], only from inside signal_on_data or signal_on_timer. */
    int32_t (*emit_value)(void* host_ctx, int32_t factor_id, const char* instrument, double value);

    /* ---- since ABI 1.2: a plugin checks struct_size before using these ---- */

    /* Typed reads of the engine's "config" object (the same JSON text
     * signal_create received), for C engines that carry no JSON parser.
     * `key` is a top-level key of the object, NUL-terminated. Each returns
     *    0  the key is there with the right type: *value is set;
     *    1  the key is absent: *value is left as it was (set your default
     *       first, then call);
     *   -1  the key is there with another type or out of range: *value is
     *       left as it was and the runner logs one line naming the key, what
     *       it holds and what was asked for. Treat it as a bad config:
     *       return NULL from signal_create.
     * config_get_int accepts JSON integers only ("5", 5.5 and 1e3 give -1);
     * config_get_double accepts any JSON number. config_get_string sets
     * *value to a NUL-terminated copy owned by the host, valid until
     * signal_destroy returns.
     * [load-thread] inside signal_create, or [dispatch-thread]. */
    int32_t (*config_get_double)(void* host_ctx, const char* key, double* value);
    int32_t (*config_get_int)(void* host_ctx, const char* key, int64_t* value);
    int32_t (*config_get_string)(void* host_ctx, const char* key, const char** value);

    /* Refuses keys the engine does not know: returns 0 when every key of the
     * config object is one of the `count` NUL-terminated names in
     * `known_keys`; otherwise logs one line naming the first unknown key and
     * listing the known ones, and returns non-zero (return NULL from
     * signal_create). `known_keys` is read during the call only.
     * [load-thread] inside signal_create. */
    int32_t (*config_check_keys)(void* host_ctx, const char* const* known_keys, uint32_t count);

    /* Fills *info (its struct_size first: the host writes at most that many
     * bytes) with the sequence, type and receive time of the frame the
     * engine is handling. Returns 0, or non-zero outside signal_on_data
     * (*info untouched), inside signal_on_timer included: a timer handles
     * no frame. Costs a few loads and stores; an engine that never
     * calls it pays nothing.
     * [dispatch-thread], only from inside signal_on_data. */
    int32_t (*frame_info)(void* host_ctx, sigrun_frame_info* info);
} sigrun_host_api;

/* ---- Entry points every plugin exports (extern "C", default visibility) ---- */

/* Identify the plugin. Called before signal_create and before any other
 * field of the result is trusted. Never returns NULL.
 * [load-thread] */
SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void);

/* Create one engine instance.
 *   host        the host's services, valid until signal_destroy returns.
 *   config_json the engine's own "config" object from the runner config,
 *               NUL-terminated JSON text, valid for this call only
 *               ("{}" when the runner config has none).
 * Returns an opaque handle, or NULL on failure after logging the reason
 * through host->log. The runner then refuses the engine (at start) or keeps
 * the old one (at a hot swap).
 * [load-thread] */
SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json);

/* Handle one market-data frame: the hot path.
 *   type  a SIGRUN_MSG_* id (101 Depth, 103 Trade), one of the plugin's
 *         declared message_types (any id for a plugin that declares none:
 *         ignore ids you do not know, more may be added).
 *   data  the message inside the journal frame, e.g. a const sigrun_depth*.
 *         Read-only, borrowed: intact for the duration of this call, never
 *         after it unless retained with host->frame_retain (frame-ref
 *         plugins) or copied.
 * Must not throw (the C++ SDK catches and reports) and must not block.
 * [dispatch-thread] */
SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data);

/* Destroy the engine. Joins every thread the engine started and releases
 * every frame it retained before returning. `handle` is never used again.
 * [load-thread or dispatch-thread], never concurrently with other calls on
 * the same handle. */
SIGRUN_EXPORT void signal_destroy(void* handle);

/* ---- Optional entry points, looked up with dlsym; absent is fine ---- */

/* Serialize the engine's state for a hot swap to a library that reports the
 * same state_version. Writes at most `capacity` bytes to `buffer` and
 * returns the number of bytes the state needs: when that is larger than
 * `capacity`, nothing useful was written and the runner calls again with a
 * buffer of at least that size. Returns a negative value on failure (the
 * swap then falls back to warm-up or goes ahead with a fresh engine).
 * [dispatch-thread], between two signal_on_data calls. */
SIGRUN_EXPORT int64_t signal_snapshot(void* handle, void* buffer, uint64_t capacity);

/* Load state written by signal_snapshot of the same state_version into a
 * freshly created engine. `state` is valid for this call only. Returns 0 on
 * success; non-zero aborts the swap and keeps the old engine running.
 * [dispatch-thread], before the engine's first signal_on_data. */
SIGRUN_EXPORT int32_t signal_restore(void* handle, const void* state, uint64_t size);

/* ---- Since ABI 1.3: timers and the run's start and stop (optional) ----
 *
 * Time in a sigrun run is the frames' RECEIVE time (the messages'
 * receive_time_ns), never the wall clock: a replay fires the same timers at
 * the same points of the data at any speed, and as fast as the data goes.
 */

/* A timer deadline was reached. Called only for an engine whose runner config
 * sets "timer_ms": T (1 to 86400000); the deadlines are the multiples of T ms
 * since the Unix epoch (T = 1000: every whole second of receive time).
 *   now_ns  the deadline reached, ns since the Unix epoch: a multiple of T ms.
 * When: the dispatcher compares each md frame's receive time with the
 * engine's next deadline; when the frame's receive time is at or past it,
 * signal_on_timer is called BEFORE that frame is handed to the engine. So
 * on_timer(now_ns) has seen exactly the frames received before now_ns (a
 * frame received at exactly now_ns comes after it). Every dispatched frame
 * moves the clock, including frames of types the engine does not declare or
 * instruments its "instruments" list filters out. The first frame of a run
 * only sets the clock (no call). A frame that jumps over several deadlines
 * (a gap in the data) gives ONE call, with now_ns the last deadline it
 * crossed: compare with your previous now_ns to see how many were skipped.
 * A receive time that goes backwards fires nothing.
 * emit / emit_value work as in signal_on_data; what one call emits is one
 * signals-journal batch stamped with source_sequence = the md sequence of
 * the frame whose receive time fired the timer (not yet handed to the
 * engine) and source_receive_time_ns = now_ns. frame_info and frame_retain
 * refuse (no frame is being handled).
 * Hot swap: the new version continues the old one's schedule: no deadline is
 * called twice or skipped across a swap. A warm-up replay calls it too (its
 * emits are discarded like those of signal_on_data).
 * Must not block or throw; the runner's watchdog reports a call that overruns
 * $.watchdog.on_data_ms as it does for signal_on_data.
 * [dispatch-thread], between two signal_on_data calls. */
SIGRUN_EXPORT void signal_on_timer(void* handle, int64_t now_ns);

/* The run starts: called once on each engine live at the start of a run,
 * before its first signal_on_data / signal_on_timer. emit is refused here
 * (there is no frame to stamp). Not called on a version brought in by a hot
 * swap: it continues the run (with the old version's state, or warmed up).
 * [dispatch-thread] */
SIGRUN_EXPORT void signal_on_start(void* handle);

/* The run ends (input exhausted, SIGINT/SIGTERM, or a failed journal): called
 * once on each engine live at the end of the run, after its last
 * signal_on_data / signal_on_timer and before signal_destroy. emit is refused
 * here. A version retired by a hot swap is destroyed WITHOUT on_stop (the run
 * goes on), and the version that replaced it gets on_stop without having had
 * on_start: prepare in signal_create whatever on_stop needs. Not called when
 * the runner stops with no run (--check-config) or exits on a watchdog
 * timeout.
 * [dispatch-thread] */
SIGRUN_EXPORT void signal_on_stop(void* handle);

/* Function-pointer types of the entry points, for the runner's dlsym. */
typedef const sigrun_plugin_info* (*sigrun_plugin_info_fn)(void);
typedef void* (*sigrun_create_fn)(const sigrun_host_api* host, const char* config_json);
typedef void (*sigrun_on_data_fn)(void* handle, int type, const void* data);
typedef void (*sigrun_destroy_fn)(void* handle);
typedef int64_t (*sigrun_snapshot_fn)(void* handle, void* buffer, uint64_t capacity);
typedef int32_t (*sigrun_restore_fn)(void* handle, const void* state, uint64_t size);
typedef void (*sigrun_on_timer_fn)(void* handle, int64_t now_ns);
typedef void (*sigrun_on_start_fn)(void* handle);
typedef void (*sigrun_on_stop_fn)(void* handle);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIGRUN_SIGNAL_API_H */
