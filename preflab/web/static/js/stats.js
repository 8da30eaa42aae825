// The Stats tab: GET /api/projects/{id}/stats drawn as charts and tables. Every value from the
// document (emails, model names, flag reasons) is set as text; the charts are SVG built with
// DOM calls (js/charts.js). Annotators get the project-wide figures and their own row only:
// that is what the API gives them.

import { api, el } from "./api.js";
import { barChart, hbarChart, shareMeter, whiskerChart } from "./charts.js";

const page = document.getElementById("stats");
const projectId = Number(page.dataset.project);
const manager = page.dataset.manager === "true";
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ numbers for people

const MINUS = "\u2212";
const signed = (text) => text.replace(/^-/, MINUS);
export const fmt = {
  count: (n) => (n == null ? "–" : Number(n).toLocaleString("en-US")),
  // a share in [0, 1] as a percentage: "66.67%", "50%"
  pct: (v) => (v == null ? "–" : `${Number((v * 100).toFixed(2))}%`),
  // a statistic with two decimals: "0.10", "−0.13"
  dec: (v) => (v == null ? "–" : signed(Number(v).toFixed(2))),
  score: (v) => (v == null ? "–" : signed(Number(v).toFixed(2))),
  p: (v) => (v == null ? "–" : v < 0.0001 ? "< 0.0001" : String(Number(v.toPrecision(2)))),
  seconds: (v) => (v == null ? "–" : `${Number(v.toFixed(2))} s`),
};
const plural = (n, one, many = `${one}s`) => `${fmt.count(n)} ${n === 1 ? one : many}`;

// Charts are drawn at the width of their box, so that their text keeps its size.
const widthOf = (box) => Math.max(300, Math.floor(box.getBoundingClientRect().width));

function empty(text) {
  return el("p", { class: "empty muted", text });
}

function figure(caption, chart, ...notes) {
  return el("figure", { class: "figure" }, chart, el("figcaption", { class: "muted", text: caption }), ...notes);
}

// ------------------------------------------------------------------ progress over time

const DAY = 86_400_000;
const dayNumber = (date) => Date.parse(`${date}T00:00:00Z`) / DAY;
const dayText = (n) => new Date(n * DAY).toISOString().slice(0, 10);

// Days with no answers count as zero; long spans are drawn by week, then by month.
function progressBins(series) {
  if (!series.length) return [];
  const byDay = new Map(series.map((d) => [dayNumber(d.date), d]));
  const first = dayNumber(series[0].date);
  const last = dayNumber(series[series.length - 1].date);
  const span = last - first + 1;
  const unit = span <= 92 ? "day" : span <= 730 ? "week" : "month";
  const bins = [];
  let current = null;
  for (let d = first; d <= last; d++) {
    const text = dayText(d);
    const key = unit === "day" ? d : unit === "week" ? Math.floor((d - first) / 7) : text.slice(0, 7);
    if (!current || current.key !== key) {
      current = { key, label: unit === "month" ? text.slice(0, 7) : text, annotations: 0, skipped: 0, unit, end: text };
      bins.push(current);
    }
    const found = byDay.get(d);
    if (found) {
      current.annotations += found.annotations;
      current.skipped += found.skipped;
    }
    current.end = text;
  }
  return bins;
}

