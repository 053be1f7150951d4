#!/usr/bin/env bash
#
# tests/e2e/roles.sh ENV_FILE
#
# Proves the database grants of sql/001_core.sql and deploy/demo.sql against a
# running PostgreSQL: connecting over TCP with their passwords, exactly as the
# daemons do, postern_gateway reads table_1 and postern.endpoints but is
# refused everything in schema auth (and the users table), and postern_authd
# reads and writes auth.*.  ENV_FILE is the $POSTERN_VAR/env written by
# `deploy/dev up` (the daemons need not run; `up --no-start` is enough).
# Prints one line per check; exits non-zero if any check fails.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -r "$1" ]; then
	echo "usage: $0 ENV_FILE (the \$POSTERN_VAR/env of deploy/dev up)" >&2
	exit 2
fi
# shellcheck disable=SC1090
. "$1"

failures=0
checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() {
	checks=$((checks + 1))
	echo "ok     $*"
}
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL   $*"
}

# A passfile, not PGPASSWORD or the command line, carries the passwords.
passfile_line() {
	local pw
	pw=$(cat "$2")
	pw=${pw//\\/\\\\}
	pw=${pw//:/\\:}
	printf '*:*:*:%s:%s\n' "$1" "$pw"
}
(
	umask 077
	passfile_line postern_gateway "$POSTERN_GATEWAY_PW_FILE" >"$tmp/pgpass"
	passfile_line postern_authd "$POSTERN_AUTHD_PW_FILE" >>"$tmp/pgpass"
)

# The daemons' URL names no user; the role goes in as a URI parameter (or
# a keyword, when the URL is a "key=value" string).
role_url() {
	case $POSTERN_DB_URL in
	postgres://*\?* | postgresql://*\?*) printf '%s&user=%s\n' "$POSTERN_DB_URL" "$1" ;;
	postgres://* | postgresql://*) printf '%s?user=%s\n' "$POSTERN_DB_URL" "$1" ;;
	*) printf '%s user=%s\n' "$POSTERN_DB_URL" "$1" ;;
	esac
}

# as ROLE SQL: run SQL as ROLE over TCP; output in $tmp/out, errors in $tmp/err.
as() {
	PGPASSFILE=$tmp/pgpass PGCONNECT_TIMEOUT=10 \
		psql -X -At -v ON_ERROR_STOP=1 -d "$(role_url "$1")" -c "$2" \
		>"$tmp/out" 2>"$tmp/err"
}

expect_ok() {
	local role=$1 sql=$2
	sql=${sql//$'\n'/ }
	if as "$role" "$sql"; then
		pass "$role may: $sql"
	else
		fail "$role may: $sql -- $(tr '\n' ' ' <"$tmp/err")"
	fi
}

expect_denied() {
	local role=$1 sql=$2
	sql=${sql//$'\n'/ }
	if as "$role" "$sql"; then
		fail "$role must not: $sql -- it succeeded: $(head -c 200 "$tmp/out")"
	elif grep -q 'permission denied' "$tmp/err"; then
		pass "$role must not: $sql ($(grep -o 'permission denied[^"]*"\?[^"]*"\?' "$tmp/err" | head -n 1))"
	else
		fail "$role must not: $sql -- failed, but not with permission denied: $(tr '\n' ' ' <"$tmp/err")"
	fi
}

echo "# database: $POSTERN_DB_URL"

# The gateway's role: what it needs and nothing of auth.
expect_ok postern_gateway "select count(*) from public.table_1"
if [ "$(cat "$tmp/out")" -ge 5 ] 2>/dev/null; then
	pass "postern_gateway sees the demo's rows in table_1 ($(cat "$tmp/out"))"
else
	fail "postern_gateway sees at least 5 rows in table_1 (got '$(cat "$tmp/out")')"
fi
expect_ok postern_gateway "select id, kind, method, path, table_name, op, auth, owner_column, ops from postern.endpoints"
expect_ok postern_gateway "listen postern_endpoints"
expect_denied postern_gateway "select * from auth.credentials"
expect_denied postern_gateway "select * from auth.sessions"
expect_denied postern_gateway "select * from auth.audit_log"
expect_denied postern_gateway "select * from auth.rate_events"
expect_denied postern_gateway "delete from auth.rate_events"
expect_denied postern_gateway "insert into auth.rate_events (bucket, key, at, expires_at) values ('login_addr', '\\x00', now(), now())"
expect_denied postern_gateway "select phc from auth.credentials where tbl = 'users'"
expect_denied postern_gateway "insert into auth.sessions (id, tbl, user_id, family, refresh_hash, expires_at) values (gen_random_uuid(), 'users', '1', gen_random_uuid(), '\\x00', now())"
expect_denied postern_gateway "select * from public.users"
expect_denied postern_gateway "select * from postern.schema_migrations"
expect_denied postern_gateway "create table auth.sneak (x int)"
# A hidden column must not leak through a WHERE either (a yes/no oracle).
expect_denied postern_gateway "select 1 from auth.credentials where phc like 'x%'"
expect_denied postern_gateway "select count(*) from auth.sessions where refresh_hash is not null"

# Every table of schema auth, as the catalog (readable by every role) lists
# it to the gateway's own role: each one refused outright, by count, and
# through a WHERE on each of its columns, and for writes.
auth_rel="c.relnamespace = 'auth'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')"
if as postern_gateway "select c.relname from pg_class c where $auth_rel order by 1"; then
	cp "$tmp/out" "$tmp/auth_tables"
	if [ "$(wc -l <"$tmp/auth_tables")" -ge 4 ] &&
		grep -qx credentials "$tmp/auth_tables" &&
		grep -qx sessions "$tmp/auth_tables"; then
		pass "postern_gateway sees the names of auth's tables in pg_catalog ($(tr '\n' ' ' <"$tmp/auth_tables"))"
	else
		fail "pg_catalog lists auth's tables (got: $(tr '\n' ' ' <"$tmp/auth_tables"))"
	fi
else
	fail "postern_gateway reads pg_catalog -- $(tr '\n' ' ' <"$tmp/err")"
	: >"$tmp/auth_tables"
fi
while read -r t; do
	[ -n "$t" ] || continue
	expect_denied postern_gateway "select 1 from auth.\"$t\" limit 1"
	expect_denied postern_gateway "select count(*) from auth.\"$t\""
	expect_denied postern_gateway "delete from auth.\"$t\" where false"
	as postern_gateway "select a.attname from pg_attribute a
		join pg_class c on c.oid = a.attrelid
		where $auth_rel and c.relname = '$t' and a.attnum > 0
		and not a.attisdropped order by a.attnum" ||
		fail "postern_gateway lists the columns of auth.$t -- $(tr '\n' ' ' <"$tmp/err")"
	cp "$tmp/out" "$tmp/cols"
	while read -r c; do
		[ -n "$c" ] || continue
		expect_denied postern_gateway "select 1 from auth.\"$t\" where \"$c\" is not null"
	done <"$tmp/cols"
done <"$tmp/auth_tables"

# The auth daemon's role: read and write auth.*, read the registry, create
# users.  Writes happen in a transaction that is rolled back.
expect_ok postern_authd "select count(*) from auth.credentials"
expect_ok postern_authd "select count(*) from auth.sessions"
expect_ok postern_authd "select count(*) from auth.audit_log"
expect_ok postern_authd "select count(*) from auth.rate_events"
expect_ok postern_authd "select count(*) from postern.endpoints"
expect_ok postern_authd "begin;
insert into auth.credentials (tbl, user_id, phc) values ('roles-test', '1', 'x');
update auth.credentials set phc = 'y' where tbl = 'roles-test';
insert into auth.sessions (id, tbl, user_id, family, refresh_hash, expires_at)
	values (gen_random_uuid(), 'roles-test', '1', gen_random_uuid(), '\\x0102', now() + interval '1 hour');
update auth.sessions set revoked_at = now() where tbl = 'roles-test';
delete from auth.sessions where tbl = 'roles-test';
delete from auth.credentials where tbl = 'roles-test';
insert into auth.audit_log (event, tbl, user_id) values ('roles-test', 'roles-test', '1');
insert into auth.rate_events (bucket, key, at, expires_at)
	values ('roles-test', '\\x00', now(), now() + interval '900 s');
delete from auth.rate_events where bucket = 'roles-test';
insert into public.users (email) values ('roles-test@example.invalid') returning id;
rollback"
expect_denied postern_authd "select * from public.table_1"

# Without its password the gateway's role does not get in at all.
if PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=10 psql -X -At -w \
	-d "$(role_url postern_gateway)" -c 'select 1' >/dev/null 2>"$tmp/err"; then
	fail "postern_gateway without a password is refused"
else
	pass "postern_gateway without a password is refused ($(grep -o 'password authentication failed\|no password supplied' "$tmp/err" | head -n 1))"
fi

echo "# $checks checks, $failures failed"
[ "$failures" -eq 0 ]
