import { describe, expect, it } from 'vitest';
import { redirectUriMatches, redirectUriProblem } from '../../../src/oauth/clients.js';
import { DEFAULT_POLICY, formerPolicyKeys, parsePolicy, policyKeys } from '../../../src/policy/policy.js';
import { checkRedirectUri, parseRedirectRule } from '../../../src/policy/redirect-uris.js';

const rules = (setting: string) => {
  const parsed = parsePolicy({ [policyKeys.redirectUris]: setting });
  expect(parsed.problems).toEqual([]);
  return parsed.policy;
};

describe('redirect URI policy', () => {
  it('admits the ChatGPT, Claude and loopback callbacks the contract lists', () => {
    for (const uri of [
      'https://chatgpt.com/connector/oauth/abc123',
      'https://chatgpt.com/connector_platform_oauth_redirect',
      'https://claude.ai/api/mcp/auth_callback',
      'https://claude.com/api/mcp/auth_callback',
      'http://127.0.0.1:33418/callback',
      'http://localhost:6274/oauth/callback',
      'http://[::1]:8080/cb',
    ]) {
      expect(redirectUriProblem(uri, DEFAULT_POLICY)).toBeNull();
    }
  });

  it('by default admits only the exact callbacks on the hosted clients, so no other path or query there can receive a code', () => {
    for (const uri of [
      'https://claude.ai/any/path?next=https://evil.example',
      'https://claude.ai/api/mcp/auth_callback?next=x',
      'https://claude.ai/api/mcp/auth_callback/',
      'https://chatgpt.com/connector_platform_oauth_redirect/x',
      'https://chatgpt.com/connector/oauth/',
      'https://chatgpt.com/connector/oauth/abc?next=x',
      'https://chatgpt.com/connector/oauth/../../login',
      'https://chatgpt.com/connector/oauth/./abc',
      'https://chatgpt.com/connector/oauth/a%2F..%2Fb',
      'https://chatgpt.com/connectors/oauth/abc',
    ]) {
      expect(redirectUriProblem(uri, DEFAULT_POLICY), uri).not.toBeNull();
    }
    // The per-connector callback id may be any plain path segment.
    expect(redirectUriProblem('https://chatgpt.com/connector/oauth/cb_0a1B-2.c~', DEFAULT_POLICY)).toBeNull();
  });

  it('reads an admin list of exact URIs, prefixes, hosts and loopback, and says which rule admitted a URI', () => {
    const policy = rules('https://app.example.com/oauth/callback, https://tools.example.com/cb/*, partner.example.org');
    expect(checkRedirectUri('https://app.example.com/oauth/callback', policy.redirectRules)).toMatchObject({
      ok: true,
      rule: { kind: 'exact' },
    });
    expect(checkRedirectUri('https://app.example.com/oauth/callback2', policy.redirectRules).ok).toBe(false);
    expect(checkRedirectUri('https://tools.example.com/cb/one/two', policy.redirectRules)).toMatchObject({
      ok: true,
      rule: { kind: 'prefix' },
    });
    expect(checkRedirectUri('https://tools.example.com/cb/one?x=1', policy.redirectRules).ok).toBe(false);
    // Hosts remain possible for admins who want them: any https path there.
    expect(checkRedirectUri('https://partner.example.org/any/path?q=1', policy.redirectRules)).toMatchObject({
      ok: true,
      rule: { kind: 'host' },
    });
    // Loopback only when listed.
    expect(redirectUriProblem('http://127.0.0.1:1/cb', policy)).toContain('loopback');
    expect(redirectUriProblem('https://claude.ai/api/mcp/auth_callback', policy)).toContain('does not allow');
  });

  it('refuses admin entries that would not pin a host, or that are not https', () => {
    for (const entry of [
      'https://chatgpt.com*',
      'https://chatgpt.com/a?b=*',
      'http://app.example.com/cb',
      'https://app.example.com:8443/cb',
      'ftp://x.example/y',
      'https://a.example/#x',
    ]) {
      expect(typeof parseRedirectRule(entry), entry).toBe('string');
    }
    expect(parsePolicy({ [policyKeys.redirectUris]: 'https://chatgpt.com*' }).problems).toHaveLength(1);
  });

  it('keeps a host list saved under the former setting, except the former default, which now means the exact callbacks', () => {
    expect(parsePolicy({ [formerPolicyKeys.redirectHosts]: 'chatgpt.com, claude.ai, claude.com, loopback' }).policy.redirectRules).toEqual(
      DEFAULT_POLICY.redirectRules,
    );
    const narrowed = parsePolicy({ [formerPolicyKeys.redirectHosts]: 'claude.ai' }).policy;
    expect(narrowed.redirectRules).toEqual([{ kind: 'host', host: 'claude.ai' }]);
    // The new setting wins once saved.
    expect(
      parsePolicy({ [formerPolicyKeys.redirectHosts]: 'claude.ai', [policyKeys.redirectUris]: 'loopback' }).policy.redirectRules,
    ).toEqual([{ kind: 'loopback' }]);
  });

  it('refuses other hosts, plain http, ports on public hosts, fragments and credentials', () => {
    for (const uri of [
      'https://evil.example/cb',
      'https://chatgpt.com.evil.example/cb',
      'http://chatgpt.com/connector/oauth/x',
      'https://chatgpt.com:8443/cb',
      'https://claude.ai/cb#x',
      'https://user:pw@claude.ai/cb',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(redirectUriProblem(uri, DEFAULT_POLICY)).not.toBeNull();
    }
    expect(redirectUriProblem('http://127.0.0.1:1/cb', rules('chatgpt.com'))).toContain('loopback');
  });

  it('matches exactly, except the port of loopback URIs', () => {
    expect(redirectUriMatches('https://claude.ai/api/mcp/auth_callback', 'https://claude.ai/api/mcp/auth_callback')).toBe(true);
    expect(redirectUriMatches('https://claude.ai/api/mcp/auth_callback', 'https://claude.ai/api/mcp/auth_callback/')).toBe(false);
    expect(redirectUriMatches('https://claude.ai/api/mcp/auth_callback', 'https://CLAUDE.ai/api/mcp/auth_callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1:1000/callback', 'http://127.0.0.1:2000/callback')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:2000/callback')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1:1000/callback', 'http://localhost:1000/callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1:1000/callback', 'http://127.0.0.1:1000/callback/../x')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1:1000/callback', 'http://127.0.0.1:1000/callback?x=1')).toBe(false);
  });
});
