-- Every statement of the daemons' roles has a server-side deadline
-- (issue 10 §5).  Direct connections set statement_timeout themselves from
-- db_timeout_ms (a startup option); through a transaction-mode pooler,
-- which refuses startup options, these role defaults apply.  They match
-- the default db_timeout_ms (5000) plus a second, so that the client-side
-- bound answers first (504) and the server ends the orphan right after.
-- Raise both together: ALTER ROLE postern_gateway SET statement_timeout.
alter role postern_gateway set statement_timeout = '6s';
alter role postern_authd set statement_timeout = '6s';
