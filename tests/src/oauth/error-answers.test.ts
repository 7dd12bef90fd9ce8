// One error handler per OAuth plugin: refusals thrown by a handler become that plugin's answer, a Nextcloud that
// could not be asked becomes "try again" where the plugin says how, and anything else goes on to the app's handler.
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { answerErrors, jsonRefusal } from '../../../src/oauth/error-answers.js';
import { OAuthError } from '../../../src/oauth/errors.js';
import { PolicyUnavailableError } from '../../../src/policy/policy.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(tokenEndpoint: boolean, withUnavailable: boolean): Promise<FastifyInstance> {
  app = Fastify();
  app.setErrorHandler((error, _request, reply) => reply.code(500).send({ outer: (error as Error).message }));
  await app.register(async (oauth) => {
    answerErrors(oauth, {
      refusal: jsonRefusal({ tokenEndpoint }),
      ...(withUnavailable
        ? {
            unavailable: (failure, _request, reply) =>
              reply.code(503).header('retry-after', String(failure.retryAfterSeconds)).send({ later: failure.message }),
          }
        : {}),
    });
    oauth.get('/client', async () => {
      throw new OAuthError('invalid_client', 'The client secret is wrong or missing.');
    });
    oauth.get('/policy', async () => {
      throw new PolicyUnavailableError('timeout');
    });
    oauth.get('/bug', async () => {
      throw new Error('a bug');
    });
  });
  return app;
}

describe('answerErrors', () => {
  it('answers a refusal at the token endpoint with the RFC 6749 JSON, Pragma: no-cache and a Basic challenge when Basic was used', async () => {
    const server = await build(true, true);
    const basic = await server.inject({ url: '/client', headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json()).toEqual({ error: 'invalid_client', error_description: 'The client secret is wrong or missing.' });
    expect(basic.headers.pragma).toBe('no-cache');
    expect(basic.headers['www-authenticate']).toBe('Basic realm="mcp_gateway"');
    const post = await server.inject({ url: '/client' });
    expect(post.statusCode).toBe(401);
    expect(post.headers['www-authenticate']).toBeUndefined();
  });

  it('answers a refusal elsewhere with the JSON alone', async () => {
    const response = await (await build(false, false)).inject({ url: '/client' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'invalid_client', error_description: 'The client secret is wrong or missing.' });
    expect(response.headers.pragma).toBeUndefined();
  });

  it('answers a temporary failure as the plugin says, or leaves it to the app without an answer of its own', async () => {
    const answered = await (await build(true, true)).inject({ url: '/policy' });
    expect(answered.statusCode).toBe(503);
    expect(answered.headers['retry-after']).toBe('5');
    await app!.close();
    const passed = await (await build(true, false)).inject({ url: '/policy' });
    expect(passed.statusCode).toBe(500);
    expect(passed.json().outer).toContain('could not be read from Nextcloud');
  });

  it('leaves every other error to the app', async () => {
    const response = await (await build(true, true)).inject({ url: '/bug' });
    expect(response.json()).toEqual({ outer: 'a bug' });
  });
});
