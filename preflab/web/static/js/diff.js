// Word-level differences between two texts (the D key on a Pairwise of two texts).

// Each text split into words and the whitespace between them, with, per token, whether the
// other text has it too (1) or not (0). Common prefix and suffix are cut first (near duplicates
// are the usual case); the middle is compared by longest common subsequence while that stays
// small, and marked whole beyond it. Pure: no DOM.
export function diffTokens(left, right) {
  const x = left.split(/(\s+)/).filter(Boolean);
  const y = right.split(/(\s+)/).filter(Boolean);
  const wx = [];
  const wy = [];
  for (const [i, t] of x.entries()) if (/\S/.test(t)) wx.push(i);
  for (const [i, t] of y.entries()) if (/\S/.test(t)) wy.push(i);
  const keepX = new Uint8Array(x.length).fill(1);
  const keepY = new Uint8Array(y.length).fill(1);
  let start = 0;
  while (start < wx.length && start < wy.length && x[wx[start]] === y[wy[start]]) start++;
  let endX = wx.length;
  let endY = wy.length;
  while (endX > start && endY > start && x[wx[endX - 1]] === y[wy[endY - 1]]) {
    endX--;
    endY--;
  }
  const n = endX - start;
  const m = endY - start;
  if (n && m && n * m <= 4_000_000) {
    const width = m + 1;
    const table = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * width + j] =
          x[wx[start + i]] === y[wy[start + j]] ? table[(i + 1) * width + j + 1] + 1 : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[wx[start + i]] === y[wy[start + j]]) {
        i++;
        j++;
      } else if (j >= m || (i < n && table[(i + 1) * width + j] >= table[i * width + j + 1])) {
        keepX[wx[start + i++]] = 0;
      } else {
        keepY[wy[start + j++]] = 0;
      }
    }
  } else {
    for (let i = start; i < endX; i++) keepX[wx[i]] = 0;
    for (let j = start; j < endY; j++) keepY[wy[j]] = 0;
  }
  return [
    { tokens: x, keep: keepX },
    { tokens: y, keep: keepY },
  ];
}

// Runs of one text: [{text, changed}], whitespace between two changed words inside the change.
export function runs({ tokens, keep }) {
  const out = [];
  tokens.forEach((token, i) => {
    const space = !/\S/.test(token);
    const last = out.at(-1);
    const changed = space ? Boolean(last?.changed) && keep[i + 1] === 0 : keep[i] === 0;
    if (last && last.changed === changed) last.text += token;
    else out.push({ text: token, changed });
  });
  return out;
}

// The two texts as lists of nodes: text, and <mark class="pf-diff"> around what the other lacks.
export function wordDiff(left, right) {
  return diffTokens(left, right).map((side) =>
    runs(side).map(({ text, changed }) => {
      if (!changed) return document.createTextNode(text);
      const mark = document.createElement("mark");
      mark.className = "pf-diff";
      mark.textContent = text;
      return mark;
    }),
  );
}
