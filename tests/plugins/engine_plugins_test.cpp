// The three engine plugins as the runner sees them: each built library is
// dlopen'ed, created with a config through signal_create against a FakeHost,
// fed messages through signal_on_data, and checked for what it emits and logs.
// The formulas themselves are checked in the *_calculator_test.cpp files.
#include <dlfcn.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_host.hpp"
#include "market_data_builders.hpp"
#include "sigrun/signal_api.h"

namespace sigrun::plugins {
namespace {

using sigrun::testing::EmittedFactor;
using sigrun::testing::FakeHost;
using testing::make_book;
using testing::make_trade;

// One dlopen'ed plugin library and its entry points; closes it on scope exit.
class LoadedPlugin {
public:
    explicit LoadedPlugin(const char* path) : library_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
        if (library_ == nullptr) {
            ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
            return;
        }
        info = reinterpret_cast<sigrun_plugin_info_fn>(dlsym(library_, "signal_plugin_info"));
        create = reinterpret_cast<sigrun_create_fn>(dlsym(library_, "signal_create"));
        on_data = reinterpret_cast<sigrun_on_data_fn>(dlsym(library_, "signal_on_data"));
        destroy = reinterpret_cast<sigrun_destroy_fn>(dlsym(library_, "signal_destroy"));
    }
    ~LoadedPlugin() {
        if (library_ != nullptr) {
            dlclose(library_);
        }
    }
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    bool loaded() const { return library_ && info && create && on_data && destroy; }

    sigrun_plugin_info_fn info = nullptr;
    sigrun_create_fn create = nullptr;
    sigrun_on_data_fn on_data = nullptr;
    sigrun_destroy_fn destroy = nullptr;

private:
    void* library_;
};

// An engine created from a plugin against its own FakeHost; destroyed on
// scope exit.
class EngineUnderTest {
public:
    EngineUnderTest(const char* library_path, const char* config_json) : plugin_(library_path) {
        if (plugin_.loaded()) {
            handle_ = plugin_.create(host_.api(), config_json);
        }
    }
    ~EngineUnderTest() {
        if (handle_ != nullptr) {
            plugin_.destroy(handle_);
        }
    }
    EngineUnderTest(const EngineUnderTest&) = delete;
    EngineUnderTest& operator=(const EngineUnderTest&) = delete;

    bool created() const { return handle_ != nullptr; }
    void feed(const sigrun_depth& book) { plugin_.on_data(handle_, SIGRUN_MSG_DEPTH, &book); }
    void feed(const sigrun_trade& trade) { plugin_.on_data(handle_, SIGRUN_MSG_TRADE, &trade); }
    const LoadedPlugin& plugin() const { return plugin_; }
    FakeHost& host() { return host_; }

private:
    FakeHost host_;
    LoadedPlugin plugin_;
    void* handle_ = nullptr;
};

// "factor instrument=value" lines, easy to compare and to read in a failure.
std::vector<std::string> describe(const std::vector<EmittedFactor>& emitted) {
    std::vector<std::string> lines;
    for (const EmittedFactor& e : emitted) {
        lines.push_back(e.factor + " " + e.instrument + "=" + std::to_string(e.value));
    }
    return lines;
}

// ---- ofi ----

TEST(OfiPlugin, OfiPlugin_ReportsItsNameAndCopyCompatibleAbi) {
    LoadedPlugin plugin(SIGRUN_OFI_PLUGIN_PATH);
    ASSERT_TRUE(plugin.loaded());
    const sigrun_plugin_info* info = plugin.info();
    EXPECT_EQ(info->abi_major, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR));
    EXPECT_STREQ(info->name, "ofi");
    EXPECT_EQ(info->state_version, 0u);
}

TEST(OfiPlugin, OfiPlugin_EmitsEachLevelAndMlofiFromTheSecondBook) {
    // levels = 2. Books as in OfiCalculator's multi-level test:
    // level 1: e = 2, level 2: e = 1, mlofi = 3.
    EngineUnderTest engine(SIGRUN_OFI_PLUGIN_PATH, R"({"levels": 2, "window_events": 10})");
    ASSERT_TRUE(engine.created());
    engine.feed(make_book({{100.0, 2.0}, {99.0, 4.0}}, {{101.0, 3.0}, {102.0, 5.0}}));
    EXPECT_TRUE(engine.host().emitted().empty()) << "the first book is only the baseline";
    engine.feed(make_book({{100.0, 2.0}, {99.5, 1.0}}, {{101.0, 1.0}, {102.0, 5.0}}));
    EXPECT_EQ(describe(engine.host().emitted()),
              (std::vector<std::string>{"ofi_l1 BTCUSDT=2.000000", "ofi_l2 BTCUSDT=1.000000",
                                        "mlofi BTCUSDT=3.000000"}));
}

TEST(OfiPlugin, OfiPlugin_KeepsSeparateBooksPerInstrument) {
    // BTC 100 x 2 -> (ETH first book, baseline only) -> BTC 100 x 5: e = +3.
    EngineUnderTest engine(SIGRUN_OFI_PLUGIN_PATH, "{}");
    ASSERT_TRUE(engine.created());
    engine.feed(make_book({{100.0, 2.0}}, {{101.0, 3.0}}, 0, "BTCUSDT"));
    engine.feed(make_book({{2000.0, 7.0}}, {{2001.0, 1.0}}, 0, "ETHUSDT"));
    engine.feed(make_book({{100.0, 5.0}}, {{101.0, 3.0}}, 0, "BTCUSDT"));
    EXPECT_EQ(describe(engine.host().emitted()),
              (std::vector<std::string>{"ofi_l1 BTCUSDT=3.000000"}));
}

