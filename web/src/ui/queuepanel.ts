// The organizer's waiting room for one show (docs/waiting-room.md): put the show behind a queue
// (opening time, admissions per minute or auto, verified accounts only), then watch it —
// waiting, admitted, sold, abandoned, refreshed every few seconds — and pause, resume or
// change the rate.
import { request } from '../api';
import { graphql } from '../gql';
import type { QueueFiguresFragment } from '../gql/graphql';
import { h } from './dom';
import { formatInstant } from './format';
import { Messages } from './status';

export const QUEUE_FIGURES = graphql(`
  fragment QueueFigures on ShowQueue {
    opensAt ratePerMinute auto paused opened waiting admitted sold abandoned requireVerifiedEmail
  }
`);

const SHOW_QUEUE = graphql(`
  query OrganizerQueue($id: ID!) {
    show(id: $id) { id queue { ...QueueFigures } }
  }
`);

const CONFIGURE_QUEUE = graphql(`
  mutation ConfigureQueue($show: ID!, $input: QueueInput!) {
    configureQueue(showId: $show, input: $input) { ...QueueFigures }
  }
`);

const PAUSE_QUEUE = graphql(`
  mutation PauseQueue($show: ID!) { pauseQueue(showId: $show) { ...QueueFigures } }
`);

const RESUME_QUEUE = graphql(`
  mutation ResumeQueue($show: ID!) { resumeQueue(showId: $show) { ...QueueFigures } }
`);

/** How often the figures are read again while the page is open. */
export const REFRESH_MS = 3000;

/** The value of a datetime-local input for an instant (in the browser's own zone). */
export function localInputValue(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** The rate field's value as the API takes it: a whole number of people per minute, or null
 * (auto) when left empty; anything else is refused before it is sent. */
export function parseRate(text: string): number | null | 'invalid' {
  const t = text.trim();
  if (!t) return null;
  if (!/^\d+$/.test(t)) return 'invalid';
  const n = Number(t);
  return n >= 1 ? n : 'invalid';
}

/** One line saying where the queue stands. */
export function describeQueue(q: QueueFiguresFragment): string {
  const state = q.paused ? 'Paused' : q.opened ? 'Open' : `Opens ${formatInstant(q.opensAt)}`;
  const rate = `${q.ratePerMinute.toLocaleString()} a minute${q.auto ? ' (auto)' : ''}`;
  return `${state} · admitting ${rate}`;
}

export interface QueuePanel {
  element: HTMLElement;
  stop(): void;
}

/** The panel for `showId`; it reads the queue at once and every REFRESH_MS until stopped. */
export function queuePanel(showId: string): QueuePanel {
  const messages = new Messages();
  const body = h('div', { 'data-testid': 'queue-panel-body' }, 'Loading…');
  const element = h('section', { class: 'queue-panel', 'aria-label': 'Waiting room' },
    h('h2', {}, 'Waiting room'), messages.element, body);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: QueueFiguresFragment | null | undefined;

  const run = async (what: () => Promise<QueueFiguresFragment>, done: string) => {
    try {
      render(await what());
      messages.say(done);
    } catch (e) {
      messages.error(e);
    }
  };

  function settingsForm(q: QueueFiguresFragment | null): HTMLFormElement {
    const opens = h('input', {
      type: 'datetime-local', name: 'opensAt', required: true,
      value: localInputValue(q ? new Date(q.opensAt) : new Date(Date.now() + 3600_000)),
    });
    if (q?.opened) opens.disabled = true; // an opened queue keeps its opening time
    const rate = h('input', {
      type: 'text', inputmode: 'numeric', name: 'ratePerMinute', placeholder: 'auto',
      value: q && !q.auto ? String(q.ratePerMinute) : '',
    });
    const verified = h('input', { type: 'checkbox', name: 'requireVerifiedEmail' });
    verified.checked = q ? q.requireVerifiedEmail : true;
    return h('form', {
      class: 'queue-settings',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const ratePerMinute = parseRate(rate.value);
        if (ratePerMinute === 'invalid') {
          messages.say('Give the rate as a whole number of people per minute, or leave it empty for auto.', 'error');
          return;
        }
        const at = new Date(opens.value);
        if (Number.isNaN(at.getTime())) {
          messages.say('Give the opening date and time.', 'error');
          return;
        }
        const input = { opensAt: q?.opened ? q.opensAt : at.toISOString(), ratePerMinute,
          requireVerifiedEmail: verified.checked };
        void run(async () => (await request(CONFIGURE_QUEUE, { show: showId, input })).configureQueue,
          q ? 'The waiting room is changed.' : 'The show is behind a waiting room.');
      },
    },
    h('label', {}, 'Opens at ', opens), ' ',
    h('label', {}, 'People per minute ', rate), ' ',
    h('label', {}, verified, ' Verified email addresses only'), ' ',
    h('button', { type: 'submit' }, q ? 'Save' : 'Put behind a waiting room'));
  }

  function render(q: QueueFiguresFragment | null): void {
    current = q;
    if (!q) {
      body.replaceChildren(
        h('p', {}, 'This show has no waiting room. For a hot on-sale, put it behind one: people who come before the opening get places in random order, later ones in order of arrival, and holds need a pass.'),
        settingsForm(null));
      return;
    }
    const figure = (label: string, value: number, id: string) =>
      [h('dt', {}, label), h('dd', { 'data-testid': `queue-${id}` }, value.toLocaleString())];
    body.replaceChildren(
      h('p', { 'data-testid': 'queue-state' }, describeQueue(q)),
      h('dl', { class: 'queue-figures' },
        ...figure('Waiting', q.waiting, 'waiting'), ...figure('Admitted', q.admitted, 'admitted'),
        ...figure('Sold', q.sold, 'sold'), ...figure('Abandoned', q.abandoned, 'abandoned')),
      h('p', { class: 'actions' }, q.paused
        ? h('button', { type: 'button', onclick: () => void run(async () => (await request(RESUME_QUEUE, { show: showId })).resumeQueue, 'Admitting again.') }, 'Resume')
        : h('button', { type: 'button', onclick: () => void run(async () => (await request(PAUSE_QUEUE, { show: showId })).pauseQueue, 'Paused: nobody is admitted, everyone keeps their place.') }, 'Pause')),
      settingsForm(q));
  }

  async function refresh(): Promise<void> {
    try {
      const q = (await request(SHOW_QUEUE, { id: showId })).show?.queue ?? null;
      // The figures change; the form is left alone while someone may be typing in it.
      const typing = element.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT';
      if (current === undefined || (q === null) !== (current === null) || !typing) render(q);
      else if (q) {
        current = q;
        body.querySelector('[data-testid="queue-state"]')!.textContent = describeQueue(q);
        for (const id of ['waiting', 'admitted', 'sold', 'abandoned'] as const) {
          body.querySelector(`[data-testid="queue-${id}"]`)!.textContent = q[id].toLocaleString();
        }
      }
    } catch (e) {
      if (current === undefined) messages.error(e);
    }
    if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
  }

  void refresh();
  return {
    element,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
