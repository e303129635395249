// sigrun::Config (sigrun/config.hpp): defaults, ranges, required keys, string
// choices, and the one-line errors a plugin author's user gets for a typo or a
// wrong type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "sigrun/config.hpp"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The ConfigError message of `read(config)` on `json_text`, or "<no error>".
template <class Read>
std::string error_of(const char* json_text, Read read) {
    const nlohmann::json json = nlohmann::json::parse(json_text);
    try {
        sigrun::Config config("spread", json);
        read(config);
        config.finish();
    } catch (const sigrun::ConfigError& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(ConfigReader, AbsentKeysGiveTheirDefaults) {
    const nlohmann::json json = nlohmann::json::object();
    sigrun::Config config("spread", json);
    EXPECT_EQ(config.integer("levels", 5, {1, 10}), 5);
    EXPECT_DOUBLE_EQ(config.number("tick_size", 0.01, {.min = 0.0}), 0.01);
    EXPECT_EQ(config.text("mode", "fast", {"fast", "slow"}), "fast");
    EXPECT_TRUE(config.boolean("verbose", true));
    EXPECT_FALSE(config.has("levels"));
    config.finish();
}

TEST(ConfigReader, NullMeansAllDefaults) {
    const nlohmann::json json;
    sigrun::Config config("spread", json);
    EXPECT_EQ(config.integer("levels", 3), 3);
    config.finish();
}

TEST(ConfigReader, GivenValuesAreReadWithTheirTypes) {
    const nlohmann::json json = nlohmann::json::parse(
        R"({"levels": 7, "tick_size": 0.5, "mode": "slow", "verbose": false, "offset": -3})");
    sigrun::Config config("spread", json);
    EXPECT_EQ(config.integer("levels", 5, {1, 10}), 7);
    EXPECT_DOUBLE_EQ(config.number("tick_size", 0.01), 0.5);
    EXPECT_EQ(config.text("mode", "fast", {"fast", "slow"}), "slow");
    EXPECT_FALSE(config.boolean("verbose", true));
    EXPECT_EQ(config.required_integer("offset", {-10, 10}), -3);
    config.finish();
}

TEST(ConfigReader, AnIntegerGivenForANumberIsANumber) {
    const nlohmann::json json = nlohmann::json::parse(R"({"tick_size": 2})");
    sigrun::Config config("spread", json);
    EXPECT_DOUBLE_EQ(config.number("tick_size", 0.01), 2.0);
}

TEST(ConfigReader, UnknownKeyIsRefusedNamingTheKnownKeys) {
    EXPECT_THAT(error_of(R"({"tick_sise": 0.5})",
                         [](sigrun::Config& c) {
                             c.number("tick_size", 0.01);
                             c.integer("levels", 1);
                         }),
                AllOf(HasSubstr("spread config: unknown key \"tick_sise\""),
                      HasSubstr("known keys: tick_size, levels")));
}

TEST(ConfigReader, KeysDeclaredKnownAreAcceptedUnread) {
    EXPECT_EQ(error_of(R"({"comment": "x"})", [](sigrun::Config& c) { c.known({"comment"}); }), "<no error>");
}

TEST(ConfigReader, WrongTypesNameTheKeyWhatItAcceptsAndWhatItGot) {
    EXPECT_THAT(error_of(R"({"levels": "5"})", [](sigrun::Config& c) { c.integer("levels", 1, {1, 10}, "book levels"); }),
                AllOf(HasSubstr("\"levels\" must be an integer from 1 to 10 (book levels)"), HasSubstr("got \"5\"")));
    EXPECT_THAT(error_of(R"({"levels": 2.5})", [](sigrun::Config& c) { c.integer("levels", 1); }),
                AllOf(HasSubstr("\"levels\" must be an integer"), HasSubstr("got 2.5")));
    EXPECT_THAT(error_of(R"({"tick_size": "0.5"})", [](sigrun::Config& c) { c.number("tick_size", 1.0); }),
                AllOf(HasSubstr("\"tick_size\" must be a number"), HasSubstr("got \"0.5\"")));
    EXPECT_THAT(error_of(R"({"verbose": 1})", [](sigrun::Config& c) { c.boolean("verbose", false); }),
                AllOf(HasSubstr("\"verbose\" must be true or false"), HasSubstr("got 1")));
    EXPECT_THAT(error_of(R"({"mode": 3})", [](sigrun::Config& c) { c.text("mode", "a", {"a", "b"}); }),
                AllOf(HasSubstr("\"mode\" must be a string: one of \"a\", \"b\""), HasSubstr("got 3")));
}

TEST(ConfigReader, OutOfRangeValuesAreRefused) {
    EXPECT_THAT(error_of(R"({"levels": 11})", [](sigrun::Config& c) { c.integer("levels", 1, {1, 10}); }),
                HasSubstr("\"levels\" must be an integer from 1 to 10, got 11"));
    EXPECT_THAT(error_of(R"({"tick_size": -1})", [](sigrun::Config& c) { c.number("tick_size", 1.0, {.min = 0.0}); }),
                HasSubstr("\"tick_size\" must be a number >= 0"));
    EXPECT_THAT(error_of(R"({"mode": "medium"})", [](sigrun::Config& c) { c.text("mode", "a", {"fast", "slow"}); }),
                HasSubstr("\"mode\" must be one of \"fast\", \"slow\", got \"medium\""));
}

TEST(ConfigReader, RequiredKeyMissingSaysWhatToGive) {
    EXPECT_THAT(error_of("{}", [](sigrun::Config& c) { c.required_number("bucket_volume"); }),
                HasSubstr("spread config: \"bucket_volume\" is required: give a number"));
    EXPECT_THAT(error_of("{}", [](sigrun::Config& c) { c.required_text("mode"); }),
                HasSubstr("\"mode\" is required: give a string"));
}

TEST(ConfigReader, NonObjectConfigIsRefused) {
    const nlohmann::json json = nlohmann::json::parse("[1, 2]");
    EXPECT_THROW(sigrun::Config("spread", json), sigrun::ConfigError);
}

}  // namespace
