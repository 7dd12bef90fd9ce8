// Which era a POST to /mcp belongs to (the 2025 revisions with sessions, or 2026-07-28) is decided from the parsed
// body and three headers, without building a web Request for it. The decision must be the SDK's own: on every
// request of a table covering both eras, batches, responses, notifications, malformed envelopes, header mismatches
// and bodies that are no JSON-RPC at all, it equals isLegacyRequest on the Request the endpoint used to build.
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { toWebRequest } from '@modelcontextprotocol/node';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { isLegacyPost } from '../../../src/mcp/streamable.js';

const MODERN = '2026-07-28';
const envelope = (version: unknown = MODERN) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientInfo': { name: 'table', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
});

const bodies: Array<[string, unknown]> = [
  ['no body', undefined],
  ['null', null],
  ['a string', 'hello'],
  ['a number', 42],
  ['an empty object', {}],
  ['an empty batch', []],
  [
    'initialize (2025)',
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    },
  ],
  ['initialize without params', { jsonrpc: '2.0', id: 0, method: 'initialize' }],
  [
    'initialize with a modern envelope',
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', _meta: envelope() } },
  ],
  ['ping', { jsonrpc: '2.0', id: 1, method: 'ping' }],
  ['tools/call', { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'whoami', arguments: {} } }],
  [
    'tools/call with a modern envelope',
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: envelope() } },
  ],
  [
    'tools/call with a 2025 envelope',
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', _meta: envelope('2025-06-18') } },
  ],
  [
    'tools/call with an unknown future envelope',
    { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'whoami', _meta: envelope('2099-01-01') } },
  ],
  ['tools/call with a malformed envelope', { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'whoami', _meta: envelope(7) } }],
  [
    'tools/call with an incomplete envelope',
    {
      jsonrpc: '2.0',
      id: 6,
      method: 'tools/call',
      params: { name: 'whoami', _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } },
    },
  ],
  [
    'tools/call with other _meta',
    { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', _meta: { progressToken: 'p' } } },
  ],
  ['server/discover with an envelope', { jsonrpc: '2.0', id: 8, method: 'server/discover', params: { _meta: envelope() } }],
  ['server/discover without one', { jsonrpc: '2.0', id: 9, method: 'server/discover' }],
  ['subscriptions/listen', { jsonrpc: '2.0', id: 10, method: 'subscriptions/listen', params: { notifications: {}, _meta: envelope() } }],
  ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }],
  ['a notification with an envelope', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: envelope() } }],
  ['a notification with a malformed envelope', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: envelope(false) } }],
  ['a result', { jsonrpc: '2.0', id: 11, result: {} }],
  ['an error', { jsonrpc: '2.0', id: 12, error: { code: -32000, message: 'no' } }],
  [
    'a batch of 2025 requests',
    [
      { jsonrpc: '2.0', id: 13, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ],
  ],
  ['a batch with a modern request', [{ jsonrpc: '2.0', id: 14, method: 'ping', params: { _meta: envelope() } }]],
  ['a batch with garbage', [{ jsonrpc: '2.0', id: 15, method: 'ping' }, 'garbage']],
  ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 16, method: 'ping' }],
  ['a method that is no string', { jsonrpc: '2.0', id: 17, method: 5 }],
  ['an id that is an object', { jsonrpc: '2.0', id: {}, method: 'ping' }],
  ['params that are a list', { jsonrpc: '2.0', id: 18, method: 'ping', params: [1] }],
];

const headerSets: Array<[string, IncomingHttpHeaders]> = [
  ['no MCP headers', {}],
  ['a 2025 version header', { 'mcp-protocol-version': '2025-06-18' }],
  ['the modern version header', { 'mcp-protocol-version': MODERN }],
  ['the modern version header with spaces', { 'mcp-protocol-version': ` ${MODERN}\t` }],
  ['an unknown version header', { 'mcp-protocol-version': 'bogus' }],
  ['an empty version header', { 'mcp-protocol-version': '' }],
  ['modern headers naming tools/call', { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'whoami' }],
  ['modern headers naming another method', { 'mcp-protocol-version': MODERN, 'mcp-method': 'resources/read' }],
  ['a method header alone', { 'mcp-method': 'ping' }],
  ['a repeated version header', { 'mcp-protocol-version': [MODERN, MODERN] }],
];

/** The SDK's decision, exactly as the endpoint used to ask for it. */
async function sdkDecision(headers: IncomingHttpHeaders, body: unknown): Promise<boolean> {
  // The body parser has already drained the request stream; what is left to read is nothing.
  const raw = Object.assign(Readable.from([]), {
    method: 'POST',
    url: '/mcp',
    headers: { host: '127.0.0.1:23000', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
  return isLegacyRequest(await toWebRequest(raw, body), body);
}

describe('deciding the era of a POST without building a web Request', () => {
  it('agrees with the SDK on every request of the table', async () => {
    const decisions = { legacy: 0, modern: 0 };
    for (const [bodyName, body] of bodies) {
      for (const [headerName, headers] of headerSets) {
        const expected = await sdkDecision(headers, body);
        expect(isLegacyPost(headers, body), `${bodyName}, ${headerName}`).toBe(expected);
        decisions[expected ? 'legacy' : 'modern']++;
      }
    }
    // The table reaches both answers many times over, so agreement says something.
    expect(decisions.legacy).toBeGreaterThan(50);
    expect(decisions.modern).toBeGreaterThan(50);
  });

  it('sends what 2025 clients send to the sessions, and envelope requests to the 2026-07-28 handler', () => {
    const initialize = bodies.find(([name]) => name === 'initialize (2025)')![1];
    const call = bodies.find(([name]) => name === 'tools/call')![1];
    const modern = bodies.find(([name]) => name === 'tools/call with a modern envelope')![1];
    expect(isLegacyPost({}, initialize)).toBe(true);
    expect(isLegacyPost({ 'mcp-protocol-version': '2025-06-18' }, call)).toBe(true);
    expect(isLegacyPost({}, undefined)).toBe(true);
    expect(isLegacyPost({ 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'whoami' }, modern)).toBe(false);
    // A modern version header without the envelope is the modern handler's to refuse.
    expect(isLegacyPost({ 'mcp-protocol-version': MODERN }, call)).toBe(false);
  });
});
