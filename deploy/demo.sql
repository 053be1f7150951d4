-- deploy/demo.sql: the tutorial's demo, loaded by `deploy/dev up` unless
-- --empty is given (`psql -1`: one transaction).  Loaded once per database:
-- the first run writes the marker postern.demo_loaded in the same
-- transaction, and every later run finds it and changes nothing, so
-- endpoints deleted or changed since (through the admin API or the
-- console) stay as they are.  A database that already has endpoints or one
-- of the demo's tables (an `up --empty` one, or one that loaded an older
-- demo without the marker) gets only the marker.  Needs migrations applied
-- first (roles, postern.endpoints).  To load it again: drop the demo's
-- tables and endpoints, then `delete from postern.demo_loaded`.

create table if not exists postern.demo_loaded (
	loaded boolean primary key default true check (loaded),
	at timestamptz not null default now(),
	-- Whether this run created the demo (false: only marked).
	created boolean not null
);
-- Two loads at once: the second waits here and then sees the marker.
lock table postern.demo_loaded in exclusive mode;

select not exists (select 1 from postern.demo_loaded)
	and not exists (select 1 from postern.endpoints)
	and to_regclass('public.users') is null
	and to_regclass('public.table_1') is null
	and to_regclass('public.notes') is null as demo_fresh,
	not exists (select 1 from postern.demo_loaded) as demo_unmarked \gset

\if :demo_unmarked
insert into postern.demo_loaded (created) values (:'demo_fresh');
\endif

\if :demo_fresh
-- The authentication table.  Password material never lives here: authd keeps
-- it in auth.credentials, keyed by ('users', id).
create table if not exists public.users (
	id bigserial primary key,
	email text unique not null,
	name text,
	created_at timestamptz not null default now()
);

create table if not exists public.table_1 (
	id bigserial primary key,
	title text not null,
	done boolean not null default false,
	priority integer,
	created_at timestamptz not null default now()
);

-- Rows only into an empty table (a fresh database's table is).
insert into public.table_1 (title, done, priority)
select v.title, v.done, v.priority
from (values
	('Pick users as the authentication table', true, 1),
	('Sign up with an email and a password', false, 1),
	('Call GET /table_1 with the bearer token', false, 2),
	('Lose the token and log in again', false, 3),
	('Try a tampered token and get a 401', false, null),
	('Read the configuration table in the README', false, 5)
) as v (title, done, priority)
where not exists (select 1 from public.table_1);

-- Notes belong to users: the /notes endpoints show and change only the
-- caller's own (owner_column = owner_id).
create table if not exists public.notes (
	id bigserial primary key,
	owner_id bigint not null,
	title text not null,
	body text,
	created_at timestamptz not null default now()
);

-- The gateway serves table_1 and notes and never reads users; authd creates
-- users at signup and reads them for login.
grant select, insert, update, delete on public.table_1, public.notes
	to postern_gateway;
grant usage on sequence public.table_1_id_seq, public.notes_id_seq
	to postern_gateway;
grant select, insert on public.users to postern_authd;
grant usage on sequence public.users_id_seq to postern_authd;

-- The /auth group on users, and GET /table_1 behind any valid bearer token.
insert into postern.endpoints (kind, path, table_name, ops)
select 'auth', '/auth', 'users',
	'{signup,login,refresh,logout,me,sessions,password}'
where not exists (
	select 1 from postern.endpoints where kind = 'auth' and path = '/auth');

insert into postern.endpoints (kind, method, path, table_name, op, auth,
	owner_column)
select 'data', v.method, v.path, v.tbl, v.op, v.auth, v.owner
from (values
	('GET', '/table_1', 'table_1', 'list', 'bearer', null),
	('GET', '/table_1/{id}', 'table_1', 'get', 'bearer', null),
	('POST', '/table_1', 'table_1', 'create', 'bearer', null),
	('PATCH', '/table_1/{id}', 'table_1', 'update', 'bearer', null),
	('DELETE', '/table_1/{id}', 'table_1', 'delete', 'bearer', null),
	('GET', '/notes', 'notes', 'list', 'bearer:users', 'owner_id'),
	('GET', '/notes/{id}', 'notes', 'get', 'bearer:users', 'owner_id'),
	('POST', '/notes', 'notes', 'create', 'bearer:users', 'owner_id'),
	('PATCH', '/notes/{id}', 'notes', 'update', 'bearer:users', 'owner_id'),
	('DELETE', '/notes/{id}', 'notes', 'delete', 'bearer:users', 'owner_id')
) as v (method, path, tbl, op, auth, owner)
where not exists (
	select 1 from postern.endpoints e
	where e.kind = 'data' and e.method = v.method and e.path = v.path);
\endif
