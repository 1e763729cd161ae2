import { randomUUID } from 'node:crypto';
import { NotificationRequestedEvent, RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';
import { SAMPLE_DATA } from '../src/templates/template.renderer';

/** What a browser makes of an attribute or text: the HTML part escapes its data (`=` becomes `&#x3D;`). */
const unescapeHtml = (html: string) =>
  html
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const hrefsOf = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => unescapeHtml(m[1]));
const sample = (field: string) => String(SAMPLE_DATA[field]);

/**
 * The emails user-portal sends through notification (`notification.requested`, channel email):
 * each template, in English and Czech, names the person, carries its links in the text part and
 * as links in the HTML part, and says what to do if the person did not ask for it.
 */
const ACCOUNT_TEMPLATES: { template: string; links: string[]; shows: string[]; says: Record<'en' | 'cs', { subject: string; text: string[] }> }[] = [
  {
    template: 'account-verification',
    links: ['verifyUrl'],
    shows: ['expiresInHours'],
    says: {
      en: { subject: 'Confirm your email address', text: ['valid for 24 hours', 'If you did not create a StateX account, ignore this email'] },
      cs: { subject: 'Potvrďte svou e-mailovou adresu', text: ['Odkaz je platný 24 h.', 'Pokud jste si účet StateX nezakládali, tento e-mail ignorujte'] },
    },
  },
  {
    template: 'account-exists',
    links: ['forgotPasswordUrl'],
    shows: [],
    says: {
      en: { subject: 'You already have a StateX account', text: ['perhaps you', 'already has an account', 'sign in', 'If it was not you, ignore this email'] },
      cs: { subject: 'Účet StateX s touto adresou už máte', text: ['možná vy', 'už účet existuje', 'přihlaste se', 'Pokud jste to nebyli vy, tento e-mail ignorujte'] },
    },
  },
  {
    template: 'password-reset',
    links: ['resetUrl'],
    shows: ['expiresInMinutes'],
    says: {
      en: { subject: 'Reset your StateX password', text: ['valid for 30 minutes', 'If you did not ask for this, ignore this email'] },
      cs: { subject: 'Obnovení hesla k účtu StateX', text: ['Odkaz je platný 30 min.', 'Pokud jste o obnovení hesla nežádali, tento e-mail ignorujte'] },
    },
  },
  {
    template: 'password-changed',
    links: ['forgotPasswordUrl'],
    shows: [],
    says: {
      en: { subject: 'Your StateX password was changed', text: ['was just changed', 'If it was not you, reset your password now'] },
      cs: { subject: 'Heslo k vašemu účtu StateX bylo změněno', text: ['bylo právě změněno', 'Pokud jste to nebyli vy, obnovte si heslo hned teď'] },
    },
  },
  {
    template: 'session-reuse-alert',
    links: [],
    shows: ['at', 'ip', 'device'],
    says: {
      en: { subject: 'Security alert', text: ['old sign-in token', 'signed that session out on every device', "If it wasn't you, change your password"] },
      cs: { subject: 'Bezpečnostní upozornění', text: ['starý přihlašovací token', 'odhlásili jsme tuto relaci na všech zařízeních', 'Pokud jste to nebyli vy, změňte si heslo'] },
    },
  },
];

