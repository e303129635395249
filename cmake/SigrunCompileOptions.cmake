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

# The handoff mode is a property of the SDK and the runner build; plugins pick
# it up from sigrun::sdk's interface definitions.
if(ENABLE_ZERO_COPY)
  set(SIGRUN_HANDOFF_DEFINE SIGRUN_ZERO_COPY=1)
else()
  set(SIGRUN_HANDOFF_DEFINE SIGRUN_ZERO_COPY=0)
endif()
