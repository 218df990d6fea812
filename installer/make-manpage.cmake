# Writes the rine-cli man page from the program's own help texts, so that the two cannot
# disagree. Run by the build: cmake -DRINE_CLI=... -DOUTPUT=... -DVERSION=... -P make-manpage.cmake

function(help_of out)
    execute_process(COMMAND ${RINE_CLI} ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "rine-cli ${ARGN} failed (${status})")
    endif()
    # roff: backslashes first, then hyphens (minus signs in options), then lines that would
    # read as requests.
    string(REPLACE "\\" "\\e" text "${text}")
    string(REPLACE "-" "\\-" text "${text}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(main --help)
set(page ".TH RINE\\-CLI 1 \"\" \"rine\\-cli ${VERSION}\" \"User Commands\"
.SH NAME
rine\\-cli \\- synthetic\\-image detection with RINE (ECCV 2024), from the command line
.SH SYNOPSIS
.B rine\\-cli
.I command
[\\fIoptions\\fR]
.SH DESCRIPTION
.nf
${main}.fi
.SH COMMANDS
")
foreach(command score scan merge slurm results robustness evaluate train models bench report audit)
    help_of(text ${command} --help)
    string(APPEND page ".SS ${command}\n.nf\n${text}.fi\n")
endforeach()
string(APPEND page ".SH FILES
.TP
.I ~/.cache/clip/ViT\\-L\\-14.pt
The CLIP backbone, looked for when neither \\-\\-backbone nor $RINE_BACKBONE is given.
.TP
.I /usr/share/rine\\-studio/models/
The bundled 2\\-class RINE head, the manifest of known model files and their notes.
.SH SEE ALSO
.BR rine\\-studio (1)
")
file(WRITE "${OUTPUT}" "${page}")
