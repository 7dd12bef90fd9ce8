// A fetch that keeps what an MCP client sent and what came back, for tests that check the wire rather than the
// client's view of it: which request starts a conversation, its headers and body, the OAuth requests in between.
export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  /** The body as sent (JSON-RPC and registration bodies are text), or undefined when there was none. */
  requestBody: string | undefined;
  status: number;
  responseHeaders: Record<string, string>;
  /**
   * The response body once it has ended. Event streams stay open as long as the client listens, so their
   * bodies are not waited for here; a test that needs one reads `responseText` when the stream has ended.
   */
  responseText: Promise<string>;
}

export interface Recording {
  fetch: typeof fetch;
  exchanges: Exchange[];
  /** The JSON-RPC messages POSTed to `url` (any other request left out), in order. */
  rpcTo(url: string): Array<{ exchange: Exchange; message: { method?: string; id?: unknown; params?: Record<string, unknown> } }>;
}

export function recordingFetch(): Recording {
  const exchanges: Exchange[] = [];
  const recorded: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const requestBody =
      init?.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : String(init.body);
    const response = await fetch(input, init);
    exchanges.push({
      method: request.method,
      url: request.url,
      requestHeaders: Object.fromEntries(request.headers),
      requestBody,
      status: response.status,
      responseHeaders: Object.fromEntries(response.headers),
      // A clone, so the client reads its own copy at its own pace.
      responseText: response.body
        ? response
            .clone()
            .text()
            .catch(() => '')
        : Promise.resolve(''),
    });
    return response;
  };
  return {
    fetch: recorded,
    exchanges,
    rpcTo(url) {
      return exchanges
        .filter((exchange) => exchange.method === 'POST' && exchange.url === url && exchange.requestBody !== undefined)
        .flatMap((exchange) => {
          const parsed = JSON.parse(exchange.requestBody!) as unknown;
          return (Array.isArray(parsed) ? parsed : [parsed]).map((message) => ({
            exchange,
            message: message as { method?: string; id?: unknown; params?: Record<string, unknown> },
          }));
        });
    },
  };
}
