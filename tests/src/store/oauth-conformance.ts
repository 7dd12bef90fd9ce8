// What any OAuthStore must do, written against the interface alone so every backend runs the same cases. Time is
// a clock the cases move by hand: expiry, the refresh grace window, throttling and pruning are all checked at
// their edges without waiting.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantRecord, OAuthStore } from '../../../src/store/oauth-store.js';

export interface FakeClock {
  /** Epoch milliseconds, like Date.now. */
  now: () => number;
  advance(ms: number): void;
}

/** A clock that stands still until moved; it starts on a whole second so second-based expiry has no rounding slack. */
export function fakeClock(startMs = Date.UTC(2030, 0, 1)): FakeClock {
  let at = startMs;
  return {
    now: () => at,
    advance(ms) {
      at += ms;
    },
  };
}

export interface StoreUnderTest {
  store: OAuthStore;
  close(): void;
}

/** The grace window the suite asks stores for, so the cases can step just inside and just past it. */
const GRACE_SECONDS = 10;
const CODE_TTL = 60;
const REFRESH_TTL = 3600;
const DAY = 24 * 3600;
const RESOURCE = 'https://nc.example/mcp';
const REDIRECT = 'http://127.0.0.1/cb';
const CHALLENGE = 'c'.repeat(43);

export function describeOAuthStoreConformance(
  name: string,
  make: (clock: FakeClock, options: { refreshReuseGraceSeconds: number }) => StoreUnderTest,
): void {
  describe(`OAuth store conformance: ${name}`, () => {
    let clock: FakeClock;
    let subject: StoreUnderTest;
    let store: OAuthStore;

    beforeEach(() => {
      clock = fakeClock();
      subject = make(clock, { refreshReuseGraceSeconds: GRACE_SECONDS });
      store = subject.store;
    });
    afterEach(() => subject.close());

    const seconds = () => Math.floor(clock.now() / 1000);
    const wait = (secondsToPass: number) => clock.advance(secondsToPass * 1000);
    const client = (clientId: string) => ({
      clientId,
      kind: 'dynamic' as const,
      clientName: `name of ${clientId}`,
      redirectUris: [REDIRECT],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      secretHash: null,
    });
    const grantFor = (clientId: string, userId = 'alice', scopes = ['files.read']) =>
      store.createGrant({ userId, clientId, clientName: `name of ${clientId}`, scopes, resource: RESOURCE, redirectUri: REDIRECT });
    const codeFor = (grant: GrantRecord, ttlSeconds = CODE_TTL) =>
      store.insertCode({
        grantId: grant.id,
        clientId: grant.clientId,
        redirectUri: REDIRECT,
        codeChallenge: CHALLENGE,
        resource: RESOURCE,
        ttlSeconds,
      });
    const accept = () => null;
    /** A connection: a grant whose code was redeemed (without a refresh token unless one is asked for). */
    const connectionFor = (clientId: string, userId = 'alice', refreshTtlSeconds: number | null = null) => {
      const redeemed = store.redeemCode(codeFor(grantFor(clientId, userId)), clientId, refreshTtlSeconds, accept);
      if (redeemed.status !== 'ok') throw new Error(`sign-in failed: ${redeemed.status}`);
      return redeemed;
    };
    /** A signed-in client: its grant and the refresh token the code gave it. */
    const signIn = (clientId = 'c1', refreshTtlSeconds = REFRESH_TTL) => {
      if (!store.getClient(clientId)) store.insertClient(client(clientId));
      const { grant, refreshToken } = connectionFor(clientId, 'alice', refreshTtlSeconds);
      if (!refreshToken) throw new Error('sign-in gave no refresh token');
      return { grant, refreshToken };
    };
    const rotate = (token: string, clientId = 'c1', refreshTtlSeconds = REFRESH_TTL) => {
      const rotated = store.rotateRefreshToken(token, clientId, refreshTtlSeconds);
      if (rotated.status !== 'ok') throw new Error(`rotation failed: ${rotated.status}`);
      return rotated.refreshToken;
    };
    const isActive = (grantId: string) => store.getGrant(grantId)?.revokedAt === null;

    describe('clients', () => {
      it('returns a registered client as it was registered, stamped with the registration time', () => {
        const registered = { ...client('c1'), tokenEndpointAuthMethod: 'client_secret_post', secretHash: 'hash-of-secret' };
        expect(store.insertClient(registered)).toEqual({ ...registered, createdAt: seconds() });
        wait(5);
        expect(store.getClient('c1')).toEqual({ ...registered, createdAt: seconds() - 5 });
      });

      it('knows no client it was not given', () => {
        store.insertClient(client('c1'));
        expect(store.getClient('c2')).toBeUndefined();
      });

      it('updates a client seen again under the same id, keeping the time it was first seen', () => {
        const first = { ...client('https://app.example/client.json'), kind: 'document' as const };
        store.insertClient(first);
        const firstSeen = seconds();
        wait(3600);
        const again = { ...first, clientName: 'renamed', redirectUris: ['https://app.example/cb'], grantTypes: ['authorization_code'] };
        store.insertClient(again);
        expect(store.getClient(first.clientId)).toEqual({ ...again, createdAt: firstSeen });
      });

      it('keeps only the newest clients that never obtained a grant, and says how many went', () => {
        // A grant, even a revoked one, makes a client claimed: it neither counts towards the cap nor goes.
        store.insertClient(client('claimed'));
        store.revokeGrant(grantFor('claimed').id, 'test');
        for (const id of ['u1', 'u2', 'u3', 'u4']) {
          wait(1);
          store.insertClient(client(id));
        }
        expect(store.capUnclaimedClients(5)).toBe(0);
        expect(store.capUnclaimedClients(2)).toBe(2);
        expect(['claimed', 'u1', 'u2', 'u3', 'u4'].filter((id) => store.getClient(id))).toEqual(['claimed', 'u3', 'u4']);
      });

      it('orders clients registered within the same second by registration when capping', () => {
        for (const id of ['a', 'b', 'c']) store.insertClient(client(id));
        expect(store.capUnclaimedClients(1)).toBe(2);
        expect(['a', 'b', 'c'].filter((id) => store.getClient(id))).toEqual(['c']);
      });
    });

    describe('grants', () => {
      it('creates a grant stamped with the creation time, not yet used or revoked', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1', 'alice', ['files.read', 'calendar.read']);
        expect(grant).toEqual({
          establishedAt: null,
          id: expect.any(String),
          userId: 'alice',
          clientId: 'c1',
          clientName: 'name of c1',
          scopes: ['files.read', 'calendar.read'],
          resource: RESOURCE,
          redirectUri: REDIRECT,
          createdAt: seconds(),
          lastUsedAt: null,
          revokedAt: null,
          revokedReason: null,
        });
        expect(store.getGrant(grant.id)).toEqual(grant);
        expect(grantFor('c1').id).not.toBe(grant.id);
      });

      it('keeps an empty scope list empty', () => {
        store.insertClient(client('c1'));
        expect(store.getGrant(grantFor('c1', 'alice', []).id)?.scopes).toEqual([]);
      });

      it('knows no grant it did not create', () => {
        expect(store.getGrant('no-such-grant')).toBeUndefined();
      });

      it("lists a user's connections newest first, without other users' or revoked ones", () => {
        store.insertClient(client('c1'));
        const { grant: older } = connectionFor('c1');
        wait(1);
        const { grant: revoked } = connectionFor('c1');
        store.revokeGrant(revoked.id, 'test');
        wait(1);
        const { grant: newer } = connectionFor('c1');
        connectionFor('c1', 'bob');
        expect(store.activeGrants('alice').map((grant) => grant.id)).toEqual([newer.id, older.id]);
      });

      it('makes a grant a connection only once its code is redeemed, and keeps the moment', () => {
        store.insertClient(client('c1'));
        const consented = grantFor('c1');
        expect(consented.establishedAt).toBeNull();
        const code = codeFor(consented);
        expect(store.activeGrants('alice')).toEqual([]);
        expect(store.allActiveGrants()).toEqual([]);
        wait(3);
        const redeemed = store.redeemCode(code, 'c1', null, accept);
        expect(redeemed).toMatchObject({ status: 'ok', grant: { id: consented.id, establishedAt: seconds(), revokedAt: null } });
        expect(store.activeGrants('alice').map((grant) => grant.id)).toEqual([consented.id]);
        expect(store.allActiveGrants().map((grant) => grant.id)).toEqual([consented.id]);
        expect(store.getGrant(consented.id)?.establishedAt).toBe(seconds());
      });

      it('drops a consent whose code expired unredeemed, and keeps one whose code can still be redeemed', () => {
        store.insertClient(client('c1'));
        const abandoned = grantFor('c1');
        codeFor(abandoned, 5);
        const pending = grantFor('c1', 'bob');
        const pendingCode = codeFor(pending, 120);
        const expired = grantFor('c1', 'carol');
        const expiredCode = codeFor(expired, 5);
        wait(6);
        // Coming too late spends the code without making a connection.
        expect(store.redeemCode(expiredCode, 'c1', null, accept)).toEqual({ status: 'expired' });
        expect(store.prune()).toBe(4);
        expect(store.getGrant(abandoned.id)).toBeUndefined();
        expect(store.getGrant(expired.id)).toBeUndefined();
        expect(store.redeemCode(expiredCode, 'c1', null, accept)).toEqual({ status: 'unknown' });
        expect(store.redeemCode(pendingCode, 'c1', null, accept)).toMatchObject({ status: 'ok', grant: { id: pending.id } });
        expect(store.activeGrants('bob').map((grant) => grant.id)).toEqual([pending.id]);
        // A connection is never dropped for lack of codes.
        wait(2 * DAY);
        store.prune();
        expect(store.getGrant(pending.id)).toMatchObject({ revokedAt: null });
      });

      it('lists every connection by last use (or creation, if never used), newest first, up to the limit', () => {
        store.insertClient(client('c1'));
        const { grant: usedLongAgo } = connectionFor('c1', 'alice');
        wait(10);
        const { grant: neverUsed } = connectionFor('c1', 'bob');
        const { grant: revoked } = connectionFor('c1', 'carol');
        store.revokeGrant(revoked.id, 'test');
        wait(10);
        store.touchGrant(usedLongAgo.id);
        expect(store.allActiveGrants().map((grant) => grant.id)).toEqual([usedLongAgo.id, neverUsed.id]);
        expect(store.allActiveGrants(1).map((grant) => grant.id)).toEqual([usedLongAgo.id]);
      });
    });

    describe('revocation', () => {
      it('revokes a grant at once, stamped and with its reason, and only the first time', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        wait(7);
        expect(store.revokeGrant(grant.id, 'revoked by the person')).toBe(true);
        const revokedAt = seconds();
        expect(store.getGrant(grant.id)).toMatchObject({ revokedAt, revokedReason: 'revoked by the person' });
        wait(7);
        expect(store.revokeGrant(grant.id, 'again')).toBe(false);
        expect(store.getGrant(grant.id)).toMatchObject({ revokedAt, revokedReason: 'revoked by the person' });
        expect(store.revokeGrant('no-such-grant', 'test')).toBe(false);
      });

      it("revokes one user's grants of one client, and says how many", () => {
        store.insertClient(client('c1'));
        store.insertClient(client('c2'));
        const mine = [grantFor('c1'), grantFor('c1')];
        const otherClient = grantFor('c2');
        const otherUser = grantFor('c1', 'bob');
        expect(store.revokeClientGrants('alice', 'c1', 'disconnected')).toBe(2);
        for (const grant of mine) expect(store.getGrant(grant.id)).toMatchObject({ revokedAt: seconds(), revokedReason: 'disconnected' });
        expect(isActive(otherClient.id)).toBe(true);
        expect(isActive(otherUser.id)).toBe(true);
        expect(store.revokeClientGrants('alice', 'c1', 'disconnected')).toBe(0);
      });

      it('refuses the refresh tokens of a revoked grant, fresh or already rotated, keeping the reason', () => {
        const { grant, refreshToken } = signIn();
        const successor = rotate(refreshToken);
        store.revokeGrant(grant.id, 'revoked by the person');
        expect(store.rotateRefreshToken(successor, 'c1', REFRESH_TTL)).toEqual({ status: 'revoked' });
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'revoked' });
        expect(store.getGrant(grant.id)?.revokedReason).toBe('revoked by the person');
      });

      it('refuses a code whose grant was revoked before it was redeemed', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        store.revokeGrant(grant.id, 'revoked by the person');
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept)).toEqual({ status: 'unknown' });
        expect(store.activeGrants('alice')).toEqual([]);
      });

      it("revokes the grant of a client's own refresh token (RFC 7009), and nothing for another client or an unknown token", () => {
        const { grant, refreshToken } = signIn();
        store.insertClient(client('c2'));
        expect(store.revokeRefreshToken(refreshToken, 'c2')).toBe(false);
        expect(isActive(grant.id)).toBe(true);
        expect(store.revokeRefreshToken('mgr_unknown', 'c1')).toBe(false);
        wait(3);
        expect(store.revokeRefreshToken(refreshToken, 'c1')).toBe(true);
        expect(store.getGrant(grant.id)).toMatchObject({ revokedAt: seconds(), revokedReason: 'revoked by the client' });
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'revoked' });
      });
    });

    describe('recording use', () => {
      it('records a use at once, then at most once a minute', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        wait(5);
        store.touchGrant(grant.id);
        const firstUse = seconds();
        expect(store.getGrant(grant.id)?.lastUsedAt).toBe(firstUse);
        wait(59);
        store.touchGrant(grant.id);
        expect(store.getGrant(grant.id)?.lastUsedAt).toBe(firstUse);
        wait(1);
        store.touchGrant(grant.id);
        expect(store.getGrant(grant.id)?.lastUsedAt).toBe(firstUse + 60);
      });

      it('throttles each grant on its own', () => {
        store.insertClient(client('c1'));
        const first = grantFor('c1');
        const second = grantFor('c1', 'bob');
        store.touchGrant(first.id);
        wait(10);
        store.touchGrant(second.id);
        expect(store.getGrant(second.id)?.lastUsedAt).toBe(seconds());
      });
    });

    describe('authorization codes', () => {
      it('redeems a code once for its client, showing the check its binding and issuing a refresh token of the grant', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const check = vi.fn(accept);
        const redeemed = store.redeemCode(codeFor(grant), 'c1', REFRESH_TTL, check);
        expect(check).toHaveBeenCalledExactlyOnceWith({ codeChallenge: CHALLENGE, redirectUri: REDIRECT, resource: RESOURCE });
        expect(redeemed).toEqual({
          status: 'ok',
          grant: { ...grant, establishedAt: seconds() },
          refreshToken: expect.stringMatching(/.{32,}/),
        });
        const refreshToken = redeemed.status === 'ok' ? redeemed.refreshToken! : '';
        expect(store.refreshTokenGrant(refreshToken, 'c1')?.id).toBe(grant.id);
      });

      it('issues no refresh token when the client gets none', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const redeemed = store.redeemCode(codeFor(grant), 'c1', null, accept);
        expect(redeemed.status).toBe('ok');
        expect(redeemed.status === 'ok' && redeemed.refreshToken).toBeUndefined();
      });

      it('knows no code it did not issue, and does not ask the check about it', () => {
        const check = vi.fn(accept);
        expect(store.redeemCode('mgc_unknown', 'c1', REFRESH_TTL, check)).toEqual({ status: 'unknown' });
        expect(check).not.toHaveBeenCalled();
      });

      it("refuses another client's code without spending it or revoking anything", () => {
        store.insertClient(client('c1'));
        store.insertClient(client('c2'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        expect(store.redeemCode(code, 'c2', REFRESH_TTL, accept)).toEqual({ status: 'wrong_client' });
        expect(isActive(grant.id)).toBe(true);
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept).status).toBe('ok');
      });

      it('accepts a code until its lifetime has passed', () => {
        store.insertClient(client('c1'));
        const code = codeFor(grantFor('c1'));
        wait(CODE_TTL);
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept).status).toBe('ok');
      });

      it('refuses an expired code without asking the check, and spends it: trying again is a replay', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        wait(CODE_TTL + 1);
        const check = vi.fn(accept);
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, check)).toEqual({ status: 'expired' });
        expect(check).not.toHaveBeenCalled();
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept)).toEqual({ status: 'replayed' });
        expect(isActive(grant.id)).toBe(false);
      });

      it('spends a code the check refuses and revokes its grant, giving the reason', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, () => 'PKCE verification failed')).toEqual({
          status: 'rejected',
          description: 'PKCE verification failed',
        });
        expect(store.getGrant(grant.id)).toMatchObject({
          revokedAt: seconds(),
          revokedReason: 'authorization code misused: PKCE verification failed',
        });
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept)).toEqual({ status: 'replayed' });
      });

      it('revokes the grant, and so the refresh token it issued, when a used code comes back', () => {
        store.insertClient(client('c1'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        const redeemed = store.redeemCode(code, 'c1', REFRESH_TTL, accept);
        const refreshToken = redeemed.status === 'ok' ? redeemed.refreshToken! : '';
        wait(30);
        expect(store.redeemCode(code, 'c1', REFRESH_TTL, accept)).toEqual({ status: 'replayed' });
        expect(store.getGrant(grant.id)).toMatchObject({ revokedAt: seconds(), revokedReason: 'authorization code replayed' });
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'revoked' });
      });

      it('answers another client presenting a used code as the wrong client, revoking nothing', () => {
        store.insertClient(client('c1'));
        store.insertClient(client('c2'));
        const grant = grantFor('c1');
        const code = codeFor(grant);
        store.redeemCode(code, 'c1', REFRESH_TTL, accept);
        expect(store.redeemCode(code, 'c2', REFRESH_TTL, accept)).toEqual({ status: 'wrong_client' });
        expect(isActive(grant.id)).toBe(true);
      });
    });

    describe('refresh tokens', () => {
      it('rotates a refresh token into a new one of the same grant', () => {
        const { grant, refreshToken } = signIn();
        const rotated = store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL);
        expect(rotated).toEqual({ status: 'ok', grant, refreshToken: expect.any(String) });
        const successor = rotated.status === 'ok' ? rotated.refreshToken : '';
        expect(successor).not.toBe(refreshToken);
        expect(store.refreshTokenGrant(successor, 'c1')?.id).toBe(grant.id);
        expect(rotate(successor)).not.toBe(successor);
      });

      it('knows no refresh token it did not issue', () => {
        expect(store.rotateRefreshToken('mgr_unknown', 'c1', REFRESH_TTL)).toEqual({ status: 'unknown' });
      });

      it("refuses another client's refresh token without spending it or revoking anything, even within the grace", () => {
        const { grant, refreshToken } = signIn();
        store.insertClient(client('c2'));
        expect(store.rotateRefreshToken(refreshToken, 'c2', REFRESH_TTL)).toEqual({ status: 'wrong_client' });
        const successor = rotate(refreshToken);
        expect(store.rotateRefreshToken(refreshToken, 'c2', REFRESH_TTL)).toEqual({ status: 'wrong_client' });
        expect(isActive(grant.id)).toBe(true);
        expect(rotate(refreshToken)).toBe(successor);
      });

      it('accepts a refresh token until its lifetime has passed; the successor lives as long as the rotation asked', () => {
        const { grant, refreshToken } = signIn('c1', 100);
        wait(100);
        const successor = rotate(refreshToken, 'c1', 50);
        wait(51);
        expect(store.rotateRefreshToken(successor, 'c1', REFRESH_TTL)).toEqual({ status: 'expired' });
        // An expired token is not spent: it stays expired, and is no reason to revoke anything.
        expect(store.rotateRefreshToken(successor, 'c1', REFRESH_TTL)).toEqual({ status: 'expired' });
        expect(isActive(grant.id)).toBe(true);
      });

      it('gives a retry within the grace window the very successor it gave before, without forking the family', () => {
        const { grant, refreshToken } = signIn();
        const successor = rotate(refreshToken);
        expect(rotate(refreshToken)).toBe(successor);
        wait(GRACE_SECONDS);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'ok', grant, refreshToken: successor });
        expect(isActive(grant.id)).toBe(true);
        expect(rotate(successor)).not.toBe(successor);
      });

      it('revokes the whole grant when a rotated token comes back after the grace window', () => {
        const { grant, refreshToken } = signIn();
        const successor = rotate(refreshToken);
        wait(GRACE_SECONDS + 1);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'reused' });
        expect(store.getGrant(grant.id)).toMatchObject({ revokedAt: seconds(), revokedReason: 'refresh token reused' });
        expect(store.rotateRefreshToken(successor, 'c1', REFRESH_TTL)).toEqual({ status: 'revoked' });
      });

      it('treats a retry within the grace as reuse once the successor has been used', () => {
        const { grant, refreshToken } = signIn();
        const successor = rotate(refreshToken);
        rotate(successor);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'reused' });
        expect(store.getGrant(grant.id)?.revokedReason).toBe('refresh token reused');
      });

      it('gives a retry within the grace no successor that has expired meanwhile, and revokes nothing', () => {
        const { grant, refreshToken } = signIn();
        const successor = rotate(refreshToken, 'c1', 1);
        wait(2);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'expired' });
        expect(store.rotateRefreshToken(successor, 'c1', REFRESH_TTL)).toEqual({ status: 'expired' });
        expect(isActive(grant.id)).toBe(true);
      });

      it('treats a retry within the grace as reuse once the successor has expired and been pruned', () => {
        const { grant, refreshToken } = signIn();
        rotate(refreshToken, 'c1', 1);
        wait(2);
        expect(store.prune()).toBe(1);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'reused' });
        expect(isActive(grant.id)).toBe(false);
      });

      it("tells the grant of a client's refresh token without spending it, and nothing to another client", () => {
        const { grant, refreshToken } = signIn();
        store.insertClient(client('c2'));
        expect(store.refreshTokenGrant(refreshToken, 'c1')).toEqual(grant);
        expect(store.refreshTokenGrant(refreshToken, 'c2')).toBeUndefined();
        expect(store.refreshTokenGrant('mgr_unknown', 'c1')).toBeUndefined();
        rotate(refreshToken);
        wait(GRACE_SECONDS + 1);
        // Rotated and revoked tokens still lead to their grant, whose state says the rest.
        store.revokeGrant(grant.id, 'test');
        expect(store.refreshTokenGrant(refreshToken, 'c1')).toMatchObject({ id: grant.id, revokedAt: seconds() });
      });
    });

    describe('pending requests', () => {
      it('keeps a request for the user it was made for, readable until taken', () => {
        const id = store.insertPending('alice', { client_id: 'c1', state: 'xyz' }, 600);
        const pending = { id, userId: 'alice', request: { client_id: 'c1', state: 'xyz' }, expiresAt: seconds() + 600 };
        expect(store.readPending(id, 'bob')).toBeUndefined();
        expect(store.readPending(id, 'alice')).toEqual(pending);
        expect(store.takePending(id, 'bob')).toBeUndefined();
        expect(store.takePending(id, 'alice')).toEqual(pending);
        expect(store.readPending(id, 'alice')).toBeUndefined();
        expect(store.takePending(id, 'alice')).toBeUndefined();
      });

      it('keeps a request made before anyone signed in under the empty user', () => {
        const id = store.insertPending('', { state: 'xyz' }, 600);
        expect(store.readPending(id, '')?.request).toEqual({ state: 'xyz' });
        expect(store.readPending(id, 'alice')).toBeUndefined();
      });

      it('gives a request out until its lifetime has passed, then neither reads nor takes it', () => {
        const id = store.insertPending('alice', {}, 600);
        wait(600);
        expect(store.readPending(id, 'alice')).toBeDefined();
        wait(1);
        expect(store.readPending(id, 'alice')).toBeUndefined();
        expect(store.takePending(id, 'alice')).toBeUndefined();
      });
    });

    describe('pruning', () => {
      it('drops expired pending requests and refresh tokens, only once expired, and counts them', () => {
        const { grant, refreshToken } = signIn('c1', 100);
        store.insertPending('alice', {}, 100);
        wait(100);
        expect(store.prune()).toBe(0);
        expect(store.refreshTokenGrant(refreshToken, 'c1')?.id).toBe(grant.id);
        wait(1);
        expect(store.prune()).toBe(2);
        expect(store.rotateRefreshToken(refreshToken, 'c1', REFRESH_TTL)).toEqual({ status: 'unknown' });
        expect(store.prune()).toBe(0);
      });

      it('keeps codes a day past their expiry, so a replay is still caught, then drops them', () => {
        store.insertClient(client('c1'));
        const kept = grantFor('c1');
        const replayed = grantFor('c1');
        const keptCode = codeFor(kept);
        const replayedCode = codeFor(replayed);
        store.redeemCode(keptCode, 'c1', null, accept);
        store.redeemCode(replayedCode, 'c1', null, accept);
        wait(CODE_TTL + DAY);
        expect(store.prune()).toBe(0);
        expect(store.redeemCode(replayedCode, 'c1', null, accept)).toEqual({ status: 'replayed' });
        wait(1);
        expect(store.prune()).toBe(2);
        expect(store.redeemCode(keptCode, 'c1', null, accept)).toEqual({ status: 'unknown' });
        expect(isActive(kept.id)).toBe(true);
      });

      it('drops a client that never obtained a grant once a day has passed', () => {
        store.insertClient(client('unclaimed'));
        wait(DAY);
        expect(store.prune()).toBe(0);
        wait(1);
        expect(store.prune()).toBe(1);
        expect(store.getClient('unclaimed')).toBeUndefined();
      });

      it('drops a client without an active grant once a week has passed, and keeps one with an active grant', () => {
        for (const id of ['revoked', 'active']) store.insertClient(client(id));
        store.revokeGrant(connectionFor('revoked').grant.id, 'test');
        connectionFor('active');
        wait(2 * DAY);
        // The two spent codes, kept a day for replay detection.
        expect(store.prune()).toBe(2);
        wait(5 * DAY);
        expect(store.prune()).toBe(0);
        wait(1);
        expect(store.prune()).toBe(1);
        expect(store.getClient('revoked')).toBeUndefined();
        wait(30 * DAY);
        expect(store.prune()).toBe(0);
        expect(store.getClient('active')).toBeDefined();
      });
    });

    describe('signing keys', () => {
      const key = (kid: string) => ({ kid, alg: 'ES256', privateJwk: `{"kid":"${kid}","d":"secret"}`, publicJwk: `{"kid":"${kid}"}` });

      it('has no key until one is stored, then gives the newest, never replacing a stored one', () => {
        expect(store.getSigningKey()).toBeUndefined();
        store.insertSigningKey(key('k1'));
        expect(store.getSigningKey()).toEqual(key('k1'));
        wait(1);
        store.insertSigningKey(key('k2'));
        expect(store.getSigningKey()).toEqual(key('k2'));
        wait(1);
        store.insertSigningKey({ ...key('k1'), privateJwk: '{"kid":"k1","d":"other"}' });
        expect(store.getSigningKey()).toEqual(key('k2'));
      });
    });
  });
}
