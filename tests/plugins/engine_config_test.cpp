// Config parsing of the three engines: defaults, accepted values, and errors
// that name the offending key and say what it accepts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "microprice_config.hpp"
#include "ofi_config.hpp"
#include "trade_flow_config.hpp"

namespace sigrun::plugins {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the std::invalid_argument that parse(json_text) throws, or
// "<no exception>".
template <class Parse>
std::string config_error(Parse parse, const char* json_text) {
    try {
        parse(nlohmann::json::parse(json_text));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "<no exception>";
}

// ---- ofi ----

TEST(OfiConfig, OfiConfig_EmptyObjectGivesOneLevelAndHundredUpdateWindow) {
    const OfiConfig config = parse_ofi_config(nlohmann::json::object());
    EXPECT_EQ(config.levels, 1);
    EXPECT_EQ(config.capacity, 100u);
    EXPECT_EQ(config.span_ns, 0);
}

TEST(OfiConfig, OfiConfig_NullGivesDefaults) {
    EXPECT_EQ(parse_ofi_config(nlohmann::json()).levels, 1);
}

TEST(OfiConfig, OfiConfig_ReadsLevelsAndCountWindow) {
    const OfiConfig config =
        parse_ofi_config(nlohmann::json::parse(R"({"levels": 5, "window_events": 500})"));
    EXPECT_EQ(config.levels, 5);
    EXPECT_EQ(config.capacity, 500u);
    EXPECT_EQ(config.span_ns, 0);
}

TEST(OfiConfig, OfiConfig_TimeWindowHasDefaultCapacityUnlessGiven) {
    const OfiConfig by_default =
        parse_ofi_config(nlohmann::json::parse(R"({"window_ns": 1000000000})"));
    EXPECT_EQ(by_default.span_ns, 1'000'000'000);
    EXPECT_EQ(by_default.capacity, OfiConfig::kDefaultTimeWindowCapacity);
    const OfiConfig given = parse_ofi_config(
        nlohmann::json::parse(R"({"window_ns": 1000000000, "window_capacity": 64})"));
    EXPECT_EQ(given.capacity, 64u);
}

TEST(OfiConfig, OfiConfig_UnknownKeyIsNamedWithTheKnownKeys) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"levls": 2})"),
                AllOf(HasSubstr("ofi config"), HasSubstr("unknown key \"levls\""),
                      HasSubstr("levels, window_events, window_ns, window_capacity")));
}

TEST(OfiConfig, OfiConfig_WrongTypeNamesTheKeyAndTheAcceptedRange) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"levels": "5"})"),
                AllOf(HasSubstr("\"levels\""), HasSubstr("integer from 1 to 10"),
                      HasSubstr("got \"5\"")));
}

TEST(OfiConfig, OfiConfig_LevelsOutOfRangeIsRejected) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"levels": 11})"), HasSubstr("\"levels\""));
    EXPECT_THAT(config_error(parse_ofi_config, R"({"levels": 0})"), HasSubstr("\"levels\""));
    EXPECT_THAT(config_error(parse_ofi_config, R"({"levels": -1})"), HasSubstr("\"levels\""));
}

TEST(OfiConfig, OfiConfig_FloatWindowIsRejectedAsNotAnInteger) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"window_ns": 1e9})"),
                AllOf(HasSubstr("\"window_ns\""), HasSubstr("integer")));
    EXPECT_THAT(config_error(parse_ofi_config, R"({"window_events": 2.5})"),
                HasSubstr("\"window_events\""));
}

TEST(OfiConfig, OfiConfig_BothWindowKindsAreRejected) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"window_events": 10, "window_ns": 100})"),
                AllOf(HasSubstr("\"window_events\""), HasSubstr("\"window_ns\""),
                      HasSubstr("not both")));
}

TEST(OfiConfig, OfiConfig_CapacityWithoutTimeWindowIsRejected) {
    EXPECT_THAT(config_error(parse_ofi_config, R"({"window_capacity": 10})"),
                AllOf(HasSubstr("\"window_capacity\""), HasSubstr("add \"window_ns\"")));
}

