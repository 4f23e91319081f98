# Installing a command-line tool together with its documentation.
#
#   flowkit_install_tool(<target>)
#
# installs the executable to bin/ and, generated at build time from the built binary's own
# --help and --version output (so they cannot drift from the options it really has):
#   - man/<target>.1: help2man, plus <target>.h2m from the tool's source directory (NAME,
#     EXAMPLES, EXIT STATUS, SEE ALSO), installed gzipped to share/man/man1;
#   - completions/<target>: a bash completion script (scripts/gen-bash-completion.sh), installed
#     to share/bash-completion/completions, where bash-completion loads it on first use.
# Both land in the build tree under ${PROJECT_BINARY_DIR}; tests/packaging checks them.
include_guard(GLOBAL)

option(FLOWKIT_MAN_PAGES "Generate and install man pages (needs help2man)" ON)
set(FLOWKIT_MAKE_MAN_PAGES OFF)
if(FLOWKIT_MAN_PAGES)
  find_program(FLOWKIT_HELP2MAN help2man)
  find_program(FLOWKIT_GZIP gzip)
  if(FLOWKIT_HELP2MAN AND FLOWKIT_GZIP)
    set(FLOWKIT_MAKE_MAN_PAGES ON)
  else()
    message(WARNING "help2man or gzip not found (Debian: help2man): no man pages. "
                    "scripts/setup.sh installs it; -DFLOWKIT_MAN_PAGES=OFF silences this.")
  endif()
endif()

set(FLOWKIT_MAN_DIR ${PROJECT_BINARY_DIR}/man)
set(FLOWKIT_COMPLETION_DIR ${PROJECT_BINARY_DIR}/completions)

function(flowkit_install_tool tool)
  install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)

  set(scripts ${PROJECT_SOURCE_DIR}/scripts)
  set(outputs)
  # Sanitizer builds run the instrumented binary too: it only prints its help, and a sanitizer
  # report would fail the command (and the build) rather than end up in the page.
  set(run_env ${CMAKE_COMMAND} -E env FLOWKIT_HELP2MAN_TOOL=$<TARGET_FILE:${tool}>)

  if(FLOWKIT_MAKE_MAN_PAGES)
    set(h2m ${CMAKE_CURRENT_SOURCE_DIR}/${tool}.h2m)
    if(NOT EXISTS ${h2m})
      message(FATAL_ERROR "flowkit_install_tool(${tool}): ${h2m} is missing")
    endif()
    set(page ${FLOWKIT_MAN_DIR}/${tool}.1)
    # Written to a temporary file first so that a failed run leaves no half page behind.
    add_custom_command(
      OUTPUT ${page} ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${FLOWKIT_MAN_DIR}
      COMMAND ${run_env} ${FLOWKIT_HELP2MAN} --no-info --section=1 --include=${h2m}
              --output=${page}.tmp ${scripts}/help2man-input.sh
      COMMAND ${CMAKE_COMMAND} -E rename ${page}.tmp ${page}
      # Installed compressed, as Debian policy wants (gzip -9n: no name or time stamp inside).
      COMMAND ${FLOWKIT_GZIP} -9nkf ${page}
      DEPENDS ${tool} ${h2m} ${scripts}/help2man-input.sh
      COMMENT "Generating man page ${tool}.1"
      VERBATIM)
    list(APPEND outputs ${page})
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT Runtime)
  endif()

  set(completion ${FLOWKIT_COMPLETION_DIR}/${tool})
  add_custom_command(
    OUTPUT ${completion}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${FLOWKIT_COMPLETION_DIR}
    COMMAND ${scripts}/gen-bash-completion.sh $<TARGET_FILE:${tool}> ${tool} ${completion}
    DEPENDS ${tool} ${scripts}/gen-bash-completion.sh
    COMMENT "Generating bash completion for ${tool}"
    VERBATIM)
  list(APPEND outputs ${completion})
  install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT Runtime)

  add_custom_target(${tool}_docs ALL DEPENDS ${outputs})
endfunction()
