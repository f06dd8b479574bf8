import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';

// Only the environment passed in counts: loadConfig reads nothing else.
describe('loadConfig: Temporal settings', () => {
  it('defaults to the private dev server of scripts/temporal.sh, without a UI link', () => {
    const c = loadConfig({});
    expect(c.temporalAddress).to.equal('127.0.0.1:17233');
    expect(c.temporalNamespace).to.equal('default');
    expect(c.temporalTaskQueue).to.equal('updraft-durable');
    expect(c.temporalUiUrl).to.equal(null);
  });

  it('follows UPDRAFT_TEMPORAL_PORT, and UPDRAFT_TEMPORAL_ADDRESS over it', () => {
    expect(loadConfig({ UPDRAFT_TEMPORAL_PORT: '27333' }).temporalAddress).to.equal('127.0.0.1:27333');
    const env = { UPDRAFT_TEMPORAL_PORT: '27333', UPDRAFT_TEMPORAL_ADDRESS: 'temporal.internal:7233' };
    expect(loadConfig(env).temporalAddress).to.equal('temporal.internal:7233');
    expect(loadConfig({ UPDRAFT_TEMPORAL_ADDRESS: '' }).temporalAddress, 'empty is unset').to.equal('127.0.0.1:17233');
  });

  it('takes the namespace, task queue and UI URL (trailing slashes dropped)', () => {
    const c = loadConfig({
      UPDRAFT_TEMPORAL_NAMESPACE: 'etl', UPDRAFT_TEMPORAL_TASK_QUEUE: 'etl-durable',
      UPDRAFT_TEMPORAL_UI_URL: 'http://127.0.0.1:18233/',
    });
    expect([c.temporalNamespace, c.temporalTaskQueue, c.temporalUiUrl])
      .to.deep.equal(['etl', 'etl-durable', 'http://127.0.0.1:18233']);
    expect(loadConfig({ UPDRAFT_TEMPORAL_UI_URL: '' }).temporalUiUrl, 'empty is unset').to.equal(null);
  });

  it('rejects a bad port, an empty namespace or task queue, and a UI URL that is no URL', () => {
    for (const env of [
      { UPDRAFT_TEMPORAL_PORT: '70000' }, { UPDRAFT_TEMPORAL_NAMESPACE: '' },
      { UPDRAFT_TEMPORAL_TASK_QUEUE: ' ' }, { UPDRAFT_TEMPORAL_UI_URL: 'temporal-ui' }, { UPDRAFT_TEMPORAL_UI_URL: 'javascript:alert(1)' },
    ]) {
      expect(() => loadConfig(env), JSON.stringify(env)).to.throw(/invalid configuration: UPDRAFT_TEMPORAL_/);
    }
  });
});
