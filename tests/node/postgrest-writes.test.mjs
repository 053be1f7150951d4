// @supabase/postgrest-js's write options and output forms against the
// demo's table_1 and notes: upsert(), insert(.., {defaultToNull: false}),
// count on every method, csv(), single()/maybeSingle(), rollback() and
// maxAffected().  Each write is checked by reading the rows back.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { PostgrestClient } from '@supabase/postgrest-js';

import { readFileSync } from 'node:fs';

import { BASE_URL, loadEnv, signup } from './env.mjs';

function client(token) {
	return new PostgrestClient(BASE_URL,
		{ headers: { Authorization: `Bearer ${token}` } });
}

function ok(res, status) {
	assert.equal(res.error, null, JSON.stringify(res));
	if (status !== undefined)
		assert.equal(res.status, status, JSON.stringify(res));
	return res.data;
}

// A title no other test (or run) uses.
function tag(what) {
	return `${what}-${process.pid}-${Date.now()}-` +
		Math.random().toString(36).slice(2, 8);
}

let db;

before(async () => {
	const tok = await signup('pgrst-w');
	db = client(tok.access_token);
});

async function rowsTitled(title) {
	return ok(await db.from('table_1').select('*').eq('title', title)
		.order('id'), 200);
}

test('upsert() twice merges instead of 409', async () => {
	const t = tag('upsert');
	const [row] = ok(await db.from('table_1').insert({ title: t }).select(),
		201);
	const first = ok(await db.from('table_1')
		.upsert({ id: row.id, title: t, priority: 1 }).select(), 201);
	assert.equal(first[0].priority, 1);
	const second = ok(await db.from('table_1')
		.upsert({ id: row.id, title: t, priority: 2, done: true }).select(),
		201);
	assert.equal(second.length, 1);
	const now = await rowsTitled(t);
	assert.equal(now.length, 1);
	assert.equal(now[0].id, row.id);
	assert.equal(now[0].priority, 2);
	assert.equal(now[0].done, true);

	// ignoreDuplicates leaves the row alone and returns nothing for it.
	const ign = ok(await db.from('table_1')
		.upsert({ id: row.id, title: t, priority: 9 },
			{ ignoreDuplicates: true }).select(), 201);
	assert.deepEqual(ign, []);
	assert.equal((await rowsTitled(t))[0].priority, 2);

	// onConflict is checked against the catalog.
	const bad = await db.from('table_1')
		.upsert({ title: t }, { onConflict: 'nope' });
	assert.equal(bad.status, 400);
	assert.equal(bad.error.code, 'PGRST204');
	// ... and PostgreSQL checks it names a unique key.
	const nokey = await db.from('table_1')
		.upsert({ title: t }, { onConflict: 'title' });
	assert.equal(nokey.status, 400);
	assert.equal(nokey.error.code, '42P10');
	ok(await db.from('table_1').delete().eq('id', row.id));
});

test('upsert cannot take over another owner\'s note', async () => {
	const ta = await signup('w-own-a');
	const tb = await signup('w-own-b');
	const a = client(ta.access_token);
	const b = client(tb.access_token);
	const [note] = ok(await a.from('notes').insert({ title: 'mine' }).select(),
		201);
	const taken = await b.from('notes')
		.upsert({ id: note.id, title: 'stolen' }).select();
	assert.equal(taken.status, 403, JSON.stringify(taken));
	assert.equal(taken.error.code, '42501');
	const ign = ok(await b.from('notes')
		.upsert({ id: note.id, title: 'stolen' }, { ignoreDuplicates: true })
		.select(), 201);
	assert.deepEqual(ign, []);
	const still = ok(await a.from('notes').select('*').eq('id', note.id)
		.single(), 200);
	assert.equal(still.title, 'mine');
	assert.equal(String(still.owner_id), String(ta.user.id));
	const mine = ok(await a.from('notes')
		.upsert({ id: note.id, title: 'still mine' }).select(), 201);
	assert.equal(mine[0].title, 'still mine');
	ok(await a.from('notes').delete().eq('id', note.id));
});

