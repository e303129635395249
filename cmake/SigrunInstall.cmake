# Install rules and the find_package(sigrun) package config.
#
# Component `sdk` is everything a plugin author needs:
#   <prefix>/include/sigrun/*.h, *.hpp          the SDK headers
#   <prefix>/lib/cmake/sigrun/sigrunConfig.cmake  + version file + targets
#   <prefix>/lib/cmake/sigrun/SigrunPlugin.cmake  sigrun_add_plugin()
# so that an out-of-tree project can write
#   find_package(sigrun REQUIRED)
#   sigrun_add_plugin(myengine SOURCES my_engine.cpp)
# Component `runtime` is the sigrun runner executable, when it is built.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIGRUN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/sigrun")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/signal_sdk/include/sigrun"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT sdk
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

install(TARGETS sigrun_sdk EXPORT sigrunTargets COMPONENT sdk)
install(EXPORT sigrunTargets
        NAMESPACE sigrun::
        DESTINATION "${SIGRUN_INSTALL_CMAKEDIR}"
        COMPONENT sdk)

# The handoff mode is baked into the installed sigrun::sdk target; the config
# file also states it so a project can print or check it.
set(SIGRUN_PACKAGE_ZERO_COPY ${ENABLE_ZERO_COPY})
configure_package_config_file(
    "${CMAKE_CURRENT_LIST_DIR}/sigrunConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/package/sigrunConfig.cmake"
    INSTALL_DESTINATION "${SIGRUN_INSTALL_CMAKEDIR}")
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
