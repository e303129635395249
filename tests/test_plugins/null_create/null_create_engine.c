/*
 * null_create — a plugin whose signal_create always fails the documented way:
 * it logs why through host->log and returns NULL. The runner must refuse the
 * engine at start-up and keep the old engine at a hot swap.
 */
#include <stddef.h>

#include "sigrun/signal_api.h"

static const sigrun_plugin_info null_create_info = {
    SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR, (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, "null_create", "1.0.0", 0, 0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &null_create_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    host->log(host->host_ctx, SIGRUN_LOG_ERROR, "null_create: refusing to create an engine (test plugin)");
    return NULL;
}

/* Never reached with a NULL handle from a correct runner. */
SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    (void)handle;
    (void)type;
    (void)data;
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    (void)handle;
}
