// #/queue/:showId — the waiting room of a show: answer its challenge (a proof of work the
// browser solves), join, then wait: the position and an estimated wait, polled (GET
// /queue/status/<ticket>, which the router answers from Redis) no more often than the server's
// pollAfterSeconds. Once admitted, the pass is kept for the show's holds and the person goes
// back to the show.
import { currentSession, request } from '../api';
import { graphql } from '../gql';
import { navigate, route, type Leave } from '../router';
import { rememberPass, solveChallenge, waitWords } from '../queue';
import { h, heading, link } from '../ui/dom';
import { Messages } from '../ui/status';

const QUEUE_SHOW = graphql(`
  query QueueShow($id: ID!) { show(id: $id) { id title } queueChallenge(showId: $id) { kind nonce difficulty } }
`);

const JOIN = graphql(`
  mutation JoinQueue($id: ID!, $nonce: String, $solution: String) {
    joinQueue(showId: $id, nonce: $nonce, solution: $solution) {
      id showId state position estimatedWaitSeconds pollAfterSeconds pass passExpiresAt
    }
  }
`);

interface Status {
  id: string;
  state: 'WAITING' | 'ADMITTED' | 'EXPIRED';
  position: number | null;
  estimatedWaitSeconds: number | null;
  pollAfterSeconds: number;
  pass: string | null;
  passExpiresAt: string | null;
}

route('/queue/:showId', async (root, { showId }): Promise<Leave | void> => {
  const messages = new Messages();
  if (!currentSession()) {
    root.append(heading('Waiting room'), h('p', {},
      link(`/signin?next=${encodeURIComponent(`/queue/${showId}`)}`, 'Sign in'), ' to join the queue.'));
    return;
  }
  const position = h('p', { class: 'queue-position', 'aria-live': 'polite', 'data-testid': 'queue-position' }, 'Joining the queue…');
  root.append(heading('Waiting room'), messages.element, position);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let left = false;

  // What the person is told, and data-state (WAITING, PAUSED, ADMITTED, EXPIRED) for tests.
  const say = (state: string, words: string) => {
    position.dataset.state = state;
    position.textContent = words;
  };
  const show = (status: Status, title: string) => {
    if (status.state === 'ADMITTED' && status.pass) {
      rememberPass(showId, status.pass, status.passExpiresAt);
      say('ADMITTED', `It is your turn for ${title}: pick your seats now.`);
      navigate(`/shows/${encodeURIComponent(showId)}`);
      return true;
    }
    if (status.state === 'EXPIRED') {
      say('EXPIRED', 'Your turn has passed. Join the queue again to get a new place.');
      return true;
    }
    if (status.position === null) {
      say('WAITING', `You are in the queue for ${title}; places are given out in random order when it opens.`);
    } else if (status.estimatedWaitSeconds === null) {
      // a placed ticket has no estimate only while the organizer has paused admissions
      say('PAUSED', `You are number ${status.position.toLocaleString()} in the queue for ${title}. `
        + 'Admissions are paused for now; you keep your place. Keep this page open.');
    } else {
      say('WAITING', `You are number ${status.position.toLocaleString()} in the queue for ${title}. `
        + `Estimated wait: ${waitWords(status.estimatedWaitSeconds)}. Keep this page open.`);
    }
    return false;
  };

  try {
    const { show: found, queueChallenge } = await request(QUEUE_SHOW, { id: showId });
    if (!found) {
      position.textContent = 'No such show.';
      return;
    }
    root.querySelector('h1')!.textContent = `Waiting room: ${found.title}`;
    let nonce: string | null = null;
    let solution: string | null = null;
    if (queueChallenge) {
      position.textContent = 'Checking your browser (a few seconds)…';
      nonce = queueChallenge.nonce;
      solution = await solveChallenge(queueChallenge.nonce, queueChallenge.difficulty);
    }
    const joined = (await request(JOIN, { id: showId, nonce, solution })).joinQueue;
    if (show(joined, found.title)) return;
    const poll = async (after: number) => {
      timer = setTimeout(async () => {
        if (left) return;
        try {
          const response = await fetch(`/queue/status/${encodeURIComponent(joined.id)}`);
          const status = (await response.json()) as Status & { code?: string; message?: string; retryAfter?: number };
          if (!response.ok) {
            messages.say(status.message ?? `The queue did not answer (HTTP ${response.status}); trying again.`, 'error');
            void poll(Math.max(5, Number(status.retryAfter ?? 10)));
            return;
          }
          messages.clear();
          if (!show(status, found.title)) void poll(status.pollAfterSeconds);
        } catch {
          messages.say('No connection to the queue; trying again.', 'error');
          void poll(10);
        }
      }, after * 1000);
    };
    void poll(joined.pollAfterSeconds);
  } catch (e) {
    messages.error(e);
  }
  return () => {
    left = true;
    if (timer) clearTimeout(timer);
  };
});
