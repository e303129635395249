// SIGRUN_EXPORT_ENGINE_WITH_STATE and sigrun::Engine, driven through the C
// entry points the macro defines, exactly as the runner calls them, with a
// FakeHost standing in for the runner. Runs in the build's handoff mode.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_host.hpp"
#include "message_builders.hpp"
#include "sigrun/engine.hpp"

namespace {

// A test engine whose behaviour the config selects.
class ProbeEngine final : public sigrun::Engine {
public:
    ProbeEngine(sigrun::Host host, const nlohmann::json& config) : Engine(host), mid_(factor("mid")) {
        if (config.value("throw_in_constructor", false)) {
            throw std::invalid_argument("probe: constructor refuses this config");
        }
        if (config.value("throw_non_std_in_constructor", false)) {
            throw 42;
        }
        label = config.value("label", std::string());
        keep_frames_ = config.value("keep_frames", false);
        throw_on_depth_ = config.value("throw_on_depth", false);
        throw_non_std_on_trade_ = config.value("throw_non_std_on_trade", false);
        throw_in_snapshot_ = config.value("throw_in_snapshot", false);
        throw_in_timer_ = config.value("throw_in_timer", false);
    }

    void on_timer(std::int64_t now_ns) override {
        if (throw_in_timer_) throw std::runtime_error("probe: on_timer fails on purpose");
        timers_seen.push_back(now_ns);
        emit(ticks_, "TIMER", static_cast<double>(timers_seen.size()));  // instrument as text
    }
    void on_start() override { ++starts; }
    void on_stop() override { ++stops; }

    void on_depth(const sigrun::Depth& depth) override {
        if (throw_on_depth_) {
            throw std::runtime_error("probe: on_depth fails on purpose");
        }
        depths_seen.push_back(depth.receive_time_ns);
        emit(mid_, depth.instrument, (depth.bid_price[0] + depth.ask_price[0]) / 2.0);  // by id
        if (keep_frames_) {
            kept_depths.push_back(keep(depth));
        }
    }

    void on_trade(const sigrun::Trade& trade) override {
        if (throw_non_std_on_trade_) {
            throw 7;
        }
        trades_seen.push_back(trade.trade_id);
        emit("last_price", sigrun::field_text(trade.instrument), trade.price);  // by name
    }

    std::vector<std::byte> snapshot() const override {
        if (throw_in_snapshot_) {
            throw std::runtime_error("probe: snapshot fails on purpose");
        }
        const std::uint64_t count = depths_seen.size() + restored_count;
        std::vector<std::byte> state(sizeof count);
        std::memcpy(state.data(), &count, sizeof count);
        return state;
    }

    bool restore(std::span<const std::byte> state) override {
        if (state.size() != sizeof restored_count) {
            return false;
        }
        std::memcpy(&restored_count, state.data(), sizeof restored_count);
        return true;
    }

    std::string label;
    std::vector<std::int64_t> depths_seen;
    std::vector<std::int64_t> trades_seen;
    std::vector<sigrun::Kept<sigrun::Depth>> kept_depths;
    std::uint64_t restored_count = 0;
    std::vector<std::int64_t> timers_seen;
    int starts = 0, stops = 0;

private:
    sigrun::FactorId mid_;
    sigrun::FactorId ticks_ = factor("ticks");
    bool throw_in_timer_ = false;
    bool keep_frames_ = false;
    bool throw_on_depth_ = false;
    bool throw_non_std_on_trade_ = false;
    bool throw_in_snapshot_ = false;
};

}  // namespace

SIGRUN_EXPORT_ENGINE_WITH_STATE(ProbeEngine, "probe", "3.1.4", 7);

