#!/usr/bin/env bash
# Stops the end-to-end stack, then fails if either daemon's log holds a
# sanitizer report (ASan and LSan print theirs when the daemon exits, which
# is after every test has passed), or that it could not run (LeakSanitizer
# under a seccomp filter that lacks its calls).  The logs are then moved
# aside so that the next run starts clean.
set -euo pipefail
dev="$1"
"$dev" down
status=0
for log in "$POSTERN_VAR"/log/*.log; do
	[ -f "$log" ] || continue
	if grep -nE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Sanitizer has encountered a fatal error' \
		"$log"; then
		echo "sanitizer report in $log" >&2
		status=1
	fi
	mv -f "$log" "$log.prev"
done
exit $status