TEST(OfiPlugin, OfiPlugin_FullTimeWindowIsLoggedOncePerInstrument) {
    EngineUnderTest engine(SIGRUN_OFI_PLUGIN_PATH,
                           R"({"window_ns": 1000000000, "window_capacity": 1})");
    ASSERT_TRUE(engine.created());
    for (int i = 0; i < 5; ++i) {
        engine.feed(make_book({{100.0, 2.0 + i}}, {{101.0, 3.0}}, i));
    }
    EXPECT_EQ(engine.host().count_logs(SIGRUN_LOG_WARN), 1u);
    EXPECT_TRUE(engine.host().has_log_containing(SIGRUN_LOG_WARN, "window_capacity"));
}

TEST(OfiPlugin, OfiPlugin_UnknownKeyFailsCreateWithALogLineNamingIt) {
    EngineUnderTest engine(SIGRUN_OFI_PLUGIN_PATH, R"({"levls": 2})");
    EXPECT_FALSE(engine.created());
    EXPECT_TRUE(engine.host().has_log_containing(SIGRUN_LOG_ERROR, "unknown key \"levls\""));
}

// ---- microprice ----

TEST(MicropricePlugin, MicropricePlugin_EmitsLevelOneAndDepthFactors) {
    // levels = 2: bids 100 x 3, 99 x 1; asks 101 x 1, 102 x 3
    // I = 3/4, microprice = 101 * 0.75 + 100 * 0.25 = 100.75
    // Qb = 4, Qa = 4: imbalance_l2 = 0.5; VWAPb = 399/4 = 99.75, VWAPa = 407/4 = 101.75
    // weighted_mid_l2 = (101.75 + 99.75) / 2 = 100.75
    EngineUnderTest engine(SIGRUN_MICROPRICE_PLUGIN_PATH, R"({"levels": 2})");
    ASSERT_TRUE(engine.created());
    engine.feed(make_book({{100.0, 3.0}, {99.0, 1.0}}, {{101.0, 1.0}, {102.0, 3.0}}));
    EXPECT_EQ(describe(engine.host().emitted()),
              (std::vector<std::string>{"microprice BTCUSDT=100.750000",
                                        "imbalance_l1 BTCUSDT=0.750000",
                                        "imbalance_l2 BTCUSDT=0.500000",
                                        "weighted_mid_l2 BTCUSDT=100.750000"}));
}

TEST(MicropricePlugin, MicropricePlugin_OneSidedBookEmitsNothing) {
    EngineUnderTest engine(SIGRUN_MICROPRICE_PLUGIN_PATH, "{}");
    ASSERT_TRUE(engine.created());
    engine.feed(make_book({{100.0, 3.0}}, {}));
    EXPECT_TRUE(engine.host().emitted().empty());
}

TEST(MicropricePlugin, MicropricePlugin_WrongTypeFailsCreateWithALogLineNamingIt) {
    EngineUnderTest engine(SIGRUN_MICROPRICE_PLUGIN_PATH, R"({"levels": "5"})");
    EXPECT_FALSE(engine.created());
    EXPECT_TRUE(engine.host().has_log_containing(SIGRUN_LOG_ERROR, "\"levels\" must be an integer"));
}

// ---- trade_flow ----

TEST(TradeFlowPlugin, TradeFlowPlugin_EmitsImbalanceAndVwapPerTrade) {
    // buy 2 @ 100: imbalance 1, vwap 100; then sell 2 @ 102: imbalance 0, vwap 101.
    EngineUnderTest engine(SIGRUN_TRADE_FLOW_PLUGIN_PATH, R"({"window_events": 10})");
    ASSERT_TRUE(engine.created());
    engine.feed(make_trade(100.0, 2.0, SIGRUN_SIDE_BUY));
    engine.feed(make_trade(102.0, 2.0, SIGRUN_SIDE_SELL));
    EXPECT_EQ(describe(engine.host().emitted()),
              (std::vector<std::string>{"trade_imbalance BTCUSDT=1.000000", "vwap BTCUSDT=100.000000",
                                        "trade_imbalance BTCUSDT=0.000000", "vwap BTCUSDT=101.000000"}));
}

TEST(TradeFlowPlugin, TradeFlowPlugin_InvalidTradesEmitNothingAndWarnOnce) {
    EngineUnderTest engine(SIGRUN_TRADE_FLOW_PLUGIN_PATH, "{}");
    ASSERT_TRUE(engine.created());
    engine.feed(make_trade(100.0, 0.0, SIGRUN_SIDE_BUY));
    engine.feed(make_trade(100.0, -1.0, SIGRUN_SIDE_SELL));
    EXPECT_TRUE(engine.host().emitted().empty());
    EXPECT_EQ(engine.host().count_logs(SIGRUN_LOG_WARN), 1u);
}

TEST(TradeFlowPlugin, TradeFlowPlugin_IgnoresBooks) {
    EngineUnderTest engine(SIGRUN_TRADE_FLOW_PLUGIN_PATH, "{}");
    ASSERT_TRUE(engine.created());
    engine.feed(make_book({{100.0, 3.0}}, {{101.0, 1.0}}));
    EXPECT_TRUE(engine.host().emitted().empty());
}

TEST(TradeFlowPlugin, TradeFlowPlugin_BothWindowKindsFailCreate) {
    EngineUnderTest engine(SIGRUN_TRADE_FLOW_PLUGIN_PATH, R"({"window_events": 1, "window_ns": 1})");
    EXPECT_FALSE(engine.created());
    EXPECT_TRUE(engine.host().has_log_containing(SIGRUN_LOG_ERROR, "trade_flow config"));
}

}  // namespace
}  // namespace sigrun::plugins
