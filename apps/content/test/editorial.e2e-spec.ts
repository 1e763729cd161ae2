import { randomUUID } from 'node:crypto';
import { RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { contentService } from '../src/content.app';
import { ContentEnv } from '../src/content.env';

type Headers = Record<string, string>;

describe('content: drafts, versions, publishing, schedules, locales, cache and events (real PostgreSQL, Redis, RabbitMQ)', () => {
  const namespace = uniqueNamespace('cnt');
  const auth = new AuthStandIn();
  const probe = new BrokerProbe(namespace);
  let env: ContentEnv;
  let service: ServiceUnderTest;
  let staff: Headers;

  const http = () => service.http;
  const slug = (base: string) => `${base}-${randomUUID().slice(0, 8)}`;

  const draft = async (type: string, body: Record<string, unknown>) => {
    const res = await http().post(`/api/content/${type}`).set(staff).send(body);
    expect(res.status).toBe(201);
    return res.body as { id: string; slug: string; version: number; status: string; html: string };
  };
  const publish = (type: string, id: string, body: Record<string, unknown> = {}) => http().post(`/api/content/${type}/${id}/publish`).set(staff).send(body);

  beforeAll(async () => {
    await auth.start();
    await probe.start();
    env = testEnv(ContentEnv, namespace, { ...auth.env, CONTENT_SEED_ON_START: false, CONTENT_SCHEDULE_POLL_MS: 200 });
    service = await startServiceForTest(contentService, env);
    staff = bearer(await auth.mint({ roles: ['operator'] }));
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['content']);
    await probe.stop();
  });

  it('keeps the editors’ API to operators and admins: anonymous 401, client 403', async () => {
    const id = randomUUID();
    const routes: [string, string][] = [
      ['post', '/api/content/service'],
      ['get', '/api/content/admin/service'],
      ['get', `/api/content/admin/service/${id}`],
      ['patch', `/api/content/service/${id}`],
      ['post', `/api/content/service/${id}/publish`],
      ['post', `/api/content/service/${id}/unpublish`],
      ['post', `/api/content/service/${id}/archive`],
      ['get', `/api/content/service/${id}/versions`],
      ['get', `/api/content/service/${id}/versions/1`],
      ['post', `/api/content/service/${id}/versions/1/restore`],
      ['delete', `/api/content/service/${id}`],
    ];
    const client = bearer(await auth.mint({ roles: ['client'] }));
    for (const [method, path] of routes) {
      const call = (headers: Headers = {}) => (http() as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path).set(headers);
      expect({ path, status: (await call()).status }).toEqual({ path, status: 401 });
      expect({ path, status: (await call(client)).status }).toEqual({ path, status: 403 });
    }
    await http().get('/api/content/admin/service').set(bearer(await auth.mint({ roles: ['admin'] }))).expect(200);
    await http().get('/api/content/admin/service').set(staff).expect(200);
    // The website's reads need no token.
    await http().get('/api/content/service').expect(200);
  });

  it('validates each type’s fields on write, naming the bad ones', async () => {
    const base = { slug: slug('svc'), locale: 'en', title: 'A service' };
    const missing = await http().post('/api/content/service').set(staff).send(base).expect(400);
    expect(missing.body.message).toContain('fields.category');
    const unknown = await http().post('/api/content/service').set(staff).send({ ...base, fields: { category: 'website', colour: 'red' } }).expect(400);
    expect(unknown.body.message).toContain('fields.colour should not exist');
    const price = await http().post('/api/content/service').set(staff).send({ ...base, fields: { category: 'website', priceFrom: 100 } }).expect(400);
    expect(price.body.message).toContain('currency');
    const tags = await http().post('/api/content/post').set(staff).send({ ...base, fields: { tags: ['Not A Tag'] } }).expect(400);
    expect(tags.body.message).toContain('tag');
    const badSlug = await http().post('/api/content/page').set(staff).send({ ...base, slug: 'Not a slug' }).expect(400);
    expect(badSlug.body.message).toContain('slug');
    const badLocale = await http().post('/api/content/page').set(staff).send({ ...base, locale: 'de' }).expect(400);
    expect(badLocale.body.message).toContain('locale must be one of: en, cs');
    const extra = await http().post('/api/content/page').set(staff).send({ ...base, status: 'published' }).expect(400);
    expect(extra.body.message).toContain('property status should not exist');
    const media = await http().post('/api/content/page').set(staff).send({ ...base, media: [{ url: 'javascript:alert(1)', alt: 'x' }] }).expect(400);
    expect(media.body.message).toContain('media url');
    const type = await http().post('/api/content/recipe').set(staff).send(base).expect(400);
    expect(type.body.message).toContain('type must be one of: page, post, service, faq');
    await http().get(`/api/content/admin/service/not-a-uuid`).set(staff).expect(400);
    await http().get(`/api/content/admin/service/${randomUUID()}`).set(staff).expect(404);

    const ok = await draft('service', { ...base, fields: { category: 'website', priceFrom: 40000, currency: 'CZK', features: ['Design'], order: 1 } });
    const taken = await http().post('/api/content/service').set(staff).send({ ...base, fields: { category: 'website' } }).expect(409);
    expect(taken.body.message).toContain(base.slug);
    // The same slug in the other language is its translation, not a conflict.
    await draft('service', { ...base, locale: 'cs', fields: { category: 'website' } });
    // A faq entry of another type may use it too.
    await draft('faq', { ...base });
    expect(ok.status).toBe('draft');
  });

  it('takes an entry from draft to published through versions and restores, and never shows a draft', async () => {
    const s = slug('web');
    const created = await draft('service', {
      slug: s,
      locale: 'en',
      title: 'Websites v1',
      summary: 'Fast websites',
      body: 'We build **fast** websites.',
      fields: { category: 'website' },
      media: [{ url: 'https://cdn.example.com/hero.png', alt: 'A fast website' }],
    });
    expect(created).toMatchObject({ status: 'draft', version: 1, html: '<p>We build <strong>fast</strong> websites.</p>' });

    // A draft is nowhere on the website: not by slug, not in the list, not in search.
    const other = await draft('service', { slug: slug('marker'), locale: 'en', title: 'Marker service', body: 'marker', fields: { category: 'consulting' } });
    await publish('service', other.id).expect(200);
    const list = await http().get('/api/content/service?locale=en&pageSize=100').expect(200);
    expect(list.body.items.map((i: { slug: string }) => i.slug)).toContain(other.slug);
    expect(list.body.items.map((i: { slug: string }) => i.slug)).not.toContain(s);
    await http().get(`/api/content/service/${s}`).expect(404);
    const search = await http().get('/api/content/search?q=websites&locale=en').expect(200);
    expect(search.body.items.map((i: { slug: string }) => i.slug)).not.toContain(s);

    await http().patch(`/api/content/service/${created.id}`).set(staff).send({ title: 'Websites v2', baseVersion: 1 }).expect(200);
    const stale = await http().patch(`/api/content/service/${created.id}`).set(staff).send({ title: 'Lost edit', baseVersion: 1 }).expect(409);
    expect(stale.body.message).toContain('version 2');
    // A save that changes nothing is not a version.
    expect((await http().patch(`/api/content/service/${created.id}`).set(staff).send({ title: 'Websites v2' }).expect(200)).body.version).toBe(2);

    const published = await publish('service', created.id).expect(200);
    expect(published.body).toMatchObject({ status: 'published', version: 2, publishedVersion: 2, hasUnpublishedChanges: false });
    const event = await probe.waitForEvent(RoutingKey.ContentPublished, (m) => m.payload.entryId === created.id);
    expect(event.payload).toMatchObject({ type: 'service', locale: 'en', slug: s, version: 2, via: 'now' });

    const live = await http().get(`/api/content/service/${s}?locale=en`).expect(200);
    expect(live.body).toMatchObject({
      id: created.id,
      type: 'service',
      slug: s,
      locale: 'en',
      title: 'Websites v2',
      summary: 'Fast websites',
      body: 'We build **fast** websites.',
      html: '<p>We build <strong>fast</strong> websites.</p>',
      fields: { category: 'website' },
      media: [{ url: 'https://cdn.example.com/hero.png', alt: 'A fast website' }],
      seoTitle: 'Websites v2',
      seoDescription: 'Fast websites',
      version: 2,
      fallback: false,
      locales: ['en'],
    });
    expect(Date.parse(live.body.publishedAt)).not.toBeNaN();

    // Editing a published entry saves a version; the website keeps the published one until it is published again.
    const edited = await http().patch(`/api/content/service/${created.id}`).set(staff).send({ title: 'Websites v3', body: 'Draft words' }).expect(200);
    expect(edited.body).toMatchObject({ status: 'published', version: 3, publishedVersion: 2, hasUnpublishedChanges: true });
    expect((await http().get(`/api/content/service/${s}`).expect(200)).body.title).toBe('Websites v2');

    const versions = await http().get(`/api/content/service/${created.id}/versions`).set(staff).expect(200);
    expect(versions.body.map((v: { version: number; note: string; published: boolean }) => [v.version, v.note, v.published])).toEqual([
      [3, 'edited', false],
      [2, 'edited', true],
      [1, 'created', false],
    ]);
    const v1 = await http().get(`/api/content/service/${created.id}/versions/1`).set(staff).expect(200);
    expect(v1.body).toMatchObject({ version: 1, title: 'Websites v1', body: 'We build **fast** websites.', html: '<p>We build <strong>fast</strong> websites.</p>' });
    await http().get(`/api/content/service/${created.id}/versions/9`).set(staff).expect(404);

    const restored = await http().post(`/api/content/service/${created.id}/versions/1/restore`).set(staff).expect(201);
    expect(restored.body).toMatchObject({ version: 4, title: 'Websites v1', body: 'We build **fast** websites.', publishedVersion: 2 });
    const afterRestore = await http().get(`/api/content/service/${created.id}/versions`).set(staff).expect(200);
    expect(afterRestore.body[0]).toMatchObject({ version: 4, note: 'restored from version 1' });

    await publish('service', created.id).expect(200);
    await probe.waitForEvent(RoutingKey.ContentPublished, (m) => m.payload.entryId === created.id && m.payload.version === 4);
    expect((await http().get(`/api/content/service/${s}`).expect(200)).body).toMatchObject({ title: 'Websites v1', version: 4 });

    const admin = await http().get('/api/content/admin/service?status=published&locale=en').set(staff).expect(200);
    expect(admin.body.items.map((i: { id: string }) => i.id)).toContain(created.id);
    const drafts = await http().get('/api/content/admin/service?status=draft').set(staff).expect(200);
    expect(drafts.body.items.map((i: { id: string }) => i.id)).not.toContain(created.id);
    await http().get('/api/content/admin/service?status=live').set(staff).expect(400);

    await http().post(`/api/content/service/${created.id}/unpublish`).set(staff).expect(200);
    const gone = await probe.waitForEvent(RoutingKey.ContentUnpublished, (m) => m.payload.entryId === created.id);
    expect(gone.payload).toMatchObject({ slug: s, reason: 'unpublished' });
    await http().get(`/api/content/service/${s}`).expect(404);
    expect((await http().get(`/api/content/admin/service/${created.id}`).set(staff).expect(200)).body).toMatchObject({ status: 'draft', publishedVersion: null });
    await http().post(`/api/content/service/${created.id}/unpublish`).set(staff).expect(409);

    // Archive and delete take a published entry off the website too.
    await publish('service', created.id).expect(200);
    await http().get(`/api/content/service/${s}`).expect(200);
    expect((await http().post(`/api/content/service/${created.id}/archive`).set(staff).expect(200)).body.status).toBe('archived');
    await probe.waitForEvent(RoutingKey.ContentUnpublished, (m) => m.payload.entryId === created.id && m.payload.reason === 'archived');
    await http().get(`/api/content/service/${s}`).expect(404);
    // Publishing needs no body at all.
    await http().post(`/api/content/service/${created.id}/publish`).set(staff).expect(200);
    await http().delete(`/api/content/service/${created.id}`).set(staff).expect(204);
    await probe.waitForEvent(RoutingKey.ContentUnpublished, (m) => m.payload.entryId === created.id && m.payload.reason === 'deleted');
    await http().get(`/api/content/service/${s}`).expect(404);
    await http().get(`/api/content/admin/service/${created.id}`).set(staff).expect(404);
  });

  it('falls back to English where a translation is missing, in entries and lists', async () => {
    const s = slug('faq');
    const en = await draft('faq', { slug: s, locale: 'en', title: 'How long does a website take?', body: 'Four to eight weeks.', fields: { order: 1 } });
    await publish('faq', en.id).expect(200);

    const fallback = await http().get(`/api/content/faq/${s}?locale=cs`).expect(200);
    expect(fallback.body).toMatchObject({ locale: 'en', requestedLocale: 'cs', fallback: true, title: 'How long does a website take?' });
    const csList = await http().get('/api/content/faq?locale=cs&pageSize=100').expect(200);
    expect(csList.body.items.find((i: { slug: string }) => i.slug === s)).toMatchObject({ locale: 'en', fallback: true });

    // A Czech draft changes nothing until it is published.
    const cs = await draft('faq', { slug: s, locale: 'cs', title: 'Jak dlouho trvá web?', body: 'Čtyři až osm týdnů.', fields: { order: 1 } });
    expect((await http().get(`/api/content/faq/${s}?locale=cs`).expect(200)).body.locale).toBe('en');
    await publish('faq', cs.id).expect(200);

    const translated = await http().get(`/api/content/faq/${s}?locale=cs`).expect(200);
    expect(translated.body).toMatchObject({ locale: 'cs', fallback: false, title: 'Jak dlouho trvá web?', html: '<p>Čtyři až osm týdnů.</p>', locales: ['cs', 'en'] });
    const both = await http().get('/api/content/faq?locale=cs&pageSize=100').expect(200);
    const mine = both.body.items.filter((i: { slug: string }) => i.slug === s);
    expect(mine).toHaveLength(1);
    expect(mine[0].locale).toBe('cs');
    expect((await http().get(`/api/content/faq/${s}?locale=en`).expect(200)).body.locale).toBe('en');
    await http().get(`/api/content/faq/${s}?locale=de`).expect(400);

    // Nothing in either language: 404 naming what was looked for.
    const none = await http().get(`/api/content/faq/${slug('nothing')}?locale=cs`).expect(404);
    expect(none.body.message).toContain('in cs or en');
  });

  it('finds published entries by full-text search, per language', async () => {
    const s = slug('search');
    const en = await draft('post', { slug: s, locale: 'en', title: 'Automating invoices with language models', summary: 'A case study', body: 'The robots read every invoice.', fields: { tags: ['ai'] } });
    const cs = await draft('post', { slug: s, locale: 'cs', title: 'Automatizace faktur', summary: 'Případová studie', body: 'Roboti přečtou každou fakturu.' });
    const hidden = await draft('post', { slug: slug('hidden'), locale: 'en', title: 'Secret invoices draft', body: 'invoices' });
    await publish('post', en.id).expect(200);
    await publish('post', cs.id).expect(200);

    const found = await http().get('/api/content/search?q=invoice&locale=en').expect(200);
    const slugs = found.body.items.map((i: { slug: string }) => i.slug);
    expect(slugs).toContain(s); // english stemming: invoice finds invoices
    expect(slugs).not.toContain(hidden.slug);
    expect(found.body.items.find((i: { slug: string }) => i.slug === s)).toMatchObject({ locale: 'en', html: '<p>The robots read every invoice.</p>' });

    const czech = await http().get('/api/content/search?q=faktur&locale=cs').expect(200);
    expect(czech.body.items.map((i: { slug: string; locale: string }) => [i.slug, i.locale])).toEqual([[s, 'cs']]);
    const typed = await http().get('/api/content/search?q=invoice&locale=en&type=service').expect(200);
    expect(typed.body.items.map((i: { slug: string }) => i.slug)).not.toContain(s);
    await http().get('/api/content/search?q=&locale=en').expect(400);
    await http().get('/api/content/search?locale=en').expect(400);
    // Search syntax never errors: quotes, minus and operators are words.
    await http().get(`/api/content/search?q=${encodeURIComponent('"robots read" -draft or & | ! :*')}&locale=en`).expect(200);
  });

  it('serves ETags (304 when unchanged) and a Redis cache that publishing clears', async () => {
    const first = await draft('page', { slug: slug('cache-a'), locale: 'en', title: 'Cached page A', body: 'A' });
    await publish('page', first.id).expect(200);

    const list = await http().get('/api/content/page?locale=en&pageSize=100').expect(200);
    expect(list.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    const etag = list.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const notModified = await http().get('/api/content/page?locale=en&pageSize=100').set('If-None-Match', etag).expect(304);
    expect(notModified.text).toBe('');
    await http().get('/api/content/page?locale=en&pageSize=100').set('If-None-Match', `"other", W/${etag}`).expect(304);

    // Served from Redis: a change made behind the service's back does not show…
    const database = `${namespace}_content`;
    await queryDatabase(database, `UPDATE content_published SET title = 'Changed behind the cache' WHERE entry_id = $1`, [first.id]);
    const cached = await http().get('/api/content/page?locale=en&pageSize=100').expect(200);
    expect(cached.headers.etag).toBe(etag);
    expect(cached.body.items.map((i: { title: string }) => i.title)).toContain('Cached page A');

    // …until a publication clears the cache: the list shows the new entry at once, with a new ETag.
    const second = await draft('page', { slug: slug('cache-b'), locale: 'en', title: 'Cached page B', body: 'B' });
    await publish('page', second.id).expect(200);
    const fresh = await http().get('/api/content/page?locale=en&pageSize=100').set('If-None-Match', etag).expect(200);
    expect(fresh.headers.etag).not.toBe(etag);
    const titles = fresh.body.items.map((i: { title: string }) => i.title);
    expect(titles).toEqual(expect.arrayContaining(['Cached page B', 'Changed behind the cache']));

    // The entry itself: unpublishing clears its cached answer too.
    const one = await http().get(`/api/content/page/${second.slug}`).expect(200);
    await http().get(`/api/content/page/${second.slug}`).set('If-None-Match', one.headers.etag as string).expect(304);
    await http().post(`/api/content/page/${second.id}/unpublish`).set(staff).expect(200);
    await http().get(`/api/content/page/${second.slug}`).set('If-None-Match', one.headers.etag as string).expect(404);
  });

  it('publishes at a scheduled time, even across a restart', async () => {
    const s = slug('scheduled');
    const entry = await draft('post', { slug: s, locale: 'en', title: 'Scheduled post', body: 'Out at the scheduled time.' });
    await publish('post', entry.id, { at: new Date(Date.now() - 1000).toISOString() }).expect(400);
    await publish('post', entry.id, { at: 'tomorrow' }).expect(400);

    const at = new Date(Date.now() + 2500);
    const scheduled = await publish('post', entry.id, { at: at.toISOString() }).expect(200);
    expect(scheduled.body).toMatchObject({ status: 'draft', scheduledAt: at.toISOString() });
    await http().get(`/api/content/post/${s}`).expect(404);

    // The schedule lives in the database: a new process publishes it.
    await service.app.close();
    service = await startServiceForTest(contentService, env);
    const event = await probe.waitForEvent(RoutingKey.ContentPublished, (m) => m.payload.entryId === entry.id, 20_000);
    expect(event.payload).toMatchObject({ via: 'schedule', version: 1 });
    expect(Date.parse(event.payload.publishedAt)).toBeGreaterThanOrEqual(at.getTime());
    const live = await waitFor(async () => {
      const res = await http().get(`/api/content/post/${s}`);
      return res.status === 200 && res;
    }, { what: 'the scheduled post on the website' });
    expect(live.body).toMatchObject({ title: 'Scheduled post', version: 1 });
    expect((await http().get(`/api/content/admin/post/${entry.id}`).set(staff).expect(200)).body).toMatchObject({ status: 'published', scheduledAt: null });

    // Unpublishing cancels a schedule.
    const later = await draft('post', { slug: slug('cancelled'), locale: 'en', title: 'Cancelled post' });
    await publish('post', later.id, { at: new Date(Date.now() + 3_600_000).toISOString() }).expect(200);
    expect((await http().post(`/api/content/post/${later.id}/unpublish`).set(staff).expect(200)).body).toMatchObject({ status: 'draft', scheduledAt: null });
  });

  it('serves sanitised HTML beside the Markdown source', async () => {
    const body = [
      '# Title',
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(1)">',
      '[click](javascript:alert(1))',
      '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<svg onload="alert(1)"><script>alert(2)</script></svg>',
      '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
      '[external](https://example.com)',
    ].join('\n\n');
    const page = await draft('page', { slug: slug('xss'), locale: 'en', title: 'XSS', body });
    await publish('page', page.id).expect(200);
    const res = await http().get(`/api/content/page/${page.slug}`).expect(200);
    expect(res.body.body).toBe(body);
    const html = res.body.html as string;
    // Refused links stay visible as text; no tag carries a script, a handler, a style or a dangerous URL.
    const tags = html.match(/<[^>]*>/g) ?? [];
    for (const banned of [/<script/i, /<iframe/i, /<svg/i, /\son\w+=/i, /style=/i, /javascript:/i, /data:/i]) expect(tags.filter((tag) => banned.test(tag))).toEqual([]);
    expect(html).not.toContain('alert(2)');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer">external</a>');
  });
});
