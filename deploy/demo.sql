-- deploy/demo.sql: the tutorial's demo, loaded by `deploy/dev up` unless
-- --empty is given.  Safe to run any number of times: every statement checks
-- before it acts.  Needs migrations applied first (roles, postern.endpoints).

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

-- Rows only into an empty table, so a second load adds nothing and rows the
-- user added or deleted are left alone.
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

-- The gateway serves table_1 and never reads users; authd creates users at
-- signup and reads them for login.
grant select on public.table_1 to postern_gateway;
grant select, insert on public.users to postern_authd;
grant usage on sequence public.users_id_seq to postern_authd;

-- The /auth group on users, and GET /table_1 behind any valid bearer token.
insert into postern.endpoints (kind, path, table_name, ops)
select 'auth', '/auth', 'users', '{signup,login}'
where not exists (
	select 1 from postern.endpoints where kind = 'auth' and path = '/auth');

insert into postern.endpoints (kind, method, path, table_name, op, auth)
select 'data', 'GET', '/table_1', 'table_1', 'list', 'bearer'
where not exists (
	select 1 from postern.endpoints
	where kind = 'data' and method = 'GET' and path = '/table_1');
