# ccache as the compiler launcher, whenever it is installed and the user has
# not chosen a launcher (-DCMAKE_<LANG>_COMPILER_LAUNCHER=..., or the
# environment variable of the same name; an empty value turns it off too).
# -DSIGRUN_CCACHE=OFF builds without it. Not installed: a plugin project
# built against the installed SDK picks its own launcher.
#
# ccache hashes the compiler, every flag and the preprocessed source, so the
# release, sanitizer, memcheck and fuzz builds never share an object. The
# precompiled headers (cmake/SigrunPch.cmake) need two things for their
# users to be cacheable at all (ccache manual, "Precompiled headers"):
# sloppiness pch_defines,time_macros (plus include_file_mtime,ctime, since the
# .gch is written moments before its first user compiles), set here through
# the launcher so that it holds for a plain `cmake --build` too, and, with
# clang, -Xclang -fno-pch-timestamp (added by SigrunPch.cmake).
option(SIGRUN_CCACHE "use ccache as the compiler launcher when it is installed" ON)

set(SIGRUN_CCACHE_SLOPPINESS pch_defines,time_macros,include_file_mtime,include_file_ctime)
set(SIGRUN_CCACHE_USED OFF)
if(SIGRUN_CCACHE)
  find_program(SIGRUN_CCACHE_PROGRAM ccache)
  if(SIGRUN_CCACHE_PROGRAM)
    foreach(lang C CXX)
      if(NOT DEFINED CMAKE_${lang}_COMPILER_LAUNCHER AND NOT DEFINED ENV{CMAKE_${lang}_COMPILER_LAUNCHER})
        set(CMAKE_${lang}_COMPILER_LAUNCHER
            "${CMAKE_COMMAND}" -E env "CCACHE_SLOPPINESS=${SIGRUN_CCACHE_SLOPPINESS}" "${SIGRUN_CCACHE_PROGRAM}")
        set(SIGRUN_CCACHE_USED ON)
      endif()
    endforeach()
  endif()
endif()
