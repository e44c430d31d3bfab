# One way to declare every target: flags live on an INTERFACE target, not globally.
add_library(rollguard_flags INTERFACE)
target_compile_options(rollguard_flags INTERFACE -Wall -Wextra -Werror -Wno-unused-parameter)
target_include_directories(rollguard_flags INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(rollguard_flags INTERFACE
  ROLLGUARD_VERSION="${PROJECT_VERSION}")
if(ROLLGUARD_SANITIZE)
  target_compile_options(rollguard_flags INTERFACE -fsanitize=${ROLLGUARD_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(rollguard_flags INTERFACE -fsanitize=${ROLLGUARD_SANITIZE})
endif()

# rollguard_library(NAME SOURCES ... DEPS ...)
function(rollguard_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC rollguard_flags ${ARG_DEPS})
endfunction()

# rollguard_binary(NAME SOURCES ... DEPS ...)
function(rollguard_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rollguard_flags ${ARG_DEPS})
endfunction()

# rollguard_test(NAME SOURCES ... DEPS ... [LABELS ...])
# Each GoogleTest case becomes its own ctest test, so -j spreads them over the cores.
function(rollguard_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rollguard_flags ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    ROLLGUARD_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
    ROLLGUARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
