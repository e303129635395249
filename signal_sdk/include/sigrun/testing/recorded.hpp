// sigrun/testing/recorded.hpp — recorded market data for sigrun::testing:
// the messages of the sample CSVs or of an md.journal, in the order the
// runner would hand them to an engine, and feeding them to a Harness.
// Compiled code: link sigrun::testing (find_package(sigrun) provides it).
//
//     #include <sigrun/testing.hpp>
//     #include <sigrun/testing/recorded.hpp>
//
//     TEST(Spread, FollowsTheRealBook) {
//         auto engine = sigrun::testing::Harness::load("libspread.so", R"({"tick_size": 0.01})");
//         const auto messages = sigrun::testing::read_csv("spot_btcusdt_book20.csv.gz",
//                                                         "spot_btcusdt_trades.csv.gz");
//         const auto out = sigrun::testing::feed(engine, messages);
//         // ... compare `out` with values computed independently from `messages`
//     }
//
// Same code as the runner, so the engine sees what it would see there:
//   - read_csv uses the runner's replay source (sigrun::market_data): the
//     derived Binance CSV.gz formats, rows merged in receive-time order (a
//     depth before a trade of the same time, then the file given first),
//     instrument and exchange from the file name;
//   - read_journal uses journal::Reader: every frame still in the journal,
//     oldest first, keeping its md sequence, so what the engine emits is
//     stamped with the sequences the runner would stamp.
// Errors are one line naming the file and the fix: market_data::DataError
// for a CSV (file:line), journal::JournalError for a file that is not a
// journal, std::runtime_error for a journal that holds something else than
// depth and trade frames (a signals.journal) or damaged frames.
#ifndef SIGRUN_TESTING_RECORDED_HPP
#define SIGRUN_TESTING_RECORDED_HPP

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "sigrun/market_data/event.hpp"
#include "sigrun/market_data/file_spec.hpp"
#include "sigrun/testing.hpp"

namespace sigrun::testing {

// One recorded message: the Depth or Trade (event.depth() / event.trade(),
// event.type()), and its md sequence when it came from a journal.
struct Message {
    market_data::Event event;
    std::uint64_t sequence = 0;  // the journal frame's sequence; 0 from a CSV (the harness numbers it)
};

// The messages of a book20 file and a trades file (paths named
// <spot|usdm|cm>_<symbol>_<book20|trades>.csv.gz, like the bundled sample),
// merged in receive-time order.
std::vector<Message> read_csv(const std::filesystem::path& book_csv, const std::filesystem::path& trades_csv);
// Any number of them (one file alone, several instruments), each with the
// instrument and exchange to write into its messages when its name does not
// say them: {{"my_book.csv.gz", market_data::FileKind::Book20, "BTCUSDT", "binance-spot"}}.
std::vector<Message> read_csv(std::vector<market_data::FileSpec> files);

// The depth and trade frames of an md.journal (written by the runner's feed
// or sigrun-feed), oldest first; opened read-only, may be in use.
std::vector<Message> read_journal(const std::filesystem::path& md_journal);

// Hands every message to the engine in order (as its own md sequence when it
// has one) and returns everything those calls emitted.
std::vector<Emitted> feed(Harness& engine, std::span<const Message> messages);

}  // namespace sigrun::testing

#endif  // SIGRUN_TESTING_RECORDED_HPP