function drawProgress(doc) {
  const box = $("progress");
  const bins = progressBins(doc.progress || []);
  if (!bins.length) return box.replaceChildren(empty("No answers yet: the chart starts with the first one."));
  let total = 0;
  let skipped = 0;
  const bars = bins.map((b) => {
    const before = total;
    total += b.annotations;
    skipped += b.skipped;
    const when = b.unit === "day" ? b.label : b.unit === "week" ? `week from ${b.label}` : b.label;
    return {
      label: b.unit === "day" ? b.label.slice(5) : b.label,
      segments: [
        { value: before, cls: "prior" },
        { value: b.annotations, cls: "added" },
      ],
      title: `${when}: ${plural(b.annotations, "answer")} (${fmt.count(b.skipped)} skipped), ${fmt.count(total)} in all`,
    };
  });
  const unit = bins[0].unit;
  const chart = barChart({
    title: "Answers so far",
    desc: `Answers collected so far, by ${unit}, from ${bins[0].label} to ${bins[bins.length - 1].end}: ${plural(total, "answer")} and ${plural(skipped, "skip")} in all.`,
    bars,
    yLabel: "answers so far",
    width: widthOf(box),
    xLabel: unit === "day" ? "day (UTC)" : unit === "week" ? "week (UTC)" : "month (UTC)",
    format: fmt.count,
  });
  box.replaceChildren(
    figure(
      `Each bar is the number of answers up to that ${unit}; the darker part came in during it. ${plural(total, "answer")} and ${plural(skipped, "skip")} in ${plural(bins.length, unit)}.`,
      chart,
    ),
  );
}

// ------------------------------------------------------------------ votes per task

function drawVotesPerTask(doc) {
  const box = $("votes-per-task");
  const rows = doc.votes_per_task || [];
  if (!rows.length) return box.replaceChildren(empty("No tasks yet."));
  // the document counts the tasks with annotations; the others have no votes either
  const counts = new Map(rows.map((r) => [r.votes, r.tasks]));
  const untouched = Math.max(0, (doc.tasks || 0) - rows.reduce((s, r) => s + r.tasks, 0));
  const skippedOnly = counts.get(0) || 0;
  counts.set(0, skippedOnly + untouched);
  const max = Math.max(...counts.keys());
  const bars = [];
  for (let v = 0; v <= max; v++) {
    const n = counts.get(v) || 0;
    const detail = v === 0 && n ? ` (${fmt.count(untouched)} not answered yet, ${fmt.count(skippedOnly)} skipped or without a vote)` : "";
    bars.push({
      label: String(v),
      segments: [{ value: n, cls: v === 0 ? "none" : "added" }],
      title: `${plural(n, "task")} with ${plural(v, "vote")}${detail}`,
    });
  }
  const withVotes = rows.filter((r) => r.votes > 0).reduce((s, r) => s + r.tasks, 0);
  const voted = rows.reduce((s, r) => s + r.votes * r.tasks, 0);
  const chart = barChart({
    title: "Votes per task",
    desc: bars.map((b) => b.title).join("; "),
    bars,
    yLabel: "tasks",
    width: widthOf(box),
    xLabel: "votes on the task",
    format: fmt.count,
  });
  const mean = withVotes ? voted / withVotes : null;
  box.replaceChildren(
    figure(
      withVotes
        ? `${plural(withVotes, "task")} with votes, ${fmt.dec(mean)} votes each on average; ${plural(counts.get(0) || 0, "task")} without any.`
        : "No votes yet.",
      chart,
    ),
  );
}

// ------------------------------------------------------------------ outcomes

const OUTCOMES = [
  ["answer1", "answer1 wins", "win"],
  ["answer2", "answer2 wins", "win2"],
  ["tie", "tie", "tie"],
  ["both_bad", "both bad", "bad"],
  ["no_majority", "no majority", "split"],
  ["too_few_votes", "too few votes", "few"],
];

function drawOutcomes(doc) {
  const box = $("outcomes");
  const outcomes = doc.outcomes || {};
  const total = OUTCOMES.reduce((s, [k]) => s + (outcomes[k] || 0), 0);
  if (!total) return box.replaceChildren(empty("No votes yet: each compared pair gets an outcome once it has votes."));
  const rows = OUTCOMES.map(([key, label, cls]) => {
    const n = outcomes[key] || 0;
    return {
      label,
      value: n,
      note: `(${fmt.pct(n / total)})`,
      cls,
      title: `${label}: ${plural(n, "comparison")}, ${fmt.pct(n / total)} of ${fmt.count(total)}`,
    };
  });
  const rules = doc.rules || {};
  const rule = `${rules.min_agreement == null ? "a strict majority" : `at least ${fmt.pct(rules.min_agreement)} of the votes`}, ${plural(rules.min_votes ?? 1, "vote")} at least`;
  box.replaceChildren(
    figure(
      `${plural(total, "comparison")} with votes. A winner needs ${rule}.`,
      hbarChart({ title: "Outcomes of the comparisons", desc: rows.map((r) => r.title).join("; "), rows, format: fmt.count, width: widthOf(box) }),
    ),
  );
}

