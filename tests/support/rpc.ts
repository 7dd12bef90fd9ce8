// JSON-RPC over HTTP as raw clients read it: one JSON body, or the message events of an event stream.

export type Rpc = {
  jsonrpc: '2.0';
  id?: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
};

/** The JSON-RPC answer of a response in either form (the first message with an id, in a stream). */
export async function answerOf(response: Response): Promise<Rpc> {
  const body = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(body) as Rpc;
  const messages = body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.length > 6)
    .map((line) => JSON.parse(line.slice(6)) as Rpc);
  const answer = messages.find((message) => message.id !== undefined);
  if (!answer) throw new Error(`no answer in stream: ${body}`);
  return answer;
}
