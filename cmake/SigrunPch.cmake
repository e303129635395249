# Precompiled headers for the in-tree targets (build speed only; nothing of
# this is installed, and sigrun_add_plugin() in an out-of-tree project never
# sees it). -DSIGRUN_PCH=OFF builds without.
#
# <nlohmann/json.hpp> is the heaviest header of the tree (the SDK's engine.hpp
# includes it, so every C++ plugin, the runner and most tests parse it) and it
# never changes, so it is precompiled once per *flag set* and reused
# (REUSE_FROM) by every target with a source file that includes it, directly
# or through the project's headers (scanned at configure time); the target's
# other source files skip the PCH, since loading it (100+ MB with -g) costs
# about as much as parsing a small file. A stale scan (an include added or
# removed since the last configure) only costs time, never correctness.
#
# A precompiled header is only valid, and only means the same thing, when it
# was compiled with the flags of its users:
#   - GCC refuses a PCH built with -fPIC in a -fPIE executable (and the other
#     way round), so executables and libraries get different PCHs;
#   - -fvisibility=hidden / -fvisibility-inlines-hidden and -fno-gnu-unique
#     (the plugins and the static libraries linked into them, see
#     cmake/SigrunPlugin.cmake and plugins/CMakeLists.txt) are NOT checked by
#     GCC: a PCH built without them would silently give a plugin
#     default-visibility, STB_GNU_UNIQUE template statics from json.hpp, the
#     very thing that keeps a plugin mapped after dlclose. So they are part of
#     the flag set too;
#   - the sanitizer, build-type and warning flags are the same for every
#     target of a build tree (add_compile_options in SigrunCompileOptions).
# Each flag set gets a small carrier target (sigrun_pch_<n>) compiled with
# exactly those properties and no target-specific definitions; the users
# REUSE_FROM it. (gtest/gmock were tried in the tests' PCH too: no measurable
# gain, a 160 MB PCH and one more flag set.)
option(SIGRUN_PCH "precompile <nlohmann/json.hpp> for the in-tree targets that include it" ON)