namespace {

using sigrun::sdk_test::make_depth;
using sigrun::sdk_test::make_trade;
using sigrun::testing::FakeHost;

// Owns one engine created through signal_create; destroys it at scope end.
class CreatedEngine {
public:
    CreatedEngine(const FakeHost& host, const char* config_json)
        : handle_(signal_create(host.api(), config_json)) {}
    ~CreatedEngine() { destroy(); }
    CreatedEngine(const CreatedEngine&) = delete;
    CreatedEngine& operator=(const CreatedEngine&) = delete;

    void* handle() const { return handle_; }
    ProbeEngine& probe() const { return dynamic_cast<ProbeEngine&>(*sigrun::engine_from_handle(handle_)); }
    void destroy() {
        if (handle_ != nullptr) {
            signal_destroy(handle_);
            handle_ = nullptr;
        }
    }

private:
    void* handle_;
};

// ---- signal_on_timer, signal_on_start, signal_on_stop (ABI 1.3) ----

TEST(ExportedTimerAndRun, SignalOnTimerCallsOnTimerWithTheDeadlineAndItsEmitsReachTheHost) {
    FakeHost host;
    CreatedEngine engine(host, "{}");
    signal_on_timer(engine.handle(), 5'000'000'000);
    signal_on_timer(engine.handle(), 6'000'000'000);
    EXPECT_EQ(engine.probe().timers_seen, (std::vector<std::int64_t>{5'000'000'000, 6'000'000'000}));
    const auto emitted = host.emitted();
    ASSERT_EQ(emitted.size(), 2u);
    EXPECT_EQ(emitted[1].factor, "ticks");
    EXPECT_EQ(emitted[1].instrument, "TIMER");
    EXPECT_DOUBLE_EQ(emitted[1].value, 2.0);
}

TEST(ExportedTimerAndRun, AnExceptionFromOnTimerIsLoggedAndCountedNotThrown) {
    FakeHost host;
    CreatedEngine engine(host, R"({"throw_in_timer": true})");
    signal_on_timer(engine.handle(), 1);
    EXPECT_EQ(engine.probe().exceptions_caught(), 1u);
    ASSERT_FALSE(host.logs().empty());
    EXPECT_NE(host.logs().back().message.find("on_timer threw"), std::string::npos);
}

TEST(ExportedTimerAndRun, SignalOnStartAndOnStopCallTheEngines) {
    FakeHost host;
    CreatedEngine engine(host, "{}");
    signal_on_start(engine.handle());
    signal_on_stop(engine.handle());
    EXPECT_EQ(engine.probe().starts, 1);
    EXPECT_EQ(engine.probe().stops, 1);
    signal_on_timer(nullptr, 1);  // a null handle is ignored, as in signal_on_data
    signal_on_start(nullptr);
    signal_on_stop(nullptr);
}

// ---- signal_plugin_info ----

TEST(ExportedPluginInfo, ReportsAbiNameVersionHandoffAndStateVersion) {
    const sigrun_plugin_info* info = signal_plugin_info();

    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->abi_major, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR));
    EXPECT_EQ(info->abi_minor, static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MINOR));
    EXPECT_EQ(info->struct_size, sizeof(sigrun_plugin_info));
    EXPECT_EQ(info->handoff, static_cast<std::uint32_t>(sigrun::build_handoff_mode));
    EXPECT_STREQ(info->name, "probe");
    EXPECT_STREQ(info->version, "3.1.4");
    EXPECT_EQ(info->state_version, 7u);
    EXPECT_EQ(info->reserved, 0u);
    ASSERT_EQ(info->message_type_count, 2u);  // ProbeEngine overrides on_depth and on_trade
    EXPECT_EQ(info->message_types[0], SIGRUN_MSG_DEPTH);
    EXPECT_EQ(info->message_types[1], SIGRUN_MSG_TRADE);
    EXPECT_EQ(info->reserved1, 0u);
}

// Engines that handle one type declare only that one.
class DepthOnly : public sigrun::Engine {
public:
    using Engine::Engine;
    void on_depth(const sigrun::Depth&) override {}
};
class TradeOnly : public sigrun::Engine {
public:
    using Engine::Engine;
    void on_trade(const sigrun::Trade&) override {}
};

