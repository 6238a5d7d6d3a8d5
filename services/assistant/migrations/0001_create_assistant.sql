-- The assistant's read model of the catalog (with one vector per product), what it learns from
-- orders, its conversations and the hand-over requests.

-- Products as the product service last described them. Two clocks: content_at for what was read
-- from the product API (name... vector), snapshot_at for price, stock and status, which events also
-- carry; a write only applies over an older one. changed_xid is the writing transaction, the
-- change feed every instance's in-memory index follows (see store/catalog.ts).
CREATE TABLE products (
  id uuid PRIMARY KEY,
  slug text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  category text,
  attributes jsonb NOT NULL DEFAULT '{}',
  price_amount bigint NOT NULL,
  currency text NOT NULL,
  stock integer NOT NULL DEFAULT 0,
  status text NOT NULL,
  seller_id uuid NOT NULL,
  image text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  content_hash text NOT NULL,
  model text NOT NULL,
  vector real[] NOT NULL,
  content_at timestamptz NOT NULL,
  snapshot_at timestamptz NOT NULL,
  changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX products_changed_xid ON products (changed_xid);
CREATE INDEX products_content_hash ON products (model, content_hash);

CREATE TABLE categories (
  slug text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- Products to read again from the product service and embed (a created or edited product).
CREATE TABLE reindex_queue (
  product_id uuid PRIMARY KEY,
  requested_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  not_before timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reindex_queue_due ON reindex_queue (not_before);

-- The backfill from the product API: one row, the cursor of the next page to read, a lease so one
-- instance at a time does it.
CREATE TABLE backfill (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  status text NOT NULL CHECK (status IN ('running', 'done')),
  next_cursor text,
  pages integer NOT NULL DEFAULT 0,
  products integer NOT NULL DEFAULT 0,
  owner text,
  lease_until timestamptz,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- From order.confirmed: how often two products were in one order, and how often each was bought.
CREATE TABLE co_purchases (
  product_id uuid NOT NULL,
  other_id uuid NOT NULL,
  orders integer NOT NULL DEFAULT 0,
  PRIMARY KEY (product_id, other_id)
);
CREATE TABLE product_sales (
  product_id uuid PRIMARY KEY,
  orders integer NOT NULL DEFAULT 0,
  units integer NOT NULL DEFAULT 0,
  last_at timestamptz NOT NULL DEFAULT now()
);

-- Conversations: owner_id null for a guest's (whoever holds the id). state = the memory of the
-- last search, the products shown and an action waiting for a yes.
CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  owner_id uuid,
  state jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX conversations_expires_at ON conversations (expires_at);
CREATE INDEX conversations_owner ON conversations (owner_id, updated_at DESC);

CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  text text NOT NULL,
  intent text,
  products jsonb,
  actions jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Requests for a person. The transcript is copied so support can read it after the conversation expires.
CREATE TABLE handoffs (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  user_id uuid,
  email text,
  message text NOT NULL,
  transcript jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  -- milliseconds, as the page cursor carries them
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX handoffs_created ON handoffs (created_at DESC, id DESC);
