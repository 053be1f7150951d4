-- 009_rate_events: rate limits over exact sliding windows.
--
-- 006's counters kept one count per fixed window and estimated the last
-- window_s seconds as the current count plus the previous one weighted by
-- the time left; failures bunched at the end of one window were discounted
-- at the start of the next, so ten failures straddling a window boundary
-- did not reach a limit of ten, and a key blocked at its limit was let in
-- again as soon as its window ended.  Each counted attempt is now one row:
-- a key is over its limit while `limit` of its rows are younger than the
-- window, whatever the clock says, and Retry-After is exactly when the
-- oldest of those leaves the window (authd/rldb.c).
--
-- Attempts are counted before the password work, each key under an
-- advisory lock, and an attempt that succeeds is given back by its id, so
-- that parallel attempts cannot all pass at the limit.
--
-- key is the SHA-256 of the counted string (an address, a table and an
-- email), so no email is kept here.  A refused attempt adds no row, so a
-- key has at most about `limit` live rows.  UNLOGGED: counts need not
-- survive a crash of PostgreSQL, and writes to them skip the WAL.  The
-- window is the reader's, so changing login_limit_window applies to the
-- attempts already counted; expires_at (the insert's window later) is for
-- pruning, which authd does as it goes.  Counts of 006's table are dropped:
-- an upgrade starts every limit afresh.
drop table auth.rate_counts;

create unlogged table auth.rate_events (
	id uuid not null default gen_random_uuid(),
	bucket text not null,
	key bytea not null,
	at timestamptz not null,
	expires_at timestamptz not null
);
create index rate_events_key on auth.rate_events (bucket, key, at);
create index rate_events_expires on auth.rate_events (expires_at);

revoke all on auth.rate_events from public;
grant select, insert, delete on auth.rate_events to postern_authd;
