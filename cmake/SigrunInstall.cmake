# Install rules and the find_package(sigrun) package config (filled in with the SDK).
