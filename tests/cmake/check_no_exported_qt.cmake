# Debian's LibTorch loads Qt 5 (through OpenCV's highgui) beside our Qt 6. A Qt symbol
# exported by one of our binaries is one that Qt 5 may bind to at load time, and crash in.
# BINARIES: the files to check.
foreach(binary ${BINARIES})
    execute_process(COMMAND nm -D --defined-only ${binary} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "nm failed on ${binary}")
    endif()
    string(REGEX MATCHALL "_ZN?K?[0-9]+Q[A-Za-z0-9_]*" qt "${symbols}")
    if(qt)
        list(LENGTH qt count)
        list(GET qt 0 first)
        message(FATAL_ERROR "${binary} exports ${count} Qt symbols (first: ${first}); build with hidden visibility")
    endif()
    message(STATUS "${binary}: no Qt symbols exported")
endforeach()
