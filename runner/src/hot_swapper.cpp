#include "hot_swapper.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "frame_replay.hpp"
#include "resource_limits.hpp"
#include "swap_identity.hpp"

namespace sigrun::runner {

HotSwapper::HotSwapper(Dispatcher& dispatcher, const RunnerConfig& config, FactorPublisher* publisher,
                       const journal::Pins* pins, std::shared_ptr<journal::Mapping> md, MdRetention* retention)
    : dispatcher_(dispatcher), config_(config), publisher_(publisher), pins_(pins), md_(std::move(md)),
      retention_(retention), private_dir_(config.journal.dir / ".plugins"), failed_identity_(config.engines.size()),
      // Created here, closed in the destructor: request_reload() reads it from
      // any thread (SIGHUP) at any time, so it never changes while shared.
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_fd_ < 0) throw std::runtime_error("hot swap: " + describe_os_failure("eventfd", errno));
}

HotSwapper::~HotSwapper() {
    stop();
    ::close(wake_fd_);
}

void HotSwapper::start(const std::atomic<bool>* stop) {
    run_stop_.store(stop, std::memory_order_release);
    if (config_.hot_swap.watch) {
        inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (inotify_fd_ < 0) {
            throw std::runtime_error("hot swap: " + describe_os_failure("inotify_init1", errno, true));
        }
        std::set<std::filesystem::path> folders;
        for (const auto& e : config_.engines) {
            if (e.reload) folders.insert(e.library.parent_path());
        }
        for (const auto& folder : folders) {
            if (::inotify_add_watch(inotify_fd_, folder.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
                const int err = errno;
                ::close(inotify_fd_);
                inotify_fd_ = -1;
                if (err == ENOSPC || err == EMFILE || err == ENOMEM) {
                    throw std::runtime_error("hot swap: " + describe_os_failure("inotify_add_watch " + folder.string(), err, true));
                }
                throw std::runtime_error(fmt::format("hot swap: cannot watch {} ({}); set hot_swap.watch to false "
                                                     "or fix the folder", folder.string(), std::strerror(err)));
            }
        }
    }
    thread_ = std::thread([this] { watch_loop(); });
}

void HotSwapper::stop() {
    {
        const std::lock_guard lock(swap_mutex_);  // a swap in progress finishes first
        closed_ = true;
    }
    stopping_.store(true);
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    inotify_fd_ = -1;
}

void HotSwapper::request_reload() {
    reload_requested_.store(true);
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
}

SwapStats HotSwapper::stats() const {
    const std::lock_guard lock(swap_mutex_);
    return stats_;
}

void HotSwapper::watch_loop() {
    alignas(inotify_event) char events[4096];
    while (!stopping_.load()) {
        pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
        const nfds_t count = inotify_fd_ >= 0 ? 2 : 1;
        if (::poll(fds, count, -1) < 0) continue;
        if ((fds[0].revents & POLLIN) != 0) {
            std::uint64_t ignored = 0;
            (void)!::read(wake_fd_, &ignored, sizeof ignored);
        }
        if (stopping_.load()) break;
        const bool sighup = reload_requested_.exchange(false);
        bool changed = sighup;
        if (count == 2 && (fds[1].revents & POLLIN) != 0) {
            // Drain the events; which engines to reload is decided by file
            // identity below, so an event for an unrelated file costs a stat.
            while (::read(inotify_fd_, events, sizeof events) > 0) changed = true;
        }
        // A file that failed is not retried on every event of a deploy (a
        // rename often comes with a close of the temporary); SIGHUP retries.
        if (changed && !stopping_.load()) reload_changed(sighup);
    }
}

void HotSwapper::reload_changed(bool retry_failed) {
    for (std::size_t i = 0; i < config_.engines.size(); ++i) {
        const EngineConfig& e = config_.engines[i];
        if (!e.reload) continue;
        const FileIdentity now = file_identity(e.library);
        if (now == FileIdentity{} || now == dispatcher_.engine_identity(i)) continue;
        if (!retry_failed && now == failed_identity_[i]) continue;
        reload(e.name);
    }
}

bool HotSwapper::reload(const std::string& name) {
    const std::lock_guard lock(swap_mutex_);
    if (closed_) {
        spdlog::error("hot swap of engine {} refused: the run has ended and its engines are destroyed; start the "
                      "runner again to load the new library", name);
        ++stats_.failed;
        return false;
    }
    std::size_t index = config_.engines.size();
    for (std::size_t i = 0; i < config_.engines.size(); ++i) {
        if (config_.engines[i].name == name) index = i;
    }
    if (index == config_.engines.size()) {
        spdlog::error("hot swap: no engine named \"{}\" in the config", name);
        ++stats_.failed;
        return false;
    }
    const FileIdentity attempted = file_identity(config_.engines[index].library);
    const std::string error = swap_engine(index);
    if (!error.empty()) {
        failed_identity_[index] = attempted;
        spdlog::error("hot swap of engine {} from {} failed: {}; the running version keeps dispatching", name,
                      config_.engines[index].library.string(), error);
        ++stats_.failed;
        return false;
    }
    ++stats_.swapped;
    return true;
}

std::string HotSwapper::swap_engine(std::size_t index) {
    const EngineConfig& config = config_.engines[index];
    std::unique_ptr<EngineInstance> replacement;
    try {
        auto library = PluginLibrary::load(config.library, private_dir_);
        // Another plugin's library is refused before it creates an engine:
        // its signal_create would otherwise judge this engine's config and
        // the log would blame the config, not the library.
        const std::string running_id = dispatcher_.engine_plugin_id(index);
        if (std::string refusal = swap_identity_refusal(running_id, *library, config); !refusal.empty()) {
            return refusal;  // the library is unloaded on return
        }
        replacement = std::make_unique<EngineInstance>(config, std::move(library), publisher_, pins_);
    } catch (const std::exception& e) {
        return e.what();
    }
    // State is carried only between two versions that speak the same
    // non-zero state version; otherwise the new engine is warmed up.
    SwapPlan plan;
    plan.index = index;
    const PluginLibrary& fresh = replacement->library();
    plan.carry_state = fresh.restore != nullptr && fresh.info().state_version != 0 &&
                       dispatcher_.can_carry_state(index, fresh.info().state_version);
    const std::string new_version = fresh.info().version;
    const std::string new_id = fresh.plugin_id();
    plan.replacement = std::move(replacement);
    // With the runner's own feed, the feed stops short of the warm-up frames
    // and of the frames the switch catches up on until the switch is done;
    // an external writer cannot be held.
    struct Hold {
        MdRetention* retention = nullptr;
        void release() {
            if (retention != nullptr) retention->release();
            retention = nullptr;
        }
        ~Hold() { release(); }
    } hold;
    if (!plan.carry_state && config_.hot_swap.warmup_frames > 0) {
        const std::uint64_t count = config_.hot_swap.warmup_frames;
        hold.retention = retention_;
        const std::uint64_t to = retention_ != nullptr ? retention_->hold_recent(count)
                                                       : dispatcher_.position().load(std::memory_order_acquire);
        const std::uint64_t from = to > count ? to - count : 1;
        if (!replay_into(*plan.replacement, md_, from, to)) {
            return "the warm-up frames are no longer in the md journal (the external writer overwrote them); "
                   "lower warmup_frames or raise the md journal's capacity";
        }
        if (retention_ != nullptr) retention_->hold_from(to);
        plan.replayed_until = to;
    }
    const bool plan_carried = plan.carry_state;
    const bool warmed_up = plan.replayed_until != 0;
    SwapOutcome outcome = dispatcher_.swap(std::move(plan), run_stop_.load(std::memory_order_acquire));
    hold.release();
    const std::filesystem::path retired_copy = outcome.retired ? outcome.retired->library().private_path()
                                                               : std::filesystem::path{};
    const std::string old_version = outcome.retired ? outcome.retired->library().info().version : "";
    outcome.retired.reset();  // signal_destroy, frames released, dlclose, copy deleted
    if (!outcome.switched) return outcome.error;
    if (PluginLibrary::is_mapped(retired_copy)) {
        ++stats_.not_unloaded;
        spdlog::warn("hot swap of engine {}: the old library {} is still mapped after dlclose (unique symbols, "
                     "RTLD_NODELETE, live threads or thread_local destructors keep it loaded)",
                     config.name, retired_copy.string());
    }
    const std::string how = plan_carried                ? "state carried"
                            : warmed_up ? fmt::format("{} frames warm-up", config_.hot_swap.warmup_frames)
                                                       : "fresh: no state, no warm-up";
    spdlog::info("hot swap of engine {} (plugin {}): version {} replaced by {} from {}, live from md frame {} ({})",
                 config.name, new_id, old_version, new_version, config.library.string(), outcome.first_live_sequence,
                 how);
    return {};
}

}  // namespace sigrun::runner