// ------------------------------------------------------------------ agreement

function kappaWord(k) {
  if (k < 0) return "poor";
  if (k <= 0.2) return "slight";
  if (k <= 0.4) return "fair";
  if (k <= 0.6) return "moderate";
  if (k <= 0.8) return "substantial";
  return "almost perfect";
}

// One plain sentence on what the agreement figures say.
export function agreementReading(agreement) {
  const alpha = agreement.krippendorff_alpha;
  if (alpha == null) return "Not enough overlap to measure agreement yet: it needs comparisons that two or more labelers voted on.";
  const a = fmt.dec(alpha);
  if (alpha >= 0.8) return `The labelers agree well: alpha ${a} is at or above 0.80, the level Krippendorff calls reliable.`;
  if (alpha >= 0.667) return `The labelers mostly agree: alpha ${a} is enough for tentative conclusions (0.67 to 0.80), not yet reliable (0.80).`;
  if (alpha > 0.05)
    return `The labelers agree only a little beyond chance: alpha ${a} is below 0.67, the least Krippendorff accepts even for tentative conclusions.`;
  if (alpha >= -0.05) return `The labelers agree no more than chance would (alpha ${a}): check the instructions, or whether the two answers really differ.`;
  return `The labelers disagree more than chance would (alpha ${a}): they may read the instructions differently, or the answers may be very close.`;
}

function drawAgreement(doc) {
  const agreement = doc.agreement || {};
  const kappa = agreement.mean_pairwise_cohen_kappa;
  const facts = el(
    "dl",
    { class: "facts" },
    el("dt", { text: "Krippendorff's alpha" }),
    el(
      "dd",
      {},
      el("strong", { id: "alpha", text: fmt.dec(agreement.krippendorff_alpha) }),
      ` over ${plural(agreement.items ?? 0, "comparison")} with two votes or more`,
    ),
    el("dt", { text: "Mean Cohen's kappa" }),
    el(
      "dd",
      {},
      el("strong", { id: "kappa", text: fmt.dec(kappa) }),
      kappa == null
        ? ` (no pair of labelers shares ${fmt.count(agreement.min_shared_items ?? 10)} comparisons yet)`
        : ` (${kappaWord(kappa)}) over ${plural(agreement.kappa_pairs ?? 0, "labeler pair")} sharing ${fmt.count(agreement.min_shared_items ?? 10)}+ comparisons`,
    ),
    el("dt", { text: "Votes for the top answer" }),
    el("dd", { text: agreement.mean_comparison_agreement == null ? "–" : `${fmt.pct(agreement.mean_comparison_agreement)} on average per comparison` }),
  );
  $("agreement").replaceChildren(el("p", { class: "reading", id: "agreement-reading", text: agreementReading(agreement) }), facts);
}

// ------------------------------------------------------------------ position bias

function biasReading(bias, randomized, who = "The labelers") {
  if (!bias?.votes) return "No votes for one answer with a known order yet.";
  const side = randomized ? "the answer shown first" : "the left answer";
  const base = `${who} picked ${side} in ${fmt.pct(bias.first_shown_share)} of ${plural(bias.votes, "vote")} (p = ${fmt.p(bias.p_value)})`;
  if (bias.p_value != null && bias.p_value < 0.05) return `${base}: more often than chance explains.`;
  return `${base}: within what chance explains.`;
}

