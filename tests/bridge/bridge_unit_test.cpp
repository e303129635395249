// sigrun-bridge without a server: the envelope round trip and its refusals,
// subjects and message ids, the config's defaults and errors.
#include <cstring>

#include <gtest/gtest.h>

#include "bridge_config.hpp"
#include "envelope.hpp"
#include "sigrun/messages.h"

namespace sigrun::bridge {
namespace {

TEST(Envelope, RoundTripKeepsEveryFieldAndThePayload) {
    Envelope e;
    e.journal_created = 1234567890123;
    e.sequence = 42;
    e.msg_type = SIGRUN_MSG_TRADE;
    e.gen_time = 111;
    e.trigger_time = 222;
    e.publish_time = 333;
    const char text[] = "payload bytes";
    std::vector<std::byte> wire;
    encode_frame(e, std::as_bytes(std::span(text)), wire);
    ASSERT_EQ(wire.size(), kEnvelopeSize + sizeof text);
    std::string error;
    const auto d = decode_frame(wire, error);
    ASSERT_TRUE(d) << error;
    EXPECT_EQ(d->envelope.journal_created, e.journal_created);
    EXPECT_EQ(d->envelope.sequence, 42u);
    EXPECT_EQ(d->envelope.msg_type, SIGRUN_MSG_TRADE);
    EXPECT_EQ(d->envelope.length, sizeof text);
    EXPECT_EQ(d->envelope.gen_time, 111);
    EXPECT_EQ(d->envelope.trigger_time, 222);
    EXPECT_EQ(d->envelope.publish_time, 333);
    ASSERT_EQ(d->payload.size(), sizeof text);
    EXPECT_EQ(std::memcmp(d->payload.data(), text, sizeof text), 0);
}

TEST(Envelope, RefusesOtherVersionsTruncationAndForeignMessages) {
    std::vector<std::byte> wire;
    const char text[] = "abc";
    encode_frame(Envelope{}, std::as_bytes(std::span(text)), wire);
    std::string error;
    auto v2 = wire;
    v2[4] = std::byte{2};
    EXPECT_FALSE(decode_frame(v2, error));
    EXPECT_NE(error.find("version 2"), std::string::npos) << error;
    EXPECT_FALSE(decode_frame(std::span(wire).first(wire.size() - 1), error));
    EXPECT_NE(error.find("payload bytes"), std::string::npos) << error;
    const char foreign[] = "hello, this is not a sigrun frame at all, just text sent by someone";
    EXPECT_FALSE(decode_frame(std::as_bytes(std::span(foreign)), error));
    EXPECT_NE(error.find("SGRB"), std::string::npos) << error;
}

TEST(Subjects, NameTypeInstrumentAndEngine) {
    sigrun_trade t{};
    std::strcpy(t.instrument, "BTC.USDT");
    EXPECT_EQ(frame_subject("feed", SIGRUN_MSG_TRADE, std::as_bytes(std::span(&t, 1))), "sigrun.feed.trade.BTC_USDT");
    sigrun_depth d{};
    std::strcpy(d.instrument, "ETHUSDT");
    EXPECT_EQ(frame_subject("feed", SIGRUN_MSG_DEPTH, std::as_bytes(std::span(&d, 1))), "sigrun.feed.depth.ETHUSDT");
    struct {
        sigrun_factor_batch batch;
        sigrun_factor_value value;
    } f{};
    std::strcpy(f.batch.engine, "ofi");
    f.batch.count = 1;
    std::strcpy(f.value.instrument, "BTCUSDT");
    EXPECT_EQ(frame_subject("host1", SIGRUN_MSG_FACTOR_BATCH, std::as_bytes(std::span(&f, 1))),
              "sigrun.host1.factors.ofi.BTCUSDT");
    EXPECT_EQ(frame_subject("x", 999, {}), "sigrun.x.other.999");
    EXPECT_EQ(subject_token("a b*c>d"), "a_b_c_d");
    EXPECT_EQ(subject_token(""), "_");
    EXPECT_EQ(message_id("feed", 17, 5), "feed:17:5");
}

TEST(Config, DefaultsAndRelativePaths) {
    const auto c = parse_config(R"({ "stream": "S", "publish": { "journal": "j/md.journal" },
                                      "create_stream": { "replicas": 3 } })", "test", "/base");
    EXPECT_EQ(c.nats.servers, std::vector<std::string>{"nats://127.0.0.1:4222"});
    ASSERT_TRUE(c.publish);
    EXPECT_EQ(c.publish->journal, std::filesystem::path("/base/j/md.journal"));
    EXPECT_EQ(c.publish->name, "j");  // the journal's folder
    ASSERT_TRUE(c.create_stream);
    EXPECT_EQ(c.create_stream->replicas, 3);
    EXPECT_EQ(c.create_stream->subjects, std::vector<std::string>{"sigrun.j.>"});
    EXPECT_FALSE(c.subscribe);
}

TEST(Config, ErrorsNameTheJsonPath) {
    auto error_of = [](const std::string& text) {
        try {
            parse_config(text, "cfg.json", "/");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of(R"({ "stream": "S", "nats": { "servers": [] } })").find("$.nats.servers"), std::string::npos);
    EXPECT_NE(error_of(R"({ "stream": "S", "nats": { "password": "p" } })").find("$.nats.password"), std::string::npos);
    EXPECT_NE(error_of(R"({ "stream": "S", "publish": { "journal": "x", "max_pending": 0 } })").find("$.publish.max_pending"),
              std::string::npos);
    EXPECT_NE(error_of(R"({ "stream": "S", "subscribe": { "journal_dir": "d", "consumer": "a.b" } })").find("$.subscribe.consumer"),
              std::string::npos);
    EXPECT_NE(error_of(R"({ "stream": "S", "create_stream": {} })").find("$.create_stream.subjects"), std::string::npos);
    EXPECT_NE(error_of(R"({ })").find("$.stream is missing"), std::string::npos);
}

}  // namespace
}  // namespace sigrun::bridge
