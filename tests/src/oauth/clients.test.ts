import { describe, expect, it } from 'vitest';
import { redirectUriMatches, redirectUriProblem } from '../../../src/oauth/clients.js';
import { DEFAULT_REDIRECT_HOSTS } from '../../../src/policy/policy.js';

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
      expect(redirectUriProblem(uri, DEFAULT_REDIRECT_HOSTS)).toBeNull();
    }
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
      expect(redirectUriProblem(uri, DEFAULT_REDIRECT_HOSTS)).not.toBeNull();
    }
    expect(redirectUriProblem('http://127.0.0.1:1/cb', ['chatgpt.com'])).toContain('loopback');
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
