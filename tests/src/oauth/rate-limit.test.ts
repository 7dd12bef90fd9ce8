// The source address the limits on anonymous storage count by.
import { describe, expect, it } from 'vitest';
import { sourceOf } from '../../../src/oauth/rate-limit.js';

describe('sourceOf', () => {
  const request = { headers: { 'x-origin-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1, 192.0.2.9' }, ip: '10.0.0.2' };

  it("takes the PHP proxy's X-Origin-IP when it is the PHP proxy's", () => {
    expect(sourceOf(request, true)).toBe('203.0.113.7');
  });

  it("ignores a client's own X-Origin-IP: the last X-Forwarded-For entry, else the connection's address", () => {
    expect(sourceOf(request, false)).toBe('192.0.2.9');
    expect(sourceOf({ headers: { 'x-origin-ip': '203.0.113.7' }, ip: '10.0.0.2' }, false)).toBe('10.0.0.2');
  });
});
