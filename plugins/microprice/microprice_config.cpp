#include "microprice_config.hpp"

#include "sigrun/config.hpp"

namespace sigrun::plugins {

MicropriceConfig parse_microprice_config(const nlohmann::json& config) {
    MicropriceConfig out;
    Config reader("microprice", config);
    out.levels = static_cast<int>(reader.integer("levels", out.levels, {1, MicropriceConfig::kMaxLevels},
                                                 "book levels of the depth-weighted factors"));
    reader.finish();
    return out;
}

}  // namespace sigrun::plugins
