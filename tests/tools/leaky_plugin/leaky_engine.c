/*
 * leaky_engine — a plugin that leaks on purpose. It exists only as the fixture
 * of the tools/check-leaks.sh tests (tests/tools/CMakeLists.txt): they prove
 * that the script catches a plugin's leak and reports it with the plugin's own
 * file and line, although by the time valgrind prints its leak report the
 * runner has dlclose'd every copy of this library (the script keeps the debug
 * info of unloaded objects).
 *
 * Every signal_create calls leak_per_instance(), which mallocs a block that
 * only the engine points to; signal_destroy frees the engine but not the
 * block, so each load -> create -> frames -> destroy -> dlclose cycle leaks
 * one block "definitely lost" with leak_per_instance at the top of its stack.
 * Apart from that it is a well-behaved plain C engine: it counts frames and
 * emits nothing.
 *
 * Not in tests/test_plugins on purpose: a test there loads every test plugin
 * many times and requires that nothing leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "sigrun/signal_api.h"

/* Size of the block each engine instance leaks. */
#define LEAKY_BLOCK_BYTES 48

typedef struct leaky_engine {
    const sigrun_host_api* host;
    char* scratch; /* from leak_per_instance(); never freed: the leak */
    unsigned long frames;
} leaky_engine;

static const sigrun_plugin_info leaky_info = {
    SIGRUN_ABI_VERSION_MAJOR,
    SIGRUN_ABI_VERSION_MINOR,
    (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, /* it never keeps `data` past the call */
    "leaky",
    "1.0.0",
    0, /* no state carried across hot swap */
    0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &leaky_info;
}

/* The deliberate leak, in a function of its own so that the tests can look
 * for its name in the reported stack: never inlined, and it works on the
 * block after malloc returns, so the call is no tail call either (that would
 * drop this frame from the stack). */
__attribute__((noinline)) static char* leak_per_instance(void) {
    static const char note[] = "leaked by leak_per_instance";
    char* block = malloc(LEAKY_BLOCK_BYTES);
    if (block != NULL) memcpy(block, note, sizeof note);
    return block;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    leaky_engine* engine = malloc(sizeof *engine);
    if (engine == NULL) {
        host->log(host->host_ctx, SIGRUN_LOG_ERROR, "leaky: out of memory creating the engine");
        return NULL;
    }
    engine->host = host;
    engine->scratch = leak_per_instance();
    engine->frames = 0;
    return engine;
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    (void)type;
    (void)data;
    leaky_engine* engine = handle;
    ++engine->frames;
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    /* Deliberately no free(engine->scratch). */
    free(handle);
}
