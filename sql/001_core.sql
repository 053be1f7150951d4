-- 001_core: Postern's own schemas, roles, tables and grants.
--
-- Applied by sql/migrate inside one transaction together with its record in
-- postern.schema_migrations.  Released migrations are never edited: change the
-- schema by adding the next numbered file.

-- Roles are cluster-wide while this file runs once per database, so creating
-- them must tolerate a role that another database's migration already made.
-- No password is set here: the deployment sets one (deploy/dev does it with
-- ALTER ROLE on every `up`), so a fresh role cannot log in over TCP.
do $$
begin
	-- The advisory lock of sql/migrate is per database, so a migrator of
	-- another database may create the role between our check and our
	-- CREATE; that is as good as creating it ourselves.
	begin
		if not exists (select 1 from pg_roles where rolname = 'postern_gateway') then
			create role postern_gateway login;
		end if;
	exception when duplicate_object or unique_violation then
		null;
	end;
	begin
		if not exists (select 1 from pg_roles where rolname = 'postern_authd') then
			create role postern_authd login;
		end if;
	exception when duplicate_object or unique_violation then
		null;
	end;
end
$$;

create schema if not exists postern;
create schema if not exists auth;

-- The endpoint registry.  An 'auth' row is an auth group: it binds an
-- authentication table to a path prefix and lists the routes it serves.  A
-- 'data' row binds one METHOD path to one table operation and an auth rule.
create table postern.endpoints (
	id bigserial primary key,
	kind text not null check (kind in ('auth', 'data')),
	method text check (method in ('GET', 'POST', 'PATCH', 'DELETE')),
	path text not null check (path ~ '^/'),
	table_name text not null,
	op text check (op in ('list', 'get', 'create', 'update', 'delete')),
	auth text not null default 'bearer'
		constraint endpoints_auth_rule
		check (auth in ('none', 'bearer') or auth ~ '^bearer:[^[:space:]]+$'),
	owner_column text,
	ops text[],
	created_at timestamptz not null default now(),
	constraint endpoints_data_shape
		check (kind <> 'data' or (method is not null and op is not null)),
	constraint endpoints_auth_shape
		check (kind <> 'auth' or (ops is not null and method is null))
);

-- A data route is unique per method and path; an auth group owns its prefix.
create unique index endpoints_data_route on postern.endpoints (method, path)
	where kind = 'data';
create unique index endpoints_auth_path on postern.endpoints (path)
	where kind = 'auth';

-- Every gateway LISTENs on this channel and reloads its route table, so an
-- endpoint change takes effect everywhere without a restart.  Statement level:
-- one reload per change, however many rows it touched.
create function postern.endpoints_notify() returns trigger
	language plpgsql
	set search_path = pg_catalog
as $$
begin
	perform pg_notify('postern_endpoints', '');
	return null;
end
$$;

create trigger endpoints_notify
	after insert or update or delete or truncate on postern.endpoints
	for each statement execute function postern.endpoints_notify();

-- Credentials live here, never in the application's own table, so that the
-- gateway's role (which can read application tables) cannot reach them.
create table auth.credentials (
	tbl text not null,
	user_id text not null,
	phc text not null,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	primary key (tbl, user_id)
);

-- One row per login.  Only a hash of the refresh token is kept; `family`
-- links the rotations of one login so that reuse of a spent token can revoke
-- them all.
create table auth.sessions (
	id uuid primary key,
	tbl text not null,
	user_id text not null,
	family uuid not null,
	refresh_hash bytea not null unique,
	created_at timestamptz not null default now(),
	last_used_at timestamptz not null default now(),
	expires_at timestamptz not null,
	revoked_at timestamptz,
	user_agent text,
	client_addr text
);
create index sessions_user on auth.sessions (tbl, user_id);
create index sessions_family on auth.sessions (family);

create table auth.audit_log (
	id bigserial primary key,
	at timestamptz not null default now(),
	event text not null,
	tbl text,
	user_id text,
	client_addr text,
	session_id uuid
);

-- Grants.  PUBLIC gets nothing in either schema; the gateway's role may read
-- the endpoint registry and has no usage on schema auth at all, so even a
-- table grant made there by mistake would not let it in.
revoke all on schema postern from public;
revoke all on schema auth from public;

grant usage on schema postern to postern_gateway, postern_authd;
grant select on postern.endpoints to postern_gateway, postern_authd;

grant usage on schema auth to postern_authd;
grant select, insert, update, delete on all tables in schema auth
	to postern_authd;
grant usage on all sequences in schema auth to postern_authd;
