#include "trade_flow_config.hpp"

#include "sigrun/plugins/config_reader.hpp"

namespace sigrun::plugins {

// "window_events", "window_ns" and "window_capacity" count trades.
constexpr WindowKeys kWindowKeys{"trades", "trades", TradeFlowConfig::kDefaultTimeWindowCapacity,
                                 TradeFlowConfig::kMaxWindowCapacity};

TradeFlowConfig parse_trade_flow_config(const nlohmann::json& config) {
    TradeFlowConfig out;
    const ConfigReader reader("trade_flow", config, R"({"window_ns": 1000000000})",
                              {"window_events", "window_ns", "window_capacity"});
    read_window(reader, kWindowKeys, out.capacity, out.span_ns);
    return out;
}

}  // namespace sigrun::plugins
