// A chat turn: the conversation (owner only), the answer (language model when configured, else or on
// any failure of it the offline assistant), and the turn stored with the conversation's new memory.
import { randomUUID } from 'node:crypto';
import { type Db, type Logger, NotFound, type Principal, Unauthorized } from '@microbazaar/kit';
import type { ProductCard } from '../domain/catalog.js';
import { emptyState } from '../domain/conversation.js';
import type { Intent } from '../domain/intents.js';
import { type ChatAction, type Conversation, conversationsStore, type StoredMessage } from '../store/conversations.js';
import { answerOffline, type TurnContext, type TurnResult } from './offline.js';
import type { Interpreted } from './search.js';
import type { Caller, Tools } from './tools.js';

export interface ChatResponse {
  conversationId: string;
  reply: string;
  intent: Intent;
  products: ProductCard[];
  filters?: Interpreted;
  actions?: ChatAction[];
  suggestions?: string[];
}

/** A language model answering with the same tools; undefined means "could not", and the offline path answers. */
export interface ModelAgent {
  answer(tools: Tools, ctx: TurnContext): Promise<TurnResult | undefined>;
}

export interface Chat {
  turn(input: { message: string; conversationId?: string | undefined; caller: Caller }): Promise<ChatResponse>;
  /** the conversation's messages, for its owner only */
  read(
    id: string,
    principal: Principal | null,
  ): Promise<{ id: string; messages: Array<StoredMessage & { at: string }> }>;
  deleteExpired(): Promise<number>;
}

const notFound = () => new NotFound('Conversation not found', 'CONVERSATION_NOT_FOUND');

export function createChat(deps: {
  db: Db;
  tools: Tools;
  logger: Logger;
  ttlMs: number;
  model?: ModelAgent | undefined;
}): Chat {
  const store = conversationsStore(deps.db);

  /** The caller's conversation: someone else's (or an expired one) is "not found". */
  async function open(id: string | undefined, principal: Principal | null): Promise<Conversation> {
    // a new conversation is stored with its first turn
    if (!id) return { id: randomUUID(), ownerId: principal?.userId ?? null, state: emptyState(), expiresAt: '' };
    const found = await store.get(id);
    if (!found) throw notFound();
    if (found.ownerId !== null && found.ownerId !== principal?.userId) throw notFound();
    // a guest who signed in keeps their conversation (stored with the turn)
    if (found.ownerId === null && principal) found.ownerId = principal.userId;
    return found;
  }

  return {
    async turn({ message, conversationId, caller }) {
      const conversation = await open(conversationId, caller.principal);
      const ctx: TurnContext = {
        message,
        state: conversation.state,
        caller,
        conversationId: conversation.id,
        history: async () => [...(await store.messages(conversation.id, 20)), { role: 'user', text: message }],
      };
      let result: TurnResult | undefined;
      if (deps.model) {
        try {
          result = await deps.model.answer(deps.tools, ctx);
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message }, 'language model failed; answering offline');
        }
      }
      result ??= await answerOffline(deps.tools, ctx);
      await store.saveTurn(
        conversation.id,
        conversation.ownerId,
        result.state,
        [
          { role: 'user', text: message },
          {
            role: 'assistant',
            text: result.reply,
            intent: result.intent,
            products: result.products,
            ...(result.actions ? { actions: result.actions } : {}),
          },
        ],
        deps.ttlMs,
      );
      return {
        conversationId: conversation.id,
        reply: result.reply,
        intent: result.intent,
        products: result.products,
        ...(result.filters ? { filters: result.filters } : {}),
        ...(result.actions ? { actions: result.actions } : {}),
        ...(result.suggestions ? { suggestions: result.suggestions } : {}),
      };
    },
    async read(id, principal) {
      if (!principal) throw new Unauthorized('Sign in to read a conversation');
      const found = await store.get(id);
      if (!found || found.ownerId !== principal.userId) throw notFound();
      return { id, messages: await store.messages(id) };
    },
    deleteExpired: () => store.deleteExpired(),
  };
}
