-- 006_rate_limits: rate-limit counters shared by every authd.
--
-- Each authd used to count failed logins and signups in its own memory, so
-- the budget grew with the number of nodes and a restart wiped it.  The
-- counts live here instead (authd/ratelimit.h has the arithmetic): one row
-- per (bucket, key, window length, window index), bumped by an atomic
-- INSERT ... ON CONFLICT DO UPDATE.  key is the SHA-256 of the counted
-- string (an address, a table and an email), so no email is kept here.
-- UNLOGGED: counters need not survive a crash of PostgreSQL, and writes to
-- them skip the WAL.  Rows expire after two windows; authd deletes expired
-- rows as it goes.
create unlogged table auth.rate_counts (
	bucket text not null,
	key bytea not null,
	window_s integer not null check (window_s > 0),
	win bigint not null,
	hits integer not null check (hits >= 0),
	expires_at timestamptz not null,
	primary key (bucket, key, window_s, win)
);
create index rate_counts_expires on auth.rate_counts (expires_at);

revoke all on auth.rate_counts from public;
grant select, insert, update, delete on auth.rate_counts to postern_authd;
