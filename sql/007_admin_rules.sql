-- 007_admin_rules: the builder API's rules of issue 10 (docs/builder.md).
--
--   - A table that backs an auth group is never a data endpoint's table,
--     and an auth group is never made on a table that data endpoints
--     serve (PT401, 400 PN111): a data endpoint on the auth table would let
--     a bearer write users (e.g. a victim's email under a forged id).
--   - Built-in paths of the gateway (/_admin, /_console, /healthz,
--     /readyz, /metrics, /openapi.json, /.well-known, each also as a
--     prefix, compared case-insensitively) are never an endpoint's path,
--     nor an auth group's prefix (PT402, 400 PN112).
--   - A data endpoint's path defaults to /<table> (/<table>/{id} for get,
--     update and delete), as its method defaults to its op's.
--   - Creating is idempotent: a definition that exists already answers
--     with it (created = false, 200); an auth group for the table and
--     prefix of an existing group adds the operations it lacks (200, the
--     widened group); only a different definition on a taken route or
--     prefix is a conflict (PT409).
--   - An endpoint can be changed (admin_patch_endpoint): a data
--     endpoint's auth rule and owner column, an auth group's operations.
--   - Deleting an endpoint revokes the grants that endpoints added and no
--     remaining endpoint needs (postern.endpoint_grants); grants that
--     existed before (made by admin_create_table, deploy/demo.sql or an
--     administrator) are never recorded there and never revoked.
--
-- admin_create_endpoint keeps its signature (005) and becomes a wrapper of
-- admin_put_endpoint, which also says whether it created anything.

-- The grants endpoints added: grantee may use rel with privilege because
-- an endpoint on the table for_rel needed it and the role lacked it.
create table postern.endpoint_grants (
	grantee name not null,
	rel oid not null,
	privilege text not null,
	for_rel oid not null,
	granted_at timestamptz not null default now(),
	primary key (grantee, rel, privilege)
);

-- Whether a path (data) or prefix (auth) is one of the gateway's own.
create function postern.admin_builtin_path(p_path text)
returns boolean
language sql immutable
set search_path = pg_catalog
as $$
	select exists (
		select 1 from unnest(array['/_admin', '/_console', '/healthz',
			'/readyz', '/metrics', '/openapi.json', '/.well-known']) b
		where lower(p_path) = b or starts_with(lower(p_path), b || '/'))
$$;

-- Raises PT402 if p_path is a built-in path.
create function postern.admin_check_builtin(p_path text)
returns void
language plpgsql immutable
set search_path = pg_catalog
as $$
begin
	if postern.admin_builtin_path(p_path) then
		raise exception 'path % is taken by the gateway itself (/_admin, /_console, /healthz, /readyz, /metrics, /openapi.json and /.well-known are built in)',
			p_path using errcode = 'PT402';
	end if;
end
$$;

