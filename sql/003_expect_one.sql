-- Accept: application/vnd.pgrst.object+json on a write: the gateway routes
-- the affected-row count through this function, which fails the statement
-- (and so rolls the write back) unless exactly one row was affected.  The
-- gateway maps SQLSTATE PT406 to 406.
create function postern.expect_one(n bigint) returns bigint
language plpgsql as $$
begin
	if n <> 1 then
		raise exception 'JSON object requested, % rows affected', n
			using errcode = 'PT406';
	end if;
	return n;
end
$$;

revoke all on function postern.expect_one(bigint) from public;
grant execute on function postern.expect_one(bigint) to postern_gateway;
