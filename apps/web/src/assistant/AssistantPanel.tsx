// The chat panel: messages, product cards as links, suggestions, a "Message" box and "Send".
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../lib/api.js';
import { formatMoney } from '../lib/format.js';
import type { Money } from '../lib/types.js';

interface Card {
  id: string;
  slug: string;
  name: string;
  price: Money;
  image?: string;
  reason?: string;
}

interface Answer {
  conversationId: string;
  reply: string;
  products: Card[];
  suggestions?: string[];
}

interface Line {
  role: 'user' | 'assistant' | 'error';
  text: string;
  products?: Card[];
}

const CONVERSATION_KEY = 'mb.assistant.conversation';

export default function AssistantPanel({ onClose }: { onClose: () => void }) {
  const titleId = useId();
  const [lines, setLines] = useState<Line[]>([
    {
      role: 'assistant',
      text: 'Hi! Tell me what you are looking for, e.g. “a red backpack under $80”, or ask about an order.',
    },
  ]);
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    input.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls to the newest message on each one
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [lines]);

  const send = async (message: string) => {
    const m = message.trim();
    if (!m || busy) return;
    setText('');
    setSuggestions([]);
    setLines((l) => [...l, { role: 'user', text: m }]);
    setBusy(true);
    try {
      const conversationId = sessionStorage.getItem(CONVERSATION_KEY) ?? undefined;
      const answer = await api<Answer>('/api/assistant/chat', {
        method: 'POST',
        json: { message: m, ...(conversationId ? { conversationId } : {}) },
      });
      sessionStorage.setItem(CONVERSATION_KEY, answer.conversationId);
      setLines((l) => [...l, { role: 'assistant', text: answer.reply, products: answer.products }]);
      setSuggestions(answer.suggestions ?? []);
    } catch (err) {
      // an old conversation (another account, expired): start a new one next time
      if (err instanceof ApiError && err.status === 404) sessionStorage.removeItem(CONVERSATION_KEY);
      const text =
        err instanceof ApiError && err.status === 429
          ? 'That was a lot of questions at once. Wait a moment and ask again.'
          : err instanceof ApiError && (err.status === 404 || err.status >= 500 || err.status === 0)
            ? 'The assistant is unavailable right now. Try again shortly, or use the search.'
            : (err as Error).message;
      setLines((l) => [...l, { role: 'error', text }]);
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send(text);
  };

  return (
    <div className="assistant-panel" role="dialog" aria-modal="false" aria-labelledby={titleId}>
      <div className="assistant-head">
        <h2 id={titleId}>Shopping assistant</h2>
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </div>
      <ol className="assistant-messages" ref={list} aria-live="polite">
        {lines.map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a conversation only grows
          <li key={i} className={`msg msg-${l.role}`}>
            <p>{l.text}</p>
            {l.products && l.products.length > 0 && (
              <ul className="assistant-cards">
                {l.products.map((p) => (
                  <li key={p.id}>
                    <Link to={`/products/${p.slug}`} onClick={onClose}>
                      {p.image && <img src={p.image} alt="" width={56} height={56} loading="lazy" />}
                      <span>
                        <span className="assistant-card-name">{p.name}</span>
                        <span className="assistant-card-price">{formatMoney(p.price)}</span>
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
        {busy && (
          <li className="msg msg-assistant" aria-busy="true">
            <p className="muted">Thinking…</p>
          </li>
        )}
      </ol>
      {suggestions.length > 0 && (
        <ul className="chips assistant-suggestions">
          {suggestions.slice(0, 4).map((s) => (
            <li key={s}>
              <button type="button" className="chip" onClick={() => send(s)}>
                {s}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="assistant-form">
        <label htmlFor={`${titleId}-message`} className="visually-hidden">
          Message
        </label>
        <textarea
          id={`${titleId}-message`}
          ref={input}
          rows={2}
          maxLength={2000}
          value={text}
          placeholder="Ask about products or your orders"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              send(text);
            }
          }}
        />
        <button type="submit" className="btn btn-primary" disabled={busy || !text.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}
