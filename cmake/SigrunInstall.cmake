# Install rules and the find_package(sigrun) package config.
#
# Component `sdk` is everything a plugin author needs:
#   <prefix>/include/sigrun/*.h, *.hpp          the SDK headers
#   <prefix>/lib/libsigrun_testing.a (+ market_data, journal)  sigrun::testing's readers
#   <prefix>/lib/cmake/sigrun/sigrunConfig.cmake  + version file + targets
#   <prefix>/lib/cmake/sigrun/SigrunPlugin.cmake  sigrun_add_plugin()
# so that an out-of-tree project can write
#   find_package(sigrun REQUIRED)
#   sigrun_add_plugin(myengine SOURCES my_engine.cpp)
# and the examples under <prefix>/share/sigrun/examples (the C++ template
# project with its unit tests, the plain C engine).
# Component `runtime` is the sigrun runner executable, when it is built.
# Component `plugins` is the shipped engines under <prefix>/lib/sigrun/plugins
# and a runner config example pointing at them; an engine not built yet is
# named with the target to build instead of failing the whole install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIGRUN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/sigrun")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/signal_sdk/include/sigrun"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT sdk
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

install(TARGETS sigrun_sdk sigrun_c_sdk EXPORT sigrunTargets COMPONENT sdk)
# sigrun::testing's compiled part and the two libraries it reads recorded data
# with (CSVs: sigrun::market_data, md journals: sigrun::journal), as static
# archives with their headers, so the installed SDK needs nothing of the
# source tree. Link-only dependencies: zlib, fmt, threads (sigrunConfig.cmake
# finds them when sigrun::testing is wanted).
install(DIRECTORY "${PROJECT_SOURCE_DIR}/journal/include/sigrun"
                  "${PROJECT_SOURCE_DIR}/signal_sdk/market_data/include/sigrun"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT sdk
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS sigrun_testing sigrun_market_data sigrun_journal EXPORT sigrunTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT sdk)
# Archives built with sanitizers need the sanitizer runtime in whatever links
# them: the installed targets say so (in the build tree every target already
# links with it, see SigrunCompileOptions.cmake).
if(SIGRUN_SANITIZE)
  foreach(archive sigrun_testing sigrun_market_data sigrun_journal)
    target_link_options(${archive} INTERFACE "$<INSTALL_INTERFACE:-fsanitize=${SIGRUN_SANITIZE}>")
  endforeach()
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples/out_of_tree_plugin" "${PROJECT_SOURCE_DIR}/examples/c_engine"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/sigrun/examples"
        COMPONENT sdk)
install(EXPORT sigrunTargets
        NAMESPACE sigrun::
        DESTINATION "${SIGRUN_INSTALL_CMAKEDIR}"
        COMPONENT sdk)

# The handoff mode is baked into the installed sigrun::sdk target; the config
# file also states it so a project can print or check it.
set(SIGRUN_PACKAGE_ZERO_COPY ${ENABLE_ZERO_COPY})
set(SIGRUN_INSTALL_EXAMPLESDIR "${CMAKE_INSTALL_DATADIR}/sigrun/examples")
configure_package_config_file(
    "${CMAKE_CURRENT_LIST_DIR}/sigrunConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/package/sigrunConfig.cmake"
    INSTALL_DESTINATION "${SIGRUN_INSTALL_CMAKEDIR}"
    PATH_VARS SIGRUN_INSTALL_EXAMPLESDIR)
# Same major version = same C ABI major.
write_basic_package_version_file(
    "${PROJECT_BINARY_DIR}/package/sigrunConfigVersion.cmake"
    VERSION "${PROJECT_VERSION}"
    COMPATIBILITY SameMajorVersion
    ARCH_INDEPENDENT)
install(FILES
        "${PROJECT_BINARY_DIR}/package/sigrunConfig.cmake"
        "${PROJECT_BINARY_DIR}/package/sigrunConfigVersion.cmake"
        "${CMAKE_CURRENT_LIST_DIR}/SigrunPlugin.cmake"
        DESTINATION "${SIGRUN_INSTALL_CMAKEDIR}"
        COMPONENT sdk)

if(TARGET sigrun)
  install(TARGETS sigrun RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)
endif()

# Shipped engines: OPTIONAL, so a partially built tree installs what it has;
# the check below names each engine still to build.
set(SIGRUN_SHIPPED_ENGINES sigrun_ofi sigrun_microprice sigrun_trade_flow sigrun_vpin)
set(SIGRUN_INSTALL_PLUGINDIR "${CMAKE_INSTALL_LIBDIR}/sigrun/plugins")
foreach(engine IN LISTS SIGRUN_SHIPPED_ENGINES)
  if(TARGET ${engine})
    install(TARGETS ${engine} LIBRARY DESTINATION "${SIGRUN_INSTALL_PLUGINDIR}" COMPONENT plugins OPTIONAL)
    install(CODE "if(NOT EXISTS \"$<TARGET_FILE:${engine}>\")
  message(WARNING \"sigrun: ${engine} is not built, so not installed; build it with: cmake --build ${PROJECT_BINARY_DIR} --target ${engine}\")
endif()" COMPONENT plugins)
  endif()
endforeach()
# The example config sits in share/sigrun/examples; its paths are relative to
# it (the runner resolves them against the config's folder).
file(RELATIVE_PATH SIGRUN_EXAMPLE_PLUGINS "/prefix/${CMAKE_INSTALL_DATADIR}/sigrun/examples"
     "/prefix/${SIGRUN_INSTALL_PLUGINDIR}")
configure_file("${PROJECT_SOURCE_DIR}/examples/demo/installed_runner.json.in"
               "${PROJECT_BINARY_DIR}/package/runner.json" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/package/runner.json"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/sigrun/examples" COMPONENT plugins)
# The sample: for the runner config above (plugins) and for unit tests that
# feed it through sigrun::testing::read_csv (sdk; sigrun_EXAMPLES_DIR).
foreach(component plugins sdk)
  install(FILES "${PROJECT_SOURCE_DIR}/examples/data/spot_btcusdt_book20.csv.gz"
                "${PROJECT_SOURCE_DIR}/examples/data/spot_btcusdt_trades.csv.gz"
                "${PROJECT_SOURCE_DIR}/examples/data/SOURCE.md"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/sigrun/examples/data" COMPONENT ${component})
endforeach()
