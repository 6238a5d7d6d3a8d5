// Assistant routes: chat (JSON or server-sent events), search, recommendations, conversations, hand-overs.
import {
  type App,
  type Cache,
  decodeCursor,
  errorResponses,
  type FastifyRequest,
  type Guards,
  keysetPage,
  RateLimiter,
} from '@microbazaar/kit';
import type { HandoffsStore } from '../store/handoffs.js';
import type { Chat, ChatResponse as ChatAnswer } from '../usecases/chat.js';
import type { Recommendations } from '../usecases/recommendations.js';
import type { Search } from '../usecases/search.js';
import {
  ChatBody,
  ChatHeaders,
  ChatResponse,
  ConversationResponse,
  HandoffPage,
  HandoffsQuery,
  IdParams,
  RecommendationsQuery,
  RecommendationsResponse,
  SearchQuery,
  SearchResponse,
} from './schemas.js';

export interface AssistantRouteDeps {
  chat: Chat;
  search: Search;
  recommendations: Recommendations;
  handoffs: HandoffsStore;
  guards: Guards;
  cache: Cache;
  chatRateLimit: { limit: number; windowMs: number };
}

/** The answer as server-sent events: the reply in word-sized `token`s, then `products`, then `done` (all of it). */
export function sseBody(answer: ChatAnswer): string {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const tokens = answer.reply.match(/\S+\s*|\s+/g) ?? [];
  return [
    ...tokens.map((text) => event('token', { text })),
    event('products', answer.products),
    event('done', answer),
  ].join('');
}

function wantsStream(req: FastifyRequest): boolean {
  return /\btext\/event-stream\b/.test(req.headers.accept ?? '');
}

export function assistantRoutes(app: App, deps: AssistantRouteDeps) {
  const { chat, search, recommendations, guards } = deps;
  const tags = ['assistant'];
  const optionalAuth: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}];
  const limiter =
    deps.chatRateLimit.limit > 0
      ? new RateLimiter(deps.cache, 'assistant-chat', deps.chatRateLimit.limit, deps.chatRateLimit.windowMs)
      : undefined;

  app.post(
    '/api/assistant/chat',
    {
      preHandler: guards.optional,
      schema: {
        tags,
        security: optionalAuth,
        summary:
          'Talk to the shopping assistant: find products, follow up, check or cancel orders, FAQ, a person. `Accept: text/event-stream` streams the answer',
        headers: ChatHeaders,
        body: ChatBody,
        response: { 200: ChatResponse, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const principal = req.principal;
      await limiter?.consume(principal ? `u:${principal.userId}` : `ip:${req.ip}`);
      const answer = await chat.turn({
        message: req.body.message,
        conversationId: req.body.conversationId,
        caller: {
          principal,
          authorization: principal ? req.headers.authorization : undefined,
          cartId: req.headers['x-cart-id'],
          requestId: req.id,
        },
      });
      if (wantsStream(req)) {
        // a string body goes out as it is: the JSON schema of 200 describes the non-streamed answer
        return reply
          .header('cache-control', 'no-cache')
          .type('text/event-stream; charset=utf-8')
          .send(sseBody(answer) as unknown as ChatAnswer);
      }
      return answer;
    },
  );

  app.get(
    '/api/assistant/search',
    {
      schema: {
        tags,
        summary: 'Products for a request in plain words ("red running shoes under $50"), with how it was read',
        querystring: SearchQuery,
        response: { 200: SearchResponse, ...errorResponses(400, 503) },
      },
    },
    async (req) => {
      const result = await search.run(req.query.q, { limit: req.query.limit });
      return { items: result.items, interpreted: result.interpreted };
    },
  );

  app.get(
    '/api/assistant/recommendations',
    {
      preHandler: guards.optional,
      schema: {
        tags,
        security: optionalAuth,
        summary:
          'For a product: bought together (or similar). Without one: picked for a signed-in customer, popular for a guest',
        querystring: RecommendationsQuery,
        response: { 200: RecommendationsResponse, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => {
      const { productId, limit } = req.query;
      if (productId) return recommendations.forProduct(productId.toLowerCase(), limit);
      return recommendations.forCaller(
        req.principal,
        { authorization: req.principal ? req.headers.authorization : undefined, requestId: req.id },
        limit,
      );
    },
  );

  app.get(
    '/api/assistant/conversations/:id',
    {
      preHandler: guards.optional,
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary: "A conversation's messages (its owner only: a guest gets 401, another customer 404)",
        params: IdParams,
        response: { 200: ConversationResponse, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => chat.read(req.params.id.toLowerCase(), req.principal),
  );

  app.get(
    '/api/assistant/handoffs',
    {
      preHandler: guards.role('admin'),
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary: 'Requests to talk to a person, newest first, with the conversation so far (admin)',
        querystring: HandoffsQuery,
        response: { 200: HandoffPage, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      const after = cursor ? decodeCursor(cursor, ['string', 'string']) : undefined;
      const rows = await deps.handoffs.list(
        limit + 1,
        after ? { createdAt: after[0] as string, id: after[1] as string } : undefined,
      );
      return keysetPage(rows, limit, (last) => [last.createdAt, last.id]);
    },
  );
}
