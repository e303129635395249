// runner/src/metrics_server.hpp — serves /metrics over HTTP
// (prometheus-cpp's Exposer) for "metrics": {"listen": "host:port"}.
#pragma once

#include <memory>
#include <string>

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace sigrun::runner {

class MetricsServer {
public:
    // Listens on `listen` ("127.0.0.1:9464"; port 0 picks a free one);
    // /metrics is empty until serve(). Throws ConfigError naming the address
    // when it cannot listen — before the runner touches any journal.
    MetricsServer(const std::string& listen, const std::string& origin);
    // Serves `metrics` at /metrics from prometheus-cpp's own threads.
    void serve(const std::shared_ptr<prometheus::Collectable>& metrics);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // The port it listens on (the chosen one when asked for port 0).
    [[nodiscard]] int port() const;

private:
    std::unique_ptr<prometheus::Exposer> exposer_;
};

// Checks a "host:port" listen address; returns why not, empty when fine.
std::string listen_address_problem(const std::string& listen);

}  // namespace sigrun::runner
