// A typed client from the live /openapi.json: openapi-typescript generates
// the types (the demo plus a table of the types the demo lacks), a small
// openapi-fetch program uses them as an app would, and `tsc` must accept it
// (the @ts-expect-error lines must also fail, so types too loose fail the
// test as well).  The compiled program then runs against the gateway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
	mkdtempSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';

import { BASE_URL } from './env.mjs';
import { createTypedTable, dropTypedTable, TABLE } from './typed-table.mjs';

const run = promisify(execFile);

let dir;
let doc;

before(async () => {
	doc = await createTypedTable();
	dir = mkdtempSync(join(tmpdir(), 'postern-types-'));
	// The program imports openapi-fetch from this package's node_modules.
	symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
});

after(async () => {
	await dropTypedTable();
	if (dir)
		rmSync(dir, { recursive: true, force: true });
});

// The program: every line is a claim about the generated types.
function program(t) {
	return `import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Row = components['schemas']['${t}'];
type Demo = components['schemas']['table_1'];
type CreateBody =
	paths['/${t}']['post']['requestBody']['content']['application/json'];
type Json = string | number | boolean | unknown[] |
	{ [key: string]: unknown } | null;

export async function main(baseUrl: string) {
	// The media type picks the answer's shape: plain JSON here.
	const api = createClient<paths, 'application/json'>({ baseUrl });

	// A create, with its body type: title is required, meta any JSON.
	const made = await api.POST('/${t}', {
		body: { title: 'typed', meta: { k: [1, 2] }, tags: ['a', 'b'],
			scores: [3], amount: 1.5, day: '2024-01-02',
			place: { street: 'Main', zip: 1 },
			stops: [{ street: 'a', zip: 2 }], mood: 'happy' },
		headers: { Prefer: 'return=representation' },
	});
	// @ts-expect-error a mood is one of its labels
	void api.POST('/${t}', { body: { title: 'x', mood: 'angry' } });
	// @ts-expect-error a place's zip is a number
	void api.POST('/${t}', { body: { title: 'x', place: { zip: '1' } } });
	// @ts-expect-error title is required
	void api.POST('/${t}', { body: { meta: null } });
	// openapi-fetch infers the body generically, so no excess-property
	// check there: the body type itself refuses an unknown column.
	// @ts-expect-error no such column
	const nope: CreateBody = { title: 'x', nope: 1 };
	// @ts-expect-error scores are integers
	void api.POST('/${t}', { body: { title: 'x', scores: ['1'] } });
	const createdRows: Row | Row[] | undefined = made.data;
	const id = Array.isArray(made.data) ? made.data[0]?.id : made.data?.id;
	if (id === undefined)
		throw new Error('create: ' + JSON.stringify(made.error));

	// A list is an array of rows.
	const list = await api.GET('/${t}', {
		params: { query: { id: 'eq.' + id, order: 'id.desc', limit: 5 } },
	});
	const first: Row | undefined = list.data?.[0];
	const firstId: number | undefined = list.data?.[0]?.id;
	const count: number = list.data?.length ?? 0;
	const meta: Json | undefined = first?.meta;
	const tags: string[] | null | undefined = first?.tags;
	const scores: number[] | undefined = first?.scores;
	const title: string | undefined = first?.title;
	// Composites are objects of their attributes, enums their labels.
	const place = first?.place;
	const zip: number | null | undefined = first?.place?.zip;
	// @ts-expect-error a place's street is a string
	const badStreet: number | null | undefined = first?.place?.street;
	const stops = first?.stops;
	const stopZip: number | null | undefined = first?.stops?.[0]?.zip;
	const mood: 'happy' | 'sad' | null | undefined = first?.mood;
	// @ts-expect-error a row's title is a string
	const wrong: number | undefined = first?.title;

	// An item route is one object.
	const one = await api.GET('/${t}/{id}', { params: { path: { id } } });
	const oneTitle: string | undefined = one.data?.title;
	// @ts-expect-error an item is not an array
	void one.data?.[0];

	// The demo's list too.
	const demo = await api.GET('/table_1', {
		params: { query: { limit: 1 } },
		headers: { Authorization: 'Bearer not-a-token' },
	});
	const demoRow: Demo | undefined = demo.data?.[0];
	const demoStatus: number = demo.response.status;

	// With Accept: application/vnd.pgrst.object+json a list is one row.
	const single = createClient<paths,
		'application/vnd.pgrst.object+json'>({ baseUrl });
	const got = await single.GET('/${t}', {
		params: { query: { id: 'eq.' + id } },
		headers: { Accept: 'application/vnd.pgrst.object+json' },
	});
	const singleTitle: string | undefined = got.data?.title;

	// An update, and a delete.
	const upd = await api.PATCH('/${t}/{id}', {
		params: { path: { id } },
		body: { meta: null, tags: null },
	});
	const updRow = Array.isArray(upd.data) ? upd.data[0] : upd.data;
	// A PUT gives every column and replaces the row.
	const put = await api.PUT('/${t}/{id}', {
		params: { path: { id } },
		body: { id, title: 'put', meta: null, doc: {}, tags: null,
			scores: [], span: null, search: null, amount: null, uid: null,
			at: null, day: null, stamp: null, place: null,
			stops: null, mood: 'sad' },
		headers: { Prefer: 'return=representation' },
	});
	void api.PUT('/${t}/{id}', { params: { path: { id } },
		// @ts-expect-error a PUT gives every column
		body: { id, title: 'x' } });
	const putRow = put.data?.[0];
	const del = await api.DELETE('/${t}/{id}', { params: { path: { id } } });

	void wrong; void demoRow; void createdRows; void nope; void badStreet;
	return {
		id, firstId, count, meta, tags, scores, title, oneTitle,
		singleTitle, demoStatus, updMeta: updRow?.meta, place, zip, stops,
		stopZip, mood, putStatus: put.response.status,
		putTitle: putRow?.title, putMood: putRow?.mood,
		putPlace: putRow?.place, delStatus: del.response.status,
	};
}
`;
}

