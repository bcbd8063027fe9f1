// Watches a show's seat map through the router with an off-the-shelf client, the way a browser app
// would: graphql-ws's own client (the reference graphql-transport-ws implementation), or Apollo Client
// with its GraphQLWsLink. Prints each event's `seatAvailability` as one JSON line and, after `count`
// of them, completes the subscription, closes the client and exits 0 (1 on any error).
//
//   node router/scripts/watch.mjs graphql-ws|apollo <router url> <show id> <count> [<access token>]
//
// tests/e2e/test_subscription_clients.py runs it: subscriptions work unchanged from both.

import { ApolloClient, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const WATCH = `subscription Watch($showId: ID!) {
  seatAvailability(showId: $showId) { showId kind version fromVersion seats { seatId state } } }`;

const [kind, url, showId, count, token] = process.argv.slice(2);
if (!['graphql-ws', 'apollo'].includes(kind) || !url || !showId || !(Number(count) > 0)) {
  process.stderr.write('usage: node watch.mjs graphql-ws|apollo <router url> <show id> <count> [<token>]\n');
  process.exit(2);
}

const wsClient = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
  lazy: true,
});

let seen = 0;
let stop = () => {};
const done = new Promise((resolve, reject) => {
  const sink = {
    next(result) {
      if (result.errors?.length || result.error) {
        reject(new Error(JSON.stringify(result.errors ?? result.error)));
        return;
      }
      process.stdout.write(`${JSON.stringify(result.data.seatAvailability)}\n`);
      if (++seen === Number(count)) resolve();
    },
    error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
    complete: () => reject(new Error(`the subscription completed after ${seen} events`)),
  };
  if (kind === 'graphql-ws') {
    stop = wsClient.subscribe({ query: WATCH, variables: { showId } }, sink);
  } else {
    const apollo = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const subscription = apollo.subscribe({ query: gql(WATCH), variables: { showId }, fetchPolicy: 'no-cache' })
      .subscribe(sink);
    stop = () => subscription.unsubscribe();
  }
});

try {
  await done;
  stop();
  await wsClient.dispose();
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
}
