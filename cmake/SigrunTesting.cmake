# sigrun_add_gtest(<target> SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s])
#
# Builds one GoogleTest executable and registers each of its tests with ctest.
# With SIGRUN_MEMCHECK=ON (the memcheck preset) every test runs under valgrind
# memcheck and fails on any error or definite/indirect leak, so
# `ctest --preset memcheck` is the leak check (CMake 3.25 test presets have no
# memcheck field, so the wrapper is set here, as Arrow's ARROW_TEST_MEMCHECK does).
include(GoogleTest)

find_program(SIGRUN_VALGRIND valgrind)
set(SIGRUN_VALGRIND_SUPPRESSIONS "${PROJECT_SOURCE_DIR}/tests/valgrind.supp")
if(SIGRUN_MEMCHECK)
  if(NOT SIGRUN_VALGRIND)
    message(FATAL_ERROR "SIGRUN_MEMCHECK=ON but valgrind was not found: install it (apt-get install valgrind) or configure another preset")
  endif()
  set(SIGRUN_TEST_WRAPPER
      ${SIGRUN_VALGRIND} --tool=memcheck --leak-check=full
      --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
      --error-exitcode=1 --keep-debuginfo=yes --track-origins=yes --num-callers=30
      --suppressions=${SIGRUN_VALGRIND_SUPPRESSIONS})
endif()

function(sigrun_add_gtest target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE GTest::gtest GTest::gtest_main Threads::Threads ${ARG_LIBS})
  # Plain 0/1 here: SIGRUN_SANITIZE holds a comma ("address,undefined") that
  # would split a generator expression.
  if(SIGRUN_MEMCHECK)
    set(memcheck 1)
  else()
    set(memcheck 0)
  endif()
  if(SIGRUN_SANITIZE)
    set(sanitized 1)
  else()
    set(sanitized 0)
  endif()
  target_compile_definitions(${target} PRIVATE
      SIGRUN_TEST_MEMCHECK=${memcheck} SIGRUN_TEST_SANITIZED=${sanitized})
  if(SIGRUN_MEMCHECK)
    # For the tools a test spawns (tests/support/child_command.hpp).
    target_compile_definitions(${target} PRIVATE
        SIGRUN_TEST_VALGRIND="${SIGRUN_VALGRIND}"
        SIGRUN_TEST_VALGRIND_SUPPRESSIONS="${SIGRUN_VALGRIND_SUPPRESSIONS}")
  endif()
  if(SIGRUN_TEST_WRAPPER)
    set_property(TARGET ${target} PROPERTY CROSSCOMPILING_EMULATOR "${SIGRUN_TEST_WRAPPER}")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(labels ${ARG_LABELS})
  if(NOT labels)
    set(labels unit)
  endif()
  # A list value must be escaped so that PROPERTIES keeps it as one value.
  string(REPLACE ";" "\\;" labels "${labels}")
  gtest_discover_tests(${target}
      TEST_PREFIX "${target}."
      PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT}
      DISCOVERY_TIMEOUT 120
      DISCOVERY_MODE PRE_TEST)
endfunction()
