# rine-studio's --version, --help and --screenshot (the window really shown, offscreen), and
# the rine-cli man page generated from the help texts.
# cmake -DSTUDIO=... -DCLI=... -DMANPAGE=... -DWORK=... -P check_binaries.cmake

function(run out)
    execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE text ERROR_VARIABLE errors RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "${ARGN} failed (${status}): ${errors}")
    endif()
    set(${out} "${text}" PARENT_SCOPE)
endfunction()

run(version ${STUDIO} --version)
if(NOT version MATCHES "^rine-studio [0-9]+\\.[0-9]+\\.[0-9]+")
    message(FATAL_ERROR "rine-studio --version printed: ${version}")
endif()
run(help ${STUDIO} --help)
if(NOT help MATCHES "--screenshot" OR NOT help MATCHES "--version")
    message(FATAL_ERROR "rine-studio --help lacks its options: ${help}")
endif()

file(REMOVE "${WORK}/window.png")
run(shown ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen RINE_BACKBONE=/nonexistent/ViT-L-14.pt
    ${STUDIO} --screenshot "${WORK}/window.png")
file(SIZE "${WORK}/window.png" bytes)
file(READ "${WORK}/window.png" magic LIMIT 8 HEX)
if(bytes LESS 1000 OR NOT magic STREQUAL "89504e470d0a1a0a")
    message(FATAL_ERROR "rine-studio --screenshot wrote no picture of the window (${bytes} bytes)")
endif()

file(READ "${MANPAGE}" page)
foreach(expected ".TH RINE\\-CLI 1" ".SS score" ".SS scan" ".SS results" ".SS bench" "\\-\\-db" "\\-\\-cache\\-features")
    string(FIND "${page}" "${expected}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "the man page lacks '${expected}'")
    endif()
endforeach()
run(cliHelp ${CLI} scan --help)
string(REPLACE "-" "\\-" cliHelp "${cliHelp}")
string(FIND "${page}" "${cliHelp}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "the man page is not the current 'rine-cli scan --help'")
endif()