TEST(OfiConfig, OfiConfig_NonObjectIsRejected) {
    EXPECT_THAT(config_error(parse_ofi_config, "[1, 2]"),
                AllOf(HasSubstr("ofi config"), HasSubstr("JSON object")));
}

// ---- microprice ----

TEST(MicropriceConfig, MicropriceConfig_EmptyObjectGivesFiveLevels) {
    EXPECT_EQ(parse_microprice_config(nlohmann::json::object()).levels, 5);
}

TEST(MicropriceConfig, MicropriceConfig_ReadsLevels) {
    EXPECT_EQ(parse_microprice_config(nlohmann::json::parse(R"({"levels": 10})")).levels, 10);
}

TEST(MicropriceConfig, MicropriceConfig_UnknownKeyIsNamed) {
    EXPECT_THAT(config_error(parse_microprice_config, R"({"depth": 3})"),
                AllOf(HasSubstr("microprice config"), HasSubstr("unknown key \"depth\""),
                      HasSubstr("known keys: levels")));
}

TEST(MicropriceConfig, MicropriceConfig_WrongTypeOrRangeNamesLevels) {
    EXPECT_THAT(config_error(parse_microprice_config, R"({"levels": true})"),
                AllOf(HasSubstr("\"levels\""), HasSubstr("integer from 1 to 10")));
    EXPECT_THAT(config_error(parse_microprice_config, R"({"levels": 3.0})"),
                HasSubstr("\"levels\""));
    EXPECT_THAT(config_error(parse_microprice_config, R"({"levels": 0})"),
                HasSubstr("\"levels\""));
    EXPECT_THAT(config_error(parse_microprice_config, R"({"levels": 11})"),
                HasSubstr("\"levels\""));
}

// ---- trade_flow ----

TEST(TradeFlowConfig, TradeFlowConfig_EmptyObjectGivesHundredTradeWindow) {
    const TradeFlowConfig config = parse_trade_flow_config(nlohmann::json::object());
    EXPECT_EQ(config.capacity, 100u);
    EXPECT_EQ(config.span_ns, 0);
}

TEST(TradeFlowConfig, TradeFlowConfig_ReadsTimeWindowAndCapacity) {
    const TradeFlowConfig config = parse_trade_flow_config(
        nlohmann::json::parse(R"({"window_ns": 5000000000, "window_capacity": 2000})"));
    EXPECT_EQ(config.span_ns, 5'000'000'000);
    EXPECT_EQ(config.capacity, 2000u);
}

TEST(TradeFlowConfig, TradeFlowConfig_UnknownKeyIsNamed) {
    EXPECT_THAT(config_error(parse_trade_flow_config, R"({"window": 10})"),
                AllOf(HasSubstr("trade_flow config"), HasSubstr("unknown key \"window\""),
                      HasSubstr("window_events, window_ns, window_capacity")));
}

TEST(TradeFlowConfig, TradeFlowConfig_WrongTypeNamesTheKey) {
    EXPECT_THAT(config_error(parse_trade_flow_config, R"({"window_events": "100"})"),
                AllOf(HasSubstr("\"window_events\""), HasSubstr("integer"),
                      HasSubstr("got \"100\"")));
    EXPECT_THAT(config_error(parse_trade_flow_config, R"({"window_ns": 0})"),
                HasSubstr("\"window_ns\""));
}

TEST(TradeFlowConfig, TradeFlowConfig_BothWindowKindsAreRejected) {
    EXPECT_THAT(config_error(parse_trade_flow_config, R"({"window_events": 10, "window_ns": 1})"),
                HasSubstr("not both"));
}

TEST(TradeFlowConfig, TradeFlowConfig_CapacityWithoutTimeWindowIsRejected) {
    EXPECT_THAT(config_error(parse_trade_flow_config, R"({"window_capacity": 10})"),
                HasSubstr("\"window_capacity\""));
}

}  // namespace
}  // namespace sigrun::plugins
