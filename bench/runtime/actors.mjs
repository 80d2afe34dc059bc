// Actor kinds for the cross-thread benchmark (loaded by the runtime's worker threads).
export const sink = {
  kind: 'sink',
  start: () => ({ n: 0 }),
  receive(state, msg) {
    if (msg.type === 'count') return state.n;
    state.n++;
    return undefined;
  },
};
