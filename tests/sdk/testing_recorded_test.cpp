// sigrun::testing's recorded data (sigrun/testing/recorded.hpp): the bundled
// sample read from its CSVs and from an md.journal written the way the
// runner's feed writes it, fed to a test plugin, and the one-line refusals
// of a missing CSV, a missing journal and a signals.journal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sigrun_test_plugins.hpp>

#include "sigrun/journal/error.hpp"
#include "sigrun/journal/writer.hpp"
#include "sigrun/market_data/data_error.hpp"
#include "sigrun/testing.hpp"
#include "sigrun/testing/recorded.hpp"
#include "temp_dir.hpp"

namespace {

namespace test_plugins = sigrun::test_plugins;
using sigrun::testing::Harness;
using sigrun::testing::Message;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::filesystem::path kData = SIGRUN_EXAMPLES_DATA_DIR;
const std::filesystem::path kBook = kData / "spot_btcusdt_book20.csv.gz";
const std::filesystem::path kTrades = kData / "spot_btcusdt_trades.csv.gz";

// Every message into a new md.journal of `capacity` slots, as the runner's
// feed writes them (type, the struct, the receive time as trigger time).
void write_journal(const std::filesystem::path& path, const std::vector<Message>& messages, std::uint64_t capacity) {
    sigrun::journal::Writer md(path, sigrun::journal::WriterOptions{sigrun::journal::Geometry{capacity, 512},
                                                                    std::chrono::milliseconds(0)});
    for (const Message& m : messages) {
        md.write(m.event.type(),
                 std::span(static_cast<const std::byte*>(m.event.payload()), m.event.payload_size()),
                 m.event.receive_time_ns());
    }
}

bool same_bytes(const Message& a, const Message& b) {
    return a.event.type() == b.event.type() && a.event.payload_size() == b.event.payload_size() &&
           std::memcmp(a.event.payload(), b.event.payload(), a.event.payload_size()) == 0;
}

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(TestingRecorded, ReadCsvGivesTheSampleInReceiveOrderNamedFromTheFiles) {
    const std::vector<Message> messages = sigrun::testing::read_csv(kBook, kTrades);
    std::size_t depths = 0;
    std::size_t trades = 0;
    std::int64_t last = 0;
    for (const Message& m : messages) {
        EXPECT_GE(m.event.receive_time_ns(), last);
        last = m.event.receive_time_ns();
        EXPECT_EQ(m.sequence, 0u) << "CSV rows have no md sequence: the harness numbers them";
        const char* instrument = m.event.is_depth() ? m.event.depth().instrument : m.event.trade().instrument;
        EXPECT_STREQ(instrument, "BTCUSDT");
        (m.event.is_depth() ? depths : trades)++;
    }
    // The row counts examples/data/SOURCE.md gives for the two files.
    EXPECT_EQ(depths, 1793u);
    EXPECT_EQ(trades, 3222u);
}

TEST(TestingRecorded, FeedNumbersCsvMessagesLikeTheRunnerAndReturnsWhatTheyEmitted) {
    const std::vector<Message> messages = sigrun::testing::read_csv(kBook, kTrades);
    auto engine = Harness::load(test_plugins::c_minimal);
    const auto out = sigrun::testing::feed(engine, messages);
    // c_minimal emits the mid of each book and the price of each trade.
    ASSERT_EQ(out.size(), messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto& e = messages[i].event;
        const double expected =
            e.is_depth() ? (e.depth().bid_price[0] + e.depth().ask_price[0]) / 2.0 : e.trade().price;
        ASSERT_EQ(out[i].source_sequence, i + 1);
        ASSERT_EQ(out[i].source_receive_time_ns, e.receive_time_ns());
        ASSERT_DOUBLE_EQ(out[i].value, expected) << "message " << i;
    }
}

TEST(TestingRecorded, ReadJournalGivesTheFramesTheFeedWroteWithTheirSequences) {
    const sigrun::testing::TempDir dir;
    const std::vector<Message> csv = sigrun::testing::read_csv(kBook, kTrades);
    write_journal(dir / "md.journal", csv, 8192);
    const std::vector<Message> journal = sigrun::testing::read_journal(dir / "md.journal");
    ASSERT_EQ(journal.size(), csv.size());
    for (std::size_t i = 0; i < csv.size(); ++i) {
        ASSERT_TRUE(same_bytes(journal[i], csv[i])) << "message " << i;
        ASSERT_EQ(journal[i].sequence, i + 1);
    }
}

TEST(TestingRecorded, AWrappedJournalFeedsItsLastFramesStampedWithTheirOwnSequences) {
    const sigrun::testing::TempDir dir;
    const std::vector<Message> csv = sigrun::testing::read_csv(kBook, kTrades);
    write_journal(dir / "md.journal", csv, 1024);  // keeps the last 1024 frames
    const std::vector<Message> journal = sigrun::testing::read_journal(dir / "md.journal");
    ASSERT_EQ(journal.size(), 1024u);
    const std::size_t first = csv.size() - 1024;
    EXPECT_EQ(journal.front().sequence, first + 1);
    EXPECT_TRUE(same_bytes(journal.front(), csv[first]));

    auto engine = Harness::load(test_plugins::c_minimal);
    const auto out = sigrun::testing::feed(engine, journal);
    ASSERT_EQ(out.size(), journal.size());
    EXPECT_EQ(out.front().source_sequence, first + 1);
    EXPECT_EQ(out.back().source_sequence, csv.size());
}

TEST(TestingRecorded, AMissingCsvIsOneLineNamingTheFile) {
    const std::string error = error_of([] { sigrun::testing::read_csv(kData / "nope_book20.csv.gz", kTrades); });
    EXPECT_THAT(error, AllOf(HasSubstr("nope_book20.csv.gz"), HasSubstr("file not found"), HasSubstr("fix:")));
    EXPECT_EQ(error.find('\n'), std::string::npos);
    EXPECT_THROW(sigrun::testing::read_csv(kData / "nope_book20.csv.gz", kTrades), sigrun::market_data::DataError);
}

TEST(TestingRecorded, AMissingJournalIsOneLineNamingIt) {
    const sigrun::testing::TempDir dir;
    const std::string error = error_of([&] { sigrun::testing::read_journal(dir / "md.journal"); });
    EXPECT_THAT(error, HasSubstr((dir / "md.journal").string()));
    EXPECT_EQ(error.find('\n'), std::string::npos);
    EXPECT_THROW(sigrun::testing::read_journal(dir / "md.journal"), sigrun::journal::JournalError);
}

TEST(TestingRecorded, ASignalsJournalIsRefusedNamingTheFrameAndTheFix) {
    const sigrun::testing::TempDir dir;
    {
        sigrun::journal::Writer signals(dir / "signals.journal",
                                        sigrun::journal::WriterOptions{sigrun::journal::Geometry{64, 256},
                                                                       std::chrono::milliseconds(0)});
        const sigrun_factor_batch batch{};
        signals.write_message(SIGRUN_MSG_FACTOR_BATCH, batch);
    }
    const std::string error = error_of([&] { sigrun::testing::read_journal(dir / "signals.journal"); });
    EXPECT_THAT(error, AllOf(HasSubstr("signals.journal: frame 1 has message type 202"),
                             HasSubstr("pass an md.journal")));
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

}  // namespace
