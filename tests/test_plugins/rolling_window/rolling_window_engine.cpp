// rolling_window — a rolling-window engine for the hot-swap state tests. One
// source built twice:
//   librolling_window.so            STATEFUL=1: exports snapshot/restore
//                                   (state_version 2), so a swap carries the
//                                   window;
//   librolling_window_stateless.so  STATEFUL=0: no state to carry; a swap
//                                   must warm it up (hot_swap.warmup_frames).
//
// Config: {"window": W} (default 1000, 1..1'000'000): the last W messages.
// Per message it takes one price in whole 1e-4 units (depth: the mid of the
// best levels; trade: the price), keeps the last W in a ring and emits:
//   "mean"    sum of the window / its size (exact integer sum, so the value
//             depends only on what is in the window, never on its history);
//   "oldest"  the oldest price in the window (1e-4 units);
//   "filled"  how many prices the window holds (<= W).
// So two engines that saw different histories but hold the same window emit
// exactly the same values, and one that lost or repeated a frame does not.
//
// Snapshot (state_version 2): uint64 count, then count int64 prices, oldest
// first, host byte order. With the default window it is 8008 bytes, more than
// the runner's first 4096-byte snapshot buffer.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <sigrun/engine.hpp>

#if !defined(STATEFUL) || (STATEFUL != 0 && STATEFUL != 1)
#error "rolling_window_engine.cpp is built with STATEFUL=0 or STATEFUL=1"
#endif

namespace {

constexpr std::uint32_t kStateVersion = 2;
constexpr std::uint64_t kDefaultWindow = 1000;
constexpr std::uint64_t kMaxWindow = 1'000'000;

std::size_t parse_window(const nlohmann::json& config) {
    if (!config.is_object()) {
        throw std::invalid_argument("rolling_window: config must be a JSON object like {\"window\": 1000}");
    }
    for (const auto& [key, value] : config.items()) {
        if (key != "window") {
            throw std::invalid_argument("rolling_window: unknown config key \"" + key + "\" (known: \"window\")");
        }
    }
    const auto window = config.find("window");
    if (window == config.end()) {
        return kDefaultWindow;
    }
    if (!window->is_number_unsigned() || window->get<std::uint64_t>() == 0 ||
        window->get<std::uint64_t>() > kMaxWindow) {
        throw std::invalid_argument("rolling_window: \"window\" must be an integer in 1..1000000, got " +
                                    window->dump());
    }
    return window->get<std::size_t>();
}

std::int64_t units(double price) { return std::llround(price * 1e4); }

class RollingWindow final : public sigrun::Engine {
public:
    RollingWindow(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), ring_(parse_window(config)) {}

    void on_depth(const sigrun::Depth& depth) override {
        add(sigrun::field_text(depth.instrument), (units(depth.bid_price[0]) + units(depth.ask_price[0])) / 2);
    }
    void on_trade(const sigrun::Trade& trade) override {
        add(sigrun::field_text(trade.instrument), units(trade.price));
    }

    std::vector<std::byte> snapshot() const override {
        std::vector<std::byte> state(sizeof(std::uint64_t) + size_ * sizeof(std::int64_t));
        const std::uint64_t count = size_;
        std::memcpy(state.data(), &count, sizeof count);
        for (std::size_t i = 0; i < size_; ++i) {
            const std::int64_t v = ring_[(head_ + i) % ring_.size()];
            std::memcpy(state.data() + sizeof count + i * sizeof v, &v, sizeof v);
        }
        return state;
    }

    bool restore(std::span<const std::byte> state) override {
        std::uint64_t count = 0;
        if (state.size() < sizeof count) {
            log(SIGRUN_LOG_ERROR, "rolling_window: snapshot state is too short");
            return false;
        }
        std::memcpy(&count, state.data(), sizeof count);
        if (count > ring_.size() || state.size() != sizeof count + count * sizeof(std::int64_t)) {
            log(SIGRUN_LOG_ERROR, "rolling_window: snapshot state does not fit this window");
            return false;
        }
        head_ = 0;
        size_ = 0;
        sum_ = 0;
        for (std::uint64_t i = 0; i < count; ++i) {
            std::int64_t v = 0;
            std::memcpy(&v, state.data() + sizeof count + i * sizeof v, sizeof v);
            push(v);
        }
        return true;
    }

private:
    void push(std::int64_t v) {
        if (size_ == ring_.size()) {
            sum_ -= ring_[head_];
            ring_[head_] = v;
            head_ = (head_ + 1) % ring_.size();
        } else {
            ring_[(head_ + size_) % ring_.size()] = v;
            ++size_;
        }
        sum_ += v;
    }

    void add(std::string_view instrument, std::int64_t price) {
        push(price);
        emit("mean", instrument, static_cast<double>(sum_) / static_cast<double>(size_));
        emit("oldest", instrument, static_cast<double>(ring_[head_]));
        emit("filled", instrument, static_cast<double>(size_));
    }

    std::vector<std::int64_t> ring_;
    std::size_t head_ = 0;  // oldest
    std::size_t size_ = 0;
    std::int64_t sum_ = 0;
};

}  // namespace

#if STATEFUL
SIGRUN_EXPORT_ENGINE_WITH_STATE(RollingWindow, "rolling_window", "1.0.0", kStateVersion);
#else
SIGRUN_EXPORT_ENGINE(RollingWindow, "rolling_window_stateless", "1.0.0");
#endif
