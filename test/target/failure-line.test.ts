import { expect, test } from '@playwright/test';
import { failureLine, redactPorts } from '../../src/target/process.ts';

test.describe('failureLine', () => {
  test('a Node start failure: the error line, not its stack frames or error properties', () => {
    const out = [
      'node:events:497',
      '      throw er; // Unhandled error event',
      '      ^',
      '',
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:5058',
      '    at Server.setupListenHandle [as _listen2] (node:net:1908:16)',
      '    at listenInCluster (node:net:1965:12)',
      "  code: 'EADDRINUSE',",
      "  syscall: 'listen',",
      '}',
    ];
    expect(failureLine(out)).toBe('Error: listen EADDRINUSE: address already in use 127.0.0.1:5058');
  });

  test('a Python traceback: its last line', () => {
    const out = [
      'Traceback (most recent call last):',
      '  File "/srv/app.py", line 3, in <module>',
      '    import flask',
      "ModuleNotFoundError: No module named 'flask'",
    ];
    expect(failureLine(out)).toBe("ModuleNotFoundError: No module named 'flask'");
  });

  test('plain output: the last line that is not a frame; nothing: undefined', () => {
    expect(failureLine(['starting', 'config missing: DATABASE_URL', '    at x (/a.js:1:1)'])).toBe(
      'config missing: DATABASE_URL',
    );
    expect(failureLine([])).toBeUndefined();
  });
});

test.describe('redactPorts', () => {
  test('ports of URLs and host:port pairs go, file positions stay', () => {
    expect(redactPorts('GET http://127.0.0.1:41234/healthz failed')).toBe(
      'GET http://127.0.0.1:<port>/healthz failed',
    );
    expect(redactPorts('address already in use 127.0.0.1:5058')).toBe(
      'address already in use 127.0.0.1:<port>',
    );
    expect(redactPorts('https://[::1]:8443/x and localhost:3000')).toBe(
      'https://[::1]:<port>/x and localhost:<port>',
    );
    expect(redactPorts('at handler (/srv/server.js:147:16)')).toBe('at handler (/srv/server.js:147:16)');
    expect(redactPorts('server.py:147')).toBe('server.py:147');
  });
});
