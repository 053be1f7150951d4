// The web console's tutorial, clicked through in headless Chromium (Debian's
// chromium, driven by playwright-core) against the fixture's stack:
//   log in with the admin key; create a table and a users table in the
//   Tables view; create the auth group and GET/POST endpoints with bearer
//   auth through the Create Endpoint sidebar; in the API client sign up,
//   see 401 without the token, auto-fill it, create a row and see 200 with
//   the rows; then add Log In to the group at the same path (the
//   tutorial's last step), log in, and remove one operation.
// Screenshots of each step go to <build>/console-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

function unquote(v) {
	if (v.length >= 2 && v.startsWith("'") && v.endsWith("'"))
		return v.slice(1, -1);
	return v.replace(/\\(.)/g, '$1');
}

function loadEnv(path) {
	const env = {};
	for (const line of readFileSync(path, 'utf8').split('\n')) {
		const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
		if (m)
			env[m[1]] = unquote(m[2]);
	}
	return env;
}

function confGet(conf, key) {
	let v = null;
	for (const line of readFileSync(conf, 'utf8').split('\n')) {
		const m = /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
		if (m && m[1] === key)
			v = m[2];
	}
	return v;
}

assert.ok(process.env.POSTERN_E2E_ENV, 'POSTERN_E2E_ENV must name the env file of deploy/dev up');
const env = loadEnv(process.env.POSTERN_E2E_ENV);
const BASE = env.POSTERN_BASE_URL.replace(/\/+$/, '');
const KEY = readFileSync(confGet(env.POSTERN_CONF, 'admin_key_file'), 'utf8').trim();
const SHOTS = join(env.POSTERN_BUILD_DIR || '.', 'console-screenshots');
const CHROMIUM = process.env.POSTERN_CHROMIUM || '/usr/bin/chromium';

let browser, page, step = 0;
const pageErrors = [];