// postgrest-js has no PUT: fetch sends it, postgrest-js reads the rows.
async function put(token, path, body, prefer) {
	const res = await fetch(`${BASE_URL}${path}`, {
		method: 'PUT',
		headers: { Authorization: `Bearer ${token}`,
			'Content-Type': 'application/json',
			...(prefer ? { Prefer: prefer } : {}) },
		body: JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function adminCall(method, path, body) {
	const key = readFileSync(loadEnv().POSTERN_ADMIN_KEY_FILE, 'utf8').trim();
	const res = await fetch(`${BASE_URL}/_admin${path}`, {
		method,
		headers: { Authorization: `Bearer ${key}`,
			...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : null };
}

test('PUT replaces one row by its key; never another owner\'s', async () => {
	// PUT endpoints on the demo's tables, through the admin API.
	const made = [];
	for (const def of [
		{ kind: 'data', table: 'table_1', op: 'replace', auth: 'bearer' },
		{ kind: 'data', table: 'notes', op: 'replace', auth: 'bearer:users',
			owner_column: 'owner_id' }]) {
		const r = await adminCall('POST', '/endpoints', def);
		assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r));
		if (r.status === 201)
			made.push(r.body.id);
	}
	try {
		const ta = await signup('w-put-a');
		const tb = await signup('w-put-b');
		const a = client(ta.access_token);
		const t = tag('put');
		const [row] = ok(await db.from('table_1')
			.insert({ title: t, priority: 1 }).select(), 201);
		const whole = { id: row.id, title: t + '!', done: true,
			priority: null, created_at: row.created_at };
		let r;
		for (let i = 0; i < 100; i++) {
			r = await put(ta.access_token, `/table_1?id=eq.${row.id}`, whole,
				'return=representation');
			if (r.status !== 404 && r.status !== 405)
				break;
			await new Promise((res) => setTimeout(res, 50));
		}
		assert.equal(r.status, 200, JSON.stringify(r));
		assert.equal(r.body[0].title, t + '!');
		const now = ok(await db.from('table_1').select('*')
			.eq('id', row.id).single(), 200);
		assert.equal(now.title, t + '!');
		assert.equal(now.done, true);
		assert.equal(now.priority, null);

		// The body's key must be the filter's; every column is given.
		r = await put(ta.access_token, `/table_1?id=eq.${row.id}`,
			{ ...whole, id: row.id + 1000000, title: 'moved' });
		assert.equal(r.status, 400);
		assert.equal(r.body.code, 'PGRST115');
		r = await put(ta.access_token, `/table_1/${row.id}`,
			{ id: row.id, title: 'partial' });
		assert.equal(r.status, 400);
		assert.equal(r.body.code, 'PN101');
		r = await put(ta.access_token, `/table_1?title=eq.${t}`, whole);
		assert.equal(r.status, 405);
		assert.equal(r.body.code, 'PGRST105');
		assert.equal(ok(await db.from('table_1').select('title')
			.eq('id', row.id).single(), 200).title, t + '!');
		ok(await db.from('table_1').delete().eq('id', row.id));

		// A's note: B's PUT is refused and changes nothing.
		const [note] = ok(await a.from('notes').insert({ title: 'mine' })
			.select(), 201);
		const nwhole = { id: note.id, title: 'stolen', body: null,
			created_at: note.created_at };
		for (let i = 0; i < 100; i++) {
			r = await put(tb.access_token, `/notes/${note.id}`, nwhole);
			if (r.status !== 404 && r.status !== 405)
				break;
			await new Promise((res) => setTimeout(res, 50));
		}
		assert.equal(r.status, 403, JSON.stringify(r));
		assert.equal(r.body.code, '42501');
		let still = ok(await a.from('notes').select('*').eq('id', note.id)
			.single(), 200);
		assert.equal(still.title, 'mine');
		r = await put(ta.access_token, `/notes/${note.id}`,
			{ ...nwhole, title: 'still mine' });
		assert.equal(r.status, 204, JSON.stringify(r));
		still = ok(await a.from('notes').select('*').eq('id', note.id)
			.single(), 200);
		assert.equal(still.title, 'still mine');
		assert.equal(String(still.owner_id), String(ta.user.id));
		ok(await a.from('notes').delete().eq('id', note.id));
	} finally {
		for (const id of made)
			await adminCall('DELETE', `/endpoints/${id}`);
	}
});

test('insert(.., {defaultToNull: false}) takes the column default', async () => {
	const t = tag('missing');
	// defaultToNull (the default): done, absent from one row, is NULL,
	// which its NOT NULL refuses.
	const nulls = await db.from('table_1')
		.insert([{ title: t, done: true }, { title: t }]);
	assert.equal(nulls.status, 400, JSON.stringify(nulls));
	assert.equal(nulls.error.code, '23502');
	assert.deepEqual(await rowsTitled(t), []);

	ok(await db.from('table_1')
		.insert([{ title: t, done: true, priority: 4 }, { title: t }],
			{ defaultToNull: false }), 201);
	const rows = await rowsTitled(t);
	assert.equal(rows.length, 2);
	assert.equal(rows[0].done, true);
	assert.equal(rows[1].done, false);
	assert.equal(rows[1].priority, null);
	assert.notEqual(rows[0].id, rows[1].id);
	ok(await db.from('table_1').delete().eq('title', t));
});

test('count on insert, update, delete and from the planner', async () => {
	const t = tag('count');
	const ins = await db.from('table_1')
		.insert([{ title: t }, { title: t }, { title: t }],
			{ count: 'exact' });
	ok(ins, 201);
	assert.equal(ins.count, 3);
	const upd = await db.from('table_1').update({ priority: 8 },
		{ count: 'exact' }).eq('title', t);
	ok(upd);
	assert.equal(upd.count, 3);
	assert.equal((await rowsTitled(t)).filter((r) => r.priority === 8)
		.length, 3);
	for (const kind of ['planned', 'estimated']) {
		const res = await db.from('table_1').select('id', { count: kind })
			.limit(1);
		ok(res, 200);
		assert.equal(typeof res.count, 'number', kind);
		assert.ok(Number.isInteger(res.count) && res.count >= 0,
			`${kind}: ${res.count}`);
	}
	const del = await db.from('table_1').delete({ count: 'exact' })
		.eq('title', t);
	ok(del);
	assert.equal(del.count, 3);
	assert.deepEqual(await rowsTitled(t), []);
});

test('csv()', async () => {
	const t = tag('csv, "quoted"');
	const [row] = ok(await db.from('table_1')
		.insert({ title: t, priority: 2 }).select(), 201);
	const csv = ok(await db.from('table_1').select('id,title,priority')
		.eq('id', row.id).csv(), 200);
	assert.equal(csv,
		`id,title,priority\n${row.id},"${t.replaceAll('"', '""')}",2`);
	ok(await db.from('table_1').delete().eq('id', row.id));
});

test('single() and maybeSingle(): PGRST116', async () => {
	const t = tag('single');
	const none = await db.from('table_1').select('*').eq('title', t).single();
	assert.equal(none.status, 406);
	assert.equal(none.error.code, 'PGRST116');
	const maybe = await db.from('table_1').select('*').eq('title', t)
		.maybeSingle();
	assert.equal(maybe.error, null, JSON.stringify(maybe));
	assert.equal(maybe.data, null);
	ok(await db.from('table_1').insert([{ title: t }, { title: t }]), 201);
	const two = await db.from('table_1').select('*').eq('title', t).single();
	assert.equal(two.status, 406);
	assert.equal(two.error.code, 'PGRST116');
	const maybe2 = await db.from('table_1').select('*').eq('title', t)
		.maybeSingle();
	assert.equal(maybe2.error.code, 'PGRST116');
	ok(await db.from('table_1').delete().eq('title', t));
});

test('rollback() and maxAffected()', async () => {
	const t = tag('tx');
	const rb = ok(await db.from('table_1').insert({ title: t }).select()
		.rollback(), 201);
	assert.equal(rb.length, 1);
	assert.equal(rb[0].title, t);
	assert.deepEqual(await rowsTitled(t), [], 'rollback() committed');

	ok(await db.from('table_1').insert([{ title: t }, { title: t }]), 201);
	const many = await db.from('table_1').update({ priority: 9 })
		.eq('title', t).maxAffected(1);
	assert.equal(many.status, 400, JSON.stringify(many));
	assert.equal(many.error.code, 'PGRST124');
	assert.equal((await rowsTitled(t)).filter((r) => r.priority === 9)
		.length, 0, 'a refused update changed rows');
	ok(await db.from('table_1').update({ priority: 9 }).eq('title', t)
		.maxAffected(2));
	assert.equal((await rowsTitled(t)).filter((r) => r.priority === 9)
		.length, 2);
	ok(await db.from('table_1').delete().eq('title', t));
});

test('explain() is refused, and database errors carry their SQLSTATE',
	async () => {
		const plan = await db.from('table_1').select('*').explain();
		assert.equal(plan.status, 406);
		assert.equal(plan.error.code, 'PGRST107');
		const [row] = ok(await db.from('table_1')
			.insert({ title: tag('dup') }).select(), 201);
		const dup = await db.from('table_1')
			.insert({ id: row.id, title: 'dup' });
		assert.equal(dup.status, 409);
		assert.equal(dup.error.code, '23505');
		assert.equal(dup.error.details, null);
		ok(await db.from('table_1').delete().eq('id', row.id));
	});
