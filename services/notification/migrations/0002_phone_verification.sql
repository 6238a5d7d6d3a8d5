-- No SMS goes to a number before its owner proves it is theirs with a one-time code; SMS per user per day are capped.
ALTER TABLE preferences ADD COLUMN phone_verified_at timestamptz;

-- One pending code per user, for the number it was sent to; only a hash is kept.
CREATE TABLE phone_verifications (
  user_id uuid PRIMARY KEY,
  phone text NOT NULL,
  code_hash text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- the daily caps count a user's SMS, and the codes sent to a number
CREATE INDEX deliveries_sms_user_idx ON deliveries (user_id, created_at) WHERE channel = 'sms';
CREATE INDEX deliveries_sms_recipient_idx ON deliveries (recipient, created_at) WHERE channel = 'sms';
