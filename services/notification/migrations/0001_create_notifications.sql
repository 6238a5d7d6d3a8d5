-- Read models fed by events, preferences, stored in-app notices and the email/SMS delivery queue.

-- Who to write to: learned from user.* events and from the access tokens users call us with.
CREATE TABLE recipients (
  user_id uuid PRIMARY KEY,
  email text,
  name text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Orders as the order events describe them, so shipped/delivered/payment mails can show the lines.
CREATE TABLE orders (
  order_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  items jsonb NOT NULL DEFAULT '[]',
  total jsonb,
  status text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per user who changed something; defaults apply to everyone else.
CREATE TABLE preferences (
  user_id uuid PRIMARY KEY,
  email boolean NOT NULL,
  sms boolean NOT NULL,
  in_app boolean NOT NULL,
  phone text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- In-app notices. seq orders a user's notices and is the stream's event id (Last-Event-ID replay).
CREATE TABLE notices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  user_id uuid NOT NULL,
  event_id uuid NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, user_id)
);
CREATE INDEX notices_user_seq_idx ON notices (user_id, seq DESC);
CREATE INDEX notices_unread_idx ON notices (user_id, seq DESC) WHERE read_at IS NULL;

-- Emails and SMS to send, rendered when the event was handled. The dispatcher claims due rows
-- (SKIP LOCKED, with a lease), sends, and records the outcome; sensitive content is wiped once final.
CREATE TABLE deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  user_id uuid,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient text NOT NULL,
  subject text,
  body_text text,
  body_html text,
  sensitive boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  provider_id text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  -- a password reset link is useless after it expires: not sent past this
  expires_at timestamptz,
  correlation_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  failed_at timestamptz,
  UNIQUE (event_id, channel, recipient)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased_idx ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_failed_idx ON deliveries (failed_at DESC, id DESC) WHERE status = 'failed';
