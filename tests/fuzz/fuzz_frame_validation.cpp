// fuzz_frame_validation: whatever bytes an md journal frame holds (a journal
// written by another process may hold anything), the runner's validation
// (describe_frame) and the shipped engines behind it must not crash: NaN and
// infinite prices and sizes, instrument names without a NUL, negative sizes,
// extreme timestamps, lengths that do not match the type.
//
// Input: a sequence of records, each
//     int32  type     (little-endian; 101 Depth, 103 Trade, anything else)
//     uint16 length   (little-endian)
//     bytes  payload  (`length` bytes, fewer when the input ends first)
// Each payload is copied into a heap block of exactly its size (so ASan sees
// any read past it) and handed to describe_frame with that size, as the
// dispatcher does with a frame; an accepted frame goes to every engine
// through EngineInstance::on_data, the dispatcher's hot path, and the
// engines' factors through EngineHost's emit into a FactorPublisher on a
// scratch signals journal.
//
// The engines — the three shipped plugins, ofi and trade_flow both with a
// count and with a time window — are loaded once and live for the whole
// process: libFuzzer keeps pointers into an instrumented module's coverage
// tables, so a plugin must never be dlclose'd while fuzzing (the objects are
// deliberately leaked at exit for the same reason). Their state carries over
// from one input to the next, as it does in a runner. Engines keep state per
// instrument name and never forget one, so to keep memory bounded over
// millions of inputs the harness lets at most kMaxInstruments distinct names
// through; past that, a new name is replaced by one already seen.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dispatcher.hpp"
#include "engine_instance.hpp"
#include "factor_publisher.hpp"
#include "fuzz_support.hpp"
#include "plugin_library.hpp"
#include "sigrun/messages.h"

namespace {

namespace fs = std::filesystem;
namespace rn = sigrun::runner;

constexpr std::size_t kMaxInstruments = 256;

struct Harness {
    rn::FactorPublisher* publisher = nullptr;
    std::vector<rn::EngineInstance*> engines;
    std::unordered_set<std::string> instruments;
    std::vector<std::string> instrument_list;  // the same names, in the order first seen
    std::uint64_t sequence = 0;
};

Harness* harness = nullptr;

void add_engine(const char* name, const char* library, const char* config_json) {
    rn::EngineConfig config;
    config.name = name;
    config.library = library;
    config.config_json = config_json;
    try {
        auto lib = rn::PluginLibrary::load(config.library, sigrun::fuzz::scratch_dir() / "plugins");
        harness->engines.push_back(new rn::EngineInstance(config, std::move(lib), harness->publisher, nullptr));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_frame_validation: cannot set up engine %s from %s: %s\n", name, library,
                     e.what());
        std::exit(1);
    }
}

// Keeps the number of instrument names the engines ever see bounded (see
// the top of the file). `payload` is a Depth or a Trade: both start with
// the instrument field.
void bound_instruments(std::byte* payload) {
    static_assert(offsetof(sigrun_depth, instrument) == 0 && offsetof(sigrun_trade, instrument) == 0);
    char* field = reinterpret_cast<char*>(payload);
    std::string name(field, strnlen(field, SIGRUN_INSTRUMENT_LEN));
    if (harness->instruments.contains(name)) return;
    if (harness->instruments.size() < kMaxInstruments) {
        harness->instruments.insert(name);
        harness->instrument_list.push_back(std::move(name));
        return;
    }
    const std::string& known =
        harness->instrument_list[std::hash<std::string>{}(name) % harness->instrument_list.size()];
    std::memset(field, 0, SIGRUN_INSTRUMENT_LEN);
    std::memcpy(field, known.data(), known.size());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    sigrun::fuzz::quiet_logging();
    const fs::path dir = sigrun::fuzz::scratch_dir();
    fs::create_directories(dir / "plugins");
    harness = new Harness;
    // 4096 factor frames: the ring wraps during a run, as a live one does.
    harness->publisher = new rn::FactorPublisher(dir / "signals.journal", sigrun::journal::Geometry{4096, 256}, 0);
    add_engine("ofi", SIGRUN_FUZZ_OFI_PLUGIN, R"({"levels": 5, "window_events": 100})");
    add_engine("ofi_time", SIGRUN_FUZZ_OFI_PLUGIN,
               R"({"levels": 10, "window_ns": 1000000000, "window_capacity": 64})");
    add_engine("microprice", SIGRUN_FUZZ_MICROPRICE_PLUGIN, R"({"levels": 5})");
    add_engine("trade_flow", SIGRUN_FUZZ_TRADE_FLOW_PLUGIN, R"({"window_events": 200})");
    add_engine("trade_flow_time", SIGRUN_FUZZ_TRADE_FLOW_PLUGIN,
               R"({"window_ns": 5000000000, "window_capacity": 64})");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    while (size - at >= 6) {
        std::int32_t type = 0;
        std::uint16_t declared = 0;
        std::memcpy(&type, data + at, sizeof type);
        std::memcpy(&declared, data + at + 4, sizeof declared);
        at += 6;
        const std::size_t length = std::min<std::size_t>(declared, size - at);
        // Exactly `length` bytes: a read past the payload is a heap overflow.
        const auto payload = std::make_unique<std::byte[]>(length);
        if (length > 0) std::memcpy(payload.get(), data + at, length);
        at += length;

        rn::CurrentFrame frame;
        frame.sequence = ++harness->sequence;
        if (!rn::describe_frame(type, static_cast<std::uint32_t>(length), payload.get(), frame)) continue;
        if (frame.type != type || frame.data != payload.get()) {
            std::fprintf(stderr, "describe_frame accepted type %d but described type %d\n", type, frame.type);
            std::abort();
        }
        bound_instruments(payload.get());
        for (rn::EngineInstance* engine : harness->engines) engine->on_data(frame);
    }
    return 0;
}