TEST(DeclaredMessageTypes, AreTheHandlersTheEngineClassOverrides) {
    using sigrun::detail::MessageTypes;
    EXPECT_EQ(MessageTypes<DepthOnly>::count, 1u);
    EXPECT_EQ(MessageTypes<DepthOnly>::first, SIGRUN_MSG_DEPTH);
    EXPECT_EQ(MessageTypes<TradeOnly>::count, 1u);
    EXPECT_EQ(MessageTypes<TradeOnly>::first, SIGRUN_MSG_TRADE);
    EXPECT_EQ(MessageTypes<ProbeEngine>::count, 2u);
}

TEST(ExportedCreate, RegistersFactorNamesOnceWithTheHostAndEmitsByIdOnTheFastPath) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);
    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_EQ(host.registered_factors(), (std::vector<std::string>{"mid", "ticks"}));
    EXPECT_EQ(host.fast_emits(), 2u);
    ASSERT_EQ(host.emitted().size(), 2u);
    EXPECT_EQ(host.emitted()[1].instrument, "BTCUSDT");
}

TEST(ExportedCreate, FallsBackToEmitByNameOnAHostWithoutRegisterFactor) {
    FakeHost host;
    host.mutable_api().struct_size = offsetof(sigrun_host_api, register_factor);  // a 1.0 host
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_TRUE(host.registered_factors().empty());
    EXPECT_EQ(host.fast_emits(), 0u);
    ASSERT_EQ(host.emitted().size(), 1u);
    EXPECT_EQ(host.emitted()[0].factor, "mid");
    EXPECT_EQ(host.emitted()[0].value, 100.5);
}

// ---- signal_create ----

TEST(ExportedCreate, PassesTheParsedConfigToTheConstructor) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"label": "from config"})");

    ASSERT_NE(engine.handle(), nullptr);
    EXPECT_EQ(engine.probe().label, "from config");
    EXPECT_TRUE(host.logs().empty());
}

TEST(ExportedCreate, ReturnsNullAndLogsTheParserErrorForInvalidJson) {
    FakeHost host;
    const std::uint64_t failures_before = sigrun::create_failures();

    EXPECT_EQ(signal_create(host.api(), R"({"label": )"), nullptr);

    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "config is not valid JSON"));
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "parse error"));
    EXPECT_EQ(sigrun::create_failures(), failures_before + 1);
}

TEST(ExportedCreate, ReturnsNullAndLogsWhatWhenTheConstructorThrows) {
    FakeHost host;
    const std::uint64_t failures_before = sigrun::create_failures();

    EXPECT_EQ(signal_create(host.api(), R"({"throw_in_constructor": true})"), nullptr);

    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "probe: constructor refuses this config"));
    EXPECT_EQ(sigrun::create_failures(), failures_before + 1);
}

TEST(ExportedCreate, ReturnsNullAndLogsWhenTheConstructorThrowsANonStdException) {
    FakeHost host;
    const std::uint64_t failures_before = sigrun::create_failures();

    EXPECT_EQ(signal_create(host.api(), R"({"throw_non_std_in_constructor": true})"), nullptr);

    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "not derived from std::exception"));
    EXPECT_EQ(sigrun::create_failures(), failures_before + 1);
}

TEST(ExportedCreate, ReturnsNullForAHostOfAnotherMajorVersion) {
    FakeHost host;
    host.mutable_api().abi_version = static_cast<std::uint32_t>(SIGRUN_ABI_VERSION_MAJOR + 1) << 16;

    EXPECT_EQ(signal_create(host.api(), "{}"), nullptr);
    // Its log function cannot be trusted to be where this SDK expects it.
    EXPECT_TRUE(host.logs().empty());
}

TEST(ExportedCreate, ReturnsNullWithoutAHost) {
    EXPECT_EQ(signal_create(nullptr, "{}"), nullptr);
}

// ---- signal_on_data ----

