// Config validation (runner/src/config.hpp): every mistake a user can make in
// runner.json is a ConfigError whose what() is one line naming the JSON path
// and the fix; a valid file becomes the expected typed values, with relative
// paths resolved against the config file's folder.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sigrun_test_plugins.hpp>

#include "config.hpp"
#include "runner_test_support.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

using runner_test::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A complete, valid document: replay of the committed sample, two engines.
class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        document_ = json{
            {"journal",
             {{"dir", "journal"},
              {"md", {{"capacity", 1024}, {"slot_size", 512}}},
              {"signals", {{"capacity", 2048}, {"slot_size", 256}}},
              {"pin_timeout_ms", 250}}},
            {"source",
             {{"kind", "replay"},
              {"files",
               {runner_test::examples_file("spot_btcusdt_book20.csv.gz"),
                runner_test::examples_file("spot_btcusdt_trades.csv.gz")}},
              {"speed", 2.5}}},
            {"engines",
             {runner_test::engine("c", test_plugins::c_minimal),
              {{"name", "held"}, {"library", test_plugins::holder}, {"config", {{"hold", 3}}}, {"reload", false}}}},
            {"hot_swap", {{"watch", false}, {"warmup_frames", 12}}},
            {"output", {{"print_factors", 4}}},
        };
    }

    [[nodiscard]] RunnerConfig parse() const { return parse_config(document_, dir_.path(), "test.json"); }

    // Parses document_, expects a ConfigError and returns its message after
    // checking the rules every message follows: one line, names the origin.
    [[nodiscard]] std::string parse_error() const {
        try {
            (void)parse();
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
            EXPECT_THAT(what, HasSubstr("test.json"));
            return what;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
            return {};
        }
        ADD_FAILURE() << "expected ConfigError, the document parsed:\n" << document_.dump(2);
        return {};
    }

    json document_;
    testing::TempDir dir_;
};

// ---- a valid config ----

TEST_F(ConfigTest, ValidDocumentParsesIntoTypedValues) {
    // given the complete document of the fixture; when it is parsed
    const RunnerConfig c = parse();

    // then every value arrives typed, none defaulted
    EXPECT_EQ(c.journal.dir, dir_.path() / "journal");
    EXPECT_EQ(c.journal.md.capacity, 1024u);
    EXPECT_EQ(c.journal.md.slot_size, 512u);
    EXPECT_EQ(c.journal.signals.capacity, 2048u);
    EXPECT_EQ(c.journal.signals.slot_size, 256u);
    EXPECT_EQ(c.journal.pin_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(c.source.kind, SourceKind::replay);
    ASSERT_EQ(c.source.files.size(), 2u);
    EXPECT_EQ(c.source.files[1], runner_test::examples_file("spot_btcusdt_trades.csv.gz"));
    EXPECT_DOUBLE_EQ(c.source.speed, 2.5);
    ASSERT_EQ(c.engines.size(), 2u);
    EXPECT_EQ(c.engines[0].name, "c");
    EXPECT_EQ(c.engines[0].library, test_plugins::c_minimal);
    EXPECT_EQ(json::parse(c.engines[0].config_json), json::object());
    EXPECT_TRUE(c.engines[0].reload);
    EXPECT_EQ(c.engines[1].name, "held");
    EXPECT_EQ(json::parse(c.engines[1].config_json), (json{{"hold", 3}}));
    EXPECT_FALSE(c.engines[1].reload);
    EXPECT_FALSE(c.hot_swap.watch);
    EXPECT_EQ(c.hot_swap.warmup_frames, 12u);
    EXPECT_EQ(c.output.print_factors, 4u);
}

TEST_F(ConfigTest, OptionalSectionsTakeTheDocumentedDefaults) {
    // given only the required keys
    document_ = json{{"journal", {{"dir", "j"}}},
                     {"source", {{"kind", "synthetic"}}},
                     {"engines", {{{"name", "c"}, {"library", test_plugins::c_minimal}}}}};
    // when parsed
    const RunnerConfig c = parse();
    // then the defaults of config.hpp apply
    const RunnerConfig defaults;
    EXPECT_EQ(c.journal.md.capacity, JournalConfig{}.md.capacity);
    EXPECT_EQ(c.journal.md.slot_size, JournalConfig{}.md.slot_size);
    EXPECT_EQ(c.journal.signals.capacity, JournalConfig{}.signals.capacity);
    EXPECT_EQ(c.journal.pin_timeout, JournalConfig{}.pin_timeout);
    EXPECT_EQ(c.source.kind, SourceKind::synthetic);
    EXPECT_EQ(c.source.synthetic.seed, market_data::SyntheticConfig{}.seed);
    EXPECT_EQ(c.source.synthetic.events, market_data::SyntheticConfig{}.events);
    EXPECT_EQ(c.engines[0].config_json, "{}");
    EXPECT_TRUE(c.engines[0].reload);
    EXPECT_EQ(c.hot_swap.watch, defaults.hot_swap.watch);
    EXPECT_EQ(c.output.print_factors, defaults.output.print_factors);
}

TEST_F(ConfigTest, TimerMsIsAnEnginesTimerIntervalAndAbsentMeansNoTimer) {
    document_["engines"][0]["timer_ms"] = 250;
    const RunnerConfig c = parse();
    EXPECT_EQ(c.engines[0].timer_ms, 250);
    EXPECT_EQ(c.engines[1].timer_ms, 0);
}

TEST_F(ConfigTest, TimerMsThatIsNotAnIntegerFrom1ToADayIsAnErrorNamingTheKeyAndTheFix) {
    for (const json& bad : {json(0), json(-5), json(1.5), json("1000"), json(86'400'001), json(true),
                            json(18446744073709551615ULL)}) {
        document_["engines"][1]["timer_ms"] = bad;
        EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.engines[1].timer_ms is " + bad.dump() + ";"),
                                         HasSubstr("use an integer from 1 to 86400000"),
                                         HasSubstr("or leave it out for no timer")))
            << bad.dump();
    }
}

