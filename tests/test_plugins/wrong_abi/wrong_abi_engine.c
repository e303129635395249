/*
 * wrong_abi — a plugin built for the next major ABI version, written by hand
 * (no SDK macro) so it can lie about its version. It exports every entry
 * point, so the only thing wrong with it is abi_major: the runner must refuse
 * it after reading abi_major alone, with an error naming both versions, and
 * never call signal_create.
 */
#include <stddef.h>

#include "sigrun/signal_api.h"

static const sigrun_plugin_info wrong_abi_info = {
    SIGRUN_ABI_VERSION_MAJOR + 1, 0, (uint32_t)sizeof(sigrun_plugin_info),
    SIGRUN_HANDOFF_COPY, "wrong_abi", "1.0.0", 0, 0,
};

SIGRUN_EXPORT const sigrun_plugin_info* signal_plugin_info(void) {
    return &wrong_abi_info;
}

/* Reaching this is a runner bug: say so loudly and fail. */
SIGRUN_EXPORT void* signal_create(const sigrun_host_api* host, const char* config_json) {
    (void)config_json;
    host->log(host->host_ctx, SIGRUN_LOG_ERROR,
              "wrong_abi: signal_create called although abi_major does not match the runner (runner bug)");
    return NULL;
}

SIGRUN_EXPORT void signal_on_data(void* handle, int type, const void* data) {
    (void)handle;
    (void)type;
    (void)data;
}

SIGRUN_EXPORT void signal_destroy(void* handle) {
    (void)handle;
}
