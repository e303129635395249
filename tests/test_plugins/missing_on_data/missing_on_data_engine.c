/*
 * missing_on_data — a plugin that exports signal_plugin_info, signal_create
 * and signal_destroy but not the required signal_on_data. The runner must
 * refuse it at load time, naming the missing symbol, before creating it.
 */
#include <stddef.h>

#include "sigrun/signal_api.h"

static const sigrun_plugin_info missing_on_data_info = {
    SIGRUN_ABI_VERSION_MAJOR, SIGRUN_ABI_VERSION_MINOR, (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, "missing_on_data", "1.0.0", 0, 0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &missing_on_data_info;
}

SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    host->log(host->host_ctx, SIGRUN_LOG_ERROR,
              "missing_on_data: signal_create called although signal_on_data is missing (runner bug)");
    return NULL;
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    (void)handle;
}
