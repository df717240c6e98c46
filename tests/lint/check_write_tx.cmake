cmake_policy(SET CMP0057 NEW)
# Guard: every write of a module goes through write_op (src/audit/write_op.hpp), the one frame
# that begins the write unit of work, re-checks the session, appends the audit rows the body
# recorded and commits. A module that begins a write transaction itself (`TxMode::write`),
# commits one (`.commit()`) or appends audit rows outside that frame (`audit_append(`) fails this
# test. Allowed: the helper, the audit module that implements audit_append, the storage backend,
# and the engine's own bookkeeping at open (engine.cpp records the admin key hash; no session,
# no audit row). Usage: cmake -DROOT=<source dir> -P check_write_tx.cmake
file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/src/*.cpp" "${ROOT}/src/*.hpp")
set(allowed_write "src/audit/write_op.hpp" "src/engine/engine.cpp")
set(allowed_audit "src/audit/write_op.hpp" "src/audit/audit.cpp" "src/audit/audit.hpp")
set(bad "")
foreach(f IN LISTS sources)
  if(f MATCHES "^src/storage/")
    continue()
  endif()
  if(NOT f IN_LIST allowed_write)
    file(STRINGS "${ROOT}/${f}" hits REGEX "TxMode::write|[.]commit\\(\\)")
    foreach(h IN LISTS hits)
      string(STRIP "${h}" h)
      string(APPEND bad "\n  ${f}: ${h}")
    endforeach()
  endif()
  if(NOT f IN_LIST allowed_audit)
    file(STRINGS "${ROOT}/${f}" hits REGEX "audit_append\\(")
    foreach(h IN LISTS hits)
      string(STRIP "${h}" h)
      string(APPEND bad "\n  ${f}: ${h}")
    endforeach()
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "writes go through write_op (src/audit/write_op.hpp), which opens the write unit of work, "
                      "re-checks the session, appends the recorded audit rows and commits:${bad}")
endif()
list(LENGTH sources n)
message(STATUS "check_write_tx: ${n} files, every write through write_op")
