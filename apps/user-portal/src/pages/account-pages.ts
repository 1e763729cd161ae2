import type { FastifyInstance } from 'fastify';

/**
 * The pages the account emails link to. Following a link changes nothing by itself (mail
 * scanners open links): the page posts the token back when the person presses the button.
 */
const shell = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${title} · StateX</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}input{width:100%;padding:.5rem;box-sizing:border-box;margin:.3rem 0 1rem}button{padding:.5rem 1rem}#result{margin-top:1rem}</style>
</head><body><h1>${title}</h1>${body}
<p id="result" role="status"></p>
<script>
const token = new URLSearchParams(location.search).get('token') || '';
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  document.getElementById('result').textContent = data.message || (res.ok ? 'Done.' : 'Something went wrong.');
}
document.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); window.submitForm(); });
</script></body></html>`;

const VERIFY = shell(
  'Confirm your email address',
  `<form><button type="submit">Confirm my address</button></form>
<script>window.submitForm = () => post('/api/auth/verify', { token });</script>`,
);

const RESET = shell(
  'Choose a new password',
  `<form><label for="password">New password (at least 8 characters)</label>
<input id="password" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Set the password</button></form>
<script>window.submitForm = () => post('/api/auth/reset-password', { token, password: document.getElementById('password').value });</script>`,
);

const FORGOT = shell(
  'Forgot your password?',
  `<form><label for="email">Your email address; a link to set a new password follows</label>
<input id="email" type="email" autocomplete="email" required>
<button type="submit">Send me the link</button></form>
<script>window.submitForm = () => post('/api/auth/forgot-password', { email: document.getElementById('email').value });</script>`,
);

export function registerAccountPages(fastify: FastifyInstance): void {
  for (const [path, html] of [['/verify-email', VERIFY], ['/reset-password', RESET], ['/forgot-password', FORGOT]] as const) {
    fastify.get(path, async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html));
  }
}
