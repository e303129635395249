#include "microprice_config.hpp"

#include "sigrun/plugins/config_reader.hpp"

namespace sigrun::plugins {

MicropriceConfig parse_microprice_config(const nlohmann::json& config) {
    MicropriceConfig out;
    const ConfigReader reader("microprice", config, R"({"levels": 5})", {"levels"});
    if (reader.has("levels")) {
        out.levels = static_cast<int>(reader.integer("levels", 1, MicropriceConfig::kMaxLevels,
                                                     "book levels of the depth-weighted factors"));
    }
    return out;
}

}  // namespace sigrun::plugins
