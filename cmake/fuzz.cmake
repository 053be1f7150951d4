# Fuzz targets, tests/fuzz/.  Included by the top CMakeLists.txt
# after the libraries are defined.
#
# POSTERN_FUZZ=ON (clang only; tests/fuzz/run configures such a tree):
# each target is a libFuzzer program built with
# -fsanitize=fuzzer,address,undefined, over its own instrumented copy of
# the pure-logic sources.  Otherwise each target is built with replay.c's
# main() against the ordinary libraries.  Either way ctest replays the seed
# corpus and every kept regression input (tests/fuzz/regressions/<target>/)
# once, so a crash found by fuzzing stays fixed in every build.
option(POSTERN_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

set(FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
set(FUZZ_TARGETS ipc token query json config http)

if(POSTERN_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		message(FATAL_ERROR "POSTERN_FUZZ needs clang (CC=clang)")
	endif()
	set(FUZZ_SAN -fsanitize=address,undefined -fno-omit-frame-pointer
		-fno-sanitize-recover=undefined)
	# The code under test, instrumented for coverage.
	add_library(postern_fuzz_core STATIC
		common/buf.c
		common/b64url.c
		common/ipc.c
		common/log.c
		common/config.c
		common/json.c
		common/util.c
		authd/token.c
		gateway/httpparse.c
		common/op.c
		gateway/catalog.c
		gateway/embed.c
		gateway/embedsql.c
		gateway/routes.c
		gateway/qerror.c
		gateway/query.c
		gateway/select.c
		gateway/rows.c
		gateway/sqlbuild.c)
	target_include_directories(postern_fuzz_core PUBLIC ${CMAKE_SOURCE_DIR})
	target_compile_options(postern_fuzz_core PRIVATE
		-fsanitize=fuzzer-no-link ${FUZZ_SAN})
	target_link_libraries(postern_fuzz_core PUBLIC
		PkgConfig::OPENSSL PkgConfig::JSONC Threads::Threads)
	foreach(t ${FUZZ_TARGETS})
		add_executable(fuzz_${t} ${FUZZ_DIR}/fuzz_${t}.c)
		target_compile_options(fuzz_${t} PRIVATE
			-fsanitize=fuzzer ${FUZZ_SAN})
		target_link_options(fuzz_${t} PRIVATE
			-fsanitize=fuzzer ${FUZZ_SAN})
		target_link_libraries(fuzz_${t} PRIVATE postern_fuzz_core)
	endforeach()
	# libFuzzer runs each file once and exits with -runs=0.
	set(FUZZ_REPLAY_ARGS -runs=0)
	set(FUZZ_SUFFIX "")
else()
	foreach(t ${FUZZ_TARGETS})
		add_executable(fuzz_${t}_replay
			${FUZZ_DIR}/fuzz_${t}.c ${FUZZ_DIR}/replay.c)
		target_include_directories(fuzz_${t}_replay PRIVATE
			${CMAKE_SOURCE_DIR})
		target_link_libraries(fuzz_${t}_replay PRIVATE
			postern_gateway_core postern_authd_core)
	endforeach()
	set(FUZZ_REPLAY_ARGS "")
	set(FUZZ_SUFFIX _replay)
endif()

# The top file enables testing only after this include.
enable_testing()
foreach(t ${FUZZ_TARGETS})
	add_test(NAME fuzz_corpus_${t}
		COMMAND fuzz_${t}${FUZZ_SUFFIX} ${FUZZ_REPLAY_ARGS}
			${FUZZ_DIR}/corpus/${t})
	set_tests_properties(fuzz_corpus_${t} PROPERTIES TIMEOUT 120
		FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer|runtime error:")
	# One test per kept crash, named after the file.
	file(GLOB regs CONFIGURE_DEPENDS ${FUZZ_DIR}/regressions/${t}/*)
	foreach(f ${regs})
		get_filename_component(n ${f} NAME)
		add_test(NAME fuzz_regression_${t}_${n}
			COMMAND fuzz_${t}${FUZZ_SUFFIX} ${FUZZ_REPLAY_ARGS} ${f})
		set_tests_properties(fuzz_regression_${t}_${n} PROPERTIES
			TIMEOUT 60 FAIL_REGULAR_EXPRESSION
			"ERROR: LeakSanitizer|runtime error:")
	endforeach()
endforeach()
