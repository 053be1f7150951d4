-- 005_admin: the builder API's privileged steps, as SECURITY DEFINER
-- functions.
--
-- The gateway's role may only read postern.endpoints and use the tables it
-- serves.  Instead of letting it create tables, grant privileges or write
-- the registry, the few things the admin API needs are functions owned by
-- the migrating role, which validate every input themselves (a strict name
-- pattern, a fixed list of types, defaults as quoted literals cast to the
-- column's type or one of two known functions) and run with a fixed
-- search_path.  The gateway may EXECUTE them and nothing else: whoever
-- holds its database password can publish endpoints and create tables in
-- public, but cannot run arbitrary DDL, read auth.*, drop or alter a table.
--
-- Errors carry their own SQLSTATEs, which the gateway maps to HTTP:
--   PT400 an invalid definition (400, the message names the problem)
--   PT404 no such endpoint (404)
--   PT409 the table, the path or the route exists already (409)
-- A function call is one statement: on any error nothing of it remains.

-- The routes an auth group publishes, as gateway/routes.c builds them.
create function postern.auth_group_routes(p_prefix text, p_ops text[])
returns table (method text, path text)
language sql immutable
set search_path = pg_catalog
as $$
	select r.method, (case when p_prefix = '/' then '' else p_prefix end)
		|| r.suffix
	from (values
		('signup', 'POST', '/signup'),
		('login', 'POST', '/login'),
		('refresh', 'POST', '/refresh'),
		('logout', 'POST', '/logout'),
		('me', 'GET', '/me'),
		('sessions', 'GET', '/sessions'),
		('sessions', 'DELETE', '/sessions'),
		('sessions', 'DELETE', '/sessions/{id}'),
		('password', 'POST', '/password')
	) as r (op, method, suffix)
	where r.op = any (p_ops)
$$;

-- One endpoint as the admin API shows it.
create function postern.admin_endpoint_json(e postern.endpoints)
returns jsonb
language sql stable
set search_path = pg_catalog
as $$
	select jsonb_build_object(
		'id', e.id,
		'kind', e.kind,
		'method', e.method,
		'path', e.path,
		'table', e.table_name,
		'op', e.op,
		'auth', case when e.kind = 'data' then e.auth end,
		'owner_column', e.owner_column,
		'ops', to_jsonb(e.ops),
		'routes', case when e.kind = 'auth' then (
			select coalesce(jsonb_agg(jsonb_build_object(
				'method', r.method, 'path', r.path)), '[]')
			from postern.auth_group_routes(e.path, e.ops) r)
		else jsonb_build_array(jsonb_build_object(
			'method', e.method, 'path', e.path)) end,
		'created_at', e.created_at)
$$;

create function postern.admin_endpoints()
returns jsonb
language sql stable
set search_path = pg_catalog
as $$
	select coalesce(jsonb_agg(postern.admin_endpoint_json(e) order by e.id),
		'[]')
	from postern.endpoints e
$$;

-- Whether a table can back an auth group: a single-column primary key
-- named id, and a column email of a text type with a unique index of its
-- own (a plain one: authd matches emails with lower(), and signup stores
-- them lowercased).
create function postern.admin_auth_capable(p_rel oid)
returns boolean
language sql stable
set search_path = pg_catalog
as $$
	select exists (
		select 1 from pg_index i
		join pg_attribute a on a.attrelid = i.indrelid
			and a.attnum = i.indkey[0]
		where i.indrelid = p_rel and i.indisprimary and i.indnatts = 1
		and a.attname = 'id')
	and exists (
		select 1 from pg_attribute a
		join pg_index u on u.indrelid = a.attrelid and u.indisunique
			and u.indnatts = 1 and u.indkey[0] = a.attnum
			and u.indpred is null and u.indexprs is null
		where a.attrelid = p_rel and a.attname = 'email'
		and not a.attisdropped
		and a.atttypid in ('text'::regtype, 'varchar'::regtype))
$$;

-- The tables of schema public with their columns (what the console's
-- "Select Table" shows).  auth_capable: the table can back an auth group
-- (an id primary key and a unique email text column).  Runs with the
-- caller's rights: pg_catalog is readable by everyone.
create function postern.admin_tables(p_name text default null)
returns jsonb
language sql stable
set search_path = pg_catalog
as $$
	select coalesce(jsonb_agg(t.o order by t.name), '[]')
	from (
		select c.relname::text as name, jsonb_build_object(
			'name', c.relname,
			'kind', case c.relkind when 'v' then 'view'
				when 'm' then 'materialized view' else 'table' end,
			'columns', (
				select coalesce(jsonb_agg(jsonb_build_object(
					'name', a.attname,
					'type', format_type(a.atttypid, a.atttypmod),
					'not_null', a.attnotnull,
					'default', pg_get_expr(d.adbin, d.adrelid),
					'primary_key', coalesce(a.attnum = any (pk.indkey),
						false),
					'unique', exists (
						select 1 from pg_index u
						where u.indrelid = c.oid and u.indisunique
						and u.indnatts = 1 and u.indkey[0] = a.attnum
						and u.indpred is null and u.indexprs is null))
					order by a.attnum), '[]')
				from pg_attribute a
				left join pg_attrdef d
					on d.adrelid = a.attrelid and d.adnum = a.attnum
				where a.attrelid = c.oid and a.attnum > 0
				and not a.attisdropped),
			'primary_key', (
				select coalesce(jsonb_agg(a.attname order by a.attnum),
					'[]')
				from pg_attribute a
				where a.attrelid = c.oid and a.attnum = any (pk.indkey)),
			'auth_capable', postern.admin_auth_capable(c.oid)) as o
		from pg_class c
		left join pg_index pk on pk.indrelid = c.oid and pk.indisprimary
		where c.relnamespace = 'public'::regnamespace
		and c.relkind in ('r', 'p', 'v', 'm')
		and (p_name is null or c.relname = p_name)
	) t
$$;

-- The name pattern of tables and columns: lowercase, so that what the user
-- typed is what PostgreSQL stores and what routes name.
create function postern.admin_check_ident(p_what text, p_name text)
returns text
language plpgsql immutable
set search_path = pg_catalog
as $$
begin
	if p_name is null or p_name !~ '^[a-z_][a-z0-9_]{0,62}$' then
		raise exception '% must be 1 to 63 characters: lowercase letters, digits and _, not starting with a digit', p_what
			using errcode = 'PT400';
	end if;
	if p_name like 'pg\_%' then
		raise exception '% must not start with pg_', p_what
			using errcode = 'PT400';
	end if;
	return p_name;
end
$$;

-- Creates public.<p_name> from p_columns, a JSON array of
--   {"name", "type", "not_null"?, "unique"?, "default"?}
-- with type one of text, integer, bigint, numeric, boolean, timestamptz,
-- date, uuid, jsonb.  A default is "now()" (timestamptz, date),
-- "gen_random_uuid()" (uuid), or a literal (JSON string, number, boolean;
-- any JSON for jsonb) quoted and cast to the column's type.  A column "id"
-- becomes the primary key (bigint and integer as identity columns); without
-- one, "id bigint generated by default as identity primary key" comes
-- first.  The gateway's role gets select, insert, update, delete.
create function postern.admin_create_table(p_name text, p_columns jsonb)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
	types constant text[] := array['text', 'integer', 'bigint', 'numeric',
		'boolean', 'timestamptz', 'date', 'uuid', 'jsonb'];
	col jsonb;
	k text;
	cname text;
	ctype text;
	dflt jsonb;
	dexpr text;
	names text[] := '{}';
	defs text[] := '{}';
	has_id boolean := false;
	sql text;
	seq text;
	n int := 0;
begin
	perform postern.admin_check_ident('the table name', p_name);
	if to_regclass(format('public.%I', p_name)) is not null then
		raise exception 'table % exists already', p_name
			using errcode = 'PT409';
	end if;
	if p_columns is null then
		p_columns := '[]';
	end if;
	if jsonb_typeof(p_columns) <> 'array' then
		raise exception 'columns must be an array' using errcode = 'PT400';
	end if;
	if jsonb_array_length(p_columns) > 100 then
		raise exception 'at most 100 columns' using errcode = 'PT400';
	end if;
	for col in select value from jsonb_array_elements(p_columns) loop
		n := n + 1;
		if jsonb_typeof(col) <> 'object' then
			raise exception 'column % must be an object', n
				using errcode = 'PT400';
		end if;
		for k in select jsonb_object_keys(col) loop
			if k <> all (array['name', 'type', 'not_null', 'unique',
			    'default']) then
				raise exception 'column %: unknown key "%"', n, k
					using errcode = 'PT400';
			end if;
		end loop;
		if jsonb_typeof(col->'name') is distinct from 'string' then
			raise exception 'column %: name must be a string', n
				using errcode = 'PT400';
		end if;
		cname := col->>'name';
		perform postern.admin_check_ident(format('column %s name', n),
			cname);
		if cname in ('tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid') then
			raise exception 'column %: % is a system column name', n, cname
				using errcode = 'PT400';
		end if;
		if cname = any (names) then
			raise exception 'column % appears twice', cname
				using errcode = 'PT400';
		end if;
		names := names || cname;
		if jsonb_typeof(col->'type') is distinct from 'string'
		    or not (col->>'type') = any (types) then
			raise exception 'column %: type must be one of %', cname,
				array_to_string(types, ', ')
				using errcode = 'PT400';
		end if;
		ctype := col->>'type';
		for k in select unnest(array['not_null', 'unique']) loop
			if col ? k and jsonb_typeof(col->k) <> 'boolean' then
				raise exception 'column %: % must be true or false',
					cname, k using errcode = 'PT400';
			end if;
		end loop;
		sql := format('%I %s', cname, ctype);
		if cname = 'id' then
			has_id := true;
			if ctype not in ('bigint', 'integer', 'uuid', 'text') then
				raise exception 'column id must be bigint, integer, uuid or text'
					using errcode = 'PT400';
			end if;
			if ctype in ('bigint', 'integer') and not col ? 'default' then
				sql := sql || ' generated by default as identity';
			end if;
			if ctype = 'uuid' and not col ? 'default' then
				sql := sql || ' default gen_random_uuid()';
			end if;
			sql := sql || ' primary key';
		else
			if coalesce((col->>'not_null')::boolean, false) then
				sql := sql || ' not null';
			end if;
			if coalesce((col->>'unique')::boolean, false) then
				sql := sql || ' unique';
			end if;
		end if;
		if col ? 'default' and jsonb_typeof(col->'default') <> 'null' then
			dflt := col->'default';
			if dflt = '"now()"' then
				if ctype not in ('timestamptz', 'date') then
					raise exception 'column %: now() is a default for timestamptz or date', cname
						using errcode = 'PT400';
				end if;
				dexpr := 'now()';
			elsif dflt = '"gen_random_uuid()"' then
				if ctype <> 'uuid' then
					raise exception 'column %: gen_random_uuid() is a default for uuid', cname
						using errcode = 'PT400';
				end if;
				dexpr := 'gen_random_uuid()';
			else
				if ctype = 'jsonb' then
					dexpr := format('%L::jsonb', dflt::text);
				elsif jsonb_typeof(dflt) in ('string', 'number',
				    'boolean') then
					dexpr := format('%L::%s', dflt #>> '{}', ctype);
				else
					raise exception 'column %: the default must be a string, number or boolean', cname
						using errcode = 'PT400';
				end if;
				-- A literal the type does not accept fails here, as a
				-- 400, rather than at CREATE TABLE.
				begin
					execute 'select ' || dexpr;
				exception when others then
					raise exception 'column %: invalid default: %', cname,
						sqlerrm using errcode = 'PT400';
				end;
			end if;
			sql := sql || ' default ' || dexpr;
		end if;
		defs := defs || sql;
	end loop;
	if not has_id then
		defs := array_prepend(
			'id bigint generated by default as identity primary key'::text,
			defs);
	end if;
	begin
		execute format('create table public.%I (%s)', p_name,
			array_to_string(defs, ', '));
	exception when duplicate_table then
		raise exception 'table % exists already', p_name
			using errcode = 'PT409';
	end;
	execute format(
		'grant select, insert, update, delete on public.%I to postern_gateway',
		p_name);
	-- An identity column's sequence needs no grant for inserts; a serial
	-- would.  Grant usage on any sequence the table owns all the same.
	for seq in select s.oid::regclass::text
	    from pg_depend dep
	    join pg_class s on s.oid = dep.objid and s.relkind = 'S'
	    where dep.refobjid = format('public.%I', p_name)::regclass
	    and dep.deptype in ('a', 'i') loop
		execute format(
			'grant usage, select on sequence %s to postern_gateway', seq);
	end loop;
	return postern.admin_tables(p_name)->0;
end
$$;

-- Creates an endpoint from a JSON definition (API.md section 4):
--   {"kind":"auth","table":"users","path":"/auth","ops":["signup","login"]}
--   {"kind":"data","method":"GET","path":"/t","table":"t","op":"list",
--    "auth":"bearer","owner_column":"owner_id"}
-- and returns it as admin_endpoint_json shows it.  The insert notifies
-- every gateway (postern.endpoints_notify).
create function postern.admin_create_endpoint(p_def jsonb)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
	auth_ops constant text[] := array['signup', 'login', 'refresh', 'logout',
		'me', 'sessions', 'password'];
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
	rel oid;
	seq text;
	clash record;
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
		if jsonb_typeof(p_def->'ops') is distinct from 'array'
		    or jsonb_array_length(p_def->'ops') = 0 then
			raise exception 'ops must be a non-empty array of %',
				array_to_string(auth_ops, ', ')
				using errcode = 'PT400';
		end if;
		if exists (select 1 from jsonb_array_elements(p_def->'ops') o
		    where jsonb_typeof(o) <> 'string'
		    or not (o #>> '{}') = any (auth_ops)) then
			raise exception 'ops must be a non-empty array of %',
				array_to_string(auth_ops, ', ')
				using errcode = 'PT400';
		end if;
		-- In the order of auth_ops, each once.
		select array_agg(o order by array_position(auth_ops, o))
		into v_ops
		from (select distinct o #>> '{}' as o
			from jsonb_array_elements(p_def->'ops') o) s;
		if not postern.admin_auth_capable(rel) then
			raise exception 'table % cannot be an auth table: it needs an id primary key and a unique email text column', v_table
				using errcode = 'PT400';
		end if;
		-- Serialise with other registry writers: the checks below and
		-- the insert must see the same registry.
		lock table postern.endpoints in share row exclusive mode;
		if exists (select 1 from postern.endpoints
		    where kind = 'auth' and path = v_path) then
			raise exception 'an auth group at % exists already', v_path
				using errcode = 'PT409';
		end if;
		select d.method, d.path into clash
		from postern.endpoints d
		join postern.auth_group_routes(v_path, v_ops) r
			on r.method = d.method and r.path = d.path
		where d.kind = 'data' limit 1;
		if found then
			raise exception 'route % % exists already', clash.method,
				clash.path using errcode = 'PT409';
		end if;
		-- authd creates users at signup and reads them at login.
		execute format('grant select, insert on public.%I to postern_authd',
			v_table);
		seq := pg_get_serial_sequence(format('public.%I', v_table), 'id');
		if seq is not null then
			execute format('grant usage on sequence %s to postern_authd',
				seq);
		end if;
		insert into postern.endpoints (kind, path, table_name, ops)
		values ('auth', v_path, v_table, v_ops)
		returning * into e;
		return postern.admin_endpoint_json(e);
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
	if v_path is null
	    or v_path !~ '^(/[A-Za-z0-9_.-]+)+(/\{id\})?$'
	    or v_path ~ '/\.+(/|$)' or length(v_path) > 200 then
		raise exception 'path must look like /table_1 or /table_1/{id}: segments of letters, digits, _ . -, and {id} only as the last one'
			using errcode = 'PT400';
	end if;
	if v_op = 'get' and v_path !~ '/\{id\}$' then
		raise exception 'a get endpoint needs {id} as its last segment'
			using errcode = 'PT400';
	end if;
	if v_op in ('list', 'create') and v_path ~ '\{id\}' then
		raise exception 'a % endpoint takes no {id}', v_op
			using errcode = 'PT400';
	end if;
	if v_auth !~ '^(none|bearer|bearer:[a-z_][a-z0-9_]{0,62})$' then
		raise exception 'auth must be none, bearer or bearer:<auth table>'
			using errcode = 'PT400';
	end if;
	if v_auth like 'bearer:%' and not exists (
	    select 1 from postern.endpoints
	    where kind = 'auth' and table_name = substr(v_auth, 8)) then
		raise exception 'auth %: % has no auth group', v_auth,
			substr(v_auth, 8) using errcode = 'PT400';
	end if;
	if v_owner is not null then
		perform postern.admin_check_ident('owner_column', v_owner);
		if not exists (select 1 from pg_attribute
		    where attrelid = rel and attname = v_owner and attnum > 0
		    and not attisdropped) then
			raise exception 'table % has no column %', v_table, v_owner
				using errcode = 'PT400';
		end if;
		if v_auth = 'none' then
			raise exception 'an owner column needs bearer auth'
				using errcode = 'PT400';
		end if;
	end if;
	lock table postern.endpoints in share row exclusive mode;
	if exists (select 1 from postern.endpoints
	    where kind = 'data' and method = v_method and path = v_path) then
		raise exception 'route % % exists already', v_method, v_path
			using errcode = 'PT409';
	end if;
	if exists (select 1 from postern.endpoints a,
	    postern.auth_group_routes(a.path, a.ops) r
	    where a.kind = 'auth' and r.method = v_method and r.path = v_path)
	then
		raise exception 'route % % belongs to an auth group', v_method,
			v_path using errcode = 'PT409';
	end if;
	-- The gateway's role needs the operation's privileges on the table.
	-- Tables made by admin_create_table have them already; for others the
	-- grant works where this function's owner may grant (the table's
	-- owner or a superuser), and is otherwise left to the administrator.
	begin
		execute format('grant %s on public.%I to postern_gateway',
			case v_op when 'create' then 'select, insert'
			when 'update' then 'select, update'
			when 'delete' then 'select, delete' else 'select' end,
			v_table);
		if v_op = 'create' then
			for seq in select s.oid::regclass::text
			    from pg_depend dep
			    join pg_class s on s.oid = dep.objid and s.relkind = 'S'
			    where dep.refobjid = rel and dep.deptype in ('a', 'i') loop
				execute format(
					'grant usage, select on sequence %s to postern_gateway',
					seq);
			end loop;
		end if;
	exception when insufficient_privilege then
		raise notice 'cannot grant postern_gateway access to %', v_table;
	end;
	insert into postern.endpoints (kind, method, path, table_name, op, auth,
		owner_column)
	values ('data', v_method, v_path, v_table, v_op, v_auth, v_owner)
	returning * into e;
	return postern.admin_endpoint_json(e);
end
$$;

-- Removes an endpoint.  Grants made when it was created stay: another
-- endpoint may rely on them.
create function postern.admin_delete_endpoint(p_id bigint)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
	delete from postern.endpoints where id = p_id;
	if not found then
		raise exception 'no endpoint %', p_id using errcode = 'PT404';
	end if;
end
$$;

revoke all on function postern.auth_group_routes(text, text[]) from public;
revoke all on function postern.admin_endpoint_json(postern.endpoints)
	from public;
revoke all on function postern.admin_endpoints() from public;
revoke all on function postern.admin_tables(text) from public;
revoke all on function postern.admin_auth_capable(oid) from public;
revoke all on function postern.admin_check_ident(text, text) from public;
revoke all on function postern.admin_create_table(text, jsonb) from public;
revoke all on function postern.admin_create_endpoint(jsonb) from public;
revoke all on function postern.admin_delete_endpoint(bigint) from public;

grant execute on function postern.auth_group_routes(text, text[]),
	postern.admin_endpoint_json(postern.endpoints),
	postern.admin_endpoints(),
	postern.admin_tables(text),
	postern.admin_auth_capable(oid),
	postern.admin_create_table(text, jsonb),
	postern.admin_create_endpoint(jsonb),
	postern.admin_delete_endpoint(bigint)
	to postern_gateway;
