describe('checkPassword', () => {
  it('refuses a common password, and reads the list of common passwords only on the first check', () => {
    let loads = 0;
    let policy: typeof import('./password-policy') | undefined;
    jest.isolateModules(() => {
      jest.doMock('@zxcvbn-ts/language-common', () => {
        loads += 1;
        return jest.requireActual('@zxcvbn-ts/language-common');
      });
      policy = jest.requireActual<typeof import('./password-policy')>('./password-policy');
    });
    expect(loads).toBe(0);
    expect(() => policy!.checkPassword('Password123')).toThrow('password is on the list of common passwords');
    expect(() => policy!.checkPassword('violet kettle harbour lamp')).not.toThrow();
    expect(loads).toBe(1);
  });
});
