# core/model must build against LibTorch alone (DESIGN.md): no Qt, OpenCV or other core
# module may be included from it. The model-only preset builds it that way; this check
# keeps an include from creeping in between such builds.
file(GLOB sources "${SOURCE_DIR}/core/model/*.h" "${SOURCE_DIR}/core/model/*.cpp")
set(bad "")
foreach(source ${sources})
    file(STRINGS ${source} includes REGEX "^#include")
    foreach(line ${includes})
        if(line MATCHES "<Q|opencv|\"(image|scoring|ui)/")
            list(APPEND bad "${source}: ${line}")
        endif()
    endforeach()
endforeach()
if(bad)
    message(FATAL_ERROR "core/model includes more than LibTorch and core/util:\n${bad}")
endif()
list(LENGTH sources count)
message(STATUS "core/model: ${count} files include only LibTorch, the standard library and core/util")
