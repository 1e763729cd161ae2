import { Writable } from 'node:stream';
import { LogShipper, LogShipperOptions } from './log-shipper';

/**
 * The pino transport target (loaded by pino in a worker thread, from the compiled JS):
 * every line pino writes is handed to a LogShipper, so the service's own thread never
 * waits on RabbitMQ.
 */
export default function logShippingTransport(options: LogShipperOptions): Writable {
  const shipper = new LogShipper(options).start();
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) shipper.push(line);
      callback();
    },
    final(callback) {
      if (rest) shipper.push(rest);
      rest = '';
      shipper.close().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      shipper.close().then(() => callback(error), () => callback(error));
    },
  });
}