# Every buildsystem target defined in <dir> and below.
function(_sigrun_pch_all_targets dir out_var)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    _sigrun_pch_all_targets("${subdir}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out_var} ${targets} PARENT_SCOPE)
endfunction()

# Sets <out_var> to ON when <file> includes <nlohmann/json.hpp>, itself or
# through a header found in its own folder or in <dirs> (the project's include
# folders). Results are memoised per file.
function(_sigrun_pch_includes_json file dirs out_var)
  get_property(is_known GLOBAL PROPERTY "SIGRUN_PCH_JSON ${file}" SET)
  if(is_known)
    get_property(known GLOBAL PROPERTY "SIGRUN_PCH_JSON ${file}")
    set(${out_var} ${known} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY "SIGRUN_PCH_JSON ${file}" OFF)  # include cycles end here
  set(result OFF)
  if(EXISTS "${file}")
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    get_filename_component(own_dir "${file}" DIRECTORY)
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*" "\\1" name "${line}")
      if(name STREQUAL "nlohmann/json.hpp")
        set(result ON)
        break()
      endif()
      foreach(dir IN ITEMS "${own_dir}" ${dirs})
        if(EXISTS "${dir}/${name}" AND NOT IS_DIRECTORY "${dir}/${name}")
          _sigrun_pch_includes_json("${dir}/${name}" "${dirs}" found)
          if(found)
            set(result ON)
          endif()
          break()
        endif()
      endforeach()
      if(result)
        break()
      endif()
    endforeach()
  endif()
  set_property(GLOBAL PROPERTY "SIGRUN_PCH_JSON ${file}" ${result})
  set(${out_var} ${result} PARENT_SCOPE)
endfunction()

# sigrun_precompile_headers(): call once, at the end of the top-level
# CMakeLists.txt, after every add_subdirectory().
function(sigrun_precompile_headers)
  if(NOT SIGRUN_PCH)
    return()
  endif()
  set(stub "${CMAKE_BINARY_DIR}/CMakeFiles/sigrun/pch_stub.cpp")
  file(CONFIGURE OUTPUT "${stub}" CONTENT "// Carrier of a precompiled header (cmake/SigrunPch.cmake).\nint main() { return 0; }\n")

  _sigrun_pch_all_targets("${CMAKE_SOURCE_DIR}" targets)
  # The project's include folders, for the include scan.
  set(include_dirs "")
  foreach(target IN LISTS targets)
    foreach(prop INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES)
      get_target_property(dirs ${target} ${prop})
      if(dirs)
        foreach(dir IN LISTS dirs)
          string(REGEX REPLACE "^\\$<BUILD_INTERFACE:(.*)>$" "\\1" dir "${dir}")
          string(FIND "${dir}" "${CMAKE_SOURCE_DIR}/" in_source)
          string(FIND "${dir}" "${CMAKE_BINARY_DIR}/" in_binary)
          if((in_source EQUAL 0 OR in_binary EQUAL 0) AND NOT dir MATCHES "\\$<")
            list(APPEND include_dirs "${dir}")
          endif()
        endforeach()
      endif()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES include_dirs)

  set(keys "")
  set(summary "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    # Left alone: targets that chose their own, or none.
    get_target_property(own ${target} PRECOMPILE_HEADERS)
    get_target_property(reuse ${target} PRECOMPILE_HEADERS_REUSE_FROM)
    get_target_property(disabled ${target} DISABLE_PRECOMPILE_HEADERS)
    if(own OR reuse OR disabled)
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    list(TRANSFORM sources PREPEND "${source_dir}/" REGEX "^[^/$]")
    set(json_sources "")
    set(other_sources "")
    foreach(source IN LISTS sources)
      set(uses_json OFF)
      if(source MATCHES "\\.(cpp|cc|cxx)$")
        _sigrun_pch_includes_json("${source}" "${include_dirs}" uses_json)
      endif()
      if(uses_json)
        list(APPEND json_sources "${source}")
      elseif(source MATCHES "\\.(c|cpp|cc|cxx)$")
        list(APPEND other_sources "${source}")
      endif()
    endforeach()
    if(NOT json_sources)
      continue()
    endif()

    # The flag set: what decides the validity and the meaning of the PCH.
    if(type STREQUAL "EXECUTABLE")
      set(kind exe)
    else()
      set(kind lib)
    endif()
    get_target_property(pic ${target} POSITION_INDEPENDENT_CODE)
    get_target_property(vis ${target} CXX_VISIBILITY_PRESET)
    get_target_property(inl ${target} VISIBILITY_INLINES_HIDDEN)
    get_target_property(std ${target} CXX_STANDARD)
    get_target_property(ext ${target} CXX_EXTENSIONS)
    get_target_property(opts ${target} COMPILE_OPTIONS)
    set(gnu_unique ON)
    if(opts MATCHES "-fno-gnu-unique")
      set(gnu_unique OFF)
    endif()
    set(key "${kind}|${pic}|${vis}|${inl}|${std}|${ext}|${gnu_unique}")
    list(FIND keys "${key}" index)
    if(index EQUAL -1)
      list(LENGTH keys index)
      list(APPEND keys "${key}")
      set(carrier sigrun_pch_${index})
      if(kind STREQUAL "exe")
        add_executable(${carrier} EXCLUDE_FROM_ALL "${stub}")
      else()
        add_library(${carrier} OBJECT EXCLUDE_FROM_ALL "${stub}")
      endif()
      set_target_properties(${carrier} PROPERTIES POSITION_INDEPENDENT_CODE "${pic}")
      foreach(prop IN ITEMS CXX_VISIBILITY_PRESET VISIBILITY_INLINES_HIDDEN CXX_STANDARD CXX_EXTENSIONS)
        get_target_property(value ${target} ${prop})
        if(NOT value MATCHES "-NOTFOUND$")
          set_property(TARGET ${carrier} PROPERTY ${prop} "${value}")
        endif()
      endforeach()
      if(NOT gnu_unique)
        target_compile_options(${carrier} PRIVATE $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-fno-gnu-unique>)
      endif()
      target_link_libraries(${carrier} PRIVATE nlohmann_json::nlohmann_json)
      target_precompile_headers(${carrier} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:<nlohmann/json.hpp>>")
      list(APPEND summary "${carrier} (${key})")
    else()
      set(carrier sigrun_pch_${index})
    endif()
    target_precompile_headers(${target} REUSE_FROM ${carrier})
    # Its other sources (C ones have no PCH to reuse) go without.
    if(other_sources)
      set_source_files_properties(${other_sources} TARGET_DIRECTORY ${target}
          PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    endif()
    # clang stamps the PCH with the headers' mtimes unless told not to, which
    # ccache cannot hash (and a fresh checkout changes).
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-Xclang -fno-pch-timestamp>")
    endif()
    list(LENGTH json_sources n_json)
    list(LENGTH other_sources n_other)
    math(EXPR n_all "${n_json} + ${n_other}")
    list(APPEND summary_users_${index} "${target}(${n_json}/${n_all})")
  endforeach()

  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    list(LENGTH keys n)
    if(n GREATER 0)
      math(EXPR last "${n} - 1")
      foreach(i RANGE ${last})
        target_compile_options(sigrun_pch_${i} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-Xclang -fno-pch-timestamp>")
      endforeach()
    endif()
  endif()
  list(LENGTH keys n)
  message(STATUS "sigrun precompiled headers: ${n} flag sets")
  set(i 0)
  foreach(line IN LISTS summary)
    list(LENGTH summary_users_${i} users)
    message(VERBOSE "    ${line}: ${users} targets: ${summary_users_${i}}")
    math(EXPR i "${i} + 1")
  endforeach()
endfunction()
