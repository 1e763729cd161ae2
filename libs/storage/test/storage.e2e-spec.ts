import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createStorageDriver, StorageDriver } from '@statex/storage';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function sourceFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'statex-src-')), 'upload');
  writeFileSync(path, content);
  return path;
}

async function roundTrip(driver: StorageDriver) {
  await driver.init();
  await driver.putFile('submissions/a/b', sourceFile('hello storage'), 'text/plain');
  expect((await readAll(await driver.get('submissions/a/b'))).toString()).toBe('hello storage');
  await driver.delete('submissions/a/b');
  await expect(driver.get('submissions/a/b').then(readAll)).rejects.toThrow();
}

describe('storage drivers', () => {
  it('local filesystem: put, get, delete, and no key escapes the root', async () => {
    const driver = createStorageDriver({ driver: 'local', localDir: mkdtempSync(join(tmpdir(), 'statex-local-')) });
    await roundTrip(driver);
    await expect(driver.putFile('../outside', sourceFile('x'), 'text/plain')).rejects.toThrow(/escapes/);
  });

  describe('S3-compatible (against s3rver speaking the S3 protocol)', () => {
    let s3rver: { run(): Promise<AddressInfo>; close(): Promise<void> };
    let port: number;

    beforeAll(async () => {
      s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 's3rver-')) });
      ({ port } = await s3rver.run());
    });

    afterAll(async () => {
      await s3rver?.close();
    });

    it('creates the bucket if missing, then puts, gets and deletes objects', async () => {
      const driver = createStorageDriver({
        driver: 's3',
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        bucket: 'statex-test',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      });
      await roundTrip(driver);
      // A second init finds the bucket and keeps it.
      await driver.init();
    });
  });
});