function drawPositionBias(doc, project) {
  const bias = doc.position_bias || { votes: 0 };
  const randomized = !!project.randomize_order;
  const box = $("position-bias");
  const parts = [el("p", { class: "reading", id: "bias-reading", text: biasReading(bias, randomized) })];
  if (bias.votes) {
    parts.push(
      shareMeter({
        title: randomized ? "Share of picks for the answer shown first" : "Share of picks for the left answer",
        desc: `${fmt.pct(bias.first_shown_share)} of ${plural(bias.votes, "vote")}; 50% means no preference for a position.`,
        share: bias.first_shown_share,
        width: widthOf(box),
      }),
    );
  }
  if (!randomized) {
    parts.push(
      el("p", {
        class: "muted",
        text: "The answers are shown in a fixed order, so this share mixes a preference for a side with real differences between answer1 and answer2. Turn on random answer order in Settings to measure the bias itself.",
      }),
    );
  }
  box.replaceChildren(...parts);
}

// ------------------------------------------------------------------ labelers

// A share with the number of items it is over ("82.14% of 28"), or "–" when there are none.
function share(value, items, noun, what) {
  if (value == null) return el("td", { class: "num muted", title: `no ${noun}s yet`, text: "–" });
  return el(
    "td",
    { class: "num", title: `${fmt.pct(value)} of ${plural(items ?? 0, noun)} ${what}` },
    fmt.pct(value),
    el("span", { class: "n", text: ` of ${fmt.count(items ?? 0)}` }),
  );
}

// A labeler's estimated accuracy with its 95% interval ("87% 80–93%"), or "–" before any vote.
function reliabilityCell(fit) {
  if (!fit || fit.estimate == null) return el("td", { class: "num muted", title: "no decisive votes yet", text: "–" });
  return el(
    "td",
    {
      class: "num reliability",
      title: `estimated accuracy ${fmt.pct(fit.estimate)}, 95% interval ${fmt.pct(fit.ci_low)} to ${fmt.pct(fit.ci_high)}, from ${plural(fit.votes, "vote")}`,
    },
    fmt.pct(fit.estimate),
    el("span", { class: "n", text: ` ${fmt.pct(fit.ci_low)}\u2013${fmt.pct(fit.ci_high)}` }),
  );
}

function labelerRow(row, randomized) {
  const bias = row.position_bias || {};
  const flags = row.flags || [];
  const flagged = flags.length > 0;
  const name = row.email || `user ${row.user_id}`;
  const agreement = row.agreement_with_others || {};
  const gold = row.gold || {};
  return el(
    "tr",
    { class: flagged ? "flagged" : "", dataset: { user: row.user_id } },
    el(
      "th",
      { scope: "row", class: "labeler" },
      el("span", { class: "email", text: name }),
      flagged ? el("span", { class: "flag-badge", text: "Flagged" }) : null,
    ),
    el("td", { class: "num", text: fmt.count(row.annotations) }),
    el("td", { class: "num", text: fmt.count(row.skipped) }),
    reliabilityCell(row.reliability),
    share(agreement.rate, agreement.items, "clear comparison", "agree with the others' weighted votes"),
    share(gold.accuracy, gold.answered, "gold task", "scored against the ground truth"),
    el("td", { class: "num", text: fmt.seconds(row.median_seconds) }),
    share(bias.first_shown_share, bias.votes, "decisive vote", randomized ? "for the answer shown first" : "for the left answer"),
    el("td", { class: "num", text: fmt.p(bias.p_value) }),
    el(
      "td",
      { class: "reasons" },
      flagged
        ? el(
            "ul",
            {},
            ...flags.map((f) =>
              el("li", { text: f.reason, title: `test ${f.code}, p = ${fmt.p(f.p_value)} (corrected for the number of labelers)`, dataset: { code: f.code } }),
            ),
          )
        : el("span", { class: "muted", text: "none" }),
    ),
  );
}

