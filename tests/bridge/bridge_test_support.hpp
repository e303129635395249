// bridge_test_support.hpp — what the bridge tests share: running
// sigrun-bridge and sigrun, writing configs, reading a stream with a plain
// NATS client, reading journals back.
#pragma once

#include <nats/nats.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bridge_child.hpp"
#include "envelope.hpp"
#include "sigrun/journal/reader.hpp"

namespace sigrun::testing {

// An empty folder for the running test under SIGRUN_TEST_WORK, named by the
// test and this process (so a rerun or a parallel ctest never shares one).
inline std::filesystem::path fresh_test_work_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto dir = std::filesystem::path(SIGRUN_TEST_WORK) / (std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

struct ToolRun {
    int exit_code = -1;
    std::string out, err;
};

// Runs `exe args` to completion (killed after `timeout`: the test fails).
inline ToolRun run_tool(const std::string& exe, const std::vector<std::string>& args, const std::filesystem::path& dir,
                        const std::string& tag, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> argv{exe};
    argv.insert(argv.end(), args.begin(), args.end());
    std::filesystem::remove(dir / (tag + ".out"));
    std::filesystem::remove(dir / (tag + ".err"));
    const auto p = start_child(argv, dir / (tag + ".out"), dir / (tag + ".err"));
    ToolRun r;
    const auto code = p->wait_for(timeout);
    if (!code) {
        p->kill_now();
        ADD_FAILURE() << exe << " " << tag << " did not finish in " << timeout.count() << " s; stderr:\n" << p->err();
    }
    r.exit_code = code ? code->shell_code() : -1;
    r.out = p->out();
    r.err = p->err();
    return r;
}

// One journal frame, copied out.
struct Frame {
    std::uint64_t sequence = 0;
    std::int32_t msg_type = 0;
    std::string payload;
};

inline std::vector<Frame> read_journal(const std::filesystem::path& path) {
    journal::Reader reader(path);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::vector<Frame> frames;
    for (;;) {
        const auto r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status == journal::ReadStatus::lost) {
            ADD_FAILURE() << path << ": " << r.lost << " frames lost while reading";
            continue;
        }
        frames.push_back({r.info.sequence, r.info.msg_type,
                          std::string(reinterpret_cast<const char*>(buffer.data()), r.info.length)});
    }
    return frames;
}

// What a plain NATS client sees in the stream: each message's stream
// sequence, and the journal frame its envelope carries.
struct StreamMessage {
    std::uint64_t stream_sequence = 0;
    bridge::Envelope envelope;
    std::string payload;
};

// A plain JetStream client (no sigrun-bridge code but the envelope decoder):
// a durable pull consumer `consumer` over the whole stream, read until
// `expected` messages arrived or nothing comes for 5 s.
inline std::vector<StreamMessage> consume_stream(const std::vector<std::string>& urls, const std::string& stream,
                                                 const std::string& filter, const std::string& consumer,
                                                 std::size_t expected) {
    std::vector<StreamMessage> got;
    natsOptions* opts = nullptr;
    natsOptions_Create(&opts);
    std::vector<const char*> u;
    for (const auto& s : urls) u.push_back(s.c_str());
    natsOptions_SetServers(opts, u.data(), static_cast<int>(u.size()));
    natsConnection* nc = nullptr;
    natsStatus s = natsConnection_Connect(&nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
        ADD_FAILURE() << "plain client cannot connect: " << natsStatus_GetText(s);
        return got;
    }
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, nc, nullptr);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Config.AckPolicy = js_AckExplicit;
    natsSubscription* sub = nullptr;
    jsErrCode code{};
    s = js_PullSubscribe(&sub, js, filter.c_str(), consumer.c_str(), nullptr, &so, &code);
    if (s != NATS_OK) {
        ADD_FAILURE() << "plain client cannot subscribe: " << natsStatus_GetText(s) << " " << code;
    } else {
        auto idle_since = std::chrono::steady_clock::now();
        while (got.size() < expected && std::chrono::steady_clock::now() - idle_since < std::chrono::seconds(5)) {
            natsMsgList list{};
            natsSubscription_Fetch(&list, sub, 512, 500, nullptr);
            if (list.Count > 0) idle_since = std::chrono::steady_clock::now();
            for (int i = 0; i < list.Count; ++i) {
                jsMsgMetaData* meta = nullptr;
                if (natsMsg_GetMetaData(&meta, list.Msgs[i]) != NATS_OK) continue;
                StreamMessage m;
                m.stream_sequence = meta->Sequence.Stream;
                jsMsgMetaData_Destroy(meta);
                std::string error;
                const auto bytes = std::as_bytes(std::span(natsMsg_GetData(list.Msgs[i]),
                                                           static_cast<std::size_t>(natsMsg_GetDataLength(list.Msgs[i]))));
                const auto frame = bridge::decode_frame(bytes, error);
                if (!frame) {
                    ADD_FAILURE() << "stream message " << m.stream_sequence << ": " << error;
                } else {
                    m.envelope = frame->envelope;
                    m.payload.assign(reinterpret_cast<const char*>(frame->payload.data()), frame->payload.size());
                }
                natsMsg_Ack(list.Msgs[i], nullptr);
                got.push_back(std::move(m));
            }
            natsMsgList_Destroy(&list);
        }
        natsSubscription_Destroy(sub);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return got;
}

// Asserts that `messages` are exactly `frames`, once each, in order: stream
// sequences 1..n without a gap, journal sequences as in the journal.
inline void expect_exactly_once_in_order(const std::vector<StreamMessage>& messages, const std::vector<Frame>& frames) {
    ASSERT_EQ(messages.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(messages[i].stream_sequence, i + 1) << "stream message " << i;
        ASSERT_EQ(messages[i].envelope.sequence, frames[i].sequence) << "stream message " << i + 1;
        ASSERT_EQ(messages[i].envelope.msg_type, frames[i].msg_type) << "stream message " << i + 1;
        ASSERT_EQ(messages[i].payload, frames[i].payload) << "stream message " << i + 1;
    }
}

}  // namespace sigrun::testing
