// nats_cluster.hpp — real nats-server processes for the bridge tests: a
// 3-node JetStream cluster (tools/bridge/cluster/node.conf, the config the
// README's local cluster runs) or one node (single-node.conf, auth-node.conf),
// on free loopback ports, data folders under the build tree. Every node is
// stopped and reaped, and its data removed, when the object goes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nats/nats.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bridge_child.hpp"

namespace sigrun::testing {

// `count` distinct free TCP ports on 127.0.0.1: all bound at once (so no two
// are the same), then released for the servers to take.
inline std::vector<int> free_loopback_ports(int count) {
    std::vector<int> fds, ports;
    for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        fds.push_back(fd);
        ports.push_back(ntohs(a.sin_port));
    }
    for (int fd : fds) ::close(fd);
    return ports;
}

class NatsCluster {
public:
    // `nodes` 3 with the cluster's node.conf, 1 with a single-node config.
    // `ready_user`: "user:password@" when the config requires a login.
    NatsCluster(const std::filesystem::path& root, int nodes, const std::filesystem::path& config,
                std::string ready_user = {})
        : root_(root), config_(config), nodes_(nodes), ready_user_(std::move(ready_user)) {
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_);
        const auto ports = free_loopback_ports(2 * nodes);
        for (int i = 0; i < nodes; ++i) {
            client_ports_.push_back(ports[static_cast<std::size_t>(2 * i)]);
            route_ports_.push_back(ports[static_cast<std::size_t>(2 * i + 1)]);
        }
        processes_.resize(static_cast<std::size_t>(nodes));
        for (int i = 0; i < nodes; ++i) start(i);
        wait_ready();
    }
    ~NatsCluster() {
        for (auto& p : processes_) {
            if (p && p->running()) {
                p->signal(SIGTERM);
                if (!p->wait_for(std::chrono::seconds(10))) p->kill_now();
            }
        }
        processes_.clear();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    NatsCluster(const NatsCluster&) = delete;
    NatsCluster& operator=(const NatsCluster&) = delete;

    [[nodiscard]] static std::string name(int i) { return "n" + std::to_string(i + 1); }
    [[nodiscard]] std::string url(int i) const { return "nats://127.0.0.1:" + std::to_string(client_ports_[static_cast<std::size_t>(i)]); }
    [[nodiscard]] std::vector<std::string> urls() const {
        std::vector<std::string> u;
        for (int i = 0; i < nodes_; ++i) u.push_back(url(i));
        return u;
    }
    [[nodiscard]] std::string urls_json() const {
        std::string s = "[";
        for (int i = 0; i < nodes_; ++i) s += (i ? ",\"" : "\"") + url(i) + "\"";
        return s + "]";
    }
    [[nodiscard]] int index_of(const std::string& server_name) const {
        for (int i = 0; i < nodes_; ++i) {
            if (name(i) == server_name) return i;
        }
        return -1;
    }
    [[nodiscard]] std::filesystem::path log(int i) const { return root_ / (name(i) + ".log"); }

    void start(int i) {
        const auto n = static_cast<std::size_t>(nodes_);
        const auto k = static_cast<std::size_t>(i);
        std::map<std::string, std::string> env{
            {"SIGRUN_NATS_NAME", name(i)},
            {"SIGRUN_NATS_LISTEN", "127.0.0.1:" + std::to_string(client_ports_[k])},
            {"SIGRUN_NATS_CLUSTER_LISTEN", "127.0.0.1:" + std::to_string(route_ports_[k])},
            {"SIGRUN_NATS_ROUTE_A", "nats-route://127.0.0.1:" + std::to_string(route_ports_[(k + 1) % n])},
            {"SIGRUN_NATS_ROUTE_B", "nats-route://127.0.0.1:" + std::to_string(route_ports_[(k + 2) % n])},
            {"SIGRUN_NATS_STORE", (root_ / name(i)).string()},
        };
        processes_[k] = start_child({SIGRUN_NATS_SERVER, "-c", config_.string()}, log(i), log(i), env);
    }
    // SIGKILL: no goodbye to the cluster, as when a machine dies.
    void kill(int i) { processes_[static_cast<std::size_t>(i)]->kill_now(); }
    [[nodiscard]] bool running(int i) { return processes_[static_cast<std::size_t>(i)]->running(); }

    // Until every node accepts clients and JetStream answers (a meta leader
    // is elected), at most 30 s.
    void wait_ready() {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (int i = 0; i < nodes_; ++i) {
            for (;;) {
                if (!running(i)) throw std::runtime_error("nats-server " + name(i) + " exited; see " + log(i).string());
                natsConnection* nc = nullptr;
                const std::string login_url = "nats://" + ready_user_ + url(i).substr(7);
                if (natsConnection_ConnectTo(&nc, login_url.c_str()) == NATS_OK) {
                    jsCtx* js = nullptr;
                    jsAccountInfo* ai = nullptr;
                    bool ok = natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
                              js_GetAccountInfo(&ai, js, nullptr, nullptr) == NATS_OK;
                    if (ai) jsAccountInfo_Destroy(ai);
                    if (js) jsCtx_Destroy(js);
                    natsConnection_Destroy(nc);
                    if (ok) break;
                }
                if (std::chrono::steady_clock::now() > until) {
                    throw std::runtime_error("NATS node " + name(i) + " not ready after 30 s; see " + log(i).string());
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    }

private:
    std::filesystem::path root_;
    std::filesystem::path config_;
    int nodes_;
    std::string ready_user_;
    std::vector<int> client_ports_, route_ports_;
    std::vector<std::unique_ptr<SpawnedProcess>> processes_;
};

}  // namespace sigrun::testing
