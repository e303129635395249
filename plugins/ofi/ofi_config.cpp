#include "ofi_config.hpp"

#include "sigrun/config.hpp"
#include "sigrun/plugins/config_reader.hpp"

namespace sigrun::plugins {

// "window_events", "window_ns" and "window_capacity" count book updates.
constexpr WindowKeys kWindowKeys{"book updates", "updates", OfiConfig::kDefaultTimeWindowCapacity,
                                 OfiConfig::kMaxWindowCapacity};

OfiConfig parse_ofi_config(const nlohmann::json& config) {
    OfiConfig out;
    Config reader("ofi", config, {"levels", "window_events", "window_ns", "window_capacity"});
    out.levels = static_cast<int>(
        reader.integer("levels", out.levels, {1, OfiConfig::kMaxLevels}, "book levels, 1 = best"));
    read_window(reader, kWindowKeys, out.capacity, out.span_ns);
    reader.finish();
    return out;
}

}  // namespace sigrun::plugins
