// @supabase/postgrest-js, unchanged, against the live demo gateway: the
// grammar, the request forms and the error shape are what it expects.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { PostgrestClient } from '@supabase/postgrest-js';

import { BASE_URL, signup } from './env.mjs';

function client(token) {
	return new PostgrestClient(BASE_URL,
		{ headers: { Authorization: `Bearer ${token}` } });
}

// Fails with the whole answer, so a broken gateway says what it sent.
function ok(res, status) {
	assert.equal(res.error, null, JSON.stringify(res));
	if (status !== undefined)
		assert.equal(res.status, status, JSON.stringify(res));
	return res.data;
}

let db;

before(async () => {
	const tok = await signup('pgrst');
	db = client(tok.access_token);
});

test('select, filter, order, limit', async () => {
	const data = ok(await db.from('table_1').select('id,title')
		.eq('done', false).order('id', { ascending: false }).limit(3), 200);
	assert.ok(Array.isArray(data));
	assert.ok(data.length > 0 && data.length <= 3);
	for (const r of data)
		assert.deepEqual(Object.keys(r).sort(), ['id', 'title']);
	for (let i = 1; i < data.length; i++)
		assert.ok(data[i - 1].id > data[i].id, 'ordered by id desc');
});

test('count=exact', async () => {
	const res = await db.from('table_1').select('id', { count: 'exact' })
		.limit(1);
	ok(res);
	assert.equal(typeof res.count, 'number');
	assert.ok(res.count >= 1);
});

test('insert, update, single, delete', async () => {
	const created = ok(await db.from('table_1')
		.insert({ title: 'from postgrest-js', priority: 7 }).select(), 201);
	assert.equal(created.length, 1);
	const row = created[0];
	assert.equal(row.title, 'from postgrest-js');
	assert.equal(row.priority, 7);
	assert.equal(row.done, false);
	const id = row.id;

	const updated = ok(await db.from('table_1').update({ done: true })
		.eq('id', id).select(), 200);
	assert.equal(updated.length, 1);
	assert.equal(updated[0].id, id);
	assert.equal(updated[0].done, true);

	const one = ok(await db.from('table_1').select('*').eq('id', id)
		.single(), 200);
	assert.equal(Array.isArray(one), false);
	assert.equal(one.id, id);
	assert.equal(one.done, true);
	assert.equal(one.title, 'from postgrest-js');

	const del = await db.from('table_1').delete().eq('id', id);
	ok(del);
	assert.ok(del.status === 204 || del.status === 200, JSON.stringify(del));

	const gone = ok(await db.from('table_1').select('*').eq('id', id), 200);
	assert.deepEqual(gone, []);

	// single() on no row: PostgREST's 406.
	const none = await db.from('table_1').select('*').eq('id', id).single();
	assert.equal(none.status, 406);
	assert.ok(none.error);
});

// postgrest-js sends an array insert with columns="title","priority"
// (PostgREST's column list for bulk bodies).
test('bulk insert of an array', async () => {
	const rows = ok(await db.from('table_1').insert([
		{ title: 'bulk 1 from postgrest-js' },
		{ title: 'bulk 2 from postgrest-js', priority: 3 },
	]).select(), 201);
	assert.equal(rows.length, 2);
	assert.equal(rows[0].title, 'bulk 1 from postgrest-js');
	assert.equal(rows[0].priority, null);
	assert.equal(rows[1].priority, 3);
	const gone = ok(await db.from('table_1').delete()
		.in('id', rows.map((r) => r.id)).select('id'), 200);
	assert.equal(gone.length, 2);
});

test('in, is, like, not', async () => {
	const data = ok(await db.from('table_1').select('id,title,priority')
		.in('priority', [1, 2]).not('title', 'is', null)
		.like('title', '*a*'), 200);
	for (const r of data) {
		assert.ok([1, 2].includes(r.priority));
		assert.match(r.title, /a/);
	}
	const nulls = ok(await db.from('table_1').select('id,priority')
		.is('priority', null), 200);
	for (const r of nulls)
		assert.equal(r.priority, null);
});

test('errors have the PostgREST shape', async () => {
	const bad = await db.from('table_1').select('nope');
	assert.equal(bad.status, 400);
	assert.equal(bad.data, null);
	assert.equal(typeof bad.error.code, 'string');
	assert.equal(typeof bad.error.message, 'string');
	assert.ok('details' in bad.error && 'hint' in bad.error);

	// An update with no filter at all is refused.
	const all = await db.from('table_1').update({ done: true });
	assert.equal(all.status, 400, JSON.stringify(all));
	assert.ok(all.error);
	assert.equal(typeof all.error.code, 'string');

	// No token: 401, still an error object.
	const anon = await new PostgrestClient(BASE_URL).from('table_1')
		.select('*');
	assert.equal(anon.status, 401);
	assert.equal(typeof anon.error.code, 'string');
});

test('the owner rule on notes', async () => {
	const ta = await signup('owner-a');
	const tb = await signup('owner-b');
	const a = client(ta.access_token);
	const b = client(tb.access_token);

	const made = ok(await a.from('notes').insert({ title: 'mine' }).select(),
		201);
	assert.equal(made.length, 1);
	const note = made[0];
	assert.equal(String(note.owner_id), String(ta.user.id));
	assert.equal(note.title, 'mine');

	const seenByA = ok(await a.from('notes').select('*'), 200);
	assert.ok(seenByA.some((n) => n.id === note.id));
	const seenByB = ok(await b.from('notes').select('*'), 200);
	assert.ok(!seenByB.some((n) => n.id === note.id));
	for (const n of seenByB)
		assert.equal(String(n.owner_id), String(tb.user.id));

	// B's writes match nothing of A's.
	const upd = ok(await b.from('notes').update({ title: 'hacked' })
		.eq('id', note.id).select());
	assert.deepEqual(upd, []);
	const del = await b.from('notes').delete().eq('id', note.id);
	ok(del);

	const still = ok(await a.from('notes').select('*').eq('id', note.id)
		.single(), 200);
	assert.equal(still.title, 'mine');

	// Naming someone else as the owner is refused.
	const forged = await b.from('notes')
		.insert({ title: 'forged', owner_id: ta.user.id }).select();
	assert.equal(forged.status, 403, JSON.stringify(forged));

	ok(await a.from('notes').delete().eq('id', note.id));
});