test('openapi-typescript types type-check with openapi-fetch', async () => {
	const types = astToString(await openapiTS(doc));
	writeFileSync(join(dir, 'schema.ts'), types);
	writeFileSync(join(dir, 'client.ts'), program(TABLE));
	writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
	writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
		compilerOptions: {
			strict: true,
			target: 'es2022',
			module: 'nodenext',
			moduleResolution: 'nodenext',
			outDir: 'out',
			skipLibCheck: false,
			noUnusedLocals: false,
		},
		files: ['client.ts'],
	}));
	let out = '';
	try {
		await run(resolve('node_modules/.bin/tsc'), ['-p', dir],
			{ cwd: dir, maxBuffer: 16 << 20 });
	} catch (e) {
		out = `${e.stdout ?? ''}${e.stderr ?? ''}` || String(e);
	}
	assert.equal(out, '', 'tsc reports no errors');

	// The compiled program, run for real.
	const { main } = await import(pathToFileURL(join(dir, 'out', 'client.js')));
	const r = await main(BASE_URL);
	assert.equal(r.firstId, r.id);
	assert.equal(r.count, 1);
	assert.deepEqual(r.meta, { k: [1, 2] });
	assert.deepEqual(r.tags, ['a', 'b']);
	assert.deepEqual(r.scores, [3]);
	assert.equal(r.title, 'typed');
	assert.equal(r.oneTitle, 'typed');
	assert.equal(r.singleTitle, 'typed');
	assert.equal(r.demoStatus, 401);
	assert.equal(r.updMeta, null);
	assert.deepEqual(r.place, { street: 'Main', zip: 1 });
	assert.equal(r.zip, 1);
	assert.deepEqual(r.stops, [{ street: 'a', zip: 2 }]);
	assert.equal(r.stopZip, 2);
	assert.equal(r.mood, 'happy');
	assert.equal(r.putStatus, 200);
	assert.equal(r.putTitle, 'put');
	assert.equal(r.putMood, 'sad');
	assert.equal(r.putPlace, null);
	assert.equal(r.delStatus, 204);
});
