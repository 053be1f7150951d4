# Operations.  test_metrics reads /metrics of the fixture's
# gateway after traffic of its own and checks it against a strict grammar.
# test_signals starts private gateway+authd pairs (the fixture's gateway
# keeps running) and signals them; its tests run one at a time, as each
# loads the machine with a burst of clients.
postern_e2e_test(test_metrics)
postern_e2e_test(test_signals --jobs 1)
set_tests_properties(test_signals PROPERTIES TIMEOUT 120)
target_link_libraries(test_signals PRIVATE Threads::Threads)
