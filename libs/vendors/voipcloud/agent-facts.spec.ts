import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { voipcloudCallId } from './index';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));

describe('VoIPcloud agent facts', () => {
  it('voipcloudCallId', () => {
    expect(voipcloudCallId(fixture('user_inbound'))).toBe('1769472150.1234');
    expect(voipcloudCallId({ unique_call_id: 'null' })).toBeNull();
    expect(voipcloudCallId([])).toBeNull();
  });
});
