// GET /openapi.json on the live demo gateway: a valid OpenAPI 3 document
// (checked by @apidevtools/swagger-parser) that describes the demo routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';

import { BASE_URL } from './env.mjs';

async function fetchDoc() {
	const res = await fetch(`${BASE_URL}/openapi.json`);
	assert.equal(res.status, 200);
	assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
	return await res.json();
}

test('the document validates', async () => {
	const doc = await fetchDoc();
	assert.equal(doc.openapi, '3.0.3');
	// validate() dereferences in place: give it a copy.
	const api = await SwaggerParser.validate(structuredClone(doc));
	assert.equal(api.info.title, 'Postern');
});

test('the demo routes are described', async () => {
	const doc = await fetchDoc();
	const p = doc.paths;
	for (const path of ['/table_1', '/table_1/{id}', '/notes', '/notes/{id}',
		'/auth/signup', '/auth/login'])
		assert.ok(p[path], `${path} is described`);
	assert.deepEqual(Object.keys(p['/table_1']).sort(),
		['delete', 'get', 'patch', 'post']);
	assert.deepEqual(Object.keys(p['/table_1/{id}']).sort(),
		['delete', 'get', 'patch']);
	assert.ok(p['/auth/signup'].post);

	// Bearer on the protected routes, none on the auth ones.
	const bearer = doc.components.securitySchemes.bearerAuth;
	assert.equal(bearer.type, 'http');
	assert.equal(bearer.scheme, 'bearer');
	assert.equal(bearer.bearerFormat, 'JWT');
	assert.deepEqual(p['/table_1'].get.security, [{ bearerAuth: [] }]);
	assert.deepEqual(p['/notes/{id}'].patch.security, [{ bearerAuth: [] }]);
	assert.deepEqual(p['/auth/signup'].post.security, []);

	// The columns of table_1, typed from the catalog.
	const t = doc.components.schemas.table_1;
	assert.equal(t.properties.id.type, 'integer');
	assert.equal(t.properties.id.format, 'int64');
	assert.equal(t.properties.title.type, 'string');
	assert.equal(t.properties.done.type, 'boolean');
	assert.equal(t.properties.priority.nullable, true);
	assert.equal(t.properties.created_at.format, 'date-time');
	assert.deepEqual(t.required, ['title']);

	// The id path parameter and the list's filters.
	const idp = p['/table_1/{id}'].get.parameters.find((x) => x.in === 'path');
	assert.equal(idp.name, 'id');
	assert.equal(idp.required, true);
	const names = p['/table_1'].get.parameters.map((x) => x.name ?? x.$ref);
	assert.ok(names.includes('done'));
	assert.ok(names.includes('#/components/parameters/select'));
});

test('the answer a real request gets matches the schema', async () => {
	// Error bodies carry the four fields the Error schema requires.
	const doc = await fetchDoc();
	const res = await fetch(`${BASE_URL}/table_1`);
	assert.equal(res.status, 401);
	const body = await res.json();
	for (const k of doc.components.schemas.Error.required)
		assert.ok(k in body, `error body has ${k}`);
});
