// @supabase/postgrest-js's select shapes against a table of this test's
// own with jsonb and json columns, made with admin SQL and published
// through the admin API: aliases, casts, JSON paths in select, filters and
// order, "*" with more items, and select= on writes, under an owner rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PostgrestClient } from '@supabase/postgrest-js';

import { BASE_URL, loadEnv, signup } from './env.mjs';

const env = loadEnv();
const TABLE = `ps_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

function client(token) {
	return new PostgrestClient(BASE_URL,
		{ headers: { Authorization: `Bearer ${token}` } });
}

function sql(text) {
	assert.ok(env.POSTERN_ADMIN_CONNINFO, 'no POSTERN_ADMIN_CONNINFO');
	const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-d', env.POSTERN_ADMIN_CONNINFO, '-c', text], { encoding: 'utf8' });
	assert.equal(r.status, 0, `psql: ${r.stderr}`);
}

async function admin(method, path, body) {
	const key = readFileSync(env.POSTERN_ADMIN_KEY_FILE, 'utf8').trim();
	const res = await fetch(`${BASE_URL}${path}`, {
		method,
		headers: { Authorization: `Bearer ${key}`,
			'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: await res.text() };
}

function ok(res, status) {
	assert.equal(res.error, null, JSON.stringify(res));
	if (status !== undefined)
		assert.equal(res.status, status, JSON.stringify(res));
	return res.data;
}

let a, b, ids = {};

before(async () => {
	const ta = await signup('pgs-a');
	const tb = await signup('pgs-b');
	a = client(ta.access_token);
	b = client(tb.access_token);
	const A = ta.user.id, B = tb.user.id;
	sql(`create table public.${TABLE} (
		id bigserial primary key, owner_id bigint not null,
		title text not null, meta jsonb, doc json);
	insert into public.${TABLE} (owner_id, title, meta, doc) values
	 (${A}, 'alpha', '{"budget":100,"lead":{"name":"Ann"},"tags":["a","b"]}',
		'{"x":"1"}'),
	 (${A}, 'beta', '{"budget":250,"lead":{"name":"Bob"},"tags":["b"]}',
		'{"x":"2"}'),
	 (${A}, 'gamma', '{"budget":"100"}', null),
	 (${A}, 'delta', null, null),
	 (${B}, 'eps', '{"budget":100,"lead":{"name":"Eve"}}', null);
	grant select, insert, update, delete on public.${TABLE}
		to postern_gateway;
	grant usage on sequence public.${TABLE}_id_seq to postern_gateway;`);
	for (const [method, path, op] of [['GET', `/${TABLE}`, 'list'],
		['POST', `/${TABLE}`, 'create'],
		['PATCH', `/${TABLE}/{id}`, 'update']]) {
		const r = await admin('POST', '/_admin/endpoints', { kind: 'data',
			method, path, table: TABLE, op, auth: 'bearer',
			owner_column: 'owner_id' });
		assert.equal(r.status, 201, r.body);
	}
	// The gateway loads the new routes on NOTIFY: wait until it serves.
	for (let i = 0; i < 60; i++) {
		const r = await a.from(TABLE).select('id, title');
		if (r.status === 200 && r.data.length === 4) {
			for (const row of r.data)
				ids[row.title] = row.id;
			return;
		}
		await new Promise((res) => setTimeout(res, 50));
	}
	assert.fail(`${TABLE} not served`);
});

after(() => {
	sql(`delete from postern.endpoints where table_name = '${TABLE}';
		drop table if exists public.${TABLE};`);
});

test('aliases, casts and JSON paths in select', async () => {
	const rows = ok(await a.from(TABLE)
		.select('pid:id, title, budget:meta->>budget, id::text, '
			+ 'meta->lead->>name, first:meta->tags->0, doc->x')
		.order('id'), 200);
	assert.deepEqual(rows, [
		{ pid: ids.alpha, title: 'alpha', budget: '100',
			id: String(ids.alpha), name: 'Ann', first: 'a', x: '1' },
		{ pid: ids.beta, title: 'beta', budget: '250',
			id: String(ids.beta), name: 'Bob', first: 'b', x: '2' },
		{ pid: ids.gamma, title: 'gamma', budget: '100',
			id: String(ids.gamma), name: null, first: null, x: null },
		{ pid: ids.delta, title: 'delta', budget: null,
			id: String(ids.delta), name: null, first: null, x: null },
	]);
	// -> keeps JSON (a number stays a number), ->> is text; a cast of a
	// path's text to a number.
	const typed = ok(await a.from(TABLE)
		.select('title, b:meta->budget, n:meta->>budget::numeric')
		.in('title', ['alpha', 'gamma']).order('title'), 200);
	assert.deepEqual(typed, [
		{ title: 'alpha', b: 100, n: 100 },
		{ title: 'gamma', b: '100', n: 100 },
	]);
});

test('JSON paths in filters: ->> compares text, -> compares jsonb',
	async () => {
	const titles = async (q) => ok(await q.order('title'), 200)
		.map((r) => r.title).join(',');
	const sel = () => a.from(TABLE).select('title');
	assert.equal(await titles(sel().eq('meta->>budget', '100')),
		'alpha,gamma');
	assert.equal(await titles(sel().eq('meta->budget', '100')), 'alpha');
	assert.equal(await titles(sel().eq('meta->budget', '"100"')), 'gamma');
	assert.equal(await titles(sel().eq('meta->lead->>name', 'Bob')), 'beta');
	assert.equal(await titles(sel().contains('meta->tags', '["a"]')),
		'alpha');
	assert.equal(await titles(sel().ilike('meta->lead->>name', 'a*')),
		'alpha');
	assert.equal(await titles(sel().is('meta->>budget', null)), 'delta');
	assert.equal(await titles(sel().or('meta->>budget.eq.250,title.eq.delta')),
		'beta,delta');
	// The owner rule holds around them: B's row with budget 100.
	assert.equal(await titles(b.from(TABLE).select('title')
		.eq('meta->>budget', '100')), 'eps');
});

test('JSON paths in order', async () => {
	const order = async (q) => ok(await q, 200).map((r) => r.title)
		.join(',');
	// Text: '100' twice (by id), '250', then null last.
	assert.equal(await order(a.from(TABLE).select('title')
		.order('meta->>budget').order('id')), 'alpha,gamma,beta,delta');
	assert.equal(await order(a.from(TABLE).select('title')
		.order('meta->>budget', { ascending: false, nullsFirst: false })
		.order('id')), 'beta,alpha,gamma,delta');
	// jsonb's own order: a string sorts before a number.
	assert.equal(await order(a.from(TABLE).select('title')
		.order('meta->budget')), 'gamma,alpha,beta,delta');
	// A ->> path on a json column orders; the json itself does not.
	assert.equal(await order(a.from(TABLE).select('title')
		.not('doc', 'is', null).order('doc->>x', { ascending: false })),
		'beta,alpha');
	const res = await a.from(TABLE).select('title').order('doc');
	assert.equal(res.status, 400, JSON.stringify(res));
});

test('* with more items; a key given twice', async () => {
	const rows = ok(await a.from(TABLE).select('*, tid:id::text')
		.eq('title', 'alpha'), 200);
	assert.equal(rows.length, 1);
	assert.deepEqual(Object.keys(rows[0]),
		['id', 'owner_id', 'title', 'meta', 'doc', 'tid']);
	assert.equal(rows[0].tid, String(ids.alpha));
	assert.equal(rows[0].meta.lead.name, 'Ann');
	// An item keyed like a column replaces it in "*", in its place.
	const over = ok(await a.from(TABLE).select('*, id::text')
		.eq('title', 'alpha'), 200);
	assert.deepEqual(Object.keys(over[0]),
		['id', 'owner_id', 'title', 'meta', 'doc']);
	assert.equal(over[0].id, String(ids.alpha));
});

test('select= on writes: alias, cast and path in the representation',
	async () => {
	const ins = ok(await a.from(TABLE)
		.insert({ title: 'zeta', meta: { budget: 7, lead: { name: 'Zed' } } })
		.select('t:title, b:meta->>budget::int, meta->lead->>name'), 201);
	assert.deepEqual(ins, [{ t: 'zeta', b: 7, name: 'Zed' }]);
	const up = ok(await a.from(TABLE).update({ meta: { budget: 8 } })
		.eq('id', ids.delta).select('id::text, budget:meta->budget'), 200);
	assert.deepEqual(up, [{ id: String(ids.delta), budget: 8 }]);
	const csv = await a.from(TABLE).select('t:title, b:meta->>budget')
		.eq('title', 'zeta').csv();
	assert.equal(csv.status, 200, JSON.stringify(csv));
	assert.equal(csv.data, 't,b\nzeta,7');
});

test('refusals are 400 with a code, never 500', async () => {
	for (const [q, code] of [
		[a.from(TABLE).select('id::regclass'), 'PN105'],
		[a.from(TABLE).select('title->>x'), 'PN105'],
		[a.from(TABLE).select('nope'), 'PN107'],
		[a.from(TABLE).select('id,('), 'PGRST100'],
		[a.from(TABLE).select('count()'), 'PN105'],
		[a.from(TABLE).select('...x(id)'), 'PN105'],
		[a.from(TABLE).select('id').eq('title->>x', 'a'), 'PN105'],
	]) {
		const res = await q;
		assert.equal(res.status, 400, JSON.stringify(res));
		assert.equal(res.error.code, code, JSON.stringify(res));
	}
});
