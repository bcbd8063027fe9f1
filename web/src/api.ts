// The one way the app talks to the graph: typed documents (src/gql, generated from the
// supergraph) over HTTP, subscriptions over graphql-ws, the session's tokens kept in
// localStorage and refreshed before they lapse. Same origin as the app: the router serves both.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { graphql } from './gql';

const HTTP_URL = import.meta.env.VITE_TICKETFLOW_GRAPHQL ?? '/graphql';

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; name: string; email: string; role: string };
}

const SESSION_KEY = 'ticketflow.session';

/** A GraphQL error the API gave, with its documented code (docs in the project's README). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** What to tell the person, in words. */
  get words(): string {
    return describeError(this.code, this.message, this.extensions);
  }
}

export function describeError(code: string, message: string, ext: Record<string, unknown> = {}): string {
  switch (code) {
    case 'RATE_LIMITED': {
      const after = Number(ext.retryAfter ?? 0);
      return after > 0 ? `Too many requests: try again in ${Math.ceil(after)} s.` : 'Too many requests: try again shortly.';
    }
    case 'UNAUTHENTICATED':
      return 'Please sign in first.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'QUEUED':
      // USED (booking): the pass's one purchase session was had (a hold made with it)
      return ext.reason === 'USED'
        ? 'Your turn from the waiting room has been used: it admits one purchase, the hold you made with it.'
        : 'This show has a waiting room: join the queue, and hold seats when it is your turn.';
    case 'SUBGRAPH_UNAVAILABLE':
      return 'Part of TicketFlow is not answering right now; try again in a moment.';
    case 'NETWORK':
      return 'No connection to TicketFlow; check your network and try again.';
    default:
      return message || 'Something went wrong.';
  }
}

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let session: Session | null = typeof localStorage === 'undefined' ? null : loadSession();
const listeners = new Set<(s: Session | null) => void>();

export function currentSession(): Session | null {
  return session;
}

export function onSession(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setSession(next: Session | null): void {
  session = next;
  if (next) localStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else localStorage.removeItem(SESSION_KEY);
  for (const l of listeners) l(next);
}

const REFRESH = graphql(`
  mutation Refresh($token: String!) {
    refresh(refreshToken: $token) { accessToken refreshToken expiresAt }
  }
`);

let refreshing: Promise<void> | null = null;

/** Spend the refresh token when the access token lapses within a minute (one at a time). */
async function freshToken(): Promise<string | null> {
  if (!session) return null;
  if (Date.parse(session.expiresAt) - Date.now() > 60_000) return session.accessToken;
  refreshing ??= (async () => {
    const current = session!;
    try {
      const data = await post(REFRESH, { token: current.refreshToken }, null);
      setSession({ ...current, ...data.refresh });
    } catch (e) {
      if (e instanceof ApiError && e.code !== 'NETWORK') setSession(null);
      throw e;
    }
  })().finally(() => {
    refreshing = null;
  });
  await refreshing;
  return session?.accessToken ?? null;
}

type Vars<V> = V extends Record<string, never> ? Record<string, never> | undefined : V;

async function post<R, V>(doc: TypedDocumentNode<R, V>, variables: Vars<V>, token: string | null,
  headers: Record<string, string> = {}): Promise<R> {
  let response: Response;
  try {
    response = await fetch(HTTP_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query: print(doc), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError('NETWORK', 'No connection');
  }
  let body: { data?: R | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status === 429 ? 'RATE_LIMITED' : 'NETWORK', `HTTP ${response.status}`);
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    const ext = first.extensions ?? {};
    throw new ApiError(String(ext.code ?? 'INTERNAL'), first.message, ext);
  }
  if (!body.data) throw new ApiError('INTERNAL', 'Empty answer');
  return body.data;
}

/** Run a typed query or mutation as the signed-in person (or anonymously); `headers` adds
 * to the request's (a waiting room's pass on a hold). */
export async function request<R, V>(doc: TypedDocumentNode<R, V>, variables?: Vars<V>,
  headers: Record<string, string> = {}): Promise<R> {
  return post(doc, variables as Vars<V>, await freshToken(), headers);
}

let ws: Client | null = null;

function wsUrl(): string {
  const base = new URL(HTTP_URL, location.href);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return base.toString();
}

/** The app's one graphql-ws connection: it reconnects by itself (with backoff). */
export function wsClient(): Client {
  ws ??= createClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    connectionParams: async () => {
      const token = await freshToken().catch(() => null);
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
  return ws;
}

export interface Sink<R> {
  next(data: R): void;
  error(error: ApiError): void;
  complete?(): void;
}

/** Subscribe with a typed document; returns the function that ends it. */
export function subscribe<R, V>(doc: TypedDocumentNode<R, V>, variables: V, sink: Sink<R>): () => void {
  return wsClient().subscribe<R>(
    { query: print(doc), variables: variables as Record<string, unknown> },
    {
      next: (msg) => {
        if (msg.errors?.length) {
          const [first] = msg.errors;
          const ext = (first.extensions ?? {}) as Record<string, unknown>;
          sink.error(new ApiError(String(ext.code ?? 'INTERNAL'), first.message, ext));
        } else if (msg.data) sink.next(msg.data as R);
      },
      error: (err) => sink.error(new ApiError('NETWORK', err instanceof Error ? err.message : 'connection lost')),
      complete: () => sink.complete?.(),
    },
  );
}

/** A fresh idempotency key: a retry of the same action sends the same one. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
