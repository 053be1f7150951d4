// The test environment of `deploy/dev up`: the file named by POSTERN_E2E_ENV
// holds KEY=VALUE lines written with printf %q.  POSTERN_BASE_URL in the
// process environment, if set, wins (to run against any gateway by hand).
import { readFileSync } from 'node:fs';

// Undoes bash's printf %q: backslash escapes, and $'...' for strings with
// control characters.  Plain values pass through unchanged.
export function unquote(v) {
	if (v.startsWith("$'") && v.endsWith("'")) {
		const map = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", e: '\x1b' };
		return v.slice(2, -1).replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g,
			(_, c) => c[0] === 'x' ? String.fromCharCode(parseInt(c.slice(1), 16))
				: /^[0-7]/.test(c) ? String.fromCharCode(parseInt(c, 8))
				: (map[c] ?? c));
	}
	if (v.length >= 2 && v.startsWith("'") && v.endsWith("'"))
		return v.slice(1, -1);
	return v.replace(/\\(.)/g, '$1');
}

export function loadEnv(path = process.env.POSTERN_E2E_ENV) {
	const env = {};
	if (path) {
		for (const line of readFileSync(path, 'utf8').split('\n')) {
			const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
			if (m)
				env[m[1]] = unquote(m[2]);
		}
	}
	if (process.env.POSTERN_BASE_URL)
		env.POSTERN_BASE_URL = process.env.POSTERN_BASE_URL;
	if (!env.POSTERN_BASE_URL)
		throw new Error('set POSTERN_E2E_ENV to the env file of deploy/dev up ' +
			'(or POSTERN_BASE_URL)');
	return env;
}

export const BASE_URL = loadEnv().POSTERN_BASE_URL.replace(/\/+$/, '');

// Signs up a fresh user of the demo's /auth group; returns the token
// response ({access_token, user, ...}).
export async function signup(prefix = 'node') {
	const email = `${prefix}-${process.pid}-${Date.now()}-` +
		`${Math.random().toString(36).slice(2, 8)}@example.com`;
	const res = await fetch(`${BASE_URL}/auth/signup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, password: 'correct horse battery' }),
	});
	const body = await res.json();
	if (res.status !== 201)
		throw new Error(`signup: ${res.status} ${JSON.stringify(body)}`);
	return body;
}
