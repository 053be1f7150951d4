# The builder: the admin API end to end, and the web console
# driven in headless Chromium.
# --jobs 1: run in parallel, Criterion 2.4's runner itself leaks 48 bytes
# under LeakSanitizer; one at a time the suite takes about two seconds.
postern_e2e_test(test_admin --jobs 1)

# The console's browser test: playwright-core (pinned in
# tests/browser/package-lock.json, installed by fixture browser_deps) drives
# Debian's chromium through the tutorial.  Screenshots land in
# <build>/console-screenshots.
set(BROWSER_DIR ${CMAKE_SOURCE_DIR}/tests/browser)
find_program(POSTERN_CHROMIUM NAMES chromium PATHS /usr/bin NO_DEFAULT_PATH)
if(POSTERN_CHROMIUM)
	add_test(NAME browser_deps COMMAND ${BROWSER_DIR}/deps.sh)
	set_tests_properties(browser_deps PROPERTIES
		FIXTURES_SETUP browser_deps TIMEOUT 300)
	add_test(NAME browser_console COMMAND node --test console.test.mjs
		WORKING_DIRECTORY ${BROWSER_DIR})
	set_tests_properties(browser_console PROPERTIES
		FIXTURES_REQUIRED "e2e;browser_deps"
		ENVIRONMENT "${E2E_ENV};POSTERN_CHROMIUM=${POSTERN_CHROMIUM}"
		TIMEOUT 180)
else()
	message(WARNING "chromium not found in /usr/bin: the console's browser "
		"test (browser_console) is not registered; apt-get install chromium "
		"(deploy/dev up does) and reconfigure")
endif()
postern_e2e_test(test_corshttp)
