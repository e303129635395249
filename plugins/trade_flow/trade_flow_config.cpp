#include "trade_flow_config.hpp"

#include "sigrun/config.hpp"
#include "sigrun/plugins/config_reader.hpp"

namespace sigrun::plugins {

// "window_events", "window_ns" and "window_capacity" count trades.
constexpr WindowKeys kWindowKeys{"trades", "trades", TradeFlowConfig::kDefaultTimeWindowCapacity,
                                 TradeFlowConfig::kMaxWindowCapacity};

TradeFlowConfig parse_trade_flow_config(const nlohmann::json& config) {
    TradeFlowConfig out;
    Config reader("trade_flow", config, {"window_events", "window_ns", "window_capacity"});
    read_window(reader, kWindowKeys, out.capacity, out.span_ns);
    reader.finish();
    return out;
}

}  // namespace sigrun::plugins
