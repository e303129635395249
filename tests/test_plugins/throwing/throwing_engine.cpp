// throwing — an engine whose on_depth / on_trade throw, to check that no
// exception crosses the C ABI: the SDK logs each one as an ERROR and the
// runner keeps dispatching.
//
// Config: {"throw_every": N} (default 1 = every message). Messages that do
// not throw emit "frames_ok" = the count of messages seen so far.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sigrun/engine.hpp>

namespace {

std::uint64_t parse_throw_every(const nlohmann::json& config) {
    const auto every = config.is_object() ? config.find("throw_every") : config.end();
    if (!config.is_object() || every == config.end()) {
        return 1;
    }
    if (!every->is_number_unsigned() || every->get<std::uint64_t>() == 0) {
        throw std::invalid_argument("throwing: config \"throw_every\" must be a positive integer, got " +
                                    every->dump());
    }
    return every->get<std::uint64_t>();
}

class Throwing final : public sigrun::Engine {
public:
    Throwing(sigrun::Host host, const nlohmann::json& config)
        : Engine(host), throw_every_(parse_throw_every(config)) {}

    void on_depth(const sigrun::Depth& depth) override {
        handle("on_depth", sigrun::field_text(depth.instrument));
    }
    void on_trade(const sigrun::Trade& trade) override {
        handle("on_trade", sigrun::field_text(trade.instrument));
    }

private:
    void handle(const char* callback, std::string_view instrument) {
        ++seen_;
        if (seen_ % throw_every_ == 0) {
            throw std::runtime_error(std::string("throwing: ") + callback + " fails on purpose (message " +
                                     std::to_string(seen_) + ")");
        }
        emit("frames_ok", instrument, static_cast<double>(seen_));
    }

    const std::uint64_t throw_every_;
    std::uint64_t seen_ = 0;
};

}  // namespace

SIGRUN_EXPORT_ENGINE(Throwing, "throwing", "1.0.0");
