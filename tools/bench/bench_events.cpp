// bench_events — does N events of one stage and nothing else, for counting
// what one event costs in instructions (under callgrind) and in calls to
// the allocator (always; alloc_counter.cpp replaces malloc in this program).
//
//   bench_events <stage> <N>
//     journal_write          Writer::write of a 384 B frame
//     journal_read           Reader::next (copy out) of a 384 B frame
//     journal_read_in_place  the in-place read the dispatcher does
//     handoff_null           one held frame handed to bench_null, borrowed (the C ABI call)
//     handoff_keep           the same, bench_null {"keep": true}: keeps each frame, drops the
//                            previous one (frame-ref: retain + release; copy: pooled copy)
//     dispatch_null          Dispatcher -> bench_null, frame read included
//     dispatch_microprice    Dispatcher -> microprice, 4 factors published
//   prints: stage=<stage> mode=<copy|frame-ref|journal> events=<N rounded up to whole batches> allocs=<count>
//           retains=<frame_retain calls the host granted during the measured events>
//
// Only the events inside measured_*() are counted: frames to read are
// written outside it, and a warm-up batch runs first through warmup_*()
// (the same code under another name: lazy binding, first-touch page faults,
// pools filling up stay out). For instructions, run
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='measured_*' bench_events <stage> N
// and divide the total Ir by N: collection is on only inside measured_*().
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "channels.hpp"
#include "dispatch_rig.hpp"
#include "journal_adapter.hpp"

namespace {

using namespace sigrun::bench;
namespace api = sigrun::bench::journal_api;

constexpr std::size_t kPayload = 384;  // sizeof(sigrun_depth)
constexpr std::uint64_t kJournalBatch = kCapacity / 2;

struct JournalRig {
    ScratchDir dir;
    api::Writer writer{dir.path() / "bench.journal", api::writer_options({kCapacity, 512})};
    api::Reader copy_reader = api::copy_reader(dir.path() / "bench.journal");
    api::Reader in_place_reader = api::in_place_reader(writer);
    std::atomic<std::uint64_t> next_to_read{1};
    std::vector<std::byte> payload = std::vector<std::byte>(kPayload, std::byte{7});
    std::vector<std::byte> buffer = std::vector<std::byte>(copy_reader.geometry().max_payload());
    std::uint64_t sum = 0;

    // Only the in-place reader gates the writer (v2); the others never read
    // in place and must not hold the writer back.
    explicit JournalRig(bool gated) {
        if (gated) api::gate(writer, next_to_read);
    }
    void write(std::uint64_t n) {
        for (std::uint64_t i = 0; i < n; ++i) api::write(writer, kMsgType, payload);
    }
    void read(std::uint64_t n, bool in_place) {
        const auto touch = [&](const std::byte* p, const api::FrameInfo& info) {
            sum += static_cast<std::uint8_t>(p[info.length - 1]);
        };
        for (std::uint64_t i = 0; i < n; ++i) {
            if (in_place) {
                api::read_in_place(in_place_reader, touch);
                next_to_read.store(in_place_reader.position(), std::memory_order_release);
            } else {
                api::read_copy(copy_reader, buffer, touch);
            }
        }
    }
};

// One event's work for `stage`, `n` times. Inlined into both wrappers below.
struct Stage {
    std::string name;
    std::unique_ptr<JournalRig> journal;
    std::unique_ptr<DispatchRig> dispatch;

    // Work done before each batch and not counted (frames to read or dispatch).
    void prepare(std::uint64_t n) {
        if (name == "journal_read" || name == "journal_read_in_place") journal->write(n);
    }
    [[gnu::always_inline]] inline void run(std::uint64_t n) {
        if (name == "journal_write") journal->write(n);
        else if (name == "journal_read") journal->read(n, false);
        else if (name == "journal_read_in_place") journal->read(n, true);
        else if (name == "handoff_null" || name == "handoff_keep") for (std::uint64_t i = 0; i < n; ++i) dispatch->handoff();
        else dispatch->dispatch_until(last_);
    }
    std::uint64_t last_ = 0;
};

}  // namespace

// Collection is switched on by callgrind (--toggle-collect) inside this name only.
extern "C" [[gnu::noinline]] void measured_batch(Stage& s, std::uint64_t n) { s.run(n); }
extern "C" [[gnu::noinline]] void warmup_batch(Stage& s, std::uint64_t n) { s.run(n); }

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench_events <journal_write|journal_read|journal_read_in_place|handoff_null|"
                             "handoff_keep|dispatch_null|dispatch_microprice> <events>\n");
        return 2;
    }
    Stage s;
    s.name = argv[1];
    std::uint64_t events = std::stoull(argv[2]);
    const bool journal_stage = s.name.rfind("journal_", 0) == 0;
    const bool handoff = s.name == "handoff_null" || s.name == "handoff_keep";
    const bool dispatch_stage = s.name.rfind("dispatch_", 0) == 0 || handoff;
    if (!journal_stage && !dispatch_stage) {
        std::fprintf(stderr, "bench_events: unknown stage '%s'\n", s.name.c_str());
        return 2;
    }
    if (journal_stage) s.journal = std::make_unique<JournalRig>(s.name == "journal_read_in_place");
    if (dispatch_stage)
        s.dispatch = std::make_unique<DispatchRig>(
            s.name == "dispatch_microprice" ? SIGRUN_BENCH_MICROPRICE_ENGINE : SIGRUN_BENCH_NULL_ENGINE,
            s.name == "handoff_keep" ? R"({"keep": true})" : "{}");
    if (handoff) s.dispatch->hold_one_frame();

    // Whole batches, no larger than half the ring, so frames to read are never overwritten.
    const std::uint64_t batch = journal_stage ? kJournalBatch : DispatchRig::kBatch;
    const auto one_batch = [&](bool measured) -> std::uint64_t {
        if (dispatch_stage && !handoff) s.last_ = s.dispatch->write_batch();
        s.prepare(batch);
        if (!measured) {
            warmup_batch(s, batch);
            return 0;
        }
        alloc_counter::start();
        measured_batch(s, batch);
        return alloc_counter::stop();
    };
    one_batch(false);
    if (s.name == "handoff_keep") s.dispatch->check_keep();  // frame-ref: really retained, not copied
    const std::uint64_t retains_before = dispatch_stage ? s.dispatch->retains() : 0;  // warm-up's retains out
    const std::uint64_t batches = (events + batch - 1) / batch;
    std::uint64_t allocs = 0;
    for (std::uint64_t b = 0; b < batches; ++b) allocs += one_batch(true);
    events = batches * batch;
    std::printf("stage=%s mode=%s events=%llu allocs=%llu retains=%llu\n", s.name.c_str(),
                journal_stage ? "journal" : kHandoffMode, static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(allocs),
                static_cast<unsigned long long>(dispatch_stage ? s.dispatch->retains() - retains_before : 0));
    return 0;
}