describe('notification: the account emails user-portal sends', () => {
  const namespace = uniqueNamespace('acct');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let service: ServiceUnderTest;
  let operator: Record<string, string>;

  beforeAll(async () => {
    await Promise.all([auth.start(), smtp.start(), probe.start()]);
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    service = await startServiceForTest(notificationService, testEnv(NotificationEnv, namespace, { ...auth.env, SMTP_PORT: smtp.port, SMTP_FROM: 'StateX <hello@statex.test>' }));
  });

  afterAll(async () => {
    await service?.app.close();
    await Promise.all([auth.stop(), smtp.stop()]);
    await removeTestNamespace(namespace);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  it('lists them among the templates', async () => {
    const { templates } = (await service.http.get('/api/templates').set(operator).expect(200)).body;
    expect(templates).toEqual(expect.arrayContaining(ACCOUNT_TEMPLATES.map((t) => t.template)));
  });

  it.each(ACCOUNT_TEMPLATES.flatMap((t) => (['en', 'cs'] as const).map((locale) => [t.template, locale, t] as const)))('renders %s in %s with its links', async (template, locale, spec) => {
    const res = await service.http.get(`/api/templates/${template}/preview?channel=email&locale=${locale}`).set(operator).expect(200);
    const { subject, text, html } = res.body as { subject: string; text: string; html: string };
    const says = spec.says[locale];

    expect(subject).toContain(says.subject);
    expect(subject).not.toContain('\n');
    expect(text).toContain(locale === 'cs' ? 'Dobrý den, Jana Nováková' : 'Hello Jana Nováková');
    expect(text).toContain(locale === 'cs' ? '— Tým StateX' : '— The StateX team');
    for (const phrase of says.text) expect(text).toContain(phrase);
    // Nothing of the other language, and no placeholder left empty or unrendered.
    expect(text).not.toContain(locale === 'cs' ? 'Hello' : 'Dobrý den');
    expect(`${subject}${text}${html}`).not.toMatch(/\{\{|undefined|\[object/);

    expect(html).toContain(`<html lang="${locale}"`);
    expect(unescapeHtml(html)).toContain('Jana Nováková');
    for (const link of spec.links) {
      expect(text).toContain(sample(link));
      // A link to follow in the HTML part, and the address written out for a mail client that shows no links.
      expect(hrefsOf(html)).toContain(sample(link));
      expect(unescapeHtml(html.replace(/href="[^"]*"/g, ''))).toContain(sample(link));
    }
    for (const field of spec.shows) {
      expect(text).toContain(sample(field));
      expect(unescapeHtml(html)).toContain(sample(field));
    }
    // Only its own links: no stray address from another template.
    expect(hrefsOf(html).sort()).toEqual(spec.links.map(sample).sort());
  });

  it('they are email only: another channel has no part to render', async () => {
    for (const { template } of ACCOUNT_TEMPLATES) {
      const res = await service.http.get(`/api/templates/${template}/preview?channel=telegram`).set(operator).expect(404);
      expect(res.body.message).toContain('no telegram part');
    }
  });

  it('sends one on notification.requested, the data escaped in HTML and verbatim in text, outside the lead journey', async () => {
    const verifyUrl = `http://localhost:8006/verify-email?token=${randomUUID()}&lang=cs`;
    const event: NotificationRequestedEvent = {
      channel: 'email',
      recipient: 'new.user@example.com',
      template: 'account-verification',
      locale: 'cs',
      data: { name: 'Jana <b>Nováková</b>', verifyUrl, expiresInHours: 48 },
      idempotencyKey: `verify:${randomUUID()}`,
    };
    const correlationId = randomUUID();
    await probe.publish(RoutingKey.NotificationRequested, event, { correlationId });

    const mail = await smtp.waitForMail(verifyUrl);
    expect(mail.to).toMatchObject({ text: 'new.user@example.com' });
    expect(mail.subject).toBe('Potvrďte svou e-mailovou adresu pro StateX');
    expect(mail.text).toContain('Dobrý den, Jana <b>Nováková</b>,');
    expect(mail.text).toContain(verifyUrl);
    expect(mail.text).toContain('Odkaz je platný 48 h.');
    const html = String(mail.html);
    expect(html).toContain('Jana &lt;b&gt;Nováková&lt;/b&gt;');
    expect(html).not.toContain('<b>Nováková</b>');
    expect(hrefsOf(html)).toEqual([verifyUrl]);

    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === correlationId);
    expect(sent.payload).toMatchObject({ channel: 'email', template: 'account-verification', recipient: 'new.user@example.com' });
    // Not the lead journey's own message: it moves no submission's status.
    expect(sent.payload.journey).not.toBe(true);
  });
});
