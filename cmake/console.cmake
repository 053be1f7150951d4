# The web console's static files (gateway/console/), embedded into
# postern-gateway at build time: cmake/console_embed.cmake turns each into a
# C array in one generated source, so the binary serves /_console/ with no
# files installed beside it and nothing fetched at run time.
set(POSTERN_CONSOLE_FILES
	${CMAKE_SOURCE_DIR}/gateway/console/index.html
	${CMAKE_SOURCE_DIR}/gateway/console/app.js
	${CMAKE_SOURCE_DIR}/gateway/console/app.css)
set(POSTERN_CONSOLE_C ${CMAKE_BINARY_DIR}/console_files.c)
add_custom_command(OUTPUT ${POSTERN_CONSOLE_C}
	COMMAND ${CMAKE_COMMAND} -DOUT=${POSTERN_CONSOLE_C}
		"-DFILES=${POSTERN_CONSOLE_FILES}"
		-P ${CMAKE_SOURCE_DIR}/cmake/console_embed.cmake
	DEPENDS ${POSTERN_CONSOLE_FILES} ${CMAKE_SOURCE_DIR}/cmake/console_embed.cmake
	COMMENT "Embedding the web console"
	VERBATIM)
target_sources(postern-gateway PRIVATE ${POSTERN_CONSOLE_C})
