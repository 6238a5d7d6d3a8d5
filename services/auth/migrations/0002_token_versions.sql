-- Access tokens carry the user's token version (`ver`); disabling, demoting or resetting a user bumps it,
-- and the auth service publishes the bumps of the last hour so every verifier refuses older tokens.
ALTER TABLE users
  ADD COLUMN token_version integer NOT NULL DEFAULT 0,
  ADD COLUMN tokens_revoked_at timestamptz;
CREATE INDEX users_tokens_revoked_idx ON users (tokens_revoked_at) WHERE tokens_revoked_at IS NOT NULL;