TEST_F(ConfigTest, SyntheticSourceTakesSeedEventsAndInstrument) {
    document_["source"] = {{"kind", "synthetic"}, {"seed", 99}, {"events", 123456}, {"instrument", "ETHUSD"}};
    const RunnerConfig c = parse();
    EXPECT_EQ(c.source.kind, SourceKind::synthetic);
    EXPECT_EQ(c.source.synthetic.seed, 99u);
    EXPECT_EQ(c.source.synthetic.events, 123456u);
    EXPECT_EQ(c.source.synthetic.instrument, "ETHUSD");
}

TEST_F(ConfigTest, JournalSourceTakesItsStartPosition) {
    document_["source"] = {{"kind", "journal"}, {"start", "oldest"}};
    EXPECT_EQ(parse().source.start, StartPolicy::oldest);
    EXPECT_TRUE(parse().source.start_given);
    document_["source"] = {{"kind", "journal"}};
    EXPECT_EQ(parse().source.start, StartPolicy::resume);
    EXPECT_FALSE(parse().source.start_given);
}

TEST_F(ConfigTest, LoadConfigResolvesRelativePathsAgainstTheConfigFolder) {
    // given a config in <tmp>/conf/ naming a journal folder, a data file and
    // a library by relative paths, loaded from another working directory
    const auto conf_dir = dir_.path() / "conf";
    std::filesystem::create_directories(conf_dir / "data");
    std::filesystem::create_directories(conf_dir / "plugins");
    std::filesystem::copy_file(runner_test::examples_file("spot_btcusdt_trades.csv.gz"),
                               conf_dir / "data" / "trades.csv.gz");
    std::filesystem::copy_file(test_plugins::c_minimal, conf_dir / "plugins" / "libc.so");
    document_["journal"]["dir"] = "out/journal";
    document_["source"]["files"] = {"data/trades.csv.gz"};
    document_["engines"] = {runner_test::engine("c", "plugins/libc.so")};
    runner_test::write_json(conf_dir / "runner.json", document_);

    // when loaded
    const RunnerConfig c = load_config(conf_dir / "runner.json");

    // then every path is absolute under the config's folder
    EXPECT_EQ(c.journal.dir, conf_dir / "out" / "journal");
    ASSERT_EQ(c.source.files.size(), 1u);
    EXPECT_EQ(c.source.files[0], conf_dir / "data" / "trades.csv.gz");
    EXPECT_EQ(c.engines[0].library, conf_dir / "plugins" / "libc.so");
    EXPECT_EQ(c.source_file, conf_dir / "runner.json");
}

// ---- unknown keys, at every level ----

struct UnknownKeyCase {
    const char* where;        // a JSON pointer to the object that gets the key
    const char* json_path;    // what the message must name
};

class ConfigUnknownKeyTest : public ConfigTest, public ::testing::WithParamInterface<UnknownKeyCase> {};

