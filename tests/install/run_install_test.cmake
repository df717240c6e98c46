# The `install` test (see CMakeLists.txt):
#  1. `cmake --install` of the build into WORK_DIR/prefix, and a check of the installed layout;
#  2. configure, build and run consumer/ with find_package(libloyalty 0.1) via CMAKE_PREFIX_PATH;
#  3. pkg-config --cflags --libs libloyalty via PKG_CONFIG_PATH, then compile, link and run the
#     same program with exactly those flags.
cmake_minimum_required(VERSION 3.21)

foreach(var BUILD_DIR WORK_DIR CONSUMER_DIR GENERATOR C_COMPILER PKG_CONFIG LIBDIR EXPECTED_VERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Runs a command; fails the test with its output unless it exits 0. Sets `out` in the caller.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}): ${cmd}\n--- stdout\n${stdout}\n--- stderr\n${stderr}")
  endif()
  set(out "${stdout}" PARENT_SCOPE)
endfunction()

function(expect_output what actual expected)
  if(NOT actual STREQUAL expected)
    message(FATAL_ERROR "${what} printed '${actual}', expected '${expected}'")
  endif()
endfunction()

# 1. Install.
set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" ${config_args})
foreach(f include/loyalty.h include/loyalty/sys/clock.h include/loyalty/version.h
          "${LIBDIR}/cmake/libloyalty/libloyaltyConfig.cmake"
          "${LIBDIR}/cmake/libloyalty/libloyaltyConfigVersion.cmake"
          "${LIBDIR}/cmake/libloyalty/libloyaltyTargets.cmake"
          "${LIBDIR}/pkgconfig/libloyalty.pc")
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()
file(GLOB libs "${prefix}/${LIBDIR}/libloyalty.so*")
if(NOT libs)
  message(FATAL_ERROR "no libloyalty.so* installed in ${prefix}/${LIBDIR}")
endif()
file(GLOB_RECURSE installed RELATIVE "${prefix}" "${prefix}/*")
string(REPLACE ";" "\n  " listing "${installed}")
message(STATUS "installed into ${prefix}:\n  ${listing}")

# 2. find_package(libloyalty) consumer.
set(consumer "${WORK_DIR}/consumer")
run("configuring the consumer" "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${consumer}" -G "${GENERATOR}"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
string(FIND "${out}" "libloyalty ${EXPECTED_VERSION} from ${prefix}/" found)
if(found EQUAL -1)
  message(FATAL_ERROR "the consumer did not find libloyalty ${EXPECTED_VERSION} in ${prefix}:\n${out}")
endif()
run("building the consumer" "${CMAKE_COMMAND}" --build "${consumer}" --config Release)
file(GLOB_RECURSE app LIST_DIRECTORIES false "${consumer}/app" "${consumer}/*/app" "${consumer}/app.exe")
list(GET app 0 app)
run("running the consumer" "${app}")
expect_output("the find_package consumer" "${out}" "libloyalty ${EXPECTED_VERSION}\n")

# 3. pkg-config.
set(ENV{PKG_CONFIG_PATH} "${prefix}/${LIBDIR}/pkgconfig")
run("pkg-config --modversion" "${PKG_CONFIG}" --modversion libloyalty)
expect_output("pkg-config --modversion libloyalty" "${out}" "${EXPECTED_VERSION}\n")
run("pkg-config --exists" "${PKG_CONFIG}" --exists "libloyalty >= 0.1")
run("pkg-config --cflags --libs" "${PKG_CONFIG}" --cflags --libs libloyalty)
string(STRIP "${out}" flags)
message(STATUS "pkg-config --cflags --libs libloyalty: ${flags}")
separate_arguments(flag_list UNIX_COMMAND "${flags}")
set(include_ok FALSE)
set(link_ok FALSE)
file(REAL_PATH "${prefix}/include" want_include)
file(REAL_PATH "${prefix}/${LIBDIR}" want_libdir)
foreach(flag IN LISTS flag_list)
  if(flag MATCHES "^-I(.*)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" dir)
    if(dir STREQUAL want_include)
      set(include_ok TRUE)
    endif()
  elseif(flag MATCHES "^-L(.*)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" dir)
    if(dir STREQUAL want_libdir)
      set(link_ok TRUE)
    endif()
  endif()
endforeach()
if(NOT include_ok OR NOT link_ok OR NOT flags MATCHES "(^| )-lloyalty( |$)")
  message(FATAL_ERROR "pkg-config flags do not point at ${prefix}: ${flags}")
endif()
set(pc_app "${WORK_DIR}/app-pkgconfig")
run("compiling with the pkg-config flags" "${C_COMPILER}" -std=c99 "${CONSUMER_DIR}/main.c" ${flag_list} -o "${pc_app}")
set(ENV{LD_LIBRARY_PATH} "${want_libdir}")
run("running the pkg-config consumer" "${pc_app}")
expect_output("the pkg-config consumer" "${out}" "libloyalty ${EXPECTED_VERSION}\n")

message(STATUS "install test passed: find_package and pkg-config consumers run against ${prefix}")
