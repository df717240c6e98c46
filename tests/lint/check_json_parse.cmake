cmake_policy(SET CMP0057 NEW)
# Guard: every parse of JSON text goes through loyalty::parse_json (untrusted input: depth limit,
# duplicate keys, number ranges) or detail::parse_stored (text the engine wrote itself), both in
# src/core/input.cpp. A direct `json::parse(` anywhere else in the engine, the C ABI or a binding
# fails this test. Usage: cmake -DROOT=<source dir> -P check_json_parse.cmake
file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/src/*.cpp" "${ROOT}/src/*.hpp" "${ROOT}/capi/*.cpp"
     "${ROOT}/capi/*.hpp" "${ROOT}/capi/*.h" "${ROOT}/bindings/*.cpp" "${ROOT}/bindings/*.hpp"
     "${ROOT}/bindings/*.cc" "${ROOT}/bindings/*.h")
set(allowed "src/core/input.cpp")
set(bad "")
foreach(f IN LISTS sources)
  if(f IN_LIST allowed OR f MATCHES "(^|/)(build|node_modules)/")
    continue()
  endif()
  file(STRINGS "${ROOT}/${f}" hits REGEX "json::parse\\(|json::accept\\(|::from_(cbor|msgpack|bson|ubjson|bjdata)\\(")
  foreach(h IN LISTS hits)
    string(STRIP "${h}" h)
    string(APPEND bad "\n  ${f}: ${h}")
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "parse JSON through loyalty::parse_json (untrusted) or detail::parse_stored (engine-written), "
                      "never json::parse directly:${bad}")
endif()
list(LENGTH sources n)
message(STATUS "check_json_parse: ${n} files, no direct json::parse outside src/core/input.cpp")