TEST_P(ConfigUnknownKeyTest, IsAnErrorNamingItsJsonPathAndTheKnownKeys) {
    // given a key nobody reads, in the object at `where`
    document_[json::json_pointer(GetParam().where)]["colour"] = "blue";
    // when parsed, then the message names the key's path and says what is known
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr(GetParam().json_path));
    EXPECT_THAT(what, HasSubstr("is not a known key; known keys here:"));
}

INSTANTIATE_TEST_SUITE_P(
    EveryLevel, ConfigUnknownKeyTest,
    ::testing::Values(UnknownKeyCase{"", "$.colour"}, UnknownKeyCase{"/journal", "$.journal.colour"},
                      UnknownKeyCase{"/journal/md", "$.journal.md.colour"},
                      UnknownKeyCase{"/journal/signals", "$.journal.signals.colour"},
                      UnknownKeyCase{"/source", "$.source.colour"},
                      UnknownKeyCase{"/engines/1", "$.engines[1].colour"},
                      UnknownKeyCase{"/hot_swap", "$.hot_swap.colour"},
                      UnknownKeyCase{"/output", "$.output.colour"}),
    [](const auto& p) {
        std::string name = p.param.json_path;
        for (char& ch : name) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        }
        return name;
    });

TEST_F(ConfigTest, UnknownKeyMessageListsTheKeysThatAreKnownThere) {
    document_["journal"]["pin_timeout"] = 5;  // a typo of pin_timeout_ms
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.journal.pin_timeout "), HasSubstr("pin_timeout_ms")));
}

// ---- wrong types ----

struct WrongTypeCase {
    const char* pointer;   // the value replaced
    const char* value;     // JSON text of the wrong value
    const char* json_path;
    const char* expected;  // what the message says the value must be
};

class ConfigWrongTypeTest : public ConfigTest, public ::testing::WithParamInterface<WrongTypeCase> {};

TEST_P(ConfigWrongTypeTest, IsAnErrorNamingThePathAndTheExpectedType) {
    document_[json::json_pointer(GetParam().pointer)] = json::parse(GetParam().value);
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr(GetParam().json_path));
    EXPECT_THAT(what, HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, ConfigWrongTypeTest,
    ::testing::Values(
        WrongTypeCase{"/journal/dir", "42", "$.journal.dir", "must be a string"},
        WrongTypeCase{"/journal/pin_timeout_ms", "\"1s\"", "$.journal.pin_timeout_ms", "must be a non-negative integer"},
        WrongTypeCase{"/journal/pin_timeout_ms", "-5", "$.journal.pin_timeout_ms", "must be a non-negative integer"},
        WrongTypeCase{"/journal/pin_timeout_ms", "2.5", "$.journal.pin_timeout_ms", "must be a non-negative integer"},
        WrongTypeCase{"/journal/md", "[4096, 512]", "$.journal.md", "must be an object"},
        WrongTypeCase{"/journal/md/capacity", "\"4096\"", "$.journal.md.capacity", "must be a non-negative integer"},
        WrongTypeCase{"/journal", "\"journal\"", "$.journal", "must be an object"},
        WrongTypeCase{"/source/kind", "1", "$.source.kind", "must be a string"},
        WrongTypeCase{"/source/speed", "\"fast\"", "$.source.speed", "must be a number"},
        WrongTypeCase{"/source/files", "\"a.csv.gz\"", "$.source.files", "must be a non-empty array"},
        WrongTypeCase{"/source/files/1", "7", "$.source.files[1]", "must be a string"},
        WrongTypeCase{"/engines", "{}", "$.engines", "must be a non-empty array"},
        WrongTypeCase{"/engines", "[]", "$.engines", "must be a non-empty array"},
        WrongTypeCase{"/engines/1", "\"holder\"", "$.engines[1]", "must be an object"},
        WrongTypeCase{"/engines/1/config", "[1, 2]", "$.engines[1].config", "must be an object"},
        WrongTypeCase{"/engines/1/config", "\"{\\\"hold\\\": 3}\"", "$.engines[1].config", "must be an object"},
        WrongTypeCase{"/engines/0/name", "null", "$.engines[0].name", "must be a string"},
        WrongTypeCase{"/engines/0/reload", "\"yes\"", "$.engines[0].reload", "must be true or false"},
        WrongTypeCase{"/engines/0/instruments", "\"BTCUSDT\"", "$.engines[0].instruments",
                      "must be a non-empty array of instrument names"},
        WrongTypeCase{"/engines/0/instruments", "[]", "$.engines[0].instruments",
                      "must be a non-empty array of instrument names"},
        WrongTypeCase{"/engines/0/instruments", "[\"\"]", "$.engines[0].instruments",
                      "of 1 to 32 characters"},
        WrongTypeCase{"/engines/0/allow_replace_with", "\"org.x.y\"", "$.engines[0].allow_replace_with",
                      "must be an array of plugin ids"},
        WrongTypeCase{"/engines/0/allow_replace_with", "[\"org.x.y\", 3]", "$.engines[0].allow_replace_with",
                      "must be an array of plugin ids"},
        WrongTypeCase{"/hot_swap/watch", "1", "$.hot_swap.watch", "must be true or false"},
        WrongTypeCase{"/hot_swap/warmup_frames", "-1", "$.hot_swap.warmup_frames", "must be a non-negative integer"},
        WrongTypeCase{"/output/print_factors", "true", "$.output.print_factors", "must be a non-negative integer"}),
    [](const auto& p) { return "case_" + std::to_string(p.index); });

