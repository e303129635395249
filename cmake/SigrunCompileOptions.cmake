# Warnings, sanitizers and the handoff mode, applied to every sigrun target.
add_compile_options(-Wall -Wextra -Wshadow -fno-omit-frame-pointer
                    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)

if(SIGRUN_SANITIZE)
  if(SIGRUN_SANITIZE MATCHES "thread" AND SIGRUN_SANITIZE MATCHES "address")
    message(FATAL_ERROR "SIGRUN_SANITIZE='${SIGRUN_SANITIZE}': ThreadSanitizer cannot be combined with AddressSanitizer; use 'address,undefined' or 'thread'")
  endif()
  add_compile_options(-fsanitize=${SIGRUN_SANITIZE} -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SIGRUN_SANITIZE})
endif()

# Fuzzing (the fuzz preset): every target gets libFuzzer's coverage
# instrumentation plus ASan+UBSan; only the fuzz targets themselves link the
# libFuzzer driver (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt). UB is made
# fatal so that libFuzzer records it as a crash.
if(SIGRUN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SIGRUN_FUZZ=ON needs clang (libFuzzer); got ${CMAKE_CXX_COMPILER_ID}. Use the fuzz preset (cmake --preset fuzz)")
  endif()
  if(SIGRUN_SANITIZE)
    message(FATAL_ERROR "SIGRUN_FUZZ=ON already builds with address,undefined; leave SIGRUN_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# The handoff mode is a property of the SDK and the runner build; plugins pick
# it up from sigrun::sdk's interface definitions.
if(ENABLE_ZERO_COPY)
  set(SIGRUN_HANDOFF_DEFINE SIGRUN_ZERO_COPY=1)
else()
  set(SIGRUN_HANDOFF_DEFINE SIGRUN_ZERO_COPY=0)
endif()
