import type { RequestCreatedEvent } from '@statex/contracts';
import type { EmailMessage } from '../email/email.sender';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The acknowledgement a lead receives by email: names them and quotes the request id. */
export function acknowledgementEmail(event: RequestCreatedEvent): Omit<EmailMessage, 'to'> {
  const excerpt = event.message.length > 300 ? `${event.message.slice(0, 300)}…` : event.message;
  const statusLine = event.statusUrl ? `You can follow it here: ${event.statusUrl}` : '';
  const text = [
    `Hello ${event.name},`,
    '',
    'thank you for contacting StateX. We have received your request and will answer soon.',
    '',
    `Request id: ${event.submissionId}`,
    statusLine,
    '',
    'Your message:',
    excerpt,
    '',
    '— The StateX team',
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello ${escapeHtml(event.name)},</p>
<p>thank you for contacting StateX. We have received your request and will answer soon.</p>
<p>Request id: <strong>${event.submissionId}</strong></p>
${event.statusUrl ? `<p><a href="${escapeHtml(event.statusUrl)}">Follow your request</a></p>` : ''}
<blockquote>${escapeHtml(excerpt).replace(/\n/g, '<br>')}</blockquote>
<p>— The StateX team</p>
</body></html>`;
  return { subject: `We received your request ${event.submissionId}`, text, html, headers: { 'X-StateX-Request-Id': event.submissionId } };
}