TEST_F(ConfigTest, AllowReplaceWithListsPluginIds) {
    document_["engines"][0]["allow_replace_with"] = json::array({"org.example.a", "legacy_name"});
    const RunnerConfig config = parse();
    EXPECT_EQ(config.engines[0].allow_replace_with, (std::vector<std::string>{"org.example.a", "legacy_name"}));
    EXPECT_TRUE(config.engines[1].allow_replace_with.empty());
}

TEST_F(ConfigTest, DocumentThatIsNotAnObjectIsAnErrorNamingTheRoot) {
    document_ = json::array({1, 2});
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$ "), HasSubstr("must be an object")));
}

TEST_F(ConfigTest, UnknownSourceKindIsAnErrorListingTheKinds) {
    document_["source"]["kind"] = "kafka";
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.source.kind"), HasSubstr("\"replay\", \"synthetic\" or \"journal\"")));
}

TEST_F(ConfigTest, DuplicateEngineNameIsAnErrorNamingTheSecondOne) {
    document_["engines"][1]["name"] = "c";
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.engines[1].name"), HasSubstr("must be unique")));
}

TEST_F(ConfigTest, EmptyEngineNameIsAnError) {
    document_["engines"][0]["name"] = "";
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.engines[0].name"), HasSubstr("must not be empty")));
}

TEST_F(ConfigTest, EngineNameLongerThanTheFactorFieldIsAnError) {
    document_["engines"][0]["name"] = std::string(SIGRUN_NAME_LEN, 'x');
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.engines[0].name"), HasSubstr("shorten it")));
}

TEST_F(ConfigTest, NegativeReplaySpeedIsAnError) {
    document_["source"]["speed"] = -1.0;
    EXPECT_THAT(parse_error(), AllOf(HasSubstr("$.source.speed"), HasSubstr("positive pace factor")));
}

// ---- missing required keys ----

struct MissingCase {
    const char* parent;  // JSON pointer of the object losing the key
    const char* key;
    const char* json_path;
};

class ConfigMissingKeyTest : public ConfigTest, public ::testing::WithParamInterface<MissingCase> {};

TEST_P(ConfigMissingKeyTest, IsAnErrorNamingThePathAndSayingAddIt) {
    document_[json::json_pointer(GetParam().parent)].erase(GetParam().key);
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr(GetParam().json_path));
    EXPECT_THAT(what, HasSubstr("is missing; add it"));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRequiredKey, ConfigMissingKeyTest,
    ::testing::Values(MissingCase{"", "journal", "$.journal"}, MissingCase{"/journal", "dir", "$.journal.dir"},
                      MissingCase{"", "source", "$.source"}, MissingCase{"/source", "kind", "$.source.kind"},
                      MissingCase{"/source", "files", "$.source.files"}, MissingCase{"", "engines", "$.engines"},
                      MissingCase{"/engines/1", "name", "$.engines[1].name"},
                      MissingCase{"/engines/1", "library", "$.engines[1].library"}),
    [](const auto& p) {
        std::string name = p.param.json_path;
        for (char& ch : name) {
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        }
        return name;
    });

// ---- bad geometry ----

struct GeometryCase {
    const char* ring;  // "md" or "signals"
    std::uint64_t capacity;
    std::uint64_t slot_size;
    const char* json_path;
    const char* fix;
};

class ConfigGeometryTest : public ConfigTest, public ::testing::WithParamInterface<GeometryCase> {};

