// The benchmarks' side of child.mjs's IPC: one question, one answer.

/** Asks the app process for something (`cpu`, `mem`, …) over IPC; resolves with the answer's `field`. */
export function ask(child, what, field = what) {
  return new Promise((ok) => {
    const onMessage = (m) => {
      if (m?.[field] === undefined) return;
      child.off('message', onMessage);
      ok(m[field]);
    };
    child.on('message', onMessage);
    child.send(what);
  });
}