TEST(ExportedOnData, HandsADepthToOnDepthWhichEmits) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_EQ(engine.probe().depths_seen, std::vector<std::int64_t>{1000});
    const auto emitted = host.emitted();
    ASSERT_EQ(emitted.size(), 1u);
    EXPECT_EQ(emitted[0].factor, "mid");
    EXPECT_EQ(emitted[0].instrument, "BTCUSDT");
    EXPECT_EQ(emitted[0].value, 100.5);
}

TEST(ExportedOnData, HandsATradeToOnTrade) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_trade frame = make_trade("ETHUSDT", 1000, 2500.0, 0.1);

    signal_on_data(engine.handle(), SIGRUN_MSG_TRADE, &frame);

    EXPECT_EQ(engine.probe().trades_seen, std::vector<std::int64_t>{42});
    ASSERT_EQ(host.emitted().size(), 1u);
    EXPECT_EQ(host.emitted()[0].value, 2500.0);
}

TEST(ExportedOnData, IgnoresMessageTypesItDoesNotKnow) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), 999, &frame);
    signal_on_data(engine.handle(), SIGRUN_MSG_FACTOR_BATCH, &frame);

    EXPECT_TRUE(engine.probe().depths_seen.empty());
    EXPECT_TRUE(host.emitted().empty());
    EXPECT_TRUE(host.logs().empty());
    EXPECT_EQ(host.retains(), 0u);
}

TEST(ExportedOnData, CatchesLogsAndCountsAnExceptionFromOnDepth) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"throw_on_depth": true})");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);
    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_EQ(engine.probe().exceptions_caught(), 2u);
    EXPECT_EQ(host.count_logs(SIGRUN_LOG_ERROR), 2u);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "on_depth threw"));
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "probe: on_depth fails on purpose"));
}

TEST(ExportedOnData, ReleasesTheFrameOfAMessageWhoseHandlerThrew) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"throw_on_depth": true})");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_EQ(host.frames_held(), 0u);
    EXPECT_EQ(host.unmatched_releases(), 0u);
}

TEST(ExportedOnData, CatchesAndCountsANonStdExceptionFromOnTrade) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"throw_non_std_on_trade": true})");
    const sigrun_trade frame = make_trade("ETHUSDT", 1000, 2500.0, 0.1);

    signal_on_data(engine.handle(), SIGRUN_MSG_TRADE, &frame);

    EXPECT_EQ(engine.probe().exceptions_caught(), 1u);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "on_trade threw"));
}

TEST(ExportedOnData, KeepsWorkingAfterAnException) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"throw_non_std_on_trade": true})");
    const sigrun_trade trade = make_trade("ETHUSDT", 1000, 2500.0, 0.1);
    const sigrun_depth depth = make_depth("BTCUSDT", 2000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_TRADE, &trade);
    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &depth);

    EXPECT_EQ(engine.probe().depths_seen, std::vector<std::int64_t>{2000});
    EXPECT_EQ(host.emitted().size(), 1u);
}

TEST(ExportedOnData, IgnoresANullHandleOrNullData) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    signal_on_data(nullptr, SIGRUN_MSG_DEPTH, &frame);
    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, nullptr);

    EXPECT_TRUE(engine.probe().depths_seen.empty());
}

// ---- the build's handoff, end to end ----

TEST(ExportedHandoff, MessagesAreBorrowedSoNotKeepingRetainsAndCopiesNothing) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);

    for (int i = 0; i < 100; ++i) signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &frame);

    EXPECT_EQ(host.retains(), 0u);
    EXPECT_EQ(host.refused_retains(), 0u);
    EXPECT_EQ(engine.probe().depths_seen.size(), 100u);
}

