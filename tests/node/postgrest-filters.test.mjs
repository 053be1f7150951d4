// @supabase/postgrest-js's filter builders against a table of this test's
// own (array, range, jsonb, text and tsvector columns), made with admin SQL
// and published through the admin API: the rows each builder returns, on
// reads and on collection updates and deletes, under an owner rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { PostgrestClient } from '@supabase/postgrest-js';

import { BASE_URL, loadEnv, signup } from './env.mjs';

const env = loadEnv();
const TABLE = `pf_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

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

// The labels of the rows of a query, in label order.
async function labels(q) {
	const data = ok(await q.order('label'), 200);
	return data.map((r) => r.label).join('');
}

let a, b;

before(async () => {
	const ta = await signup('pgf-a');
	const tb = await signup('pgf-b');
	a = client(ta.access_token);
	b = client(tb.access_token);
	const A = ta.user.id, B = tb.user.id;
	sql(`create table public.${TABLE} (
		id bigserial primary key, owner_id bigint not null,
		label text not null, num integer, tags text[], nums integer[],
		span int4range, doc jsonb, body text,
		tsv tsvector generated always as
			(to_tsvector('english', coalesce(body, ''))) stored);
	insert into public.${TABLE}
		(owner_id, label, num, tags, nums, span, doc, body) values
	 (${A}, 'a', 1, '{red,blue}', '{1,2}', '[1,5)', '{"k":1,"t":"x"}',
		'the fat cats sat'),
	 (${A}, 'b', 2, '{green}', '{3}', '[5,10)', '{"k":2}',
		'a quick brown fox'),
	 (${A}, 'c', 3, '{}', '{1,3,5}', '[20,30)', '[1,2]',
		'fat dogs, big cats'),
	 (${A}, 'd', null, null, null, null, null, null),
	 (${A}, 'e', 5, '{red}', '{5}', '[10,20)', '{"k":1}',
		'Cats and dogs (and birds)'),
	 (${B}, 'f', 1, '{red,green}', '{1,3,5}', '[1,30)', '{"k":1}',
		'fat cats, quick fox (and birds)');
	grant select, insert, update, delete on public.${TABLE}
		to postern_gateway;`);
	for (const [method, path, op] of [['GET', `/${TABLE}`, 'list'],
		['PATCH', `/${TABLE}/{id}`, 'update'],
		['DELETE', `/${TABLE}/{id}`, 'delete']]) {
		const r = await admin('POST', '/_admin/endpoints', { kind: 'data',
			method, path, table: TABLE, op, auth: 'bearer',
			owner_column: 'owner_id' });
		assert.equal(r.status, 201, r.body);
	}
	// The gateway loads the new routes on NOTIFY: wait until it serves.
	for (let i = 0; i < 60; i++) {
		const r = await a.from(TABLE).select('id').limit(1);
		if (r.status === 200)
			return;
		await new Promise((res) => setTimeout(res, 50));
	}
	assert.fail(`${TABLE} not served`);
});

after(() => {
	sql(`delete from postern.endpoints where table_name = '${TABLE}';
		drop table if exists public.${TABLE};`);
});

const sel = () => a.from(TABLE).select('label');

test('or(), nested and(), not.or, the owner rule', async () => {
	assert.equal(await labels(sel().or('num.eq.1,tags.cs.{green}')), 'ab');
	assert.equal(await labels(b.from(TABLE).select('label')
		.or('num.eq.1,tags.cs.{green}')), 'f');
	assert.equal(await labels(sel()
		.or('num.eq.5,and(num.lt.3,tags.ov.{green})')), 'be');
	assert.equal(await labels(sel().or('num.gte.1').or('num.lte.3')
		.or('label.eq.a,label.eq.c')), 'ac');
	assert.equal(await labels(sel()
		.or('body.eq."Cats and dogs (and birds)",num.in.(2,3)')), 'bce');
	assert.equal(await labels(sel().not('num', 'eq', 1).or('num.is.null')),
		'');
	assert.equal(await labels(sel()
		.or('not.and(num.gt.1,num.lt.5),num.is.null')), 'ade');
});

test('not()', async () => {
	assert.equal(await labels(sel().not('num', 'eq', 1)), 'bce');
	assert.equal(await labels(sel().not('tags', 'cs', '{red}')), 'bc');
	assert.equal(await labels(sel().not('num', 'is', null)), 'abce');
	assert.equal(await labels(sel().not('span', 'adj', '[10,20)')), 'ae');
});

test('contains, containedBy, overlaps on arrays, ranges, jsonb', async () => {
	assert.equal(await labels(sel().contains('tags', ['red'])), 'ae');
	assert.equal(await labels(sel().containedBy('tags',
		['red', 'blue', 'green'])), 'abce');
	assert.equal(await labels(sel().overlaps('tags', ['green', 'red'])),
		'abe');
	assert.equal(await labels(sel().contains('nums', [1])), 'ac');
	assert.equal(await labels(sel().containedBy('nums', [1, 2, 3])), 'ab');
	assert.equal(await labels(sel().contains('span', '[11,12]')), 'e');
	assert.equal(await labels(sel().containedBy('span', '[0,12)')), 'ab');
	assert.equal(await labels(sel().overlaps('span', '[4,6)')), 'ab');
	assert.equal(await labels(sel().contains('doc', { k: 1 })), 'ae');
	assert.equal(await labels(sel().containedBy('doc',
		{ k: 1, t: 'x', z: 0 })), 'ae');
});

test('range operators', async () => {
	assert.equal(await labels(sel().rangeLt('span', '[10,11)')), 'ab');
	assert.equal(await labels(sel().rangeGt('span', '[0,6)')), 'ce');
	assert.equal(await labels(sel().rangeLte('span', '[0,10)')), 'ab');
	assert.equal(await labels(sel().rangeGte('span', '[10,11)')), 'ce');
	assert.equal(await labels(sel().rangeAdjacent('span', '[10,20)')), 'bc');
});

test('textSearch in its four forms, with a configuration', async () => {
	assert.equal(await labels(sel().textSearch('tsv', 'fat & !dog',
		{ config: 'english' })), 'a');
	assert.equal(await labels(sel().textSearch('tsv', 'fat cats',
		{ type: 'plain', config: 'english' })), 'ac');
	assert.equal(await labels(sel().textSearch('tsv', 'fat cats',
		{ type: 'phrase', config: 'english' })), 'a');
	assert.equal(await labels(sel().textSearch('tsv', 'cats -fat',
		{ type: 'websearch', config: 'english' })), 'e');
	assert.equal(await labels(sel().textSearch('body', 'fox')), 'b');
});

test('match, filter, likeAnyOf, ilikeAllOf', async () => {
	assert.equal(await labels(sel().match({ num: 1, label: 'a' })), 'a');
	assert.equal(await labels(sel().filter('num', 'isdistinct', '1')),
		'bcde');
	assert.equal(await labels(sel().filter('body', 'match', '^[A-Z]')), 'e');
	assert.equal(await labels(sel().filter('body', 'imatch', '^c')), 'e');
	assert.equal(await labels(sel().filter('num', 'eq(any)', '{1,5}')),
		'ae');
	assert.equal(await labels(sel().likeAnyOf('body',
		['%fox%', '%birds%'])), 'be');
	assert.equal(await labels(sel().ilikeAllOf('body',
		['%CATS%', '%dogs%'])), 'ce');
	assert.equal(await labels(sel().likeAllOf('body', ['%fat%', '%sat'])),
		'a');
	assert.equal(await labels(sel().ilikeAnyOf('body', ['THE%', '%FOX'])),
		'ab');
});

test('refusals are 400 with a code, never 500', async () => {
	for (const [q, code] of [
		[sel().contains('body', ['x']), 'PN108'],
		[sel().rangeLt('num', '[1,2)'), 'PN108'],
		[sel().or('num.eq.1,'), 'PGRST100'],
		[sel().or('done.is.true', { referencedTable: 'tasks' }), 'PGRST100'],
		[sel().or('done.is.true', { foreignTable: 'tasks' }), 'PGRST100'],
		[sel().textSearch('tsv', 'fat cats'), 'PN105'],
		[sel().textSearch('tsv', 'x', { config: 'klingon' }), 'PN105'],
	]) {
		const res = await q;
		assert.equal(res.status, 400, JSON.stringify(res));
		assert.equal(res.error.code, code, JSON.stringify(res));
	}
});

test('update().or() and delete().or() stay within the owner', async () => {
	const up = ok(await a.from(TABLE).update({ num: 100 })
		.or('label.eq.a,label.eq.f,num.eq.5').select('label'), 200);
	assert.deepEqual(up.map((r) => r.label).sort(), ['a', 'e']);
	assert.equal(await labels(b.from(TABLE).select('label')
		.eq('num', 1)), 'f');
	const del = ok(await a.from(TABLE).delete()
		.or('label.eq.b,and(label.eq.f,num.eq.1)').select('label'), 200);
	assert.deepEqual(del.map((r) => r.label), ['b']);
	assert.equal(await labels(sel()), 'acde');
	assert.equal(await labels(b.from(TABLE).select('label')), 'f');
});
