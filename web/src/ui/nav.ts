// The nav bar: what the person can reach, and who is signed in (it follows the session).
import { currentSession, onSession, request, setSession } from '../api';
import { graphql } from '../gql';
import { navigate } from '../router';
import { h, link } from './dom';
import { announce, wordsOf } from './status';

const LOGOUT = graphql(`
  mutation Logout { logout }
`);

async function signOut(): Promise<void> {
  try {
    await request(LOGOUT);
  } catch (e) {
    // The session ends here whatever the server said (its tokens lapse on their own).
    announce(wordsOf(e));
  }
  setSession(null);
  announce('You are signed out.');
  navigate('/');
}

export function renderNav(nav: HTMLElement): void {
  const session = currentSession();
  const items: Node[] = [link('/', 'Shows')];
  if (session) {
    items.push(link('/bookings', 'My bookings'));
    if (session.user.role === 'ORGANIZER' || session.user.role === 'ADMIN') items.push(link('/organizer', 'Organizer'));
    items.push(
      h('span', { class: 'who', 'data-testid': 'signed-in-as' }, `Signed in as ${session.user.name}`),
      h('button', { type: 'button', class: 'linklike', onclick: () => void signOut() }, 'Sign out'),
    );
  } else {
    items.push(link('/signin', 'Sign in'));
  }
  nav.replaceChildren(...items);
}

export function startNav(): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  renderNav(nav);
  onSession(() => renderNav(nav));
}
