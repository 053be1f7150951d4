# Hardening suites: hostile HTTP and slow clients, faults.
# Included from tests/e2e/CMakeLists.txt.  Both use hpair.c, a private
# gateway+authd pair for tests that need their own settings.
target_sources(postern_e2e PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/hpair.c)

# Raw-socket HTTP attacks on the fixture's gateway, JSON edge cases, and
# slow clients against a private pair (its tests start pairs: --jobs 1).
postern_e2e_test(test_hostile --jobs 1)
set_tests_properties(test_hostile PROPERTIES TIMEOUT 180)

# Kills, stops and restarts authd and PostgreSQL: alone (RUN_SERIAL), one
# test at a time.
postern_e2e_test(test_chaos --jobs 1)
set_tests_properties(test_chaos PROPERTIES RUN_SERIAL TRUE TIMEOUT 300)

# 60 s of steady load: no 5xx, fds and RSS flat.  Label "slow"; alone.
postern_e2e_test(test_soak)
set_tests_properties(test_soak PROPERTIES RUN_SERIAL TRUE TIMEOUT 300
	LABELS slow)

# Privileges read from /proc: authd's seccomp filter and empty capability
# sets, the gateway's drop to gateway_user, authd without root sharing its
# socket by group (starts its own daemons: --jobs 1).
postern_e2e_test(test_privs --jobs 1)
set_tests_properties(test_privs PROPERTIES TIMEOUT 120)

# Behind Debian's pgbouncer in transaction mode (deploy/pgbouncer): two
# private pairs with db_pooler = transaction under a mixed concurrent load,
# a logout across pairs, and the start-up refusals without db_pooler.
# Loads the machine: alone.
postern_e2e_test(test_pooler --jobs 1)
set_tests_properties(test_pooler PROPERTIES RUN_SERIAL TRUE TIMEOUT 300)
