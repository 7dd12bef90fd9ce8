// The token endpoint's dispatch to its grant types, and what each says about its own parameters before anything is
// spent: every refusal the RFC 6749 JSON with Pragma: no-cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import { injectRedirectUri } from '../../support/inject-oauth.js';

let target: InProcessApp;

async function registerClient(grantTypes: string[]): Promise<string> {
  const registered = await target.app.inject({
    method: 'POST',
    url: '/oauth/register',
    headers: { ...target.appApi(''), 'content-type': 'application/json' },
    payload: {
      client_name: 'Grant test client',
      redirect_uris: [injectRedirectUri],
      grant_types: grantTypes,
      token_endpoint_auth_method: 'none',
    },
  });
  expect(registered.statusCode).toBe(201);
  return (registered.json() as { client_id: string }).client_id;
}

async function token(form: string) {
  const response = await target.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { ...target.appApi(''), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form,
  });
  expect(response.headers.pragma).toBe('no-cache');
  return { status: response.statusCode, body: response.json() as { error: string; error_description: string } };
}

const VERIFIER = 'v'.repeat(43);

describe('the token endpoint', () => {
  let both: string;
  let codeOnly: string;
  beforeAll(async () => {
    target = await startInProcessApp();
    both = await registerClient(['authorization_code', 'refresh_token']);
    codeOnly = await registerClient(['authorization_code']);
  });
  afterAll(() => target?.stop());

  it('names the grant types it knows when asked for another, or for none', async () => {
    expect(await token(`client_id=${both}`)).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'grant_type must be authorization_code or refresh_token.' },
    });
    expect((await token(`client_id=${both}&grant_type=password`)).body.error_description).toBe(
      'grant_type must be authorization_code or refresh_token, not password.',
    );
    expect((await token(`client_id=${both}&grant_type=constructor`)).body.error).toBe('unsupported_grant_type');
  });

  it('authenticates the client before it looks at the grant type', async () => {
    expect(await token('grant_type=password')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('refuses a parameter sent twice', async () => {
    expect(await token(`client_id=${both}&grant_type=authorization_code&code=a&code=b`)).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The token request must be form-encoded, with each parameter once.' },
    });
  });

  it('authorization_code: names the first parameter missing or malformed', async () => {
    const ask = async (form: string) => (await token(`client_id=${both}&grant_type=authorization_code${form}`)).body;
    expect(await ask('')).toEqual({ error: 'invalid_request', error_description: 'code is missing.' });
    expect(await ask('&code=')).toEqual({ error: 'invalid_request', error_description: 'code is missing.' });
    expect(await ask('&code=abc')).toEqual({ error: 'invalid_request', error_description: 'code_verifier is missing; PKCE is required.' });
    expect(await ask('&code=abc&code_verifier=')).toEqual({
      error: 'invalid_request',
      error_description: 'code_verifier is missing; PKCE is required.',
    });
    expect(await ask('&code=abc&code_verifier=short')).toEqual({
      error: 'invalid_request',
      error_description: 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~.',
    });
    expect(await ask(`&code=abc&code_verifier=${VERIFIER}`)).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code is not valid.',
    });
  });

  it('refresh_token: asks for the token first, then whether the client registered the grant', async () => {
    expect((await token(`client_id=${codeOnly}&grant_type=refresh_token`)).body).toEqual({
      error: 'invalid_request',
      error_description: 'refresh_token is missing.',
    });
    expect(await token(`client_id=${codeOnly}&grant_type=refresh_token&refresh_token=abc`)).toEqual({
      status: 400,
      body: { error: 'unauthorized_client', error_description: 'This client did not register the refresh_token grant.' },
    });
    expect((await token(`client_id=${both}&grant_type=refresh_token&refresh_token=abc`)).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The refresh token is not valid.',
    });
  });
});