TEST_P(ConfigGeometryTest, IsAnErrorNamingTheFieldAndAValidValue) {
    document_["journal"][GetParam().ring] = {{"capacity", GetParam().capacity}, {"slot_size", GetParam().slot_size}};
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr(GetParam().json_path));
    EXPECT_THAT(what, HasSubstr(GetParam().fix));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, ConfigGeometryTest,
    ::testing::Values(
        GeometryCase{"md", 1000, 512, "$.journal.md.capacity", "use a power of two"},
        GeometryCase{"md", 0, 512, "$.journal.md.capacity", "use a power of two"},
        GeometryCase{"signals", journal::kMaxCapacity * 2, 256, "$.journal.signals.capacity", "use a power of two"},
        GeometryCase{"md", 4096, 500, "$.journal.md.slot_size", "use a multiple of 64"},
        GeometryCase{"md", 4096, 64, "$.journal.md.slot_size", "use a multiple of 64"},
        GeometryCase{"md", 4096, std::uint64_t{1} << 21, "$.journal.md.slot_size", "use a multiple of 64"},
        // valid journal geometry, too small for the messages the runner writes
        GeometryCase{"md", 4096, 128, "$.journal.md.slot_size", "market-data frames need at least"},
        GeometryCase{"signals", 4096, 128, "$.journal.signals.slot_size", "factor frames need at least"}),
    [](const auto& p) { return "case_" + std::to_string(p.index); });

TEST_F(ConfigTest, SlotSizeThatWrapsAround32BitsIsAnErrorNotATruncation) {
    // 2^32 + 512 would become 512 if cast to uint32 before the check
    document_["journal"]["md"]["slot_size"] = (std::uint64_t{1} << 32) + 512;
    EXPECT_THAT(parse_error(), HasSubstr("$.journal.md.slot_size"));
}

TEST_F(ConfigTest, WarmupFramesThatDoNotFitInTheMdRingAreAnErrorNamingBoth) {
    // the feed keeps warmup_frames dispatched frames in the ring for a swap
    document_["hot_swap"]["warmup_frames"] = 1024;  // == journal.md.capacity
    const std::string what = parse_error();
    EXPECT_THAT(what, AllOf(HasSubstr("$.hot_swap.warmup_frames"), HasSubstr("1024"),
                            HasSubstr("$.journal.md.capacity")));
    document_["hot_swap"]["warmup_frames"] = 1023;
    EXPECT_EQ(parse().hot_swap.warmup_frames, 1023u);
}

// ---- files the config names ----

TEST_F(ConfigTest, MissingLibraryFileIsAnErrorNamingTheEngineAndThePath) {
    document_["engines"][1]["library"] = "plugins/libgone.so";
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr("$.engines[1].library"));
    EXPECT_THAT(what, HasSubstr((dir_.path() / "plugins" / "libgone.so").string()));
    EXPECT_THAT(what, HasSubstr("build the plugin or fix the path"));
}

TEST_F(ConfigTest, MissingDataFileIsAnErrorNamingTheFileEntry) {
    document_["source"]["files"][1] = "data/missing.csv.gz";
    const std::string what = parse_error();
    EXPECT_THAT(what, HasSubstr("$.source.files[1]"));
    EXPECT_THAT(what, HasSubstr((dir_.path() / "data" / "missing.csv.gz").string()));
    EXPECT_THAT(what, HasSubstr("fix the path"));
}

// ---- the file itself ----

class LoadConfigTest : public ConfigTest {
protected:
    [[nodiscard]] std::string load_error(const std::filesystem::path& path) const {
        try {
            (void)load_config(path);
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
            EXPECT_THAT(what, HasSubstr(path.string()));
            return what;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
            return {};
        }
        ADD_FAILURE() << "expected ConfigError, " << path << " loaded";
        return {};
    }
};

TEST_F(LoadConfigTest, MissingFileIsAnErrorSayingNoSuchFile) {
    EXPECT_THAT(load_error(dir_ / "nope.json"), AllOf(HasSubstr("no such file"), HasSubstr("--config")));
}

TEST_F(LoadConfigTest, InvalidJsonSyntaxIsAnErrorOnOneLineSayingFixTheSyntax) {
    // given a file with a trailing comma and a second, broken line
    const auto path = dir_ / "broken.json";
    std::ofstream(path) << "{\n  \"journal\": {\"dir\": \"j\"},\n  \"source\": ,\n}\n";
    EXPECT_THAT(load_error(path), AllOf(HasSubstr("is not valid JSON"), HasSubstr("fix the syntax")));
}

