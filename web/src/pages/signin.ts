// #/signin — sign in, or create a customer account; either starts a session. ?next=/path
// says where to go afterwards.
import { request, setSession } from '../api';
import { graphql } from '../gql';
import type { LoginMutation } from '../gql/graphql';
import { navigate, route } from '../router';
import { h, heading } from '../ui/dom';
import { announce, Messages } from '../ui/status';

const LOGIN = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken expiresAt user { id name email role } }
  }
`);

const REGISTER = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken expiresAt user { id name email role } }
  }
`);

type Payload = LoginMutation['login'];

function field(id: string, label: string, type: string, autocomplete: string, extra: Record<string, string> = {}) {
  const input = h('input', { id, name: id, type, autocomplete, required: true, ...extra });
  return { input, row: h('p', {}, h('label', { for: id }, label), input) };
}

route('/signin', (root, _params, query) => {
  const next = query.get('next') || '/';
  const done = (payload: Payload) => {
    setSession(payload);
    announce(`Signed in as ${payload.user.name}.`);
    navigate(next.startsWith('/') ? next : '/');
  };

  const loginMessages = new Messages();
  const email = field('signin-email', 'Email', 'email', 'username');
  const password = field('signin-password', 'Password', 'password', 'current-password');
  const loginForm = h('form', { 'aria-labelledby': 'signin-heading' },
    h('h2', { id: 'signin-heading' }, 'Sign in'), email.row, password.row, loginMessages.element,
    h('button', { type: 'submit' }, 'Sign in'));
  loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    loginMessages.clear();
    try {
      const data = await request(LOGIN, { input: { email: email.input.value.trim(), password: password.input.value } });
      done(data.login);
    } catch (e) {
      loginMessages.error(e);
      password.input.focus();
    }
  });

  const registerMessages = new Messages();
  const name = field('register-name', 'Name', 'text', 'name');
  const newEmail = field('register-email', 'Email', 'email', 'email');
  const newPassword = field('register-password', 'Password (at least 10 characters)', 'password', 'new-password',
    { minlength: '10' });
  const registerForm = h('form', { 'aria-labelledby': 'register-heading' },
    h('h2', { id: 'register-heading' }, 'Create an account'), name.row, newEmail.row, newPassword.row,
    registerMessages.element, h('button', { type: 'submit' }, 'Create account'));
  registerForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    registerMessages.clear();
    try {
      const data = await request(REGISTER, {
        input: { name: name.input.value.trim(), email: newEmail.input.value.trim(), password: newPassword.input.value },
      });
      done(data.register);
    } catch (e) {
      registerMessages.error(e);
    }
  });

  root.append(heading('Sign in or register'), h('div', { class: 'columns' }, loginForm, registerForm));
});