-- Whether grantee still needs privilege on rel for an endpoint on the
-- table for_rel: a data endpoint whose op needs it (the gateway's role),
-- or an auth group (authd's role).
create function postern.admin_grant_needed(p_grantee name, p_rel oid,
	p_privilege text, p_for oid)
returns boolean
language sql stable
set search_path = pg_catalog
as $$
	select case p_grantee
	when 'postern_gateway' then exists (
		select 1 from postern.endpoints e
		join pg_class c on c.relname = e.table_name
			and c.relnamespace = 'public'::regnamespace
		where c.oid = p_for and e.kind = 'data'
		and case when p_rel <> p_for then e.op = 'create'
			else case p_privilege
				when 'SELECT' then true
				when 'INSERT' then e.op = 'create'
				when 'UPDATE' then e.op = 'update'
				when 'DELETE' then e.op = 'delete'
				else false end
			end)
	when 'postern_authd' then exists (
		select 1 from postern.endpoints e
		join pg_class c on c.relname = e.table_name
			and c.relnamespace = 'public'::regnamespace
		where c.oid = p_for and e.kind = 'auth')
	else false end
$$;

-- Grants privilege on rel (a table or a sequence) to grantee for an
-- endpoint on for_rel, unless the role has it already; a grant it makes
-- is recorded, so that deleting the last endpoint needing it revokes it.
-- Where this function's owner may not grant, nothing happens (notice).
create function postern.admin_grant(p_grantee name, p_rel oid,
	p_privilege text, p_for oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
	seq boolean := (select relkind = 'S' from pg_class where oid = p_rel);
begin
	if seq then
		if has_sequence_privilege(p_grantee, p_rel, p_privilege) then
			return;
		end if;
	elsif has_table_privilege(p_grantee, p_rel, p_privilege) then
		return;
	end if;
	begin
		execute format('grant %s on %s %s to %I', p_privilege,
			case when seq then 'sequence' else 'table' end,
			p_rel::regclass, p_grantee);
	exception when insufficient_privilege then
		raise notice 'cannot grant % access to %', p_grantee,
			p_rel::regclass;
		return;
	end;
	insert into postern.endpoint_grants (grantee, rel, privilege, for_rel)
	values (p_grantee, p_rel, p_privilege, p_for)
	on conflict do nothing;
end
$$;

-- What a data endpoint's op needs (the gateway's role) on table rel, or an
-- auth group (authd's role).
create function postern.admin_grant_for(p_kind text, p_op text, p_rel oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
	s oid;
	priv text;
begin
	if p_kind = 'auth' then
		-- authd creates users at signup and reads them at login.
		perform postern.admin_grant('postern_authd', p_rel, 'SELECT', p_rel);
		perform postern.admin_grant('postern_authd', p_rel, 'INSERT', p_rel);
		s := to_regclass(pg_get_serial_sequence(p_rel::regclass::text,
			'id'));
		if s is not null then
			perform postern.admin_grant('postern_authd', s, 'USAGE',
				p_rel);
		end if;
		return;
	end if;
	perform postern.admin_grant('postern_gateway', p_rel, 'SELECT', p_rel);
	priv := case p_op when 'create' then 'INSERT' when 'update' then 'UPDATE'
		when 'delete' then 'DELETE' end;
	if priv is not null then
		perform postern.admin_grant('postern_gateway', p_rel, priv, p_rel);
	end if;
	if p_op = 'create' then
		-- An identity column's sequence needs no grant for inserts; a
		-- serial's does.
		for s in select dep.objid from pg_depend dep
		    join pg_class c on c.oid = dep.objid and c.relkind = 'S'
		    where dep.refobjid = p_rel and dep.deptype in ('a', 'i') loop
			perform postern.admin_grant('postern_gateway', s, 'USAGE',
				p_rel);
			perform postern.admin_grant('postern_gateway', s, 'SELECT',
				p_rel);
		end loop;
	end if;
end
$$;

-- Revokes the recorded grants for table name p_table that no endpoint
-- needs any more.
create function postern.admin_revoke_unneeded(p_table text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
	g postern.endpoint_grants;
begin
	for g in select eg.* from postern.endpoint_grants eg
	    join pg_class c on c.oid = eg.for_rel
	    where c.relname = p_table
	    and c.relnamespace = 'public'::regnamespace loop
		if postern.admin_grant_needed(g.grantee, g.rel, g.privilege,
		    g.for_rel) then
			continue;
		end if;
		begin
			execute format('revoke %s on %s %s from %I', g.privilege,
				case when (select relkind from pg_class
				    where oid = g.rel) = 'S'
				then 'sequence' else 'table' end,
				g.rel::regclass, g.grantee);
		exception when insufficient_privilege or undefined_table then
			raise notice 'cannot revoke % access to %', g.grantee,
				g.rel;
		end;
		delete from postern.endpoint_grants
		where grantee = g.grantee and rel = g.rel
		and privilege = g.privilege;
	end loop;
	-- Records of tables dropped since are of no use.
	delete from postern.endpoint_grants eg
	where not exists (select 1 from pg_class c where c.oid = eg.rel)
	or not exists (select 1 from pg_class c where c.oid = eg.for_rel);
end
$$;

-- The auth-group checks shared by create and patch: ops as a sorted set
-- (PT400), and that the routes of ops clash with no data endpoint (PT409).
create function postern.admin_auth_ops(p_ops jsonb)
returns text[]
language plpgsql immutable
set search_path = pg_catalog
as $$
declare
	auth_ops constant text[] := array['signup', 'login', 'refresh', 'logout',
		'me', 'sessions', 'password'];
	v text[];
begin
	if jsonb_typeof(p_ops) is distinct from 'array'
	    or exists (select 1 from jsonb_array_elements(p_ops) o
	    where jsonb_typeof(o) <> 'string'
	    or not (o #>> '{}') = any (auth_ops)) then
		raise exception 'ops must be a non-empty array of %',
			array_to_string(auth_ops, ', ')
			using errcode = 'PT400';
	end if;
	if jsonb_array_length(p_ops) = 0 then
		raise exception 'ops must be a non-empty array of % (to remove an auth group''s last operation, delete the group)',
			array_to_string(auth_ops, ', ')
			using errcode = 'PT400';
	end if;
	-- In the order of auth_ops, each once.
	select array_agg(o order by array_position(auth_ops, o)) into v
	from (select distinct o #>> '{}' as o
		from jsonb_array_elements(p_ops) o) s;
	return v;
end
$$;

create function postern.admin_auth_clash(p_path text, p_ops text[])
returns void
language plpgsql stable
set search_path = pg_catalog
as $$
declare
	clash record;
begin
	select d.method, d.path into clash
	from postern.endpoints d
	join postern.auth_group_routes(p_path, p_ops) r
		on r.method = d.method and r.path = d.path
	where d.kind = 'data' limit 1;
	if found then
		raise exception 'route % % exists already', clash.method,
			clash.path using errcode = 'PT409';
	end if;
end
$$;

-- A data endpoint's auth rule and owner column (PT400 if invalid).
create function postern.admin_check_data_rule(p_rel oid, p_table text,
	p_auth text, p_owner text)
returns void
language plpgsql stable
set search_path = pg_catalog
as $$
begin
	if p_auth !~ '^(none|bearer|bearer:[a-z_][a-z0-9_]{0,62})$' then
		raise exception 'auth must be none, bearer or bearer:<auth table>'
			using errcode = 'PT400';
	end if;
	if p_auth like 'bearer:%' and not exists (
	    select 1 from postern.endpoints
	    where kind = 'auth' and table_name = substr(p_auth, 8)) then
		raise exception 'auth %: % has no auth group', p_auth,
			substr(p_auth, 8) using errcode = 'PT400';
	end if;
	if p_owner is not null then
		perform postern.admin_check_ident('owner_column', p_owner);
		if not exists (select 1 from pg_attribute
		    where attrelid = p_rel and attname = p_owner and attnum > 0
		    and not attisdropped) then
			raise exception 'table % has no column %', p_table, p_owner
				using errcode = 'PT400';
		end if;
		if p_auth = 'none' then
			raise exception 'an owner column needs bearer auth'
				using errcode = 'PT400';
		end if;
	end if;
end
$$;

-- Creates an endpoint from a JSON definition (API.md section 4), or finds
-- the one that has it already:
--   {"kind":"auth","table":"users","path":"/auth","ops":["signup","login"]}
--   {"kind":"data","method":"GET","path":"/t","table":"t","op":"list",
--    "auth":"bearer","owner_column":"owner_id"}
-- created is false when the definition existed (or an existing group got
-- the operations it lacked).  Changes notify every gateway.
create function postern.admin_put_endpoint(p_def jsonb,
	out created boolean, out endpoint jsonb)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
	k text;
	v_kind text;
	v_table text;
	v_path text;
	v_method text;
	v_want text;
	v_op text;
	v_auth text;
	v_owner text;
	v_ops text[];
	v_missing text[];
	rel oid;
	e postern.endpoints;
begin
	if p_def is null or jsonb_typeof(p_def) <> 'object' then
		raise exception 'the definition must be a JSON object'
			using errcode = 'PT400';
	end if;
	for k in select jsonb_object_keys(p_def) loop
		if k <> all (array['kind', 'table', 'path', 'ops', 'method', 'op',
		    'auth', 'owner_column']) then
			raise exception 'unknown key "%"', k using errcode = 'PT400';
		end if;
	end loop;
	for k in select unnest(array['kind', 'table', 'path', 'method', 'op',
	    'auth', 'owner_column']) loop
		if p_def ? k and jsonb_typeof(p_def->k) not in ('string', 'null')
		then
			raise exception '% must be a string', k
				using errcode = 'PT400';
		end if;
	end loop;
	v_kind := p_def->>'kind';
	v_table := p_def->>'table';
	v_path := p_def->>'path';
	if v_kind is null or v_kind not in ('auth', 'data') then
		raise exception 'kind must be "auth" or "data"'
			using errcode = 'PT400';
	end if;
	perform postern.admin_check_ident('table', v_table);
	select c.oid into rel from pg_class c
	where c.relnamespace = 'public'::regnamespace and c.relname = v_table
	and c.relkind in ('r', 'p', 'v', 'm');
	if rel is null then
		raise exception 'table % does not exist', v_table
			using errcode = 'PT400';
	end if;
	-- Serialise with other registry writers: the checks below and the
	-- write must see the same registry.
	lock table postern.endpoints in share row exclusive mode;

	if v_kind = 'auth' then
		for k in select unnest(array['method', 'op', 'auth',
		    'owner_column']) loop
			if p_def ? k then
				raise exception 'an auth group takes no %', k
					using errcode = 'PT400';
			end if;
		end loop;
		if v_path is null or v_path !~ '^(/[A-Za-z0-9_.-]+)+$'
		    or v_path ~ '/\.+(/|$)' or length(v_path) > 200 then
			raise exception 'path must be a prefix like /auth: segments of letters, digits, _ . -'
				using errcode = 'PT400';
		end if;
		perform postern.admin_check_builtin(v_path);
		v_ops := postern.admin_auth_ops(p_def->'ops');
		if not postern.admin_auth_capable(rel) then
			raise exception 'table % cannot be an auth table: it needs an id primary key and a unique email text column', v_table
				using errcode = 'PT400';
		end if;
		select * into e from postern.endpoints
		where kind = 'data' and table_name = v_table
		order by id limit 1;
		if found then
			raise exception 'table % is served by data endpoint % %: an auth table cannot be a data endpoint''s table',
				v_table, e.method, e.path using errcode = 'PT401';
		end if;
		select * into e from postern.endpoints
		where kind = 'auth' and path = v_path;
		if found then
			if e.table_name <> v_table then
				raise exception 'an auth group at % exists already, on table %',
					v_path, e.table_name using errcode = 'PT409';
			end if;
			-- The same group: add the operations it lacks.
			created := false;
			select coalesce(array_agg(o), '{}') into v_missing
			from unnest(v_ops) o where o <> all (e.ops);
			if cardinality(v_missing) > 0 then
				perform postern.admin_auth_clash(v_path, v_missing);
				perform postern.admin_grant_for('auth', null, rel);
				update postern.endpoints
				set ops = postern.admin_auth_ops(
					to_jsonb(e.ops || v_missing))
				where id = e.id
				returning * into e;
			end if;
			endpoint := postern.admin_endpoint_json(e);
			return;
		end if;
		perform postern.admin_auth_clash(v_path, v_ops);
		perform postern.admin_grant_for('auth', null, rel);
		insert into postern.endpoints (kind, path, table_name, ops)
		values ('auth', v_path, v_table, v_ops)
		returning * into e;
		created := true;
		endpoint := postern.admin_endpoint_json(e);
		return;
	end if;

	-- A data endpoint.
	if p_def ? 'ops' then
		raise exception 'a data endpoint takes no ops (that is an auth group)'
			using errcode = 'PT400';
	end if;
	v_op := p_def->>'op';
	v_method := upper(p_def->>'method');
	v_auth := coalesce(p_def->>'auth', 'bearer');
	v_owner := nullif(p_def->>'owner_column', '');
	if v_op is null or v_op not in ('list', 'get', 'create', 'update',
	    'delete') then
		raise exception 'op must be one of list, get, create, update, delete'
			using errcode = 'PT400';
	end if;
	v_want := (case v_op when 'create' then 'POST'
		when 'update' then 'PATCH' when 'delete' then 'DELETE'
		else 'GET' end);
	if v_method is null then
		v_method := v_want;
	end if;
	if v_method <> v_want then
		raise exception 'op % needs method %', v_op, v_want
			using errcode = 'PT400';
	end if;
	-- Without a path, the one the console suggests: /<table>, and
	-- /<table>/{id} for the item operations.
	if not p_def ? 'path' or jsonb_typeof(p_def->'path') = 'null' then
		v_path := '/' || v_table || case when v_op in ('get', 'update',
			'delete') then '/{id}' else '' end;
	end if;
	if v_path is null
	    or v_path !~ '^(/[A-Za-z0-9_.-]+)+(/\{id\})?$'
	    or v_path ~ '/\.+(/|$)' or length(v_path) > 200 then
		raise exception 'path must look like /table_1 or /table_1/{id}: segments of letters, digits, _ . -, and {id} only as the last one'
			using errcode = 'PT400';
	end if;
	perform postern.admin_check_builtin(v_path);
	if v_op = 'get' and v_path !~ '/\{id\}$' then
		raise exception 'a get endpoint needs {id} as its last segment'
			using errcode = 'PT400';
	end if;
	if v_op in ('list', 'create') and v_path ~ '\{id\}' then
		raise exception 'a % endpoint takes no {id}', v_op
			using errcode = 'PT400';
	end if;
	perform postern.admin_check_data_rule(rel, v_table, v_auth, v_owner);
	select * into e from postern.endpoints
	where kind = 'auth' and table_name = v_table
	order by id limit 1;
	if found then
		raise exception 'table % backs the auth group at %: it cannot be a data endpoint''s table',
			v_table, e.path using errcode = 'PT401';
	end if;
	select * into e from postern.endpoints
	where kind = 'data' and method = v_method and path = v_path;
	if found then
		if e.table_name = v_table and e.op = v_op and e.auth = v_auth
		    and e.owner_column is not distinct from v_owner then
			created := false;
			endpoint := postern.admin_endpoint_json(e);
			return;
		end if;
		raise exception 'route % % exists already, with another definition',
			v_method, v_path using errcode = 'PT409';
	end if;
	if exists (select 1 from postern.endpoints a,
	    postern.auth_group_routes(a.path, a.ops) r
	    where a.kind = 'auth' and r.method = v_method and r.path = v_path)
	then
		raise exception 'route % % belongs to an auth group', v_method,
			v_path using errcode = 'PT409';
	end if;
	-- The gateway's role needs the operation's privileges on the table;
	-- what it lacked is granted and recorded.
	perform postern.admin_grant_for('data', v_op, rel);
	insert into postern.endpoints (kind, method, path, table_name, op, auth,
		owner_column)
	values ('data', v_method, v_path, v_table, v_op, v_auth, v_owner)
	returning * into e;
	created := true;
	endpoint := postern.admin_endpoint_json(e);
end
$$;

create or replace function postern.admin_create_endpoint(p_def jsonb)
returns jsonb
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$
	select endpoint from postern.admin_put_endpoint(p_def)
$$;

-- Changes an endpoint: {"auth"?, "owner_column"?} of a data endpoint (a
-- null or empty owner_column removes the owner rule), {"ops"} of an auth
-- group (the whole new set: operations are added and removed by listing
-- them; an empty set is refused, delete the group instead).  kind, table,
-- path, method and op may be given only with their current values.
create function postern.admin_patch_endpoint(p_id bigint, p_patch jsonb)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
	k text;
	e postern.endpoints;
	v_auth text;
	v_owner text;
	v_ops text[];
	v_added text[];
	rel oid;
begin
	if p_patch is null or jsonb_typeof(p_patch) <> 'object' then
		raise exception 'the change must be a JSON object'
			using errcode = 'PT400';
	end if;
	lock table postern.endpoints in share row exclusive mode;
	select * into e from postern.endpoints where id = p_id;
	if not found then
		raise exception 'no endpoint %', p_id using errcode = 'PT404';
	end if;
	for k in select jsonb_object_keys(p_patch) loop
		if k <> all (array['kind', 'table', 'path', 'ops', 'method', 'op',
		    'auth', 'owner_column']) then
			raise exception 'unknown key "%"', k using errcode = 'PT400';
		end if;
		if k in ('kind', 'table', 'path', 'method', 'op')
		    and (jsonb_typeof(p_patch->k) is distinct from 'string'
		    or (p_patch->>k) is distinct from (case k
			when 'kind' then e.kind when 'table' then e.table_name
			when 'path' then e.path when 'method' then e.method
			else e.op end)) then
			raise exception '% cannot be changed: delete the endpoint and create another',
				k using errcode = 'PT400';
		end if;
		if k in ('auth', 'owner_column')
		    and jsonb_typeof(p_patch->k) not in ('string', 'null') then
			raise exception '% must be a string', k
				using errcode = 'PT400';
		end if;
	end loop;
	select c.oid into rel from pg_class c
	where c.relnamespace = 'public'::regnamespace
	and c.relname = e.table_name;

	if e.kind = 'auth' then
		for k in select unnest(array['auth', 'owner_column']) loop
			if p_patch ? k then
				raise exception 'an auth group takes no %', k
					using errcode = 'PT400';
			end if;
		end loop;
		if not p_patch ? 'ops' then
			return postern.admin_endpoint_json(e);
		end if;
		v_ops := postern.admin_auth_ops(p_patch->'ops');
		if v_ops = e.ops then
			return postern.admin_endpoint_json(e);
		end if;
		select coalesce(array_agg(o), '{}') into v_added
		from unnest(v_ops) o where o <> all (e.ops);
		if cardinality(v_added) > 0 then
			perform postern.admin_auth_clash(e.path, v_added);
		end if;
		update postern.endpoints set ops = v_ops where id = e.id
		returning * into e;
		return postern.admin_endpoint_json(e);
	end if;

	if p_patch ? 'ops' then
		raise exception 'a data endpoint takes no ops (that is an auth group)'
			using errcode = 'PT400';
	end if;
	v_auth := case when p_patch ? 'auth' then p_patch->>'auth' else e.auth end;
	if v_auth is null then
		raise exception 'auth must be none, bearer or bearer:<auth table>'
			using errcode = 'PT400';
	end if;
	v_owner := case when p_patch ? 'owner_column'
		then nullif(p_patch->>'owner_column', '') else e.owner_column end;
	if rel is null then
		raise exception 'table % does not exist', e.table_name
			using errcode = 'PT400';
	end if;
	perform postern.admin_check_data_rule(rel, e.table_name, v_auth, v_owner);
	if v_auth = e.auth and v_owner is not distinct from e.owner_column then
		return postern.admin_endpoint_json(e);
	end if;
	update postern.endpoints set auth = v_auth, owner_column = v_owner
	where id = e.id
	returning * into e;
	return postern.admin_endpoint_json(e);
end
$$;

-- Removes an endpoint, and the grants endpoints added that no remaining
-- endpoint needs.
create or replace function postern.admin_delete_endpoint(p_id bigint)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
	t text;
begin
	lock table postern.endpoints in share row exclusive mode;
	delete from postern.endpoints where id = p_id
	returning table_name into t;
	if not found then
		raise exception 'no endpoint %', p_id using errcode = 'PT404';
	end if;
	perform postern.admin_revoke_unneeded(t);
end
$$;

revoke all on table postern.endpoint_grants from public;
revoke all on function postern.admin_builtin_path(text) from public;
revoke all on function postern.admin_check_builtin(text) from public;
revoke all on function postern.admin_grant_needed(name, oid, text, oid)
	from public;
revoke all on function postern.admin_grant(name, oid, text, oid) from public;
revoke all on function postern.admin_grant_for(text, text, oid) from public;
revoke all on function postern.admin_revoke_unneeded(text) from public;
revoke all on function postern.admin_auth_ops(jsonb) from public;
revoke all on function postern.admin_auth_clash(text, text[]) from public;
revoke all on function postern.admin_check_data_rule(oid, text, text, text)
	from public;
revoke all on function postern.admin_put_endpoint(jsonb) from public;
revoke all on function postern.admin_patch_endpoint(bigint, jsonb)
	from public;

-- The gateway calls only the entry points; the helpers that grant run
-- inside them, with their owner's rights.
grant execute on function postern.admin_put_endpoint(jsonb),
	postern.admin_patch_endpoint(bigint, jsonb),
	postern.admin_builtin_path(text)
	to postern_gateway;