TEST(ExportedHandoff, FramesTheEngineKeepsAreHeldUntilDestroyInFrameRefModeAndNeverInCopyMode) {
    FakeHost host;
    CreatedEngine engine(host, R"({"keep_frames": true})");
    const sigrun_depth first = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    const sigrun_depth second = make_depth("BTCUSDT", 2000, 100.0, 101.0);

    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &first);
    signal_on_data(engine.handle(), SIGRUN_MSG_DEPTH, &second);

    if constexpr (sigrun::build_handoff_mode == sigrun::HandoffMode::frame_ref) {
        EXPECT_EQ(host.frames_held(), 2u);
        EXPECT_EQ(engine.probe().kept_depths.at(0).get(), &first);
    } else {
        EXPECT_EQ(host.retains(), 0u);
        EXPECT_NE(engine.probe().kept_depths.at(0).get(), &first);
    }
    EXPECT_EQ(engine.probe().kept_depths.at(1)->receive_time_ns, 2000);

    engine.destroy();

    EXPECT_EQ(host.frames_held(), 0u);
    EXPECT_EQ(host.unmatched_releases(), 0u);
}

// ---- signal_snapshot / signal_restore ----

TEST(ExportedSnapshot, ReportsTheSizeNeededWhenTheBufferIsTooSmall) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");

    EXPECT_EQ(signal_snapshot(engine.handle(), nullptr, 0), 8);
    std::byte small[4]{};
    EXPECT_EQ(signal_snapshot(engine.handle(), small, sizeof small), 8);
}

TEST(ExportedSnapshot, CarriesStateIntoANewEngineThroughRestore) {
    FakeHost host;
    const CreatedEngine old_engine(host, "{}");
    const sigrun_depth frame = make_depth("BTCUSDT", 1000, 100.0, 101.0);
    for (int i = 0; i < 3; ++i) {
        signal_on_data(old_engine.handle(), SIGRUN_MSG_DEPTH, &frame);
    }

    std::vector<std::byte> state(64);
    const std::int64_t size = signal_snapshot(old_engine.handle(), state.data(), state.size());
    ASSERT_EQ(size, 8);
    const CreatedEngine new_engine(host, "{}");

    EXPECT_EQ(signal_restore(new_engine.handle(), state.data(), static_cast<std::uint64_t>(size)), 0);
    EXPECT_EQ(new_engine.probe().restored_count, 3u);
}

TEST(ExportedSnapshot, ExceptionReturnsNegativeAndIsLoggedAndCounted) {
    FakeHost host;
    const CreatedEngine engine(host, R"({"throw_in_snapshot": true})");
    std::byte buffer[64]{};

    EXPECT_LT(signal_snapshot(engine.handle(), buffer, sizeof buffer), 0);
    EXPECT_EQ(engine.probe().exceptions_caught(), 1u);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_ERROR, "probe: snapshot fails on purpose"));
}

TEST(ExportedRestore, StateTheEngineRefusesReturnsNonZeroAndIsLogged) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");
    const std::byte wrong_size_state[3]{};

    EXPECT_NE(signal_restore(engine.handle(), wrong_size_state, sizeof wrong_size_state), 0);
    EXPECT_TRUE(host.has_log_containing(SIGRUN_LOG_WARN, "restore refused"));
}

TEST(ExportedRestore, NullStateWithNonZeroSizeIsRefused) {
    FakeHost host;
    const CreatedEngine engine(host, "{}");

    EXPECT_NE(signal_restore(engine.handle(), nullptr, 8), 0);
}

// ---- helpers of engine.hpp ----

TEST(FieldText, StopsAtTheFirstNulOrAtTheEndOfAFullField) {
    const char padded[8] = {'B', 'T', 'C', '\0', '\0', '\0', '\0', '\0'};
    const char full[4] = {'A', 'B', 'C', 'D'};

    EXPECT_EQ(sigrun::field_text(padded), "BTC");
    EXPECT_EQ(sigrun::field_text(full), "ABCD");
}

TEST(EngineFromHandle, IsNullForANullHandle) {
    EXPECT_EQ(sigrun::engine_from_handle(nullptr), nullptr);
}

}  // namespace
