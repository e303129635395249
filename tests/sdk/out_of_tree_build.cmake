# What docs/writing-a-plugin.md tells a plugin author to do, done from a
# fresh prefix: install the SDK from a sigrun build tree, then, from the
# INSTALLED examples (share/sigrun/examples),
#   - configure, build and unit-test the C++ template project (sigrun::testing,
#     one test on the installed sample through read_csv);
#   - build the plain C engine with its one-line cc command;
#   - run both through this build's runner on the bundled sample, hot-swapping
#     them from their own files every 1000 frames.
# Run by ctest (see CMakeLists.txt):
#   cmake -DSIGRUN_BUILD_DIR=... -DWORK_DIR=... -DGENERATOR=... -DMAKE_PROGRAM=...
#         -DCXX_COMPILER=... -DC_COMPILER=... -DBUILD_TYPE=... -DEXPECT_ZERO_COPY=ON|OFF
#         -DSIGRUN_EXE=... -DDATA_DIR=... -P out_of_tree_build.cmake
foreach(required SIGRUN_BUILD_DIR WORK_DIR GENERATOR CXX_COMPILER C_COMPILER EXPECT_ZERO_COPY SIGRUN_EXE DATA_DIR)
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
                  include/sigrun/handoff.hpp include/sigrun/host.hpp include/sigrun/config.hpp
                  include/sigrun/testing.hpp include/sigrun/testing/recorded.hpp
                  include/sigrun/market_data/csv_reader.hpp include/sigrun/journal/reader.hpp
                  share/sigrun/examples/data/spot_btcusdt_book20.csv.gz
                  share/sigrun/examples/data/spot_btcusdt_trades.csv.gz
                  share/sigrun/examples/out_of_tree_plugin/CMakeLists.txt
                  share/sigrun/examples/out_of_tree_plugin/spread_engine.cpp
                  share/sigrun/examples/out_of_tree_plugin/spread_engine_test.cpp
                  share/sigrun/examples/c_engine/spread_c.c)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "the install is missing ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE config_files "${prefix}/*/sigrunConfig.cmake")
file(GLOB_RECURSE plugin_helpers "${prefix}/*/SigrunPlugin.cmake")
file(GLOB_RECURSE testing_archives "${prefix}/*/libsigrun_testing.a")
if(NOT testing_archives)
  message(FATAL_ERROR "the install is missing libsigrun_testing.a (sigrun::testing)")
endif()
if(NOT config_files OR NOT plugin_helpers)
  message(FATAL_ERROR "the install is missing sigrunConfig.cmake or SigrunPlugin.cmake")
endif()
set(examples "${prefix}/share/sigrun/examples")

# ---- the C++ template project, with its unit tests ----
set(configure_args -S "${examples}/out_of_tree_plugin" -B "${example_build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
run_step("configuring the installed C++ example" "${CMAKE_COMMAND}" ${configure_args})
if(NOT step_output MATCHES "frame-ref handoff ${EXPECT_ZERO_COPY}")
  message(FATAL_ERROR "the installed package does not report sigrun_ZERO_COPY=${EXPECT_ZERO_COPY}:\n${step_output}")
endif()
# The handoff mode can be chosen out of tree, whatever the SDK was built with.
foreach(mode_expected "copy;OFF" "frame-ref;ON")
  list(GET mode_expected 0 mode)
  list(GET mode_expected 1 expected)
  run_step("configuring the example with -DSIGRUN_HANDOFF=${mode}" "${CMAKE_COMMAND}" ${configure_args}
           -B "${WORK_DIR}/handoff-${mode}" "-DSIGRUN_HANDOFF=${mode}")
  if(NOT step_output MATCHES "frame-ref handoff ${expected}")
    message(FATAL_ERROR "-DSIGRUN_HANDOFF=${mode} did not give sigrun_ZERO_COPY=${expected}:\n${step_output}")
  endif()
endforeach()
run_step("building the installed C++ example" "${CMAKE_COMMAND}" --build "${example_build}")
set(cpp_engine "${example_build}/libspread_engine.so")
if(NOT EXISTS "${cpp_engine}")
  message(FATAL_ERROR "the example built, but ${cpp_engine} is missing")
endif()
run_step("the example's unit tests (sigrun::testing)" "${CMAKE_CTEST_COMMAND}" --test-dir "${example_build}"
         --output-on-failure)

# ---- a C engine: find_package(sigrun COMPONENTS c_sdk) needs no nlohmann_json ----
set(c_project "${WORK_DIR}/c_project")
file(MAKE_DIRECTORY "${c_project}")
file(WRITE "${c_project}/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(c_only LANGUAGES C)
# Hide nlohmann_json: a C engine must not need it.
set(CMAKE_DISABLE_FIND_PACKAGE_nlohmann_json TRUE)
find_package(sigrun CONFIG REQUIRED COMPONENTS c_sdk)
add_library(spread_c MODULE \"${examples}/c_engine/spread_c.c\")
target_link_libraries(spread_c PRIVATE sigrun::c_sdk m)
")
set(c_configure_args -S "${c_project}" -B "${c_project}/build" -G "${GENERATOR}" "-DCMAKE_C_COMPILER=${C_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF")
if(MAKE_PROGRAM)
  list(APPEND c_configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
run_step("configuring a C-only project with COMPONENTS c_sdk" "${CMAKE_COMMAND}" ${c_configure_args})
run_step("building the C-only project" "${CMAKE_COMMAND}" --build "${c_project}/build")

# ---- the plain C engine, with the one compiler line of its header comment ----
set(c_engine "${WORK_DIR}/libspread_c.so")
run_step("compiling the C engine with one cc line"
    "${C_COMPILER}" -std=c11 -O2 -shared -fPIC -fvisibility=hidden "-I${prefix}/include"
    "${examples}/c_engine/spread_c.c" -o "${c_engine}" -lm)

# ---- both through the runner, hot-swapped every 1000 frames ----
set(run_dir "${WORK_DIR}/run")
file(MAKE_DIRECTORY "${run_dir}")
file(WRITE "${run_dir}/runner.json" "{
  \"journal\": { \"dir\": \"journal\", \"md\": { \"capacity\": 4096, \"slot_size\": 512 },
               \"signals\": { \"capacity\": 65536, \"slot_size\": 256 } },
  \"source\": { \"kind\": \"replay\", \"files\": [\"${DATA_DIR}/spot_btcusdt_book20.csv.gz\",
                                             \"${DATA_DIR}/spot_btcusdt_trades.csv.gz\"] },
  \"engines\": [
    { \"name\": \"spread\", \"library\": \"${cpp_engine}\", \"config\": { \"tick_size\": 0.01 } },
    { \"name\": \"spread_c\", \"library\": \"${c_engine}\", \"config\": { \"tick_size\": 0.01 } }
  ],
  \"hot_swap\": { \"watch\": false },
  \"output\": { \"print_factors\": 0 }
}
")
run_step("running both engines through the runner" "${SIGRUN_EXE}" --config "${run_dir}/runner.json" --reload-every 1000)
foreach(expected "spread +spread_engine 1.0.0 \\([0-9]+v\\) +1793 +1[0-9][0-9][0-9] "
                 "spread_c +spread_c 1.0.0 \\([0-9]+v\\) +1793 +1[0-9][0-9][0-9] "
                 "hot swaps +[1-9][0-9]* ok, 0 failed, 0 not unloaded")
  if(NOT step_output MATCHES "${expected}")
    message(FATAL_ERROR "the runner's summary lacks /${expected}/:\n${step_output}")
  endif()
endforeach()
message(STATUS "installed examples built, unit-tested and run through the runner:\n${step_output}")