TEST_F(LoadConfigTest, EmptyFileIsAnErrorSayingItIsNotValidJson) {
    const auto path = dir_ / "empty.json";
    std::ofstream{path};
    EXPECT_THAT(load_error(path), HasSubstr("is not valid JSON"));
}

TEST_F(LoadConfigTest, ErrorsInsideTheFileNameTheFileAndTheJsonPath) {
    document_["engines"][1]["config"] = json::array();
    const auto path = dir_ / "runner.json";
    runner_test::write_json(path, document_);
    EXPECT_THAT(load_error(path), HasSubstr("$.engines[1].config"));
}

// Runs `body` as an unprivileged user when this test runs as root (root reads
// any file, so "unreadable" needs another user); returns body's message.
template <typename Body>
std::string as_unprivileged_user(Body body) {
    if (::geteuid() != 0) return body();
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        std::string message = (::setgid(65534) == 0 && ::setuid(65534) == 0) ? body() : "setuid failed";
        (void)!::write(fds[1], message.data(), message.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string message;
    char buffer[512];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return message;
}

std::string config_error_of(const std::filesystem::path& path) {
    try {
        (void)load_config(path);
        return "loaded";
    } catch (const ConfigError& e) {
        return std::string("ConfigError: ") + e.what();
    } catch (const std::exception& e) {
        return std::string("other exception: ") + e.what();
    }
}

TEST_F(LoadConfigTest, UnreadableFileIsAnErrorSayingPermissionDenied) {
    // given a valid config file nobody may read, in a folder anyone may enter
    const auto path = dir_ / "secret.json";
    runner_test::write_json(path, document_);
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    std::filesystem::permissions(path, std::filesystem::perms::none);
    // when a normal user loads it
    const std::string what = as_unprivileged_user([&] { return config_error_of(path); });
    // then
    EXPECT_THAT(what, HasSubstr("ConfigError: "));
    EXPECT_THAT(what, AllOf(HasSubstr(path.string()), HasSubstr("cannot be read"), HasSubstr("permission denied")));
    EXPECT_THAT(what, Not(HasSubstr("\n")));
}

TEST_F(LoadConfigTest, ConfigInAFolderTheUserCannotEnterIsAConfigError) {
    // given a config file inside a folder with no permissions for others
    const auto locked = dir_ / "locked";
    std::filesystem::create_directories(locked);
    const auto path = locked / "runner.json";
    runner_test::write_json(path, document_);
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    // when a normal user loads it, then it is a ConfigError (not a
    // std::filesystem_error escaping from the existence check)
    const std::string what = as_unprivileged_user([&] { return config_error_of(path); });
    EXPECT_THAT(what, HasSubstr("ConfigError: "));
    EXPECT_THAT(what, AllOf(HasSubstr(path.string()), HasSubstr("cannot be read")));
}

TEST_F(ConfigTest, LibraryInAFolderTheUserCannotEnterIsAConfigErrorNamingTheEngine) {
    // given a library path inside a folder with no permissions for others
    const auto locked = dir_ / "locked";
    std::filesystem::create_directories(locked);
    std::filesystem::copy_file(test_plugins::c_minimal, locked / "libc.so");
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    document_["engines"][1]["library"] = (locked / "libc.so").string();
    // and everything else the config names where that user can reach it:
    // the checkout may live under a folder others cannot enter (root's home)
    std::filesystem::copy_file(test_plugins::c_minimal, dir_ / "libreachable.so");
    document_["engines"][0]["library"] = (dir_ / "libreachable.so").string();
    document_["source"] = {{"kind", "synthetic"}, {"seed", 1}, {"events", 10}};
    // when a normal user parses the config, then it is a ConfigError naming
    // the engine's library entry (not a std::filesystem_error from exists())
    const std::string what = as_unprivileged_user([&]() -> std::string {
        try {
            (void)parse_config(document_, dir_.path(), "test.json");
            return "parsed";
        } catch (const ConfigError& e) {
            return std::string("ConfigError: ") + e.what();
        } catch (const std::exception& e) {
            return std::string("other exception: ") + e.what();
        }
    });
    EXPECT_THAT(what, AllOf(HasSubstr("ConfigError: "), HasSubstr("$.engines[1].library")));
}

TEST_F(LoadConfigTest, DirectoryGivenAsConfigIsAnErrorNamingIt) {
    const std::string what = load_error(dir_.path());
    EXPECT_THAT(what, HasSubstr(dir_.path().string()));
}

}  // namespace
}  // namespace sigrun::runner
