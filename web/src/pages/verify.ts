// #/verify?token=… — the link the verification mail carries: spend the token (verifyEmail) and
// say what happened. Signed-in sessions carry the new state once their token is refreshed.
import { request } from '../api';
import { graphql } from '../gql';
import { route } from '../router';
import { h, heading, link } from '../ui/dom';
import { Messages } from '../ui/status';

const VERIFY = graphql(`
  mutation VerifyEmail($token: String!) { verifyEmail(token: $token) { id email emailVerified } }
`);

route('/verify', async (root, _params, query) => {
  const messages = new Messages();
  root.append(heading('Verify your email address'), messages.element);
  const token = query.get('token')?.trim();
  if (!token) {
    messages.say('This link has no token: open the link from the mail again.', 'error');
    return;
  }
  try {
    const user = (await request(VERIFY, { token })).verifyEmail;
    messages.say(`Thank you: ${user.email} is verified.`);
    root.append(h('p', {}, 'You can now join waiting rooms for on-sales. ', link('/', 'See the shows'), '.'));
  } catch (e) {
    messages.error(e);
  }
});
