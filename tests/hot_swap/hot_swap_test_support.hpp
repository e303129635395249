// hot_swap_test_support.hpp — what the hot-swap suites share: run sizes per
// build, a runner on its own thread, deploys by atomic rename, the factor
// stream read back from the signals journal, log capture and the process
// resources (/proc/self/maps, /proc/self/fd, the malloc heap).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "config.hpp"
#include "log_capture.hpp"
#include "process_resources.hpp"
#include "runner.hpp"
#include "sigrun/factor_batch.hpp"
#include "sigrun/journal/reader.hpp"
#include "sigrun/messages.h"

namespace sigrun::hot_swap_test {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Under valgrind everything is ~50x slower and every dlopen reads the
// plugin's debug info; under the sanitizers ~5-15x. Runs are shorter there;
// what they check is the same.
inline constexpr bool kMemcheck = SIGRUN_TEST_MEMCHECK != 0;
inline constexpr bool kSanitized = SIGRUN_TEST_SANITIZED != 0;

inline constexpr std::uint64_t by_build(std::uint64_t normal, std::uint64_t sanitized, std::uint64_t memcheck) {
    return kMemcheck ? memcheck : (kSanitized ? sanitized : normal);
}

// Upper bound of every wait for something the runner does on another thread:
// a wait that runs out is a failure (a swap that never happened), never a
// measurement.
inline constexpr std::chrono::seconds kPatience{kMemcheck ? 300 : 60};

template <class Predicate>
bool wait_for(Predicate done, std::chrono::milliseconds patience = kPatience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// A private folder removed afterwards. `prefer_memory`: under /dev/shm when
// there is one, for journals of hundreds of MB that need not reach a disk.
class ScratchDir {
public:
    explicit ScratchDir(bool prefer_memory = false) {
        fs::path base = fs::temp_directory_path();
        std::error_code ec;
        if (prefer_memory && fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
        std::string pattern = (base / "sigrun-hot-swap-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    [[nodiscard]] const fs::path& path() const noexcept { return path_; }
    [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

// A deploy as production does it: a full copy next to the target (same
// filesystem), closed, then renamed over the target — the running runner
// sees IN_MOVED_TO and a new inode. The copy's name starts with '.' and is
// unique, so two deploys never share a temporary.
inline void deploy(const fs::path& source, const fs::path& target) {
    static std::atomic<std::uint64_t> counter{0};
    const fs::path staging = target.parent_path() / (".deploy-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter.fetch_add(1)) + ".tmp");
    fs::copy_file(source, staging, fs::copy_options::overwrite_existing);
    fs::rename(staging, target);
}

// A file with the given bytes, deployed by rename like a library.
inline void deploy_bytes(const std::string& bytes, const fs::path& target) {
    const fs::path staging = target.parent_path() / (".deploy-bytes-" + std::to_string(::getpid()) + ".tmp");
    {
        std::ofstream out(staging, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    fs::rename(staging, target);
}

inline std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A runner config with a synthetic source (`events` events from `seed`),
// nothing printed, no file watch, no engines yet. The signals journal holds
// `signals_capacity` factor frames (a power of two) in the smallest slot a
// factor frame fits in (one value per frame: each value its own frame, so
// the capacity counts values).
inline json runner_config(const fs::path& journal_dir, std::uint64_t events, std::uint64_t seed,
                          std::uint64_t signals_capacity, std::uint64_t md_capacity = 4096) {
    return json{
        {"journal",
         {{"dir", journal_dir.string()},
          {"md", {{"capacity", md_capacity}, {"slot_size", 512}}},
          {"signals", {{"capacity", signals_capacity}, {"slot_size", 256}}},
          {"pin_timeout_ms", 10000}}},
        {"source", {{"kind", "synthetic"}, {"seed", seed}, {"events", events}}},
        {"engines", json::array()},
        {"hot_swap", {{"watch", false}, {"warmup_frames", 0}}},
        {"output", {{"print_factors", 0}}},
    };
}

inline json engine_entry(const std::string& name, const fs::path& library, json config = json::object(),
                         bool reload = true) {
    return json{{"name", name}, {"library", library.string()}, {"config", std::move(config)}, {"reload", reload}};
}

// The smallest power of two >= n.
inline std::uint64_t power_of_two_at_least(std::uint64_t n) {
    std::uint64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

// The shared log capture, plus what the hot-swap tests read from it.
class LogCapture : public testing::LogCapture {
public:
    // The "live from md frame N" of each successful swap of `engine`, in order.
    [[nodiscard]] std::vector<std::uint64_t> swap_points(const std::string& engine) const {
        const std::string prefix = "info hot swap of engine " + engine + " (plugin ";
        const std::string marker = " live from md frame ";
        std::vector<std::uint64_t> points;
        for (const auto& line : lines()) {
            if (line.rfind(prefix, 0) != 0) continue;
            const auto at = line.find(marker);
            if (at != std::string::npos) points.push_back(std::stoull(line.substr(at + marker.size())));
        }
        return points;
    }
};

// runner::Runner with run() on its own thread: constructed (journals opened,
// engines loaded) on the calling thread, so a bad config throws here.
class RunningRunner {
public:
    explicit RunningRunner(const json& document, const fs::path& base)
        : runner_(runner::parse_config(document, base, "hot_swap_test.json")),
          md_(runner_.config().journal.dir / "md.journal"),
          signals_(runner_.config().journal.dir / "signals.journal") {
        thread_ = std::thread([this] {
            summary_ = runner_.run(stop_);
            done_.store(true);
        });
    }
    ~RunningRunner() {
        if (thread_.joinable()) stop_and_join();
    }
    RunningRunner(const RunningRunner&) = delete;
    RunningRunner& operator=(const RunningRunner&) = delete;

    [[nodiscard]] runner::Runner& runner() noexcept { return runner_; }
    [[nodiscard]] runner::HotSwapper& swapper() noexcept { return runner_.hot_swapper(); }
    [[nodiscard]] bool finished() const noexcept { return done_.load(); }
    // Frames the feed has written to md.journal so far.
    [[nodiscard]] std::uint64_t md_published() const noexcept { return md_.last_published(); }
    // Factors the dispatcher has published so far: > 0 means dispatch (and
    // the hot swapper's watch, started just before it) is running.
    [[nodiscard]] std::uint64_t factors_published() const noexcept { return signals_.last_published(); }

    // Waits until the feed wrote `frames` frames (false when the run ended first).
    bool wait_for_md(std::uint64_t frames) {
        return wait_for([&] { return md_published() >= frames || finished(); }) && md_published() >= frames;
    }

    runner::RunSummary stop_and_join() {
        stop_.store(true);
        thread_.join();
        return summary_;
    }
    // For a run whose source ends by itself.
    runner::RunSummary join() {
        thread_.join();
        return summary_;
    }

private:
    runner::Runner runner_;
    journal::Reader md_;
    journal::Reader signals_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    runner::RunSummary summary_;
    std::thread thread_;
};

inline std::string field(const char* text, std::size_t size) { return std::string(text, strnlen(text, size)); }

// Calls `each` for every factor of a signals journal, oldest first. Returns
// how many frames were lost (overwritten before they were read: the journal
// was too small for the run) plus how many frames were not factors.
inline std::uint64_t for_each_factor(const fs::path& signals_journal,
                                     const std::function<void(const sigrun_factor&)>& each) {
    journal::Reader reader(signals_journal);
    reader.seek_oldest();
    std::vector<std::byte> buffer(reader.geometry().max_payload());
    std::uint64_t bad = 0;
    for (;;) {
        const journal::ReadResult r = reader.next(buffer);
        if (r.status == journal::ReadStatus::empty) break;
        if (r.status != journal::ReadStatus::frame) {
            bad += std::max<std::uint64_t>(r.lost, 1);
            continue;
        }
        if (r.info.msg_type != SIGRUN_MSG_FACTOR_BATCH ||
            !sigrun::for_each_factor(std::span(buffer).first(r.info.length), each)) {
            ++bad;
        }
    }
    return bad;
}

// One engine's outputs per md frame: factor name -> value, for every
// source_sequence, in journal order. Frames seen twice are counted.
struct FactorsByFrame {
    std::map<std::uint64_t, std::map<std::string, double>> frames;
    std::uint64_t repeated = 0;  // the same factor twice for one frame
    std::uint64_t unreadable = 0;
};

inline FactorsByFrame factors_by_frame(const fs::path& signals_journal, const std::string& engine) {
    FactorsByFrame out;
    out.unreadable = for_each_factor(signals_journal, [&](const sigrun_factor& f) {
        if (field(f.engine, sizeof f.engine) != engine) return;
        auto [it, inserted] = out.frames[f.source_sequence].emplace(field(f.factor, sizeof f.factor), f.value);
        if (!inserted) ++out.repeated;
    });
    return out;
}

// The stream of one versioned_v1/v2 engine, checked frame by frame: which
// version handled each md frame 1..n, and whether "frames_seen" equals the
// frame's sequence (state carried across every swap).
struct VersionedStream {
    std::uint64_t missing = 0;         // frames no version handled
    std::uint64_t duplicates = 0;      // frames handled twice
    std::uint64_t out_of_range = 0;    // source_sequence 0 or > n
    std::uint64_t frames_seen_wrong = 0;
    std::uint64_t unreadable = 0;
    std::uint8_t first_version = 0;    // 1 or 2
    std::vector<std::uint64_t> changes;  // first frame of each new version
};

inline VersionedStream check_versioned_stream(const fs::path& signals_journal, const std::string& engine,
                                              std::uint64_t n) {
    VersionedStream out;
    std::vector<std::uint8_t> version(n + 1, 0);
    out.unreadable = for_each_factor(signals_journal, [&](const sigrun_factor& f) {
        if (field(f.engine, sizeof f.engine) != engine) return;
        const std::uint64_t s = f.source_sequence;
        if (s == 0 || s > n) {
            ++out.out_of_range;
            return;
        }
        const std::string name = field(f.factor, sizeof f.factor);
        if (name == "v1" || name == "v2") {
            if (version[s] != 0) ++out.duplicates;
            version[s] = name == "v1" ? 1 : 2;
        } else if (name == "frames_seen" && f.value != static_cast<double>(s)) {
            ++out.frames_seen_wrong;
        }
    });
    for (std::uint64_t s = 1; s <= n; ++s) {
        if (version[s] == 0) {
            ++out.missing;
        } else if (s > 1 && version[s - 1] != 0 && version[s] != version[s - 1]) {
            out.changes.push_back(s);
        }
    }
    out.first_version = n > 0 ? version[1] : 0;
    return out;
}

// What the process holds, for "no growth per swap" (tests/support).
using testing::files_in;
using testing::ProcessResources;

}  // namespace sigrun::hot_swap_test
