// Errors a user of sigrun-bridge can cause, each ending in one clear line on
// stderr, a non-zero exit, and no busy loop: an unreachable cluster (retried
// with backoff, then given up), a missing stream, a user without JetStream
// permission (a real nats-server with authorization), config mistakes, a
// journal that cannot be read, a folder holding someone else's journal.
#include <chrono>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bridge_test_support.hpp"
#include "nats_cluster.hpp"
#include "sigrun/journal/writer.hpp"

namespace sigrun::testing {
namespace {

using namespace std::chrono_literals;

class BridgeErrors : public ::testing::Test {
protected:
    void SetUp() override {
        work_ = fresh_test_work_dir();
        // A small journal to publish.
        journal::Writer writer(work_ / "md.journal", journal::WriterOptions{journal::Geometry{64, 256}, 1s});
        const char payload[16] = "frame";
        for (int i = 0; i < 10; ++i) writer.write(103, std::as_bytes(std::span(payload)));
    }
    void TearDown() override {
        if (!HasFailure()) std::filesystem::remove_all(work_);
    }
    std::filesystem::path config(const std::string& nats, const std::string& rest) {
        const auto path = work_ / "bridge.json";
        write_text(path, fmt::format(R"({{ "nats": {}, {} }})", nats, rest));
        return path;
    }
    ToolRun bridge(const std::string& command, const std::filesystem::path& cfg) {
        return run_tool(SIGRUN_BRIDGE, {command, "--config", cfg.string(), "--stop-at-end", "--progress", "0"}, work_, command, 60s);
    }
    std::string publish_part() const {
        return fmt::format(R"("publish": {{ "journal": "{}", "name": "t" }})", (work_ / "md.journal").string());
    }
    // The error line is the last one; the lines before it are log lines.
    static void expect_one_line_error(const ToolRun& r, int code, const std::vector<std::string>& parts) {
        EXPECT_EQ(r.exit_code, code) << r.err;
        const std::string line = last_line(r.err);
        EXPECT_EQ(line.rfind("sigrun-bridge: ", 0), 0u) << r.err;
        for (const auto& p : parts) EXPECT_NE(line.find(p), std::string::npos) << "missing '" << p << "' in: " << line;
    }
    std::filesystem::path work_;
};

TEST_F(BridgeErrors, UnreachableClusterFailsAfterRetriesWithOneLine) {
    const int port = free_loopback_ports(1).front();  // nothing listens there
    const auto url = fmt::format("nats://127.0.0.1:{}", port);
    const auto cfg = config(fmt::format(R"({{ "servers": ["{}"], "connect_attempts": 3, "backoff_initial_ms": 100,
                                             "connect_timeout_ms": 500 }})", url),
                            R"("stream": "S", )" + publish_part());
    const auto started = std::chrono::steady_clock::now();
    const auto r = bridge("publish", cfg);
    const auto took = std::chrono::steady_clock::now() - started;
    expect_one_line_error(r, 1, {"unreachable", url, "after 3 attempts", "start the servers or fix $.nats.servers"});
    // Retried with backoff (100 + 200 ms between the attempts), not given up at once.
    EXPECT_NE(r.err.find("attempt 1; retrying in 100 ms"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("attempt 2; retrying in 200 ms"), std::string::npos) << r.err;
    EXPECT_GE(took, 300ms);
}

TEST_F(BridgeErrors, StreamMissingIsOneLine) {
    NatsCluster node(work_ / "nats", 1, SIGRUN_SINGLE_CONF);
    const auto cfg = config(fmt::format(R"({{ "servers": ["{}"] }})", node.url(0)), R"("stream": "NOPE", )" + publish_part());
    expect_one_line_error(bridge("publish", cfg), 1, {"stream NOPE does not exist", "create_stream"});
    const auto sub = config(fmt::format(R"({{ "servers": ["{}"] }})", node.url(0)),
                            fmt::format(R"("stream": "NOPE", "subscribe": {{ "journal_dir": "{}", "consumer": "c" }})",
                                        (work_ / "in").string()));
    expect_one_line_error(bridge("subscribe", sub), 1, {"stream NOPE does not exist"});
}

TEST_F(BridgeErrors, PermissionDeniedIsOneLine) {
    NatsCluster node(work_ / "nats", 1, SIGRUN_AUTH_CONF, "bridge:bridge-secret@");
    // The allowed user creates the stream and publishes...
    const auto ok = config(fmt::format(R"({{ "servers": ["{}"], "user": "bridge", "password": "bridge-secret" }})", node.url(0)),
                           R"("stream": "S", "create_stream": {}, )" + publish_part());
    const auto published = bridge("publish", ok);
    ASSERT_EQ(published.exit_code, 0) << published.err;
    // ...the other may not use the JetStream API.
    const auto denied = config(fmt::format(R"({{ "servers": ["{}"], "user": "reader", "password": "reader-secret",
                                                "request_timeout_ms": 1000 }})", node.url(0)),
                               R"("stream": "S", )" + publish_part());
    expect_one_line_error(bridge("publish", denied), 1, {"permission denied", "stream S", "Permissions Violation", "authorization"});
    // A wrong password is refused at once, not retried.
    const auto wrong = config(fmt::format(R"({{ "servers": ["{}"], "user": "reader", "password": "nope" }})", node.url(0)),
                              R"("stream": "S", )" + publish_part());
    expect_one_line_error(bridge("publish", wrong), 1, {"refused the connection", "Authorization"});
}

