// Listmonk's failures told apart by status and message (CONTRACT §1, §2): 403 is both "who are you" and "you may
// not"; not-found is a 400.
import { describe, expect, it } from 'vitest';
import { classifyStatus, ListmonkError } from './errors.ts';

describe('classifyStatus', () => {
	it('reads 403 credential messages as auth', () => {
		for (const message of ['invalid API credentials', 'invalid session', 'code=400, message=unknown Authorization scheme', 'code=400, message=api_key:token missing']) {
			expect(classifyStatus(403, message)).toEqual({ kind: 'auth', permission: null });
		}
		expect(classifyStatus(401, null).kind).toBe('auth');
	});

	it('reads 403 permission messages as permission, with the permission named', () => {
		expect(classifyStatus(403, 'permission denied: subscribers:manage')).toEqual({ kind: 'permission', permission: 'subscribers:manage' });
		expect(classifyStatus(403, 'Permission denied: lists')).toEqual({ kind: 'permission', permission: 'lists' });
		expect(classifyStatus(403, 'Permission denied: subscribers:sql_query')).toEqual({ kind: 'permission', permission: 'subscribers:sql_query' });
		expect(classifyStatus(403, 'Permission denied: subscriber: 12')).toEqual({ kind: 'permission', permission: 'subscriber: 12' });
		expect(classifyStatus(403, 'permission denied')).toEqual({ kind: 'permission', permission: null });
	});

	it('reads a 400 "not found" as not_found, other 4xx as bad_request, 409 as conflict, 5xx as server', () => {
		expect(classifyStatus(400, 'Subscriber (42: ) not found').kind).toBe('not_found');
		expect(classifyStatus(400, 'List not found').kind).toBe('not_found');
		expect(classifyStatus(400, 'Invalid email.').kind).toBe('bad_request');
		expect(classifyStatus(404, '404 unknown endpoint').kind).toBe('bad_request');
		expect(classifyStatus(405, 'Method Not Allowed').kind).toBe('bad_request');
		expect(classifyStatus(415, 'Unsupported Media Type').kind).toBe('bad_request');
		expect(classifyStatus(409, 'E-mail already exists.').kind).toBe('conflict');
		expect(classifyStatus(500, 'Internal Server Error').kind).toBe('server');
		expect(classifyStatus(503, null).kind).toBe('server');
	});
});

describe('ListmonkError', () => {
	it('says the operation, status, kind and Listmonk message; serialises without its cause', () => {
		const error = new ListmonkError({ kind: 'not_found', status: 400, operation: 'GET /api/subscribers/{id}', listmonkMessage: 'Subscriber (42: ) not found', cause: new Error('low level') });
		expect(error.message).toBe('Listmonk GET /api/subscribers/{id} failed (400 not_found): Subscriber (42: ) not found');
		expect(JSON.parse(JSON.stringify(error))).toEqual({
			name: 'ListmonkError',
			kind: 'not_found',
			status: 400,
			operation: 'GET /api/subscribers/{id}',
			listmonkMessage: 'Subscriber (42: ) not found',
			permission: null,
			message: error.message,
		});
	});
});
