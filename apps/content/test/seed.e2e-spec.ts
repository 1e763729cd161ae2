import { Logger } from '@nestjs/common';
import { DEFAULT_CATEGORIES, RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { contentService } from '../src/content.app';
import { ContentEnv } from '../src/content.env';
import { seedContentDatabase } from '../src/seed/seed-command';
import { STARTING_CONTENT } from '../src/seed/starting-content';

const SERVICE_CATEGORIES = DEFAULT_CATEGORIES.filter((category) => category !== 'other');
const count = async (database: string, table: string) => Number((await queryDatabase<{ n: string }>(database, `SELECT count(*) AS n FROM ${table}`))[0].n);

describe('content: the starting content (services and home page, en and cs), loaded once', () => {
  const namespace = uniqueNamespace('cse');
  const auth = new AuthStandIn();
  const probe = new BrokerProbe(namespace);
  let env: ContentEnv;
  let service: ServiceUnderTest;
  const database = `${namespace}_content`;

  beforeAll(async () => {
    await auth.start();
    await probe.start();
    env = testEnv(ContentEnv, namespace, auth.env);
    // The seed command logs through Nest's console logger (the services' own logs are silent in tests).
    Logger.overrideLogger(false);
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['content']);
    await probe.stop();
  });

  it('is loaded by `npm run seed` into an empty database, and a second run changes nothing', async () => {
    const first = await seedContentDatabase(env);
    expect(first).toMatchObject({ created: STARTING_CONTENT.length, existing: 0, database });
    const second = await seedContentDatabase(env);
    expect(second).toMatchObject({ created: 0, existing: STARTING_CONTENT.length });
    expect(await count(database, 'content_entries')).toBe(STARTING_CONTENT.length);
    expect(await count(database, 'content_versions')).toBe(STARTING_CONTENT.length);
    expect(await count(database, 'content_published')).toBe(STARTING_CONTENT.length);
    // Its content.published events wait in the outbox for the service's relay.
    expect(await count(database, 'outbox_messages')).toBe(STARTING_CONTENT.length);
  });

  it('is on the website when the service starts: a service per AI category and the home page, in English and Czech', async () => {
    service = await startServiceForTest(contentService, env);
    // The outbox relay sends the seed's events.
    await probe.waitForEvent(RoutingKey.ContentPublished, (m) => m.payload.type === 'page' && m.payload.slug === 'home' && m.payload.locale === 'cs');

    for (const locale of ['en', 'cs']) {
      const services = await service.http.get(`/api/content/service?locale=${locale}`).expect(200);
      expect(services.body.total).toBe(SERVICE_CATEGORIES.length);
      expect(services.body.items.map((item: { fields: { category: string } }) => item.fields.category)).toEqual(SERVICE_CATEGORIES);
      for (const item of services.body.items) expect(item).toMatchObject({ locale, fallback: false, locales: ['cs', 'en'] });
      const home = await service.http.get(`/api/content/page/home?locale=${locale}`).expect(200);
      expect(home.body).toMatchObject({ locale, fallback: false, fields: { template: 'home' } });
      expect(home.body.html).toContain('<h2>');
    }
    const cs = await service.http.get('/api/content/service/e-commerce?locale=cs').expect(200);
    expect(cs.body).toMatchObject({ title: 'E-shopy', fields: { category: 'e-commerce', currency: 'CZK' } });
    const found = await service.http.get(`/api/content/search?q=${encodeURIComponent('e-shop')}&locale=cs`).expect(200);
    expect(found.body.items[0]).toMatchObject({ slug: 'e-commerce', locale: 'cs' });
    const english = await service.http.get('/api/content/search?q=dashboards&locale=en').expect(200);
    expect(english.body.items[0]).toMatchObject({ slug: 'data-analytics', locale: 'en' });
  });

  it('leaves what editors changed, and is not loaded again at start once the database has entries', async () => {
    const staff = bearer(await auth.mint({ roles: ['admin'] }));
    const [home] = (await service.http.get('/api/content/admin/page?locale=en').set(staff).expect(200)).body.items;
    await service.http.patch(`/api/content/page/${home.id}`).set(staff).send({ title: 'Our own title' }).expect(200);
    await service.http.delete(`/api/content/page/${(await service.http.get('/api/content/admin/page?locale=cs').set(staff).expect(200)).body.items[0].id}`).set(staff).expect(204);

    await service.app.close();
    service = await startServiceForTest(contentService, env);
    await service.http.get('/api/content/page/home?locale=en').expect(200);
    expect(await count(database, 'content_entries')).toBe(STARTING_CONTENT.length - 1);

    // `npm run seed` brings back what is missing, and nothing else.
    expect(await seedContentDatabase(env)).toMatchObject({ created: 1, existing: STARTING_CONTENT.length - 1 });
    expect((await service.http.get(`/api/content/admin/page/${home.id}`).set(staff).expect(200)).body.title).toBe('Our own title');
    expect(await count(database, 'content_entries')).toBe(STARTING_CONTENT.length);
  });
});
