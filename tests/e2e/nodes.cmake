# Several nodes: deploy/dev up --nodes 3 starts a stack of its
# own (own POSTERN_VAR: three gateway+authd pairs behind haproxy), separate
# from the e2e fixture's, and test_nodes drives it through the nodes' own
# URLs and through haproxy.  Twice: straight to PostgreSQL (fixture
# "nodes", test test_nodes) and through pgbouncer in transaction mode
# (fixture "nodes_pooler", test test_nodes_pooler).  Each loads the
# machine and kills one gateway: alone (RUN_SERIAL), its tests one at a
# time (--jobs 1).  The per-address limits are raised as in the e2e
# fixture; the per-email limit keeps its default (test_nodes counts on 10).
add_executable(test_nodes test_nodes.c)
target_link_libraries(test_nodes PRIVATE postern_e2e Threads::Threads)

function(postern_nodes_stack name)
	set(var ${CMAKE_BINARY_DIR}/${name}-var)
	set(env
		POSTERN_VAR=${var}
		POSTERN_BUILD_DIR=${CMAKE_BINARY_DIR}
		POSTERN_LISTEN=127.0.0.1:0
		POSTERN_E2E_ENV=${var}/env
		POSTERN_SIGNUP_LIMIT_PER_ADDR=100000
		POSTERN_LOGIN_LIMIT_PER_ADDR=100000)
	add_test(NAME ${name}_up
		COMMAND ${E2E_DEV} up --no-install --no-build --nodes 3 ${ARGN})
	add_test(NAME ${name}_down
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/down.sh ${E2E_DEV})
	set_tests_properties(${name}_up PROPERTIES FIXTURES_SETUP ${name}
		ENVIRONMENT "${env}" TIMEOUT 180 RUN_SERIAL TRUE)
	set_tests_properties(${name}_down PROPERTIES FIXTURES_CLEANUP ${name}
		ENVIRONMENT "${env}" TIMEOUT 90)
	add_test(NAME test_${name} COMMAND test_nodes --no-early-exit --jobs 1)
	set_tests_properties(test_${name} PROPERTIES FIXTURES_REQUIRED ${name}
		ENVIRONMENT "${env}" TIMEOUT 180 RUN_SERIAL TRUE
		FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer|runtime error:")
endfunction()

postern_nodes_stack(nodes)
postern_nodes_stack(nodes_pooler --pooler pgbouncer)
