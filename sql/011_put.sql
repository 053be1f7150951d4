-- 011_put: PUT on a single row (docs/data-api.md, "PUT"), as the data
-- operation "replace": the registry takes the method PUT and the op
-- replace, the admin API creates such endpoints (path /<table>/{id} by
-- default) and grants what they need (INSERT and UPDATE, and a serial's
-- sequence, as a create and an update would), and the gateway's PUT
-- statement routes its key check through postern.expect_put_key().

alter table postern.endpoints drop constraint endpoints_method_check;
alter table postern.endpoints add constraint endpoints_method_check
	check (method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE'));
alter table postern.endpoints drop constraint endpoints_op_check;
alter table postern.endpoints add constraint endpoints_op_check
	check (op in ('list', 'get', 'create', 'update', 'delete', 'replace'));

-- PUT /t?id=eq.1 with a body whose key is not 1: PostgREST's PGRST115
-- (the gateway maps PT115).  m is the comparison of the body's key
-- columns with the filter's values; NULL (a key left null) fails too.
-- The failure rolls the statement back, so nothing is written.
create function postern.expect_put_key(m boolean) returns boolean
language plpgsql as $$
begin
	if m is not true then
		raise exception 'Payload values do not match URL in primary key column(s)'
			using errcode = 'PT115';
	end if;
	return true;
end
$$;

revoke all on function postern.expect_put_key(boolean) from public;
grant execute on function postern.expect_put_key(boolean) to postern_gateway;

-- As 007's, with replace needing INSERT and UPDATE (and, as a create, the
-- sequences of serial columns).
create or replace function postern.admin_grant_needed(p_grantee name,
	p_rel oid, p_privilege text, p_for oid)
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
		and case when p_rel <> p_for then e.op in ('create', 'replace')
			else case p_privilege
				when 'SELECT' then true
				when 'INSERT' then e.op in ('create', 'replace')
				when 'UPDATE' then e.op in ('update', 'replace')
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

create or replace function postern.admin_grant_for(p_kind text, p_op text,
	p_rel oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
	s oid;
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
	if p_op in ('create', 'replace') then
		perform postern.admin_grant('postern_gateway', p_rel, 'INSERT',
			p_rel);
	end if;
	if p_op in ('update', 'replace') then
		perform postern.admin_grant('postern_gateway', p_rel, 'UPDATE',
			p_rel);
	end if;
	if p_op = 'delete' then
		perform postern.admin_grant('postern_gateway', p_rel, 'DELETE',
			p_rel);
	end if;
	if p_op in ('create', 'replace') then
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

-- Creates an endpoint from a JSON definition (API.md section 4), or finds
-- the one that has it already:
--   {"kind":"auth","table":"users","path":"/auth","ops":["signup","login"]}
--   {"kind":"data","method":"GET","path":"/t","table":"t","op":"list",
--    "auth":"bearer","owner_column":"owner_id"}
--   {"kind":"data","method":"PUT","path":"/t/{id}","table":"t",
--    "op":"replace"}
-- created is false when the definition existed (or an existing group got
-- the operations it lacked).  Changes notify every gateway.
create or replace function postern.admin_put_endpoint(p_def jsonb,
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
	    'delete', 'replace') then
		raise exception 'op must be one of list, get, create, update, delete, replace'
			using errcode = 'PT400';
	end if;
	v_want := (case v_op when 'create' then 'POST'
		when 'update' then 'PATCH' when 'delete' then 'DELETE'
		when 'replace' then 'PUT' else 'GET' end);
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
			'delete', 'replace') then '/{id}' else '' end;
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
	-- A replace finds its row by the primary key: PUT /t/{id} by the
	-- key's one column, PUT /t?<each key column>=eq.<value> by all.
	if v_op = 'replace' and not exists (select 1 from pg_index
	    where indrelid = rel and indisprimary
	    and (v_path !~ '\{id\}' or indnkeyatts = 1)) then
		raise exception 'a replace endpoint needs a table with a primary key (of one column for a path with {id})'
			using errcode = 'PT400';
	end if;
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


revoke all on function postern.admin_grant_needed(name, oid, text, oid)
	from public;
revoke all on function postern.admin_grant_for(text, text, oid) from public;
revoke all on function postern.admin_put_endpoint(jsonb) from public;
grant execute on function postern.admin_put_endpoint(jsonb) to postern_gateway;
