# One way to declare every target: flags live on an INTERFACE target, not globally.
add_library(rollguard_flags INTERFACE)
target_compile_options(rollguard_flags INTERFACE -Wall -Wextra -Werror -Wno-unused-parameter)
target_compile_definitions(rollguard_flags INTERFACE
  ROLLGUARD_VERSION="${PROJECT_VERSION}")
if(ROLLGUARD_SANITIZE)
  target_compile_options(rollguard_flags INTERFACE -fsanitize=${ROLLGUARD_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(rollguard_flags INTERFACE -fsanitize=${ROLLGUARD_SANITIZE})
endif()

# rollguard_library(NAME FOLDER DIR SOURCES ... [LAYERS lib...] [DEPS ...])
#
# The layers are enforced by the compiler, not by review: a library sees the
# source tree only through its own include view, a folder of symbolic links
# under the build tree holding its FOLDER, the FOLDERs of the LAYERS it names
# (and of theirs, transitively) and common/. An include of anything else -- a
# higher layer, or agent/ from the collector -- is "No such file or directory".
# The view is PUBLIC: whoever links a layer may include what that layer may.
function(rollguard_library name)
  cmake_parse_arguments(ARG "" "FOLDER" "SOURCES;LAYERS;DEPS" ${ARGN})
  if(NOT ARG_FOLDER)
    message(FATAL_ERROR "rollguard_library(${name}): FOLDER is required")
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  set(folders ${ARG_FOLDER} common)
  foreach(layer ${ARG_LAYERS})
    get_target_property(below ${layer} ROLLGUARD_FOLDERS)
    list(APPEND folders ${below})
  endforeach()
  list(REMOVE_DUPLICATES folders)
  set_target_properties(${name} PROPERTIES ROLLGUARD_FOLDERS "${folders}")
  set(view ${CMAKE_BINARY_DIR}/include-views/${name})
  file(REMOVE_RECURSE ${view})
  foreach(folder ${folders})
    set(covered FALSE)  # collector/storage is inside collector: one link serves both
    foreach(other ${folders})
      string(FIND "${folder}" "${other}/" at)
      if(at EQUAL 0)
        set(covered TRUE)
      endif()
    endforeach()
    if(covered)
      continue()
    endif()
    get_filename_component(parent ${view}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC)
  endforeach()
  target_include_directories(${name} PUBLIC ${view})
  target_link_libraries(${name} PUBLIC rollguard_flags ${ARG_LAYERS} ${ARG_DEPS})
endfunction()

# rollguard_binary(NAME SOURCES ... DEPS ...)
function(rollguard_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rollguard_flags ${ARG_DEPS})
endfunction()

# rollguard_test(NAME SOURCES ... DEPS ... [LABELS ...])
# Each GoogleTest case becomes its own ctest test, so -j spreads them over the cores.
# SERIAL: its tests run with no other test at once (they time something).
function(rollguard_test name)
  cmake_parse_arguments(ARG "SERIAL" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rollguard_flags ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    ROLLGUARD_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
    ROLLGUARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30
    PROPERTIES LABELS "${ARG_LABELS}" RUN_SERIAL ${serial})
endfunction()