function drawLabelers(doc, project) {
  const box = $("labelers");
  const rows = doc.labelers || [];
  const randomized = !!project.randomize_order;
  if (!rows.length) {
    return box.replaceChildren(
      empty(manager ? "No labelers yet: nobody has answered or skipped a task." : "You have not answered any task in this project yet."),
    );
  }
  const flagged = rows.filter((r) => (r.flags || []).length);
  const intro = manager
    ? el("p", {
        id: "labelers-summary",
        class: flagged.length ? "error" : "muted",
        text: flagged.length
          ? `${plural(flagged.length, "labeler")} of ${fmt.count(rows.length)} flagged: see the reasons in the last column.`
          : `${plural(rows.length, "labeler")}, none flagged.`,
      })
    : el("p", { id: "labelers-summary", class: "muted", text: "Your own figures (annotators see only their own row)." });
  const head = [
    "Labeler",
    "Answers",
    "Skipped",
    "Reliability (95%)",
    "Agreement with the others",
    "Gold accuracy",
    "Median time",
    randomized ? "Picked the first shown" : "Picked the left",
    "p-value",
    "Flags",
  ];
  const table = el(
    "table",
    { class: "table labelers", id: "labelers-table" },
    el("caption", {
      class: "sr-only",
      text: "Labelers: answers, estimated reliability, agreement with the others, gold accuracy, median time per answer, position bias and flags",
    }),
    el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { scope: "col", class: i && i < head.length - 1 ? "num" : "", text: h })))),
    el("tbody", {}, ...rows.map((r) => labelerRow(r, randomized))),
  );
  const note = el("p", {
    class: "muted small",
    text: "Reliability: how often a labeler names the better answer, estimated from all the votes at once (labelers with few votes are pulled toward the crowd), with its 95% interval. Agreement: on comparisons where the others' votes, weighted by their reliability, make one side at least 75% likely, the share of this labeler's votes for that side. Position bias: the share of decisive votes for the answer shown first, with a two-sided binomial test against 50%. Flags come from statistical tests that flag a good labeler less than 5% of the time, however many labelers there are.",
  });
  const rule =
    doc.rules?.aggregation === "reliability"
      ? "Outcomes weigh each vote by its labeler's estimated reliability (a labeler below chance counts for the other side)."
      : "Outcomes are decided by majority: every vote counts the same.";
  const ceiling =
    doc.noise_ceiling == null
      ? ""
      : ` A perfect model would agree with these outcomes on about ${fmt.pct(doc.noise_ceiling)} of comparisons: read a reward model's accuracy against that.`;
  const trust = el("p", { id: "trust-summary", class: "muted", text: rule + ceiling });
  box.replaceChildren(intro, trust, el("div", { class: "scroll-x" }, table), note);
}

// ------------------------------------------------------------------ models