TEST_F(BridgeErrors, ConfigErrorsAreOneLineExitTwo) {
    auto check = [&](const std::string& text, const std::vector<std::string>& parts) {
        write_text(work_ / "bad.json", text);
        expect_one_line_error(bridge("publish", work_ / "bad.json"), 2, parts);
    };
    check(R"({ "stream": "S", "publsh": {} })", {"$.publsh", "not a known key"});
    check(R"({ "stream": "S.X" })", {"$.stream", "may not hold '.'"});
    check(R"({ "nats": { "servers": ["127.0.0.1:4222"] }, "stream": "S" })", {"$.nats.servers", "nats://"});
    check(R"({ "nats": { "credentials": "missing.creds" }, "stream": "S" })", {"$.nats.credentials", "missing.creds", "not a readable file"});
    check(R"({ "nats": { "tls": { "ca": "nope.pem" } }, "stream": "S" })", {"$.nats.tls.ca", "nope.pem"});
    check(R"({ "stream": "S" })", {"$.publish is missing"});
    check(R"({ "stream": "S", "subscribe": { "journal_dir": "x", "consumer": "c", "capacity": 1000 } })",
          {"$.subscribe.capacity", "power of two"});
    check("{ not json", {"not valid JSON"});
}

TEST_F(BridgeErrors, UnreadableJournalIsOneLine) {
    NatsCluster node(work_ / "nats", 1, SIGRUN_SINGLE_CONF);
    const auto cfg = config(fmt::format(R"({{ "servers": ["{}"] }})", node.url(0)),
                            fmt::format(R"("stream": "S", "create_stream": {{}}, "publish": {{ "journal": "{}", "name": "t" }})",
                                        (work_ / "absent.journal").string()));
    expect_one_line_error(bridge("publish", cfg), 1, {"absent.journal", "cannot be published"});
}

TEST_F(BridgeErrors, ForeignJournalFolderIsRefused) {
    NatsCluster node(work_ / "nats", 1, SIGRUN_SINGLE_CONF);
    // A journal nobody wrote through this bridge sits where frames would go.
    std::filesystem::create_directories(work_ / "in");
    std::filesystem::copy_file(work_ / "md.journal", work_ / "in" / "md.journal");
    const auto before = read_journal(work_ / "in" / "md.journal");
    const auto cfg = config(fmt::format(R"({{ "servers": ["{}"] }})", node.url(0)),
                            fmt::format(R"("stream": "S", "create_stream": {{ "subjects": ["sigrun.t.>"] }},
                                           "subscribe": {{ "journal_dir": "{}", "consumer": "c", "capacity": 64, "slot_size": 256 }})",
                                        (work_ / "in").string()));
    expect_one_line_error(bridge("subscribe", cfg), 1, {"already holds 10 frames", "empty folder"});
    // Left untouched.
    const auto after = read_journal(work_ / "in" / "md.journal");
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].payload, before[i].payload);
}

}  // namespace
}  // namespace sigrun::testing