async function shot(name) {
	step++;
	await page.screenshot({
		path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`),
		fullPage: true,
	});
}

before(async () => {
	mkdirSync(SHOTS, { recursive: true });
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-background-networking', '--disable-component-update',
			'--disable-sync', '--no-first-run'],
	});
	page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	// A console that breaks its own Content-Security-Policy says so here.
	page.on('console', (m) => {
		if (m.type() === 'error')
			pageErrors.push(m.text());
	});
});

after(async () => {
	await browser?.close();
});

// Polls the text of selector (from Node: page functions would need eval,
// which the console's Content-Security-Policy forbids, as it should).
async function waitText(selector, re, ms = 5000) {
	const deadline = Date.now() + ms;
	for (;;) {
		const t = await page.textContent(selector);
		if (re.test(t))
			return t;
		if (Date.now() > deadline)
			assert.fail(`${selector}: "${t}" does not match ${re}`);
		await page.waitForTimeout(25);
	}
}

// Sends the client's request until the route is live (an endpoint reaches
// the route table by NOTIFY, a few milliseconds after its creation), then
// returns the status line shown.
async function sendUntilRouted() {
	const deadline = Date.now() + 3000;
	for (;;) {
		await page.click('#client-send');
		const status = await waitText('#resp-status', /^(?!Sending)/);
		if (!status.startsWith('404') || Date.now() > deadline)
			return status;
		await page.waitForTimeout(50);
	}
}

test('the tutorial, by clicking only', async () => {
	const tag = randomBytes(5).toString('hex');
	const items = `bt_${tag}`, users = `bu_${tag}`;
	const prefix = `/${users}/auth`;
	const email = `browser-${tag}@example.com`;

	// Log in with the admin key.
	const res = await page.goto(`${BASE}/_console/`);
	assert.equal(res.status(), 200);
	assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
	assert.equal(res.headers()['x-frame-options'], 'DENY');
	await page.getByLabel('Admin key').fill('not-the-key-not-the-key-not-the-key');
	await page.getByRole('button', { name: 'Log in' }).click();
	await waitText('#login-error', /./);
	await shot('login-refused');
	await page.getByLabel('Admin key').fill(KEY);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForSelector('#view-api:not([hidden])');
	await shot('api-page');

	// Tables: a table_1-like table and a users table.
	await page.getByRole('button', { name: 'Tables', exact: true }).click();
	await page.getByLabel('Name', { exact: true }).fill(items);
	await page.getByLabel('Column 1 name').fill('title');
	await page.getByLabel('Column 1 not null').check();
	await page.getByRole('button', { name: 'Add column' }).click();
	await page.getByLabel('Column 2 name').fill('done');
	await page.getByLabel('Column 2 type').selectOption('boolean');
	await page.getByLabel('Column 2 default').fill('false');
	await page.getByRole('button', { name: 'Create table' }).click();
	await waitText('#table-status', new RegExp(items));
	await page.getByLabel('Name', { exact: true }).fill(users);
	await page.getByLabel('Column 3 name').fill('email');
	await page.getByLabel('Column 3 not null').check();
	await page.getByLabel('Column 3 unique').check();
	await page.getByRole('button', { name: 'Add column' }).click();
	await page.getByLabel('Column 4 name').fill('name');
	await page.getByRole('button', { name: 'Create table' }).click();
	await waitText('#table-status', new RegExp(users));
	assert.equal(await page.textContent('#table-error'), '');
	await page.getByRole('region', { name: `Table ${users}` }).waitFor();
	await shot('tables');

	// API page: the auth group on the users table.
	await page.getByRole('button', { name: 'API', exact: true }).click();
	await page.getByRole('button', { name: 'Create Endpoint' }).click();
	await page.getByLabel('Authentication', { exact: true }).check();
	await page.getByLabel('Authentication table').selectOption(users);
	await page.getByLabel('Path prefix').fill(prefix);
	// No Log In yet: the tutorial adds it at its end.
	await page.getByLabel('Sign Up', { exact: true }).check();
	await page.getByLabel('Log In', { exact: true }).setChecked(false);
	await page.getByLabel('Refresh', { exact: true }).check();
	await page.getByLabel('Me', { exact: true }).check();
	await page.getByLabel('Logout', { exact: true }).check();
	await shot('create-auth-group');
	await page.locator('#create-submit').click();
	await page.waitForSelector('#sidebar', { state: 'hidden' });
	assert.match(await page.textContent('#api-status'), /Created the auth group/);

	// GET and POST /<items> behind the group's tokens.
	for (const op of ['list', 'create']) {
		await page.getByRole('button', { name: 'Create Endpoint' }).click();
		await page.getByLabel('Data', { exact: true }).check();
		await page.getByLabel('Table', { exact: true }).selectOption(items);
		await page.getByLabel('Operation').selectOption(op);
		assert.equal(await page.inputValue('#data-path'), `/${items}`);
		assert.equal(await page.inputValue('#data-method'), op === 'list' ? 'GET' : 'POST');
		await page.getByLabel('Auth rule').selectOption(`bearer:${users}`);
		if (op === 'list')
			await shot('create-data-endpoint');
		await page.locator('#create-submit').click();
		await page.waitForSelector('#sidebar', { state: 'hidden' });
		assert.equal(await page.textContent('#create-error'), '');
	}
	const rows = page.locator('#endpoints tbody tr');
	await assert.doesNotReject(rows.filter({ hasText: `${prefix}/signup` }).first().waitFor());
	await rows.filter({ hasText: `/${items}` }).first().waitFor();
	await shot('api-endpoints');

	// API client: sign up.
	await page.getByRole('button', { name: 'API client' }).click();
	await page.getByLabel('Endpoint', { exact: true }).selectOption(`POST ${prefix}/signup`);
	assert.equal(await page.inputValue('#client-method'), 'POST');
	assert.equal(await page.inputValue('#client-path'), `${prefix}/signup`);
	await page.getByLabel('JSON body').fill(JSON.stringify({ email, password: 'correct horse battery' }));
	assert.match(await sendUntilRouted(), /^201/);
	assert.match(await page.textContent('#resp-body'), /"access_token"/);
	await shot('client-signup');

	// The protected list without a token: 401.
	await page.getByLabel('Endpoint', { exact: true }).selectOption(`GET /${items}`);
	assert.equal(await page.inputValue('#client-method'), 'GET');
	await page.getByLabel('Type', { exact: true }).selectOption('none');
	assert.match(await sendUntilRouted(), /^401/);
	await shot('client-401');

	// Bearer Token: auto-filled from the signup; a row, then the rows.
	await page.getByLabel('Type', { exact: true }).selectOption('bearer');
	const token = await page.inputValue('#client-token');
	assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the token was not auto-filled');
	await page.getByLabel('Endpoint', { exact: true }).selectOption(`POST /${items}`);
	await page.getByLabel('JSON body').fill('{"title": "made in the console"}');
	assert.match(await sendUntilRouted(), /^201/);
	await page.getByLabel('Endpoint', { exact: true }).selectOption(`GET /${items}`);
	await page.getByLabel('Query string').fill('order=id.desc');
	assert.match(await sendUntilRouted(), /^200/);
	const body = JSON.parse(await page.textContent('#resp-body'));
	assert.ok(Array.isArray(body) && body.length === 1, JSON.stringify(body));
	assert.equal(body[0].title, 'made in the console');
	assert.match(await page.textContent('#resp-time'), /ms$/);
	assert.match(await page.textContent('#resp-headers'), /x-request-id/i);
	await shot('client-200');

	// The tutorial's last step: the token is lost; a Log In endpoint is
	// made "following the same steps used to create a signup endpoint",
	// at the same path: the group gains it (200), nothing is deleted.
	await page.getByRole('button', { name: 'API', exact: true }).click();
	await page.getByRole('button', { name: 'Create Endpoint' }).click();
	await page.getByLabel('Authentication', { exact: true }).check();
	await page.getByLabel('Authentication table').selectOption(users);
	await page.getByLabel('Path prefix').fill(prefix);
	for (const op of ['Sign Up', 'Refresh', 'Me', 'Logout'])
		await page.getByLabel(op, { exact: true }).setChecked(false);
	await page.getByLabel('Log In', { exact: true }).check();
	await page.locator('#create-submit').click();
	await page.waitForSelector('#sidebar', { state: 'hidden' });
	assert.equal(await page.textContent('#create-error'), '');
	assert.match(await page.textContent('#api-status'),
		new RegExp(`auth group at ${prefix} now has signup, login`));
	await rows.filter({ hasText: `${prefix}/login` }).first().waitFor();
	await rows.filter({ hasText: `${prefix}/signup` }).first().waitFor();
	await shot('api-login-added');
	await page.getByRole('button', { name: 'API client' }).click();
	await page.getByLabel('Endpoint', { exact: true }).selectOption(`POST ${prefix}/login`);
	await page.getByLabel('Type', { exact: true }).selectOption('none');
	await page.getByLabel('JSON body').fill(JSON.stringify({ email, password: 'correct horse battery' }));
	assert.match(await sendUntilRouted(), /^200/);
	assert.match(await page.textContent('#resp-body'), /"access_token"/);
	await shot('client-login');

	// An operation is removed on its own.
	await page.getByRole('button', { name: 'API', exact: true }).click();
	page.once('dialog', (d) => d.accept());
	await page.getByRole('button', { name: `Remove refresh from auth group ${prefix}` }).click();
	await waitText('#api-status', /Removed refresh/);
	await rows.filter({ hasText: `${prefix}/login` }).first().waitFor();
	assert.equal(await rows.filter({ hasText: `${prefix}/refresh` }).count(), 0);
	// 401s of the API client (and 404s: a route not yet live, a favicon)
	// are logged by Chromium as failed loads; any
	// other console error is a bug (a CSP violation, an exception).
	const bad = pageErrors.filter((e) => !/status of 40[149]/.test(e));
	assert.deepEqual(bad, []);
});
