# The WebAssembly targets (included from the top CMakeLists.txt under emcmake).
#
# Three modules are linked from the same engine sources:
#   dist/wasm/datalite.mjs             single-threaded ES module, wasm exceptions;
#                                      browsers, workers, Node (wasmBinary), Deno, workerd
#   dist/wasm-mt/datalite-mt.cjs       -pthread CommonJS glue for Node
#   dist/wasm-mt-web/datalite-mt.mjs   -pthread ES module for cross-origin-isolated pages
#
# All three use wasm exception handling. Emscripten 3.1.6 alone never catches
# a wasm exception in a -pthread build (its libunwind keeps the landing-pad
# context thread-local, clang 14 writes it as a plain global);
# wasm/pthread_unwind.cpp replaces that part of libunwind in the threaded
# builds. Every object of a -pthread link must itself be compiled with
# -pthread, hence one engine library per variant.

# em++ runs acorn-optimizer.js at -O2+, which needs Debian's node modules.
set(CMAKE_CXX_LINKER_LAUNCHER ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs)

set(DATALITE_DIST_DIR "${CMAKE_CURRENT_SOURCE_DIR}/dist" CACHE PATH "Where the wasm modules are written")
option(DATALITE_WASM_THREADS "Also build the -pthread variants" ON)

file(GLOB _engine_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*/*.cpp)
set(_bindings ${CMAKE_CURRENT_SOURCE_DIR}/wasm/bindings.cpp)

# Write -sKEY=VALUE without spaces: CMake de-duplicates repeated "-s" tokens.
set(_common_link
  -lembind
  -sMODULARIZE=1
  -sEXPORT_NAME=createDataliteModule
  -sWASM_BIGINT=1
  -sALLOW_MEMORY_GROWTH=1
  -sINITIAL_MEMORY=33554432
  -sMAXIMUM_MEMORY=2147483648
  -sDYNAMIC_EXECUTION=0
  -sNODEJS_CATCH_EXIT=0
  -sNODEJS_CATCH_REJECTION=0
  -sEXPORTED_RUNTIME_METHODS=HEAPU8)

# Keeps function names in the .wasm, for CPU profiles of the package.
option(DATALITE_WASM_PROFILING "Link with --profiling-funcs" OFF)
if(DATALITE_WASM_PROFILING)
  list(APPEND _common_link --profiling-funcs)
endif()

function(datalite_engine_variant lib flags)
  add_library(${lib} STATIC ${_engine_srcs})
  target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_options(${lib} PUBLIC ${flags})
  target_link_options(${lib} PUBLIC ${flags})
endfunction()

# Prestarted pthread workers of the threaded builds; the bindings cap the
# threads one call may start at this number.
set(DATALITE_PTHREAD_POOL 4)

function(datalite_wasm_module target engine outdir outname)
  add_executable(${target} ${_bindings})
  target_compile_definitions(${target} PRIVATE DATALITE_PTHREAD_POOL=${DATALITE_PTHREAD_POOL})
  target_link_libraries(${target} PRIVATE ${engine})
  target_link_options(${target} PRIVATE ${_common_link} ${ARGN})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${outname}
    SUFFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${DATALITE_DIST_DIR}/${outdir})
endfunction()

datalite_engine_variant(datalite_engine_st "-fwasm-exceptions")
datalite_wasm_module(datalite_wasm datalite_engine_st wasm datalite.mjs
  -sEXPORT_ES6=1 -sENVIRONMENT=web,worker)

if(DATALITE_WASM_THREADS)
  datalite_engine_variant(datalite_engine_mt "-pthread;-fwasm-exceptions")
  target_sources(datalite_engine_mt PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/wasm/pthread_unwind.cpp)
  target_link_options(datalite_engine_mt PUBLIC "-Wl,--wrap=__cxa_begin_catch")
  # Node: CommonJS glue (its pthread worker script is CommonJS too).
  datalite_wasm_module(datalite_wasm_mt datalite_engine_mt wasm-mt datalite-mt.cjs
    -sENVIRONMENT=node -sPTHREAD_POOL_SIZE=${DATALITE_PTHREAD_POOL} -Wno-pthreads-mem-growth)
  # Browsers with crossOriginIsolated: ES module glue.
  datalite_wasm_module(datalite_wasm_mt_web datalite_engine_mt wasm-mt-web datalite-mt.mjs
    -sEXPORT_ES6=1 -sENVIRONMENT=web,worker -sPTHREAD_POOL_SIZE=${DATALITE_PTHREAD_POOL} -Wno-pthreads-mem-growth)
endif()

# The Catch2 suites compiled to wasm32 and run under Node: they catch what a
# 64-bit native run cannot (4-byte pointers and size_t).
option(DATALITE_WASM_TESTS "Build the Catch2 tests as wasm and register them with CTest" OFF)
if(DATALITE_WASM_TESTS)
  enable_testing()
  # Catch2 v2 is header-only: copy the header (adding -I/usr/include would let
  # glibc headers shadow the Emscripten sysroot).
  file(COPY /usr/include/catch2/catch.hpp DESTINATION ${CMAKE_BINARY_DIR}/catch2-include/catch2)
  list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)
  include(Catch)
  file(WRITE ${CMAKE_BINARY_DIR}/catch_main.cpp "#define CATCH_CONFIG_MAIN\n#include <catch2/catch.hpp>\n")
  add_library(datalite_catch_main_wasm STATIC ${CMAKE_BINARY_DIR}/catch_main.cpp)
  target_include_directories(datalite_catch_main_wasm PUBLIC ${CMAKE_BINARY_DIR}/catch2-include)
  target_compile_options(datalite_catch_main_wasm PRIVATE -fwasm-exceptions -O1)
  find_program(NODE_EXE NAMES node nodejs REQUIRED)
  foreach(layer core edn index db pull query serial store restore api)
    file(GLOB _tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/${layer}/*.cpp)
    if(_tests)
      add_executable(wasmtest_${layer} ${_tests})
      target_link_libraries(wasmtest_${layer} PRIVATE datalite_engine_st datalite_catch_main_wasm)
      target_include_directories(wasmtest_${layer} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests)
      # Quick links (wasm-opt at -O1); node needs the wasm embedded and no fetch.
      target_link_options(wasmtest_${layer} PRIVATE -O1 -sENVIRONMENT=node -sEXIT_RUNTIME=1
        -sALLOW_MEMORY_GROWTH=1 -sSINGLE_FILE=1 -sNODERAWFS=1 -sNODEJS_CATCH_EXIT=0)
      set_target_properties(wasmtest_${layer} PROPERTIES SUFFIX ".cjs" CROSSCOMPILING_EMULATOR "${NODE_EXE}")
      catch_discover_tests(wasmtest_${layer} TEST_PREFIX "wasm ${layer}: " EXTRA_ARGS --use-colour no)
    endif()
  endforeach()
  # Concurrent throws and catches on pthreads: proves wasm/pthread_unwind.cpp.
  if(DATALITE_WASM_THREADS)
    add_executable(wasmtest_pthread_exceptions ${CMAKE_CURRENT_SOURCE_DIR}/tests/wasm/pthread_exceptions.cpp)
    target_link_libraries(wasmtest_pthread_exceptions PRIVATE datalite_engine_mt)
    target_link_options(wasmtest_pthread_exceptions PRIVATE -O1 -sENVIRONMENT=node -sEXIT_RUNTIME=1
      -sPTHREAD_POOL_SIZE=4 -sSINGLE_FILE=1 -sNODEJS_CATCH_EXIT=0)
    # Its pthread worker script is CommonJS, inside the ESM package.
    set(_pthread_test_dir ${CMAKE_BINARY_DIR}/pthread-test)
    file(WRITE ${_pthread_test_dir}/package.json "{ \"type\": \"commonjs\" }\n")
    set_target_properties(wasmtest_pthread_exceptions PROPERTIES SUFFIX ".cjs"
      RUNTIME_OUTPUT_DIRECTORY ${_pthread_test_dir})
    add_test(NAME "wasm pthread: concurrent exceptions land in the right catch clauses"
      COMMAND ${NODE_EXE} $<TARGET_FILE:wasmtest_pthread_exceptions>)
    # A regression there is a deadlock: fail it rather than hang the run.
    set_tests_properties("wasm pthread: concurrent exceptions land in the right catch clauses" PROPERTIES TIMEOUT 120)
  endif()
endif()
