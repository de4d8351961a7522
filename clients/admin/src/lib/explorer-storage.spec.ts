import { describe, expect, it } from 'vitest';
import { clearExplorerStorage, explorerStorage } from './explorer-storage';
import { memoryStorage } from './memory-storage.test-util';

describe('the explorer storage', () => {
  it("holds GraphiQL's keys and clears only them", () => {
    const storage = memoryStorage();
    storage.setItem('moim.admin.session', '{}');
    const graphiql = explorerStorage(storage);
    graphiql.setItem('graphiql:tabState', '{"tabs":[{"variables":"{\\"secret\\":1}"}]}');
    graphiql.setItem('graphiql:queries', '[]');
    expect(graphiql.length).toBe(2);
    expect(graphiql.getItem('graphiql:queries')).toBe('[]');
    clearExplorerStorage(storage);
    expect(graphiql.length).toBe(0);
    expect(storage.getItem('graphiql:tabState')).toBeNull();
    expect(storage.getItem('moim.admin.session')).toBe('{}');
  });

  it('drops the late write GraphiQL makes after the session ended, and writes again once one is open', () => {
    const storage = memoryStorage();
    let open = true;
    const graphiql = explorerStorage(storage, () => open);
    open = false;
    graphiql.setItem('graphiql:tabState', '{"query":"typed before log-out"}');
    expect(storage.getItem('graphiql:tabState')).toBeNull();
    open = true;
    graphiql.setItem('graphiql:tabState', '{}');
    expect(storage.getItem('graphiql:tabState')).toBe('{}');
  });
});
