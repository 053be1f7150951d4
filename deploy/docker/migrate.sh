#!/bin/sh
#
# The compose service "migrate": runs once, as the PostgreSQL administrator.
# Applies the migrations, gives the roles postern_gateway and postern_authd
# the passwords in their secret files, and loads the tutorial's demo data
# unless POSTERN_DEMO=0.  Every step can run again.
set -eu

SQL=/usr/local/share/postern/sql
: "${PGHOST:=postgres}" "${PGUSER:=postgres}" "${PGDATABASE:=postern}"
export PGHOST PGUSER PGDATABASE
if [ -z "${PGPASSWORD:-}" ] && [ -r /run/secrets/postgres_password ]; then
	PGPASSWORD=$(cat /run/secrets/postgres_password)
	export PGPASSWORD
fi

"$SQL/migrate"

# The password travels on psql's stdin, never on a command line.
set_password() {
	role=$1
	file=$2
	[ -s "$file" ] || {
		echo "migrate: $file is missing or empty" >&2
		exit 1
	}
	esc=$(sed -e 's/\\/\\\\/g' -e "s/'/''/g" "$file")
	printf "\\\\set pw '%s'\nalter role %s password :'pw';\n" "$esc" "$role" |
		psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null
	echo "migrate: password of $role set"
}
set_password postern_gateway /run/secrets/gateway_db_password
set_password postern_authd /run/secrets/authd_db_password

if [ "${POSTERN_DEMO:-1}" = 1 ]; then
	PGOPTIONS="-c client_min_messages=warning" \
		psql -X -q -1 -v ON_ERROR_STOP=1 -f /usr/local/share/postern/demo.sql >/dev/null
	echo "migrate: demo loaded (POSTERN_DEMO=0 skips it)"
fi
