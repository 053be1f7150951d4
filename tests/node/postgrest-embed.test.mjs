// @supabase/postgrest-js's resource embedding against tables of this test's
// own (projects, tasks with an owner rule, tags through a junction), made
// with admin SQL: select() with embeds, aliases and !inner, and the
// referencedTable options of eq(), order() and limit(), asserting the rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PostgrestClient } from '@supabase/postgrest-js';

import { BASE_URL, loadEnv, signup } from './env.mjs';

const env = loadEnv();
const SFX = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const PJ = `pe_pj_${SFX}`, TK = `pe_tk_${SFX}`, TG = `pe_tg_${SFX}`,
	TT = `pe_tt_${SFX}`;

function client(token) {
	return new PostgrestClient(BASE_URL,
		token ? { headers: { Authorization: `Bearer ${token}` } } : {});
}

function sql(text) {
	assert.ok(env.POSTERN_ADMIN_CONNINFO, 'no POSTERN_ADMIN_CONNINFO');
	const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-d', env.POSTERN_ADMIN_CONNINFO, '-c', text], { encoding: 'utf8' });
	assert.equal(r.status, 0, `psql: ${r.stderr}`);
}

function ok(res) {
	assert.equal(res.error, null, JSON.stringify(res));
	assert.equal(res.status, 200, JSON.stringify(res));
	return res.data;
}

let a, b, anon;

before(async () => {
	const ta = await signup('pge-a');
	const tb = await signup('pge-b');
	a = client(ta.access_token);
	b = client(tb.access_token);
	anon = client(null);
	const A = ta.user.id, B = tb.user.id;
	sql(`create table public.${PJ} (id bigint primary key, name text);
	create table public.${TK} (id bigint primary key, title text not null,
		done boolean not null default false,
		project_id bigint references public.${PJ} (id),
		owner_id bigint not null);
	create table public.${TG} (id bigint primary key, label text);
	create table public.${TT} (
		task_id bigint references public.${TK} (id),
		tag_id bigint references public.${TG} (id),
		primary key (task_id, tag_id));
	insert into public.${PJ} values (1, 'Alpha'), (2, 'Beta'), (3, 'Empty');
	insert into public.${TK} values (1, 'write', false, 1, ${A}),
		(2, 'test', true, 1, ${A}), (3, 'ship', false, 1, ${A}),
		(4, 'hidden', false, 1, ${B}), (5, 'plan', false, 2, ${A});
	insert into public.${TG} values (1, 'red'), (2, 'blue');
	insert into public.${TT} values (1, 1), (2, 1), (2, 2);
	grant select on public.${PJ}, public.${TK}, public.${TG}, public.${TT}
		to postern_gateway;
	insert into postern.endpoints
		(kind, method, path, table_name, op, auth, owner_column) values
		('data', 'GET', '/${PJ}', '${PJ}', 'list', 'none', null),
		('data', 'GET', '/${TK}', '${TK}', 'list', 'bearer', 'owner_id'),
		('data', 'GET', '/${TG}', '${TG}', 'list', 'none', null),
		('data', 'GET', '/${TT}', '${TT}', 'list', 'none', null);`);
	for (let i = 0; i < 60; i++) {
		const r = await anon.from(TT).select('task_id').limit(1);
		if (r.status === 200)
			return;
		await new Promise((res) => setTimeout(res, 50));
	}
	assert.fail(`${TT} not served`);
});

after(() => {
	sql(`delete from postern.endpoints where table_name like 'pe\\_%\\_${SFX}';
		drop table if exists public.${TT}, public.${TG}, public.${TK},
		public.${PJ};`);
});

test("select('name, tasks(title)'): one-to-many under the owner rule",
	async () => {
		const data = ok(await a.from(PJ).select(`name, ${TK}(title)`)
			.order('id').order('id', { referencedTable: TK }));
		assert.deepEqual(data, [
			{ name: 'Alpha', [TK]: [{ title: 'write' }, { title: 'test' },
				{ title: 'ship' }] },
			{ name: 'Beta', [TK]: [{ title: 'plan' }] },
			{ name: 'Empty', [TK]: [] },
		]);
		const other = ok(await b.from(PJ).select(`name, ${TK}(title)`)
			.eq('id', 1));
		assert.deepEqual(other, [{ name: 'Alpha', [TK]: [{ title: 'hidden' }] }]);
		const denied = await anon.from(PJ).select(`name, ${TK}(title)`);
		assert.equal(denied.status, 401, JSON.stringify(denied));
	});

test("select('*, project:projects(name)'): many-to-one with an alias",
	async () => {
		const data = ok(await a.from(TK)
			.select(`*, project:${PJ}(name)`).in('id', [1, 5]).order('id'));
		assert.deepEqual(data, [
			{ id: 1, title: 'write', done: false, project_id: 1,
				owner_id: data[0].owner_id, project: { name: 'Alpha' } },
			{ id: 5, title: 'plan', done: false, project_id: 2,
				owner_id: data[1].owner_id, project: { name: 'Beta' } },
		]);
		assert.equal(typeof data[0].owner_id, 'number');
	});

test('!inner with eq() on the referenced table', async () => {
	const data = ok(await a.from(PJ).select(`name, ${TK}!inner(title)`)
		.eq(`${TK}.done`, true));
	assert.deepEqual(data, [{ name: 'Alpha', [TK]: [{ title: 'test' }] }]);
	const all = ok(await a.from(PJ).select(`name, ${TK}(title)`)
		.eq(`${TK}.done`, true).order('id'));
	assert.deepEqual(all.map((r) => r[TK].length), [1, 0, 0]);
});

test('order() and limit() with referencedTable', async () => {
	const data = ok(await a.from(PJ).select(`name, ${TK}(title)`)
		.eq('id', 1)
		.order('title', { referencedTable: TK })
		.limit(1, { referencedTable: TK }));
	assert.deepEqual(data, [{ name: 'Alpha', [TK]: [{ title: 'ship' }] }]);
	const desc = ok(await a.from(PJ).select(`name, ${TK}(title)`)
		.eq('id', 1)
		.order('title', { referencedTable: TK, ascending: false })
		.range(1, 1, { referencedTable: TK }));
	assert.deepEqual(desc, [{ name: 'Alpha', [TK]: [{ title: 'test' }] }]);
});

test('many-to-many through the junction, nested in an embed', async () => {
	const data = ok(await a.from(PJ)
		.select(`name, ${TK}(title, ${TG}(label))`).eq('id', 1)
		.order('id', { referencedTable: TK })
		.order('label', { referencedTable: `${TK}.${TG}` }));
	assert.deepEqual(data, [{ name: 'Alpha', [TK]: [
		{ title: 'write', [TG]: [{ label: 'red' }] },
		{ title: 'test', [TG]: [{ label: 'blue' }, { label: 'red' }] },
		{ title: 'ship', [TG]: [] },
	] }]);
});

test('an unknown relationship is PGRST200', async () => {
	const r = await anon.from(PJ).select('name, nothing_here(name)');
	assert.equal(r.status, 400);
	assert.equal(r.error.code, 'PGRST200');
});
