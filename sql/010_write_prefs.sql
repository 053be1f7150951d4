-- Checks and helpers the data API's writes route through (docs/data-api.md,
-- "Prefer").  Each check fails the statement, and so rolls the write back,
-- rather than letting a write the client did not want commit.

-- Prefer: max-affected=N.  PostgREST's PGRST124; the gateway maps PT124.
create function postern.expect_at_most(n bigint, max bigint) returns bigint
language plpgsql as $$
begin
	if n > max then
		raise exception 'Query result exceeds max-affected preference constraint'
			using errcode = 'PT124',
			detail = format('The query affects %s rows', n);
	end if;
	return n;
end
$$;

-- An upsert (resolution=merge-duplicates) on an endpoint with an owner
-- rule only updates the caller's own rows (ON CONFLICT .. DO UPDATE ..
-- WHERE owner = excluded.owner); a row it skipped belongs to someone else,
-- and the upsert is refused as Row Level Security would refuse it.
create function postern.expect_owned(n bigint, want bigint) returns bigint
language plpgsql as $$
begin
	if n <> want then
		raise exception 'the upsert would change a row that belongs to another owner'
			using errcode = '42501';
	end if;
	return n;
end
$$;

-- Prefer: missing=default.  r is one row of a bulk insert; for each
-- column of cols that r lacks, its default (or the next value of an
-- identity column) is evaluated and added, so that jsonb_populate_record
-- gives that column its default instead of NULL.  Evaluated per row, so
-- a sequence default gives each row its own value.  The expression is the
-- database's own (pg_get_expr), never text from a request.
create function postern.fill_defaults(rel regclass, r jsonb, cols text[])
returns jsonb
language plpgsql volatile as $$
declare
	c text;
	d text;
	ident "char";
	v jsonb;
begin
	foreach c in array cols loop
		continue when r ? c;
		select pg_get_expr(ad.adbin, ad.adrelid), a.attidentity
		  into d, ident
		  from pg_attribute a
		  left join pg_attrdef ad
		    on ad.adrelid = a.attrelid and ad.adnum = a.attnum
		 where a.attrelid = rel and a.attname = c and not a.attisdropped
		   and a.attgenerated = '';
		if ident in ('a', 'd') then
			v := to_jsonb(nextval(pg_get_serial_sequence(rel::text, c)));
		elsif d is not null then
			execute format('select to_jsonb(%s)', d) into v;
		else
			continue;
		end if;
		r := r || jsonb_build_object(c, v);
	end loop;
	return r;
end
$$;

revoke all on function postern.expect_at_most(bigint, bigint) from public;
revoke all on function postern.expect_owned(bigint, bigint) from public;
revoke all on function postern.fill_defaults(regclass, jsonb, text[]) from public;
grant execute on function postern.expect_at_most(bigint, bigint) to postern_gateway;
grant execute on function postern.expect_owned(bigint, bigint) to postern_gateway;
grant execute on function postern.fill_defaults(regclass, jsonb, text[]) to postern_gateway;
