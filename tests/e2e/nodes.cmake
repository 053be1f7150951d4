# Several nodes (issue 10): deploy/dev up --nodes 3 starts its own stack
# (own POSTERN_VAR: three gateway+authd pairs behind haproxy, fixture
# "nodes"), separate from the e2e fixture's; test_nodes drives it through
# the nodes' own URLs and through haproxy.  It loads the machine and kills
# one gateway: alone (RUN_SERIAL), its tests one at a time (--jobs 1).
# The per-address limits are raised as in the e2e fixture; the per-email
# limit keeps its default (test_nodes counts on 10).
set(NODES_VAR ${CMAKE_BINARY_DIR}/nodes-var)
set(NODES_ENV
	POSTERN_VAR=${NODES_VAR}
	POSTERN_BUILD_DIR=${CMAKE_BINARY_DIR}
	POSTERN_LISTEN=127.0.0.1:0
	POSTERN_E2E_ENV=${NODES_VAR}/env
	POSTERN_SIGNUP_LIMIT_PER_ADDR=100000
	POSTERN_LOGIN_LIMIT_PER_ADDR=100000)

add_test(NAME nodes_up
	COMMAND ${E2E_DEV} up --no-install --no-build --nodes 3)
add_test(NAME nodes_down
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/down.sh ${E2E_DEV})
set_tests_properties(nodes_up PROPERTIES FIXTURES_SETUP nodes
	ENVIRONMENT "${NODES_ENV}" TIMEOUT 180 RUN_SERIAL TRUE)
set_tests_properties(nodes_down PROPERTIES FIXTURES_CLEANUP nodes
	ENVIRONMENT "${NODES_ENV}" TIMEOUT 90)

add_executable(test_nodes test_nodes.c)
target_link_libraries(test_nodes PRIVATE postern_e2e Threads::Threads)
add_test(NAME test_nodes COMMAND test_nodes --no-early-exit --jobs 1)
set_tests_properties(test_nodes PROPERTIES FIXTURES_REQUIRED nodes
	ENVIRONMENT "${NODES_ENV}" TIMEOUT 180 RUN_SERIAL TRUE
	FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer|runtime error:")
