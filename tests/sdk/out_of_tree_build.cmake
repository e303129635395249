# Installs the SDK from a sigrun build tree into a scratch prefix, then
# configures and builds examples/out_of_tree_plugin against it, the way a
# plugin author outside the tree would. Run by ctest (see CMakeLists.txt):
#   cmake -DSIGRUN_BUILD_DIR=... -DEXAMPLE_DIR=... -DWORK_DIR=... -DGENERATOR=...
#         -DMAKE_PROGRAM=... -DCXX_COMPILER=... -DBUILD_TYPE=... -DEXPECT_ZERO_COPY=ON|OFF
#         -P out_of_tree_build.cmake
foreach(required SIGRUN_BUILD_DIR EXAMPLE_DIR WORK_DIR GENERATOR CXX_COMPILER EXPECT_ZERO_COPY)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "out_of_tree_build.cmake: -D${required}=... is required")
  endif()
endforeach()

function(run_step description)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${description} failed (${result}):\n${output}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
set(example_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")

# Only the sdk component: the install must not need the runner to be built.
run_step("installing the SDK"
    "${CMAKE_COMMAND}" --install "${SIGRUN_BUILD_DIR}" --prefix "${prefix}" --component sdk)

foreach(installed include/sigrun/signal_api.h include/sigrun/messages.h include/sigrun/engine.hpp
                  include/sigrun/handoff.hpp include/sigrun/host.hpp)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "the install is missing ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE config_files "${prefix}/*/sigrunConfig.cmake")
file(GLOB_RECURSE plugin_helpers "${prefix}/*/SigrunPlugin.cmake")
if(NOT config_files OR NOT plugin_helpers)
  message(FATAL_ERROR "the install is missing sigrunConfig.cmake or SigrunPlugin.cmake")
endif()

set(configure_args -S "${EXAMPLE_DIR}" -B "${example_build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
run_step("configuring the out-of-tree example" "${CMAKE_COMMAND}" ${configure_args})
if(NOT step_output MATCHES "frame-ref handoff ${EXPECT_ZERO_COPY}")
  message(FATAL_ERROR "the installed package does not report sigrun_ZERO_COPY=${EXPECT_ZERO_COPY}:\n${step_output}")
endif()

run_step("building the out-of-tree example" "${CMAKE_COMMAND}" --build "${example_build}")

if(NOT EXISTS "${example_build}/libspread_engine.so")
  message(FATAL_ERROR "the example built, but ${example_build}/libspread_engine.so is missing")
endif()
message(STATUS "out-of-tree plugin built against the installed SDK: ${example_build}/libspread_engine.so")
