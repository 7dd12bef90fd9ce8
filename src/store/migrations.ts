// Append-only: never edit a migration that has shipped; add a new one.
export interface Migration {
  id: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    id: '0001_app_meta',
    sql: `CREATE TABLE app_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  },
  {
    // OAuth: registered clients, grants (one per authorization: the consent and its token family), one-time
    // codes, refresh tokens and pending consent requests. Codes and refresh tokens are stored only as hashes.
    id: '0002_oauth',
    sql: `
CREATE TABLE oauth_signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('dynamic', 'document')),
  client_name TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  token_endpoint_auth_method TEXT NOT NULL,
  secret_hash TEXT,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  client_name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  resource TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  revoked_reason TEXT
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, client_id);
CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants (id),
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  resource TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants (id),
  client_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);
CREATE TABLE oauth_pending (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  request TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
  {
    // Audit log of tool calls: who, through which client, which tool, on what (a path or id, never content),
    // how it ended and how long it took.
    id: '0003_audit',
    sql: `
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'failed', 'refused')),
  error_code TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
`,
  },
  {
    // A rotated refresh token remembers its successor (hash, and the token sealed under a key only the old token
    // opens) so a retry within the grace window gets the same one. Grants by client, for the registration cap.
    id: '0004_refresh_successor',
    sql: `
ALTER TABLE oauth_refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE oauth_refresh_tokens ADD COLUMN successor_sealed TEXT;
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);
CREATE INDEX oauth_clients_created ON oauth_clients (created_at);
`,
  },
  {
    // A grant is a connection once its code has been redeemed; a consent whose code never was is not one. Grants
    // from before cannot tell and are taken as connections: hiding a real one would be worse.
    id: '0005_grant_established',
    sql: `
ALTER TABLE oauth_grants ADD COLUMN established_at INTEGER;
UPDATE oauth_grants SET established_at = created_at;
`,
  },
];
