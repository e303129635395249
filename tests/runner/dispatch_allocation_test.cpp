// Zero heap allocations per dispatched frame in steady state: the journal
// write, the dispatch, the handoff (borrowed, or kept: one retain in
// frame-ref builds, a pooled copy in copy builds) and the factor batch
// written for every engine call. Counted through an interposed allocator
// (allocation_counter.hpp), so the result is a count, not a timing.
//
// Its own executable: the counter sees every allocation of the process.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sigrun_test_plugins.hpp>

#include "allocation_counter.hpp"
#include "dispatcher.hpp"
#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "plugin_library.hpp"
#include "runner_test_support.hpp"
#include "sigrun/journal/pins.hpp"
#include "sigrun/journal/writer.hpp"
#include "temp_dir.hpp"

namespace sigrun::runner {
namespace {

struct EngineSpec {
    std::string name;
    std::string library;
    std::string config_json = "{}";
};

struct Case {
    std::string label;
    std::vector<EngineSpec> engines;
};

class SteadyStateDispatch : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        pins_ = std::make_unique<journal::Pins>(md_.mapping());
        dispatcher_ = std::make_unique<Dispatcher>(journal::Reader(md_.mapping()));
        for (const EngineSpec& spec : GetParam().engines) {
            EngineConfig config;
            config.name = spec.name;
            config.config_json = spec.config_json;
            dispatcher_->add_engine(std::make_unique<EngineInstance>(
                config, PluginLibrary::load(spec.library, dir_ / ".plugins"), &publisher_, pins_.get()));
        }
    }
    void TearDown() override { dispatcher_->destroy_engines(); }

    // Writes `frames` md frames (books that move, and trades, two
    // instruments) in rounds the ring holds, dispatching each round.
    void feed_and_dispatch(std::uint64_t frames) {
        const std::atomic<bool> stop{false};
        for (std::uint64_t done = 0; done < frames; done += kRound) {
            for (std::uint64_t i = 0; i < kRound; ++i) {
                const std::uint64_t n = written_++;
                const double mid = 100.0 + static_cast<double>(n % 17) * 0.25;
                if (n % 4 == 3) {
                    md_.write_message(SIGRUN_MSG_TRADE, runner_test::trade(mid, 0.5 + static_cast<double>(n % 3)));
                } else {
                    sigrun_depth book = runner_test::top_of_book(mid - 0.5, mid + 0.5);
                    book.bid_size[0] = 1.0 + static_cast<double>(n % 5);
                    if (n % 2 == 0) book.instrument[0] = 'E';  // a second instrument
                    md_.write_message(SIGRUN_MSG_DEPTH, book);
                }
            }
            end_.store(md_.last_sequence());
            dispatcher_->run(stop, end_);
        }
    }

    static constexpr std::uint64_t kRound = 64;
    testing::TempDir dir_;
    journal::Writer md_{dir_ / "md.journal", journal::WriterOptions{journal::Geometry{256, 512}, {}}};
    FactorPublisher publisher_{dir_ / "signals.journal", journal::Geometry{1024, 512}, 0};
    std::unique_ptr<journal::Pins> pins_;
    std::unique_ptr<Dispatcher> dispatcher_;
    std::atomic<std::uint64_t> end_{0};
    std::uint64_t written_ = 0;
};

TEST_P(SteadyStateDispatch, AllocatesNothingPerFrameOnceWarm) {
    feed_and_dispatch(4096);  // warm-up: instrument maps, rolling windows, copy pools grow
    const std::uint64_t published_before = publisher_.published();

    const sigrun::testing::AllocationCount count;
    feed_and_dispatch(8192);
    const std::uint64_t allocations = count.allocations();

    EXPECT_EQ(allocations, 0u) << "heap allocations while dispatching 8192 frames";
    EXPECT_EQ(dispatcher_->counts().depth + dispatcher_->counts().trade, written_);
    EXPECT_GT(publisher_.published(), published_before) << "the engines published factors meanwhile";
}

const Case kCases[] = {
    {"ShippedEngines",
     {{"ofi", SIGRUN_OFI_PLUGIN}, {"microprice", SIGRUN_MICROPRICE_PLUGIN}, {"trade_flow", SIGRUN_TRADE_FLOW_PLUGIN}}},
    {"EngineThatKeepsFrames", {{"keeper", SIGRUN_KEEPER_PLUGIN, R"({"keep": 32})"}}},
    {"CEngineEmittingByName", {{"c", test_plugins::c_minimal}}},
};

INSTANTIATE_TEST_SUITE_P(Engines, SteadyStateDispatch, ::testing::ValuesIn(kCases),
                         [](const auto& test_case) { return test_case.param.label; });

// The counter itself counts: without this, a broken interposition would make
// the test above pass for nothing.
TEST(AllocationCounter, CountsAllocationsOfThisProcess) {
    const sigrun::testing::AllocationCount count;
    auto block = std::make_unique<std::vector<int>>(100, 1);
    EXPECT_GE(count.allocations(), 2u);
    EXPECT_EQ(block->size(), 100u);
}

}  // namespace
}  // namespace sigrun::runner
