// The C ABI as seen from C (abi_layout.c, compiled as C11) and from C++20.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "abi_layout.h"

namespace {

#define SIGRUN_MEMBER_ENTRY(type, member) {"offsetof(" #type ", " #member ")", offsetof(type, member)},
#define SIGRUN_STRUCT_ENTRIES(type) {"sizeof(" #type ")", sizeof(type)}, {"_Alignof(" #type ")", alignof(type)},

const std::vector<sigrun_layout_entry> cpp_layout = {
    SIGRUN_ABI_MEMBERS(SIGRUN_MEMBER_ENTRY) SIGRUN_ABI_STRUCTS(SIGRUN_STRUCT_ENTRIES)
    {"SIGRUN_ABI_VERSION", SIGRUN_ABI_VERSION},
    {"SIGRUN_MSG_DEPTH", SIGRUN_MSG_DEPTH},
    {"SIGRUN_MSG_TRADE", SIGRUN_MSG_TRADE},
    {"SIGRUN_MSG_FACTOR_BATCH", SIGRUN_MSG_FACTOR_BATCH},
    {"sizeof(sigrun_handoff)", sizeof(sigrun_handoff)},
};

TEST(AbiLayout, CAndCppCompilersAgreeOnEverySizeAndOffset) {
    std::size_t count = 0;
    const sigrun_layout_entry* c_layout = sigrun_c_abi_layout(&count);

    ASSERT_EQ(count, cpp_layout.size());
    for (std::size_t i = 0; i < count; ++i) {
        SCOPED_TRACE(cpp_layout[i].what);
        EXPECT_STREQ(c_layout[i].what, cpp_layout[i].what);
        EXPECT_EQ(c_layout[i].value, cpp_layout[i].value);
    }
}

// messages.h pins the message layouts itself; these two structs are pinned
// here. Moving a field is an ABI break (a major version bump); a minor
// version only appends (the 1.0 offsets stay, the 1.1 fields follow).
TEST(AbiLayout, PluginInfoLayoutIsPinned) {
    EXPECT_EQ(sizeof(sigrun_plugin_info), 64u);
    EXPECT_EQ(offsetof(sigrun_plugin_info, abi_major), 0u);
    EXPECT_EQ(offsetof(sigrun_plugin_info, name), 16u);
    EXPECT_EQ(offsetof(sigrun_plugin_info, state_version), 32u);
    EXPECT_EQ(offsetof(sigrun_plugin_info, message_types), 40u);  // 1.1: appended after the 1.0 struct
    EXPECT_EQ(offsetof(sigrun_plugin_info, message_type_count), 48u);
    EXPECT_EQ(offsetof(sigrun_plugin_info, plugin_id), 56u);  // 1.2: appended after the 1.1 struct
}

TEST(AbiLayout, HostApiLayoutIsPinned) {
    EXPECT_EQ(sizeof(sigrun_host_api), 104u);
    EXPECT_EQ(offsetof(sigrun_host_api, abi_version), 0u);
    EXPECT_EQ(offsetof(sigrun_host_api, host_ctx), 8u);
    EXPECT_EQ(offsetof(sigrun_host_api, log), 16u);
    EXPECT_EQ(offsetof(sigrun_host_api, frame_release), 40u);
    EXPECT_EQ(offsetof(sigrun_host_api, register_factor), 48u);  // 1.1: appended after the 1.0 struct
    EXPECT_EQ(offsetof(sigrun_host_api, emit_value), 56u);
    EXPECT_EQ(offsetof(sigrun_host_api, config_get_double), 64u);  // 1.2: appended after the 1.1 struct
    EXPECT_EQ(offsetof(sigrun_host_api, frame_info), 96u);
}

TEST(AbiLayout, FrameInfoLayoutIsPinned) {
    EXPECT_EQ(sizeof(sigrun_frame_info), 24u);
    EXPECT_EQ(offsetof(sigrun_frame_info, sequence), 8u);
    EXPECT_EQ(offsetof(sigrun_frame_info, receive_time_ns), 16u);
}

TEST(AbiLayout, AbiStructsAreStandardLayoutAndTriviallyCopyable) {
    EXPECT_TRUE(std::is_standard_layout_v<sigrun_plugin_info>);
    EXPECT_TRUE(std::is_standard_layout_v<sigrun_host_api>);
    EXPECT_TRUE((std::is_standard_layout_v<sigrun_depth> && std::is_trivially_copyable_v<sigrun_depth>));
    EXPECT_TRUE((std::is_standard_layout_v<sigrun_trade> && std::is_trivially_copyable_v<sigrun_trade>));
    EXPECT_TRUE((std::is_standard_layout_v<sigrun_factor> && std::is_trivially_copyable_v<sigrun_factor>));
}

TEST(AbiLayout, AbiVersionWordCarriesMajorInTheHighHalf) {
    EXPECT_EQ(SIGRUN_ABI_VERSION >> 16, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR));
    EXPECT_EQ(SIGRUN_ABI_VERSION & 0xFFFFu, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MINOR));
}

}  // namespace
