// bench_dispatch — what dispatch and handoff add on top of the journal: md
// frames through the runner's Dispatcher -> signal_on_data -> engine, and
// the engine's factors into the signals journal. One thread, as in the
// runner's dispatch loop.
//
//   BM_Handoff/null         one held depth frame handed to bench_null again
//                           and again, borrowed: the C ABI call alone (the
//                           same in both modes since SDK 1.1)
//   BM_Handoff/keep         the same, bench_null {"keep": true}: the engine
//                           keeps each frame and drops the one it kept
//                           before — what the two modes differ in (frame-ref:
//                           frame_retain + frame_release; copy: a pooled copy
//                           and its give-back). The rig checks that a
//                           frame-ref build really retained (check_keep).
//   BM_Dispatch/null        bench_null: reads one field (dispatch + handoff)
//   BM_Dispatch/microprice  the shipped engine: 4 factors per depth frame
//   BM_Dispatch/null_durable_cursor  BM_Dispatch/null with the dispatcher's
//                           position in a consumer cursor file's mapping, as
//                           the runner has it: what the durable cursor costs
//
// BM_Dispatch: one iteration writes a batch of depth frames (384 B, 10
// levels) into the md journal with the timer paused, then times the
// dispatcher until it has handed out all of them: items/s is frames
// dispatched. The handoff mode is the build's: run this binary from the
// release build (copy) and from the zero-copy build (frame-ref) and compare.
// Rig (every runner call): dispatch_rig.hpp. Results: docs/performance.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <exception>

#include "dispatch_rig.hpp"

namespace {

using sigrun::bench::DispatchRig;

void BM_Handoff(benchmark::State& state, const char* library, bool keep) {
    DispatchRig rig(library, keep ? R"({"keep": true})" : "{}");
    rig.hold_one_frame();
    if (keep) {
        rig.handoff();
        try {
            rig.check_keep();
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            return;
        }
    }
    for (auto _ : state) rig.handoff();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["retains_per_event"] =
        static_cast<double>(rig.retains()) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
    state.SetLabel(sigrun::bench::kHandoffMode);
}

void BM_Dispatch(benchmark::State& state, const char* library, bool durable_cursor = false) {
    DispatchRig rig(library, "{}", durable_cursor);
    for (auto _ : state) {
        state.PauseTiming();
        const std::uint64_t last = rig.write_batch();
        state.ResumeTiming();
        rig.dispatch_until(last);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * DispatchRig::kBatch));
    state.counters["lost"] = static_cast<double>(rig.lost());
    state.counters["factors_per_frame"] =
        static_cast<double>(rig.published()) / static_cast<double>(rig.depth_frames());
    state.SetLabel(sigrun::bench::kHandoffMode);
}

BENCHMARK_CAPTURE(BM_Handoff, null, SIGRUN_BENCH_NULL_ENGINE, false)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_Handoff, keep, SIGRUN_BENCH_NULL_ENGINE, true)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_Dispatch, null, SIGRUN_BENCH_NULL_ENGINE)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_Dispatch, microprice, SIGRUN_BENCH_MICROPRICE_ENGINE)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_Dispatch, null_durable_cursor, SIGRUN_BENCH_NULL_ENGINE, true)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
