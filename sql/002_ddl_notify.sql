-- Gateways keep a catalog of the tables they serve and reload it on
-- NOTIFY postern_endpoints.  Endpoint changes already notify (001); this
-- announces DDL too, so that a column added or dropped is seen at once.
-- Event triggers need a superuser: where the migrating role is not one, the
-- trigger is skipped with a notice, and gateways still reload on endpoint
-- changes, on SIGHUP, and when a query meets an unknown column or table.
create function postern.notify_ddl() returns event_trigger
language plpgsql as $$
begin
	perform pg_notify('postern_endpoints', 'ddl');
end
$$;

do $$
begin
	if (select rolsuper from pg_roles where rolname = current_user) then
		create event trigger postern_ddl on ddl_command_end
			execute function postern.notify_ddl();
	else
		raise notice 'not a superuser: DDL will not notify gateways';
	end if;
end
$$;
