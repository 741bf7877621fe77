import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nexbroCallId, nexbroExtensionFacts } from './index';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('Nexbro agent facts', () => {
  it('nexbroExtensionFacts', () => {
    expect(nexbroExtensionFacts(fixture('extension_register_success'))).toEqual({
      extension: '234',
      name: 'Rupinder Singh',
      ip: '10.1.1.71',
      port: '32855',
      transport: 'TCP',
      userAgent: 'Zoiper 5.6.9 v2.10.20.8',
    });
    // The failure table has no name or transport.
    expect(nexbroExtensionFacts(fixture('extension_register_failure'))).toMatchObject({ name: null, transport: null });
    expect(nexbroExtensionFacts({ extension: 234, name: '  ', user_agent: 5 })).toMatchObject({
      extension: '234',
      name: null,
      userAgent: null,
    });
    expect(nexbroExtensionFacts(null).extension).toBeNull();
  });

  it('nexbroCallId', () => {
    expect(nexbroCallId(fixture('call_hangup'))).toBe('c63fe6f8-0f61-4896-87a2-adc05e06ac36');
    expect(nexbroCallId({})).toBeNull();
  });
});
