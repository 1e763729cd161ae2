import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, fixtures, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { contentService } from '../src/content.app';
import { ContentEnv } from '../src/content.env';

/** supertest's buffer parser for binary answers. */
const binary = (res: NodeJS.ReadableStream & { setEncoding(e: string): void }, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('content: media uploads in attachment storage, typed by their content', () => {
  const namespace = uniqueNamespace('cme');
  const auth = new AuthStandIn();
  let storageDir: string;
  let service: ServiceUnderTest;
  let staff: Record<string, string>;

  beforeAll(async () => {
    await auth.start();
    storageDir = await mkdtemp(join(tmpdir(), 'statex-content-media-'));
    const env = testEnv(ContentEnv, namespace, { ...auth.env, CONTENT_SEED_ON_START: false, STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: storageDir, CONTENT_MEDIA_MAX_BYTES: 4096 });
    service = await startServiceForTest(contentService, env);
    staff = bearer(await auth.mint({ roles: ['operator'] }));
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['content']);
    await probe.stop();
    await rm(storageDir, { recursive: true, force: true });
  });

  const upload = (file: Buffer, name: string, headers = staff) => service.http.post('/api/content/media').set(headers).attach('file', file, name);

  it('lets only staff upload, and only pictures and documents whose content says so', async () => {
    await upload(fixtures.png(), 'a.png', {}).expect(401);
    await upload(fixtures.png(), 'a.png', bearer(await auth.mint({ roles: ['client'] }))).expect(403);

    const html = await upload(Buffer.from('<html><script>alert(1)</script></html>'), 'innocent.png').expect(415);
    expect(html.body.message).toContain('not of an accepted type');
    await upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'logo.svg').expect(415);
    await upload(fixtures.executable(), 'setup.pdf').expect(415);
    await upload(Buffer.alloc(5000, 'a'), 'big.txt').expect(413);
    await service.http.post('/api/content/media').set(staff).attach('file', fixtures.png(), 'a.png').attach('file', fixtures.png(), 'b.png').expect(413);
    await service.http.post('/api/content/media').set(staff).field('alt', 'no file').expect(400);
    await service.http.post('/api/content/media').set(staff).attach('picture', fixtures.png(), 'a.png').expect(400);
    await service.http.post('/api/content/media').set(staff).field('colour', 'red').attach('file', fixtures.png(), 'a.png').expect(400);
    await service.http.post('/api/content/media').set(staff).send({ file: 'x' }).expect(400);
    // Nothing refused was kept.
    expect((await service.http.get('/api/content/media').set(staff).expect(200)).body.total).toBe(0);
  });

  it('serves an uploaded file publicly, immutable, with its type from its content', async () => {
    const png = fixtures.png();
    const uploaded = await service.http.post('/api/content/media').set(staff).field('alt', 'Our team').attach('file', png, { filename: 'team.jpg', contentType: 'text/html' }).expect(201);
    expect(uploaded.body).toMatchObject({ contentType: 'image/png', fileName: 'team.jpg', alt: 'Our team', size: png.length, url: `/api/content/media/${uploaded.body.id}` });
    expect(await readdir(join(storageDir, 'content', 'media'))).toContain(uploaded.body.id);

    const file = await service.http.get(uploaded.body.url).buffer(true).parse(binary as never).expect(200);
    expect(Buffer.compare(file.body as Buffer, png)).toBe(0);
    expect(file.headers).toMatchObject({ 'content-type': 'image/png', 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=31536000, immutable' });
    expect(file.headers['content-disposition']).toMatch(/^inline/);
    await service.http.get(uploaded.body.url).set('If-None-Match', file.headers.etag as string).expect(304);

    const txt = await upload(fixtures.txt(), 'notes.txt').expect(201);
    const download = await service.http.get(txt.body.url).expect(200);
    expect(download.headers['content-disposition']).toBe("attachment; filename*=UTF-8''notes.txt");
    await service.http.get('/api/content/media/00000000-0000-4000-8000-000000000000').expect(404);
    await service.http.get('/api/content/media/not-an-id').expect(400);
  });

  it('references uploads from entries, and keeps a file that an entry uses', async () => {
    const uploaded = (await upload(fixtures.pdf(), 'price-list.pdf').expect(201)).body;
    const unknown = await service.http
      .post('/api/content/page')
      .set(staff)
      .send({ slug: 'prices', locale: 'en', title: 'Prices', media: [{ mediaId: '00000000-0000-4000-8000-000000000000', alt: 'x' }] })
      .expect(400);
    expect(unknown.body.message).toContain('media.0.mediaId');
    await service.http.post('/api/content/page').set(staff).send({ slug: 'prices', locale: 'en', title: 'Prices', media: [{ alt: 'neither' }] }).expect(400);

    const page = await service.http
      .post('/api/content/page')
      .set(staff)
      .send({ slug: 'prices', locale: 'en', title: 'Prices', media: [{ mediaId: uploaded.id, alt: 'Price list', caption: '2026' }, { url: 'https://cdn.example.com/x.png', alt: 'Elsewhere' }] })
      .expect(201);
    expect(page.body.media).toEqual([
      { mediaId: uploaded.id, url: uploaded.url, contentType: 'application/pdf', alt: 'Price list', caption: '2026' },
      { url: 'https://cdn.example.com/x.png', alt: 'Elsewhere' },
    ]);
    await service.http.post(`/api/content/page/${page.body.id}/publish`).set(staff).expect(200);
    const live = await service.http.get('/api/content/page/prices').expect(200);
    expect(live.body.media[0]).toMatchObject({ mediaId: uploaded.id, url: uploaded.url });

    const inUse = await service.http.delete(`/api/content/media/${uploaded.id}`).set(staff).expect(409);
    expect(inUse.body.message).toContain('page en/prices');
    // Still shown by the published version after the draft drops it.
    await service.http.patch(`/api/content/page/${page.body.id}`).set(staff).send({ media: [] }).expect(200);
    await service.http.delete(`/api/content/media/${uploaded.id}`).set(staff).expect(409);
    await service.http.post(`/api/content/page/${page.body.id}/publish`).set(staff).expect(200);
    await service.http.delete(`/api/content/media/${uploaded.id}`).set(staff).expect(204);
    await service.http.get(uploaded.url).expect(404);
    expect(await readdir(join(storageDir, 'content', 'media'))).not.toContain(uploaded.id);
  });
});
