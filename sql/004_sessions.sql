-- Refresh rotation with reuse detection, and revocations announced to every
-- authd.
--
-- Each refresh replaces auth.sessions.refresh_hash; the hash it replaced is
-- kept here, so that a spent token presented again is recognised (and its
-- session revoked) rather than merely unknown.
create table auth.refresh_spent (
	hash bytea primary key,
	session_id uuid not null references auth.sessions (id) on delete cascade,
	spent_at timestamptz not null default clock_timestamp()
);
create index refresh_spent_session on auth.refresh_spent (session_id);

grant select, insert, update, delete on auth.refresh_spent to postern_authd;

-- "<session id> <expiry, epoch seconds>" on postern_revocations whenever a
-- session is revoked; every authd keeps an in-memory set from these.
create function auth.notify_revoked() returns trigger
language plpgsql as $$
begin
	perform pg_notify('postern_revocations',
		new.id::text || ' ' ||
		floor(extract(epoch from new.expires_at))::bigint::text);
	return null;
end
$$;

create trigger sessions_revoked
	after update of revoked_at on auth.sessions
	for each row
	when (old.revoked_at is null and new.revoked_at is not null)
	execute function auth.notify_revoked();
