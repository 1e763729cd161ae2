import { NotificationEnv } from '../notification.env';

describe('TelegramChannel', () => {
  it('loads grammy only where TELEGRAM_BOT_TOKEN is set', () => {
    let loads = 0;
    let channels: Array<{ isConfigured(): boolean }> = [];
    jest.isolateModules(() => {
      jest.doMock('grammy', () => {
        loads += 1;
        return jest.requireActual('grammy');
      });
      const { TelegramChannel } = jest.requireActual<typeof import('./telegram.channel')>('./telegram.channel');
      const env = (token: string) => Object.assign(new NotificationEnv(), { TELEGRAM_BOT_TOKEN: token });
      channels = [new TelegramChannel(env(''))];
      expect(loads).toBe(0);
      channels.push(new TelegramChannel(env('123456:test-token')));
    });
    expect(channels.map((c) => c.isConfigured())).toEqual([false, true]);
    expect(loads).toBe(1);
  });
});
