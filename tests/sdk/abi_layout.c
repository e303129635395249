/*
 * The C side of the ABI layout check: this file is compiled as strict C11
 * (-std=c11 -pedantic-errors), which also proves that signal_api.h and
 * messages.h are valid C.
 */
#include "abi_layout.h"

#define SIGRUN_MEMBER_ENTRY(type, member) {"offsetof(" #type ", " #member ")", offsetof(type, member)},
#define SIGRUN_STRUCT_ENTRIES(type) {"sizeof(" #type ")", sizeof(type)}, {"_Alignof(" #type ")", _Alignof(type)},

static const sigrun_layout_entry c_layout[] = {
    SIGRUN_ABI_MEMBERS(SIGRUN_MEMBER_ENTRY) SIGRUN_ABI_STRUCTS(SIGRUN_STRUCT_ENTRIES)
    {"SIGRUN_ABI_VERSION", SIGRUN_ABI_VERSION},
    {"SIGRUN_MSG_DEPTH", SIGRUN_MSG_DEPTH},
    {"SIGRUN_MSG_TRADE", SIGRUN_MSG_TRADE},
    {"SIGRUN_MSG_FACTOR_BATCH", SIGRUN_MSG_FACTOR_BATCH},
    {"sizeof(sigrun_handoff)", sizeof(sigrun_handoff)},
};

const sigrun_layout_entry* sigrun_c_abi_layout(size_t* count) {
    *count = sizeof c_layout / sizeof c_layout[0];
    return c_layout;
}

/* The entry-point typedefs the runner's dlsym uses must have exactly the types
 * of the declarations. _Generic does not evaluate its operand, so naming the
 * functions here needs no definition at link time. */
#define SIGRUN_HAS_TYPE(function, fn_type) _Generic(&(function), fn_type: 1, default: 0)
_Static_assert(SIGRUN_HAS_TYPE(signal_plugin_info, sigrun_plugin_info_fn), "sigrun_plugin_info_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_create, sigrun_create_fn), "sigrun_create_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_on_data, sigrun_on_data_fn), "sigrun_on_data_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_destroy, sigrun_destroy_fn), "sigrun_destroy_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_snapshot, sigrun_snapshot_fn), "sigrun_snapshot_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_restore, sigrun_restore_fn), "sigrun_restore_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_on_timer, sigrun_on_timer_fn), "sigrun_on_timer_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_on_start, sigrun_on_start_fn), "sigrun_on_start_fn mismatch");
_Static_assert(SIGRUN_HAS_TYPE(signal_on_stop, sigrun_on_stop_fn), "sigrun_on_stop_fn mismatch");
