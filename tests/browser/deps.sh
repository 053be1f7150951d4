#!/usr/bin/env bash
#
# tests/browser/deps.sh: installs the pinned npm packages of package-lock.json
# into tests/browser/node_modules, unless they are there already.  ctest runs it
# as the fixture "browser_deps"; several build trees share the one source tree, so
# the install is serialised with a lock (npm ci deletes node_modules first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

for p in node npm; do
	command -v "$p" >/dev/null 2>&1 || {
		echo "deps.sh: $p not found (deploy/dev up installs Node.js)" >&2
		exit 1
	}
done

exec 9<.
if command -v flock >/dev/null 2>&1; then
	flock -w 300 9 || { echo "deps.sh: lock timed out" >&2; exit 1; }
fi

# npm keeps its own record of an install in node_modules/.package-lock.json;
# newer than both manifests means this lock file's tree is installed.
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] &&
	[ "$stamp" -nt package.json ]; then
	echo "node_modules is up to date"
	exit 0
fi
npm ci --no-audit --no-fund
