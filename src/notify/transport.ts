/**
 * How a notification leaves the machine. The sender takes this interface, so tests pass a
 * fake that records what would have been sent; `transport-node.ts` is the real one.
 */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface ProgramRequest {
  argv: string[];
  env: Record<string, string>;
  timeoutMs: number;
}

/** HTTP status, or the program's exit code; `error` when nothing came back (refused, timeout, not found). */
export interface Delivery {
  status: number | null;
  error?: string;
}

export interface NotifyTransport {
  post(req: WebhookRequest): Promise<Delivery>;
  run(req: ProgramRequest): Promise<Delivery>;
}
