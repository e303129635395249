# cmake -DPRESET=<test preset> -P .ci/preset-filter.cmake
# Prints the filter.include.name regex of a test preset of CMakePresets.json
# (following "inherits"), or nothing when it has none. .ci/run uses it to
# check that a partial build (a build preset with "targets") built every test
# executable the test preset selects.
cmake_minimum_required(VERSION 3.25)
file(READ "${CMAKE_CURRENT_LIST_DIR}/../CMakePresets.json" presets)
string(JSON count LENGTH "${presets}" testPresets)
math(EXPR last "${count} - 1")

set(name "${PRESET}")
while(name)
  set(found "")
  foreach(i RANGE ${last})
    string(JSON candidate GET "${presets}" testPresets ${i} name)
    if(candidate STREQUAL name)
      set(found ${i})
      break()
    endif()
  endforeach()
  if(found STREQUAL "")
    message(FATAL_ERROR "test preset '${name}' not found")
  endif()
  string(JSON regex ERROR_VARIABLE no_filter GET "${presets}" testPresets ${found} filter include name)
  if(NOT no_filter)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E echo "${regex}")
    return()
  endif()
  # "inherits": a name or an array; the first parent is enough here.
  string(JSON parent ERROR_VARIABLE no_parent GET "${presets}" testPresets ${found} inherits)
  if(no_parent)
    return()
  endif()
  string(JSON parent_type TYPE "${presets}" testPresets ${found} inherits)
  if(parent_type STREQUAL "ARRAY")
    string(JSON parent GET "${presets}" testPresets ${found} inherits 0)
  endif()
  set(name "${parent}")
endwhile()
