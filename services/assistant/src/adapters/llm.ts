// An OpenAI-compatible chat completions API (POST {LLM_BASE_URL}/chat/completions) with tool calling,
// over plain fetch: the official SDK's current major needs Node 22, and one endpoint needs no SDK.

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ModelMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export type ModelFailure = 'timeout' | 'rate_limited' | 'unavailable' | 'malformed';

/** The model could not be used for this turn; the offline assistant answers instead. */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface ModelReply {
  content: string | null;
  toolCalls: ToolCall[];
}

export interface ModelClient {
  complete(messages: readonly ModelMessage[], tools: readonly ToolSpec[]): Promise<ModelReply>;
}

function parseReply(body: unknown): ModelReply {
  const message = (body as { choices?: Array<{ message?: unknown }> } | undefined)?.choices?.[0]?.message as
    | { content?: unknown; tool_calls?: unknown }
    | undefined;
  if (!message || typeof message !== 'object') throw new ModelError('malformed', 'no choices[0].message');
  const content = typeof message.content === 'string' ? message.content : null;
  const calls = message.tool_calls;
  if (calls !== undefined && calls !== null && !Array.isArray(calls)) {
    throw new ModelError('malformed', 'tool_calls is not a list');
  }
  const toolCalls: ToolCall[] = [];
  for (const call of (calls as unknown[] | null | undefined) ?? []) {
    const c = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    if (typeof c?.id !== 'string' || typeof c.function?.name !== 'string' || typeof c.function.arguments !== 'string') {
      throw new ModelError('malformed', 'a tool call lacks its id, name or arguments');
    }
    toolCalls.push({
      id: c.id,
      type: 'function',
      function: { name: c.function.name, arguments: c.function.arguments },
    });
  }
  if (content === null && toolCalls.length === 0) throw new ModelError('malformed', 'neither content nor tool calls');
  return { content, toolCalls };
}

export function openAiModel(opts: {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
}): ModelClient {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    async complete(messages, tools) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: opts.model,
            messages,
            tools,
            tool_choice: 'auto',
            temperature: 0.2,
          }),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new ModelError('timeout', 'the model did not answer in time');
        throw new ModelError('unavailable', `the model is unreachable: ${(err as Error).message}`);
      }
      if (res.status === 429) {
        await res.body?.cancel();
        throw new ModelError('rate_limited', 'the model is rate limited');
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ModelError('unavailable', `the model answered ${res.status}`);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new ModelError('timeout', 'the model did not finish in time');
        throw new ModelError('malformed', 'the model answered something that is not JSON');
      }
      return parseReply(body);
    },
  };
}
