// The bearer check asks its verifiers in turn; the first that recognises a token decides about it.
import { describe, expect, it } from 'vitest';
import type { AccessTokenVerifier, McpIdentity, TokenVerdict, VerifyContext } from '../../../src/oauth/verifier.js';
import { verifyWithChain } from '../../../src/oauth/verifier.js';

const identity = (userId: string): McpIdentity => ({
  userId,
  clientId: 'c1',
  scopes: ['files.read'],
  grantId: null,
  issuer: 'https://idp.example.com',
  expiresAt: 0,
});
const context = { audiences: ['https://cloud.example.com/mcp'] } as VerifyContext;

function verifier(verdict: TokenVerdict, asked: string[], name: string): AccessTokenVerifier {
  return {
    verify: async () => {
      asked.push(name);
      return verdict;
    },
  };
}

describe('verifyWithChain', () => {
  it('passes a token its issuer does not recognise on to the next verifier', async () => {
    const asked: string[] = [];
    const verdict = await verifyWithChain(
      [verifier({ outcome: 'not_mine' }, asked, 'external'), verifier({ outcome: 'accepted', identity: identity('alice') }, asked, 'own')],
      'token',
      context,
    );
    expect(verdict).toEqual({ outcome: 'accepted', identity: identity('alice') });
    expect(asked).toEqual(['external', 'own']);
  });

  it('stops at the first verifier that recognises the token: its refusal is not overruled by a later acceptance', async () => {
    const asked: string[] = [];
    const verdict = await verifyWithChain(
      [
        verifier({ outcome: 'refused', description: 'the token has expired' }, asked, 'external'),
        verifier({ outcome: 'accepted', identity: identity('alice') }, asked, 'own'),
      ],
      'token',
      context,
    );
    expect(verdict).toEqual({ outcome: 'refused', description: 'the token has expired' });
    expect(asked).toEqual(['external']);
  });

  it('refuses a token that no verifier recognises', async () => {
    expect(await verifyWithChain([verifier({ outcome: 'not_mine' }, [], 'external')], 'token', context)).toEqual({
      outcome: 'refused',
      description: 'the token is not one this server accepts',
    });
  });
});