function drawLeaderboard(doc) {
  const box = $("leaderboard");
  const board = doc.leaderboard || [];
  const card = $("win-rates-card");
  if (!board.length) {
    card.hidden = true;
    return box.replaceChildren(
      empty(
        "No models to rank: no votes between two different models yet. Name the model behind each answer in the tasks' model1 / model2 data keys (or the stats' model_keys option).",
      ),
    );
  }
  card.hidden = false;
  const boot = doc.bootstrap || {};
  const interval = `${fmt.pct(boot.interval ?? 0.95)} interval`;
  const title = (r) =>
    `${r.model}: score ${fmt.score(r.score)}, ${interval} ${fmt.score(r.ci_low)} to ${fmt.score(r.ci_high)}; ${fmt.count(r.wins)} wins, ${fmt.count(r.losses)} losses, ${fmt.count(r.ties)} ties`;
  const table = el(
    "table",
    { class: "table leaderboard", id: "leaderboard-table" },
    el("caption", { class: "sr-only", text: "Leaderboard" }),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...["#", "Model", "Score", interval, "Wins", "Losses", "Ties", "Win rate"].map((h, i) =>
          el("th", { scope: "col", class: i === 1 ? "" : "num", text: h }),
        ),
      ),
    ),
    el(
      "tbody",
      {},
      ...board.map((r, i) => {
        const games = r.wins + r.losses + r.ties;
        return el(
          "tr",
          { dataset: { model: r.model } },
          el("td", { class: "num", text: String(i + 1) }),
          el("th", { scope: "row", class: "model", title: r.model, text: r.model }),
          el("td", { class: "num score", text: fmt.score(r.score) }),
          el("td", { class: "num interval", text: `${fmt.score(r.ci_low)} – ${fmt.score(r.ci_high)}` }),
          el("td", { class: "num", text: fmt.count(r.wins) }),
          el("td", { class: "num", text: fmt.count(r.losses) }),
          el("td", { class: "num", text: fmt.count(r.ties) }),
          el("td", { class: "num", text: games ? fmt.pct((r.wins + r.ties / 2) / games) : "–" }),
        );
      }),
    ),
  );
  const place = el("div", { class: "chart-place" });
  box.replaceChildren(
    el(
      "div",
      { class: "models" },
      figure(
        `Bradley–Terry scores on the Elo scale, with ${interval}s from ${plural(boot.resamples ?? 0, "bootstrap resample")} (seed ${boot.seed ?? 0}). Ties and both-bad votes count half a win each. Intervals that overlap mean the order is not settled.`,
        place,
      ),
      el("div", { class: "scroll-x" }, table),
    ),
  );
  const chart = whiskerChart({
    title: "Model scores with their confidence intervals",
    desc: board.map(title).join("; "),
    rows: board.map((r) => ({ label: r.model, value: r.score, low: r.ci_low, high: r.ci_high, title: title(r) })),
    reference: 1000,
    referenceLabel: "1000: the average model",
    format: (v) => fmt.count(Math.round(v)),
    xLabel: "score (Elo scale, 1000 = average)",
    width: widthOf(place),
  });
  place.replaceWith(chart);
}

