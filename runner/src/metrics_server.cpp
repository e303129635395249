#include "metrics_server.hpp"

#include <charconv>
#include <exception>

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include "config.hpp"

namespace sigrun::runner {

std::string listen_address_problem(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return "is not host:port";
    const std::string_view port(listen.data() + colon + 1, listen.size() - colon - 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
        return "has no port number from 0 to 65535 after the last ':'";
    }
    return {};
}

MetricsServer::MetricsServer(const std::string& listen, const std::string& origin) {
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception& e) {
        // civetweb says only "null context when constructing CivetServer".
        throw ConfigError(fmt::format("config {}: $.metrics.listen {} cannot be listened on (address in use, or not "
                                      "an address of this host); pick a free port or another address",
                                      origin, listen));
    }
    spdlog::info("metrics: serving http://{}:{}/metrics", listen.substr(0, listen.rfind(':')), port());
}

void MetricsServer::serve(const std::shared_ptr<prometheus::Collectable>& metrics) {
    exposer_->RegisterCollectable(metrics);
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
    const auto ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
}

}  // namespace sigrun::runner
