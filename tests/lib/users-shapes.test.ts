// /cloud/user as different Nextcloud versions and states write it; the simulator always answers the happy shape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNextcloud } from '../../lib/index.js';
import { failure } from '../support/lib-fixture.js';

const answers = new Map<string, unknown>();
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  // Answers GET /ocs/v2.php/cloud/user with the data registered for the acting user.
  server = http.createServer((request, response) => {
    const credentials = Buffer.from(String(request.headers['authorization-app-api'] ?? ''), 'base64').toString();
    const data = answers.get(credentials.slice(0, credentials.indexOf(':')));
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const userAs = (id: string) =>
  createNextcloud({ baseUrl, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: 's'.repeat(64), timeoutMs: 2000 })
    .as(id)
    .currentUser();

describe('currentUser', () => {
  it('reads the current shape, with both display name spellings', async () => {
    answers.set('dora', {
      id: 'dora',
      displayname: 'Dora',
      'display-name': 'Dora',
      email: null,
      groups: ['staff'],
      language: 'de',
      locale: 'de_DE',
      quota: { free: 10, used: 5, total: 15, relative: 33.3, quota: -3 },
    });
    expect(await userAs('dora')).toEqual({
      id: 'dora',
      displayName: 'Dora',
      email: null,
      groups: ['staff'],
      language: 'de',
      locale: 'de_DE',
      quota: { free: 10, used: 5, total: 15, relative: 33.3, quota: -3 },
    });
  });

  it('reads the old shape with only display-name and no language', async () => {
    answers.set('eve', { id: 'eve', 'display-name': 'Eve Old', email: 'eve@example.com', groups: [], quota: { quota: 'none', used: 0 } });
    expect(await userAs('eve')).toMatchObject({
      displayName: 'Eve Old',
      email: 'eve@example.com',
      language: '',
      quota: { quota: 'none', used: 0 },
    });
  });

  it('accepts the empty PHP array Nextcloud sends when it cannot read the storage info', async () => {
    answers.set('finn', { id: 'finn', displayname: 'Finn', groups: [], quota: [] });
    expect((await userAs('finn')).quota).toBeNull();
  });

  it('still refuses data that is not a user', async () => {
    answers.set('gus', { displayname: 'no id' });
    expect((await failure(userAs('gus'))).code).toBe('protocol');
  });
});