// Blue for a row that wins, red for one that loses, white at one half. Colours are set through
// the CSSOM, which the Content-Security-Policy allows (style attributes it does not).
function heat(rate) {
  const t = Math.max(-1, Math.min(1, (rate - 0.5) * 2));
  const [r, g, b] = t >= 0 ? [66, 133, 244] : [234, 67, 53];
  const mix = (c) => Math.round(255 + (c - 255) * Math.abs(t) * 0.75);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

function drawWinRates(doc) {
  const box = $("win-rates");
  const rates = doc.win_rates || { models: [] };
  const models = rates.models || [];
  if (models.length < 2) return box.replaceChildren(empty("Win rates need two models or more."));
  const table = el(
    "table",
    { class: "table heatmap", id: "win-rate-table" },
    el("caption", { class: "sr-only", text: "Win rates: how often the row's model beat the column's model" }),
    el(
      "thead",
      {},
      el("tr", {}, el("th", { scope: "col", text: "row beats column" }), ...models.map((m) => el("th", { scope: "col", class: "model", title: m, text: m }))),
    ),
    el(
      "tbody",
      {},
      ...models.map((row, i) =>
        el(
          "tr",
          {},
          el("th", { scope: "row", class: "model", title: row, text: row }),
          ...models.map((col, j) => {
            if (i === j) return el("td", { class: "self", "aria-label": "same model", text: "—" });
            const rate = rates.win_rate[i][j];
            const games = rates.games[i][j];
            if (rate == null) return el("td", { class: "none muted", title: `${row} and ${col} never met`, text: "no games" });
            const cell = el(
              "td",
              { class: "rate", title: `${row} beat ${col} in ${fmt.pct(rate)} of ${plural(games, "game")}`, dataset: { rate } },
              el("span", { class: "value", text: fmt.pct(rate) }),
              el("span", { class: "n", text: plural(games, "game") }),
            );
            cell.style.backgroundColor = heat(rate);
            return cell;
          }),
        ),
      ),
    ),
  );
  box.replaceChildren(
    el("p", { class: "muted", text: "How often the row's model beat the column's model (ties and both-bad votes count half), over the games they played." }),
    el("div", { class: "scroll-x" }, table),
  );
}

// ------------------------------------------------------------------ the page

function drawTiles(doc) {
  const share = doc.tasks ? doc.labeled_tasks / doc.tasks : null;
  const tile = (label, value, note) =>
    el(
      "div",
      { class: "tile" },
      el("dt", { text: label }),
      el("dd", {}, el("strong", { text: value }), note ? el("span", { class: "muted", text: ` ${note}` }) : null),
    );
  const flagged = (doc.labelers || []).filter((r) => (r.flags || []).length).length;
  const tiles = [
    tile("Tasks labeled", `${fmt.count(doc.labeled_tasks)} of ${fmt.count(doc.tasks)}`, share == null ? null : `(${fmt.pct(share)})`),
    tile("Answers", fmt.count(doc.annotations), `+ ${fmt.count(doc.skipped)} skipped`),
    tile("Krippendorff's alpha", fmt.dec(doc.agreement?.krippendorff_alpha)),
    tile("First shown picked", fmt.pct(doc.position_bias?.first_shown_share), doc.position_bias?.votes ? `p = ${fmt.p(doc.position_bias.p_value)}` : null),
    manager ? tile("Labelers flagged", `${fmt.count(flagged)} of ${fmt.count((doc.labelers || []).length)}`) : null,
    tile("Models", fmt.count((doc.leaderboard || []).length)),
  ];
  $("tiles").replaceChildren(...tiles.filter(Boolean));
}

async function load() {
  page.setAttribute("aria-busy", "true");
  $("stats-refresh").disabled = true;
  try {
    const [project, doc] = await Promise.all([api(`/api/projects/${projectId}`), api(`/api/projects/${projectId}/stats`)]);
    $("stats-error").hidden = true;
    drawn = { project, doc };
    draw(project, doc);
    page.dataset.loaded = "true";
  } catch (err) {
    $("stats-summary").textContent = "";
    const error = $("stats-error");
    error.replaceChildren(
      el("strong", { text: err.status === 400 ? "No statistics for this project: " : "The statistics could not be loaded: " }),
      el("span", { text: err.message }),
    );
    error.hidden = false;
    page.dataset.loaded = "error";
  } finally {
    page.setAttribute("aria-busy", "false");
    $("stats-refresh").disabled = false;
  }
}

function draw(project, doc) {
  $("stats-body").hidden = false; // visible first: the charts take their boxes' widths
  $("stats-summary").textContent =
    doc.annotations || doc.skipped
      ? `${project.title}: ${plural(doc.tasks, "task")}, ${plural(doc.annotations, "answer")} and ${plural(doc.skipped, "skip")} so far.`
      : `${project.title}: ${plural(doc.tasks, "task")}, no votes yet. The figures appear as labelers answer.`;
  const comparing = Object.values(project.parsed_label_config || {}).some((c) => c.type === "Pairwise" || c.type === "Ranker");
  drawTiles(doc);
  drawProgress(doc);
  drawLabelers(doc, project);
  if (comparing) {
    drawVotesPerTask(doc);
    drawOutcomes(doc);
    drawAgreement(doc);
    drawPositionBias(doc, project);
    drawLeaderboard(doc);
    drawWinRates(doc);
  } else {
    // progress and each labeler's answers still count; votes need answers to compare
    const why = "This project's labeling interface compares no answers (it has no Pairwise or Ranker), so there are no votes to count.";
    for (const id of ["votes-per-task", "outcomes", "agreement", "position-bias", "leaderboard"]) $(id).replaceChildren(empty(why));
    $("win-rates-card").hidden = true;
  }
}

let drawn = null;
let resized;
let drawnWidth = innerWidth;
addEventListener("resize", () => {
  clearTimeout(resized);
  resized = setTimeout(() => {
    if (drawn && Math.abs(innerWidth - drawnWidth) > 24) {
      drawnWidth = innerWidth;
      draw(drawn.project, drawn.doc);
    }
  }, 200);
});
$("stats-refresh").addEventListener("click", () => load());
load();
