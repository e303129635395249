// The resume knobs of the config: $.journal.cursor (the cursor's name) and
// $.source.start per source kind; every wrong value is one ConfigError line
// naming the JSON path and what to write instead.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sigrun_test_plugins.hpp>

#include "config.hpp"
#include "consumer_cursor.hpp"

namespace sigrun::runner {
namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

json document(json source) {
    return json{{"journal", {{"dir", "/tmp/j"}}},
                {"source", std::move(source)},
                {"engines", {{{"name", "c"}, {"library", test_plugins::c_minimal}}}}};
}

RunnerConfig parse(const json& d) { return parse_config(d, "/", "runner.json"); }

void expect_error(const json& d, const std::string& path, const std::string& text) {
    try {
        (void)parse(d);
        ADD_FAILURE() << "accepted " << d.dump();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), AllOf(HasSubstr("config runner.json: " + path), HasSubstr(text), Not(HasSubstr("\n"))));
    }
}

TEST(ResumeConfigTest, CursorIsNamedRunnerByDefaultAndLivesInTheJournalFolder) {
    const RunnerConfig c = parse(document({{"kind", "synthetic"}}));
    EXPECT_EQ(c.journal.cursor, "runner");
    EXPECT_EQ(ConsumerCursor::path_for(c.journal.dir, c.journal.cursor), "/tmp/j/runner.cursor");
    EXPECT_EQ(c.source.start, StartPolicy::resume);
    EXPECT_FALSE(c.source.start_given);
}

TEST(ResumeConfigTest, CursorNameIsTaken) {
    json d = document({{"kind", "synthetic"}});
    d["journal"]["cursor"] = "strategy-a_2.v1";
    EXPECT_EQ(parse(d).journal.cursor, "strategy-a_2.v1");
}

TEST(ResumeConfigTest, CursorNameThatIsNoPlainFileNameIsRefused) {
    const std::vector<std::string> bad_names{"", "a/b", "..", ".hidden", "with space", std::string(65, 'x'),
                                             std::string("nul\0x", 5)};
    for (const std::string& bad : bad_names) {
        SCOPED_TRACE(bad);
        json d = document({{"kind", "synthetic"}});
        d["journal"]["cursor"] = bad;
        expect_error(d, "$.journal.cursor", "use 1 to 64 letters, digits, '_', '-' or '.' (not first)");
    }
    json d = document({{"kind", "synthetic"}});
    d["journal"]["cursor"] = 3;
    expect_error(d, "$.journal.cursor", "must be a string");
}

TEST(ResumeConfigTest, StartValuesPerSourceKind) {
    json replay_files = json::array({test_plugins::c_minimal});  // any existing path; not opened by the parser
    const auto start_of = [&](json source) { return parse(document(std::move(source))).source; };
    EXPECT_EQ(start_of({{"kind", "synthetic"}, {"start", "beginning"}}).start, StartPolicy::beginning);
    EXPECT_EQ(start_of({{"kind", "synthetic"}, {"start", "resume"}}).start, StartPolicy::resume);
    EXPECT_TRUE(start_of({{"kind", "synthetic"}, {"start", "resume"}}).start_given);
    EXPECT_EQ(start_of({{"kind", "replay"}, {"files", replay_files}, {"start", "beginning"}}).start,
              StartPolicy::beginning);
    EXPECT_EQ(start_of({{"kind", "journal"}, {"start", "resume"}}).start, StartPolicy::resume);
    EXPECT_EQ(start_of({{"kind", "journal"}, {"start", "end"}}).start, StartPolicy::end);
    EXPECT_EQ(start_of({{"kind", "journal"}, {"start", "oldest"}}).start, StartPolicy::oldest);
}

TEST(ResumeConfigTest, StartThatDoesNotFitTheSourceKindIsRefused) {
    expect_error(document({{"kind", "synthetic"}, {"start", "end"}}), "$.source.start",
                 "is \"end\"; a synthetic source starts with \"resume\"");
    expect_error(document({{"kind", "replay"}, {"files", {test_plugins::c_minimal}}, {"start", "oldest"}}),
                 "$.source.start", "is \"oldest\"; a replay source starts with \"resume\"");
    expect_error(document({{"kind", "journal"}, {"start", "beginning"}}), "$.source.start",
                 "is \"beginning\"; a journal source starts with \"resume\"");
    expect_error(document({{"kind", "journal"}, {"start", true}}), "$.source.start", "must be a string");
}

}  // namespace
}  // namespace sigrun::runner
